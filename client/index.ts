/**
 * Caller helpers for box-token-broker. The Box SDK adapter lives in `./box-sdk-auth.js`
 * (`box-token-broker-client/box-sdk`) so that importing this module never needs the optional
 * `box-node-sdk` peer dependency.
 */
export {
  BOX_DOWNSCOPE_SCOPES,
  type BoxResourceScope,
  type BoxSubjectType,
  ERROR_CODES,
  type ErrorCode,
  type ErrorResponse,
  type HealthResponse,
  type RevokeResponse,
  TENANT_ID_PATTERN,
  type TokenRequest,
  type TokenResponse,
} from '../lambda/contract.js';
export { BrokerClient, type BrokerClientOptions, type RevokeOptions } from './broker-client.js';
export {
  BrokerClientError,
  type BrokerClientErrorCode,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
} from './errors.js';
export { type GetBoxTokenOptions, getBoxToken } from './get-box-token.js';
export type { AwsCredentials, AwsCredentialsSource } from './request-signer.js';
export { type SubjectOption, type TokenOptions, tokenSha256 } from './token-options.js';
export { CLIENT_VERSION } from './version.js';
