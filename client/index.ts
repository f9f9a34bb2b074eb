/**
 * Caller helpers for box-token-broker. The Box SDK adapter lives in `./box-sdk-auth.js` so that
 * importing this module never needs the optional `box-node-sdk` peer dependency.
 */
export type {
  BoxResourceScope,
  ErrorCode,
  ErrorResponse,
  HealthResponse,
  TokenRequest,
  TokenResponse,
} from '../lambda/contract.js';
export {
  BrokerClient,
  type BrokerClientOptions,
  type GetBoxTokenOptions,
  getBoxToken,
} from './broker-client.js';
export {
  BrokerClientError,
  type BrokerClientErrorCode,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
} from './errors.js';
export type { AwsCredentials, AwsCredentialsSource } from './request-signer.js';
export type { SubjectOption, TokenOptions } from './token-options.js';
