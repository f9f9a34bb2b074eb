/**
 * Building and sending one request to Box: the form of each OAuth call, the headers, one `fetch`
 * that never follows a redirect, and the body read under the same signal. No retries and no
 * interpretation of the answer here (see retry.ts and answers.ts); a failure to get an answer is
 * thrown as `fetch` threw it, for the caller to classify.
 */
import { ACCESS_TOKEN_TYPE } from '../contract.js';
import type { BoxClientCredentials, BoxSubject, DownscopeRequest } from './types.js';
import { BOX_USER_AGENT } from './user-agent.js';

const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** An answer Box gave, any status. */
export interface BoxAnswer {
  status: number;
  /** The raw body; read for validation only, never echoed. */
  text: string;
  /** Box's `Retry-After` header (seconds, or an HTTP-date), when sent. */
  retryAfter: string | null;
  /** The `WWW-Authenticate` header: on a 401 it says whether a bearer token was refused. */
  wwwAuthenticate: string | null;
}

/** One HTTP request to Box. */
export interface BoxRequest {
  method: 'GET' | 'POST';
  url: string;
  /** A url-encoded form (OAuth endpoints); sent as `application/x-www-form-urlencoded`. */
  form?: URLSearchParams;
  /** A bearer token for the API (the canary's and the setup check's probes); never logged. */
  bearer?: string;
  /** A user ID to act as (`As-User`), for API reads with a service-account token. */
  asUser?: string;
}

/** Client Credentials Grant form: a token for the service account or a user. */
export function clientCredentialsForm(
  credentials: BoxClientCredentials,
  subject: BoxSubject,
): URLSearchParams {
  return new URLSearchParams({
    grant_type: GRANT_CLIENT_CREDENTIALS,
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    box_subject_type: subject.type,
    box_subject_id: subject.id,
  });
}

/**
 * Token exchange form. Box needs no client credentials for it (the official TypeScript SDK sends
 * none), so the client secret is not spread to one more request.
 */
export function tokenExchangeForm(
  subjectToken: string,
  request: DownscopeRequest,
): URLSearchParams {
  const form = new URLSearchParams({
    grant_type: GRANT_TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: request.scopes.join(' '),
  });
  if (request.resource !== undefined) form.set('resource', request.resource);
  if (request.sharedLink !== undefined) form.set('box_shared_link', request.sharedLink);
  return form;
}

/** Revocation form (`/oauth2/revoke` takes the client credentials in the body). */
export function revokeForm(credentials: BoxClientCredentials, token: string): URLSearchParams {
  return new URLSearchParams({
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    token,
  });
}

/**
 * Sends one request and reads the whole answer under `signal`: a stalled body is as bad as no
 * answer. Rejects with whatever `fetch` or the body read rejects with (a network `TypeError`, or
 * the signal's reason when it aborts).
 */
export async function sendToBox(
  fetchFn: typeof fetch,
  request: BoxRequest,
  signal: AbortSignal,
): Promise<BoxAnswer> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': BOX_USER_AGENT,
  };
  if (request.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (request.bearer !== undefined) headers.authorization = `Bearer ${request.bearer}`;
  if (request.asUser !== undefined) headers['as-user'] = request.asUser;
  const response = await fetchFn(request.url, {
    method: request.method,
    headers,
    ...(request.form === undefined ? {} : { body: request.form.toString() }),
    // A redirect is unexpected from Box; following it would post the secret elsewhere.
    redirect: 'manual',
    signal,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    retryAfter: response.headers.get('retry-after'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
  };
}
