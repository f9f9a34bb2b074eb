/**
 * Which handler answers a request: the OAuth endpoints, the API routes, or Box-shaped 4xx for
 * wrong methods, bodies and paths.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { clientError, oauthError, type SimAnswer } from './answers.js';
import { folderRoute, usersMeRoute } from './api.js';
import { BOX_ERROR_DESCRIPTIONS } from './constants.js';
import { revokeEndpoint, tokenEndpoint } from './oauth.js';
import { isForm } from './requests.js';
import type { SimulatorState } from './state.js';

/** What routing needs of a request, its body already read. */
export interface RoutedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  form: Readonly<Record<string, string>>;
  headers: IncomingHttpHeaders;
}

/** The answer to a request no fault intercepted. */
export function route(state: SimulatorState, request: RoutedRequest): SimAnswer {
  const { method, path } = request;
  if (path === '/oauth2/token' || path === '/oauth2/revoke') {
    // Box answers a GET, a query string, multipart or JSON with this very error (observed).
    if (method !== 'POST' || !isForm(request.contentType)) {
      return oauthError(400, 'invalid_request', BOX_ERROR_DESCRIPTIONS.invalidRequest);
    }
    return path === '/oauth2/token'
      ? tokenEndpoint(state, request.form)
      : revokeEndpoint(state, request.form);
  }
  if (path === '/2.0/users/me') {
    if (method !== 'GET') return clientError(405, 'method_not_allowed', 'Method Not Allowed');
    return usersMeRoute(state, request.headers);
  }
  const folder = /^\/2\.0\/folders\/(\d+)$/.exec(path);
  if (folder !== null) {
    if (method !== 'GET') return clientError(405, 'method_not_allowed', 'Method Not Allowed');
    return folderRoute(state, request.headers, folder[1] ?? '');
  }
  return clientError(404, 'not_found', `The Box simulator has no route ${method} ${path}`);
}
