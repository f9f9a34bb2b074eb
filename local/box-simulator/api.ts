/**
 * Box's API routes the broker and the setup check use: `GET /2.0/users/me` and
 * `GET /2.0/folders/0`, behind a bearer token and the `As-User` header.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { clientError, insufficientScope, json, type SimAnswer } from './answers.js';
import { DIGITS, SIMULATOR_DEFAULTS } from './constants.js';
import type { SimulatorState } from './state.js';
import type { IssuedToken } from './tokens.js';

/** Scopes that let the service account read the root folder ("Read all files and folders"). */
const ROOT_READ_SCOPES = ['root_readonly', 'root_readwrite'];

/** `GET /2.0/users/me`: the token's subject, or the As-User user. */
export function usersMeRoute(state: SimulatorState, headers: IncomingHttpHeaders): SimAnswer {
  return authorized(state, headers, (token, actingUserId) => {
    const app = state.apps.find(token.clientId);
    const serviceAccountId = app?.serviceAccountUserId ?? SIMULATOR_DEFAULTS.serviceAccountUserId;
    const isServiceAccount = actingUserId === undefined && token.subjectType === 'enterprise';
    const id = isServiceAccount ? serviceAccountId : (actingUserId ?? token.subjectId);
    return json(200, {
      type: 'user',
      id,
      name: isServiceAccount ? 'Box Simulator Service Account' : `Simulated User ${id}`,
      login: isServiceAccount
        ? `AutomationUser_${id}@boxdevedition.com`
        : `user${id}@simulator.invalid`,
      status: 'active',
      enterprise: { type: 'enterprise', id: token.enterpriseId, name: 'Box Simulator' },
    });
  });
}

/** `GET /2.0/folders/:id`: the root folder needs "Read all files and folders" (root_readonly). */
export function folderRoute(
  state: SimulatorState,
  headers: IncomingHttpHeaders,
  id: string,
): SimAnswer {
  return authorized(state, headers, (token) => {
    if (id !== '0') return clientError(404, 'not_found', 'Not Found');
    if (!token.scopes.some((scope) => ROOT_READ_SCOPES.includes(scope))) {
      return insufficientScope();
    }
    return json(200, { type: 'folder', id: '0', etag: null, name: 'All Files' });
  });
}

/**
 * An API call: the bearer must be an active token; an `As-User` header needs "Perform Actions as
 * Users" on the token's app, and may not name the service account itself (DOCS as-user.md).
 */
function authorized(
  state: SimulatorState,
  headers: IncomingHttpHeaders,
  answer: (token: IssuedToken, actingUserId: string | undefined) => SimAnswer,
): SimAnswer {
  const match = /^Bearer (\S+)$/i.exec(headers.authorization ?? '');
  const token = match?.[1] === undefined ? undefined : state.tokens.active(match[1]);
  if (token === undefined) {
    // Box's observed answer for a missing, invalid or expired bearer: 401, empty body.
    return {
      status: 401,
      headers: {
        'www-authenticate':
          'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
      },
      body: '',
    };
  }
  const asUser = headers['as-user'];
  if (asUser === undefined) return answer(token, undefined);
  const app = state.apps.find(token.clientId);
  if (app === undefined || app.broken.has('as_user_off') || token.subjectType !== 'enterprise') {
    return insufficientScope();
  }
  const userId = Array.isArray(asUser) ? asUser[0] : asUser;
  if (userId === undefined || !DIGITS.test(userId) || userId === app.serviceAccountUserId) {
    // [gap] Box's answer for an unusable As-User ID is not documented.
    return clientError(400, 'bad_request', 'The As-User header does not name a usable user');
  }
  return answer(token, userId);
}
