/**
 * The Box simulator's fixed values: the grant and token type URNs, its defaults and Box's exact
 * error descriptions (docs/box.md "Token endpoint errors").
 */

/** `grant_type` of the Client Credentials Grant. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
/** `grant_type` of a token exchange (downscope). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The only `subject_token_type`, and the `issued_token_type` of a downscoped token. */
export { ACCESS_TOKEN_TYPE } from '../../lambda/contract.js';

/** Defaults of {@link BoxSimulatorOptions}; fake values, safe to commit. */
export const SIMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  enterpriseId: '1234567',
  clientId: 'box-sim-client-id',
  clientSecret: 'box-sim-client-secret',
  serviceAccountUserId: '31000001',
  /** Box's observed CCG lifetimes are a little above an hour (3992, 4102). */
  tokenLifetimeSeconds: 3992,
  /** Box's downscope sample shows 4175. */
  downscopedTokenLifetimeSeconds: 4175,
} as const;

/** Box's exact `error_description` strings (docs/box.md "Token endpoint errors"). */
export const BOX_ERROR_DESCRIPTIONS = {
  invalidRequest: 'Invalid grant_type parameter or parameter missing',
  invalidClient: 'The client credentials are invalid',
  invalidGrant: 'Grant credentials are invalid',
  subjectTypeUnauthorized: 'The "box_subject_type" value is unauthorized for this client_id',
  appNotAuthorized: 'This app is not authorized by the enterprise admin',
  grantTypeUnauthorized: 'The grant type is unauthorized for this client_id',
  /** The same refusal as Box lists it under `invalid_request` (developer.box.com PR #902). */
  grantTypeUnauthorizedForClient: 'The grant type is unauthorized for this client_id.',
  invalidResource: 'The target resource is invalid.',
  /** The `WWW-Authenticate` description of a 403 `insufficient_scope` API answer (observed). */
  insufficientScope: 'The request requires higher privileges than provided by the access token.',
} as const;

/** A numeric Box ID (user, enterprise, item). */
export const DIGITS = /^\d+$/;
