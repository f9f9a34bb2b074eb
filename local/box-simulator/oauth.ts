/**
 * Box's OAuth endpoints as functions of (state, form) → answer: `POST /oauth2/token` (Client
 * Credentials Grant and token exchange) and `POST /oauth2/revoke`, with Box's statuses and exact
 * error strings (docs/box.md). Where Box's behaviour is undocumented ("[gap]") the answer is a
 * plausible pick, not Box's truth.
 */
import { BOX_DOWNSCOPE_SCOPES } from '../../lambda/contract.js';
import { json, oauthError, type SimAnswer } from './answers.js';
import {
  ACCESS_TOKEN_TYPE,
  BOX_ERROR_DESCRIPTIONS,
  CLIENT_CREDENTIALS_GRANT,
  DIGITS,
  TOKEN_EXCHANGE_GRANT,
} from './constants.js';
import type { SimulatorState, TokenSettings } from './state.js';

/** A parsed url-encoded request body. */
type Form = Readonly<Record<string, string>>;

const RESOURCE_URL = /^https:\/\/api\.box\.com\/2\.0\/(files|folders)\/(\d+)$/;
const SHARED_LINK_URL = /^https:\/\/([a-z0-9-]+\.)*box\.com\/(s|v)\/[A-Za-z0-9_-]+$/i;
const OTHER_GRANTS = new Set([
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);
const KNOWN_SCOPES: ReadonlySet<string> = new Set(BOX_DOWNSCOPE_SCOPES);

/** `POST /oauth2/token` with a url-encoded body: dispatches on `grant_type`. */
export function tokenEndpoint(state: SimulatorState, form: Form): SimAnswer {
  const grantType = form.grant_type;
  if (grantType === CLIENT_CREDENTIALS_GRANT) return clientCredentials(state, form);
  if (grantType === TOKEN_EXCHANGE_GRANT) return exchange(state, form);
  if (grantType !== undefined && OTHER_GRANTS.has(grantType)) {
    return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized);
  }
  return oauthError(400, 'invalid_request', BOX_ERROR_DESCRIPTIONS.invalidRequest);
}

/** `POST /oauth2/revoke` with a url-encoded body. */
export function revokeEndpoint(state: SimulatorState, form: Form): SimAnswer {
  if (state.apps.accepted(form) === undefined) {
    return oauthError(400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient);
  }
  const value = form.token;
  if (value === undefined || value === '') {
    return oauthError(400, 'invalid_request', 'Token parameter missing'); // [gap]
  }
  state.tokens.revoke(value);
  // Box documents 200 with an empty body; unknown tokens are not an error (RFC 7009).
  return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
}

function clientCredentials(state: SimulatorState, form: Form): SimAnswer {
  const invalidClient = oauthError(400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient);
  const notCcgAnswer = oauthError(
    400,
    'invalid_request',
    BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorizedForClient,
  );
  // [gap] The order in which Box checks the app's auth method, secret and authorisation is not
  // documented. An app switched to `not_ccg` is refused before its secret is looked at; an app
  // whose credentials say `clientCredentialsGrant: false` only once the secret matched.
  const known = state.apps.find(form.client_id);
  if (known?.broken.has('not_ccg') === true) return notCcgAnswer;
  const app = state.apps.accepted(form);
  if (app === undefined) {
    // A known client ID with a wrong or reset secret: Box documents both answers (see apps.ts).
    return known?.wrongSecretAnswer === 'invalid_grant'
      ? oauthError(400, 'invalid_grant', BOX_ERROR_DESCRIPTIONS.invalidGrant)
      : invalidClient;
  }
  const notCcg = app.credentials.some(
    (c) =>
      c.clientId === form.client_id &&
      c.clientSecret === form.client_secret &&
      c.clientCredentialsGrant === false,
  );
  if (notCcg) return notCcgAnswer;
  const subjectType = form.box_subject_type;
  const subjectId = form.box_subject_id;
  // Box answers missing subject fields with invalid_client, not invalid_request (observed).
  if (subjectType === undefined || subjectId === undefined || subjectId === '') {
    return invalidClient;
  }
  if (app.broken.has('not_authorized')) {
    return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.appNotAuthorized);
  }
  const invalidGrant = oauthError(400, 'invalid_grant', BOX_ERROR_DESCRIPTIONS.invalidGrant);
  if (app.broken.has('not_reauthorized')) return invalidGrant;
  if (subjectType === 'enterprise') {
    if (subjectId !== app.enterpriseId) return invalidGrant;
  } else if (subjectType === 'user') {
    const allow = app.broken.has('user_tokens_off') ? false : app.userSubjects;
    const allowed = allow === true || (Array.isArray(allow) && allow.includes(subjectId));
    // The service account's own ID is not a user subject (observed, box-windows-sdk-v2#879).
    if (!allowed || !DIGITS.test(subjectId) || subjectId === app.serviceAccountUserId) {
      return invalidGrant;
    }
  } else {
    return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.subjectTypeUnauthorized);
  }
  const token = state.tokens.issue({
    kind: 'ccg',
    subjectType,
    subjectId,
    clientId: form.client_id ?? '',
    enterpriseId: app.enterpriseId,
    scopes: app.scopes,
    expiresInSeconds: state.settings.tokenLifetimeSeconds,
  });
  return json(200, {
    access_token: token.accessToken,
    expires_in: token.expiresInSeconds,
    restricted_to: [],
    ...tokenType(state.settings),
  });
}

function exchange(state: SimulatorState, form: Form): SimAnswer {
  if (form.subject_token_type !== ACCESS_TOKEN_TYPE) {
    return oauthError(400, 'invalid_request', 'Invalid subject_token_type'); // [gap]
  }
  const parent = state.tokens.active(form.subject_token ?? '');
  if (parent === undefined) {
    return oauthError(400, 'invalid_grant', 'The subject token is invalid or expired'); // [gap]
  }
  const scopes = (form.scope ?? '').split(' ').filter((s) => s !== '');
  if (scopes.length === 0) {
    return oauthError(400, 'invalid_request', 'The scope parameter is missing'); // [gap]
  }
  if (scopes.some((s) => !KNOWN_SCOPES.has(s))) {
    return oauthError(400, 'invalid_scope', 'The requested scope is invalid'); // [gap]
  }
  const { resource, box_shared_link: sharedLink } = form;
  if (resource !== undefined && sharedLink !== undefined) {
    return oauthError(400, 'invalid_request', 'Cannot specify both resource and box_shared_link'); // [gap]
  }
  const invalidResource = oauthError(
    400,
    'invalid_resource',
    BOX_ERROR_DESCRIPTIONS.invalidResource,
  );
  const item = resource === undefined ? undefined : RESOURCE_URL.exec(resource);
  if (item === null) return invalidResource;
  if (sharedLink !== undefined && !SHARED_LINK_URL.test(sharedLink)) return invalidResource;
  if (scopes.some((s) => !parent.scopes.includes(s))) {
    // Box documents only the 401 status for scopes the subject token lacks [gap: body].
    return oauthError(
      401,
      'insufficient_scope',
      'The subject token does not hold the requested scopes',
    );
  }
  const token = state.tokens.issue({
    kind: 'downscoped',
    subjectType: parent.subjectType,
    subjectId: parent.subjectId,
    clientId: parent.clientId,
    enterpriseId: parent.enterpriseId,
    scopes,
    parentToken: parent.accessToken,
    expiresInSeconds: state.settings.downscopedLifetimeSeconds,
    ...(resource === undefined ? {} : { resource }),
    ...(sharedLink === undefined ? {} : { sharedLink }),
  });
  const object =
    item === undefined
      ? undefined
      : {
          type: item[1] === 'files' ? 'file' : 'folder',
          id: item[2] ?? '',
          sequence_id: '0',
          etag: '0',
          name: `Simulated ${item[1] === 'files' ? 'file' : 'folder'} ${item[2] ?? ''}`,
        };
  const restrictedTo =
    state.settings.restrictedToOverride ??
    scopes.map((scope) => (object === undefined ? { scope } : { scope, object }));
  return json(200, {
    access_token: token.accessToken,
    expires_in: token.expiresInSeconds,
    ...tokenType(state.settings),
    restricted_to: restrictedTo,
    issued_token_type: ACCESS_TOKEN_TYPE,
  });
}

function tokenType(settings: TokenSettings): { token_type?: 'bearer' } {
  return settings.omitTokenType ? {} : { token_type: 'bearer' };
}
