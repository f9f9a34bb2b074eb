/**
 * Reading Box's answers from `/oauth2/token` and `/oauth2/revoke`: validating a token body before
 * anything uses it, and turning an error answer into the broker's error hierarchy. Nothing here
 * copies an upstream body into a message beyond Box's own `error` code and a cleaned, truncated
 * `error_description`.
 */
import type { BoxResourceScope } from '../contract.js';
import {
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BoxSubjectTokenRejectedError,
  type BrokerError,
  InvalidRequestError,
  InvalidScopeError,
} from '../errors.js';

/** A token Box issued, validated. */
export interface BoxToken {
  accessToken: string;
  /** Box's `expires_in`, as returned (seconds from issue; do not assume 3600). */
  expiresInSeconds: number;
  restrictedTo: BoxResourceScope[];
  /** Present for downscoped tokens. */
  issuedTokenType?: string;
}

/** Which Box call an answer belongs to; decides how some error codes read. */
export type BoxOperation = 'token' | 'exchange' | 'revoke';

/** Box's error code and description, from either of its error shapes. */
export interface BoxErrorBody {
  error: string;
  description: string;
}

const MAX_DESCRIPTION_CHARS = 200;
// Box's codes are short snake_case words; anything else is not echoed.
const ERROR_CODE_SHAPE = /^[A-Za-z0-9_.:-]{1,64}$/;

type JsonObject = Record<string, unknown>;

function parseJsonObject(text: string): JsonObject | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

function badBody(status: number, problem: string): BoxBadResponseError {
  return new BoxBadResponseError(`Box answered HTTP ${status} with ${problem}.`);
}

/**
 * Validates a 2xx body from `/oauth2/token`: a JSON object whose `access_token` is a non-empty
 * string, `expires_in` a finite positive number, `token_type` `bearer` (any case), and
 * `restricted_to` an array of scope entries when present.
 *
 * @throws BoxBadResponseError when any of that does not hold.
 */
export function parseTokenResponse(status: number, text: string): BoxToken {
  const body = parseJsonObject(text);
  if (body === undefined) throw badBody(status, 'a body that is not a JSON object');
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw badBody(status, 'no access_token string');
  }
  const expiresIn = body.expires_in;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw badBody(status, 'an expires_in that is not a positive number');
  }
  const tokenType = body.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw badBody(status, 'a token_type other than bearer');
  }
  const restrictedTo = parseRestrictedTo(status, body.restricted_to);
  const issuedTokenType = body.issued_token_type;
  if (issuedTokenType !== undefined && typeof issuedTokenType !== 'string') {
    throw badBody(status, 'an issued_token_type that is not a string');
  }
  const token: BoxToken = { accessToken, expiresInSeconds: expiresIn, restrictedTo };
  if (issuedTokenType !== undefined) token.issuedTokenType = issuedTokenType;
  return token;
}

function parseRestrictedTo(status: number, value: unknown): BoxResourceScope[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badBody(status, 'a restricted_to that is not an array');
  return value.map((entry: unknown) => parseResourceScope(status, entry));
}

function parseResourceScope(status: number, entry: unknown): BoxResourceScope {
  const invalid = () => badBody(status, 'a restricted_to entry that is not a scope grant');
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid();
  const { scope, object } = entry as JsonObject;
  if (typeof scope !== 'string' || scope === '') throw invalid();
  if (object === undefined || object === null) return { scope };
  if (typeof object !== 'object' || Array.isArray(object)) throw invalid();
  const { type, id } = object as JsonObject;
  if (typeof type !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) {
    throw invalid();
  }
  return { scope, object: { ...(object as JsonObject), type, id: String(id) } };
}

/** The item a `resource` URL names (`…/files/{id}` or `…/folders/{id}`), if it names one. */
export function resourceItem(
  resource: string,
): { type: 'file' | 'folder'; id: string } | undefined {
  const match = /\/(files|folders)\/(\d+)$/.exec(resource);
  if (match === null) return undefined;
  return { type: match[1] === 'files' ? 'file' : 'folder', id: match[2] ?? '' };
}

/**
 * Narrow, never widen: a downscoped token must carry exactly the scopes asked for, each on the
 * requested item when a resource was named. The broker promises callers exactly that token; a Box
 * answer that does not match the request must not reach them.
 *
 * @throws BoxBadResponseError on a mismatch.
 */
export function checkDownscopedToken(
  token: BoxToken,
  request: { scopes: readonly string[]; resource?: string | undefined },
): void {
  const asked = new Set(request.scopes);
  const granted = new Set(token.restrictedTo.map((grant) => grant.scope));
  if ([...granted].some((scope) => !asked.has(scope))) {
    throw new BoxBadResponseError(
      'Box answered the token exchange with scopes that were not requested; the token was discarded.',
    );
  }
  if (request.scopes.some((scope) => !granted.has(scope))) {
    throw new BoxBadResponseError(
      'Box answered the token exchange without all the requested scopes; the token was discarded.',
    );
  }
  const item = request.resource === undefined ? undefined : resourceItem(request.resource);
  if (item === undefined) return;
  const foreign = token.restrictedTo.some(
    (grant) =>
      grant.object === undefined || grant.object.type !== item.type || grant.object.id !== item.id,
  );
  if (foreign) {
    throw new BoxBadResponseError(
      'Box answered the token exchange with an item other than the requested resource; the token was discarded.',
    );
  }
}

/**
 * Reads Box's error body tolerantly: the token endpoint's `OAuth2Error`
 * (`{error, error_description}`) or the API's `ClientError` (`{type:'error', code, message}`).
 * Returns `undefined` for anything else, including bodies that are not JSON.
 */
export function parseErrorBody(text: string): BoxErrorBody | undefined {
  const body = parseJsonObject(text);
  if (body === undefined) return undefined;
  let error: unknown;
  let description: unknown;
  if (typeof body.error === 'string') {
    error = body.error;
    description = body.error_description;
  } else if (body.type === 'error' && typeof body.code === 'string') {
    error = body.code;
    description = body.message;
  }
  if (typeof error !== 'string' || !ERROR_CODE_SHAPE.test(error)) return undefined;
  return { error, description: typeof description === 'string' ? description : '' };
}

/**
 * Makes an upstream description safe to show: printable characters only, whitespace collapsed,
 * any of `secrets` (client secret, tokens sent) masked, at most 200 characters.
 */
export function cleanDescription(raw: string, secrets: readonly string[] = []): string {
  let text = raw;
  for (const secret of secrets) {
    if (secret !== '') text = text.split(secret).join('[redacted]');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > MAX_DESCRIPTION_CHARS
    ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…`
    : text;
}

/** Why each credentials error happens and what the admin should check. */
const CREDENTIAL_HINTS: Readonly<Record<string, string>> = {
  invalid_client:
    'Check clientId and clientSecret in the credentials secret; the client secret may have been reset in the Box Developer Console.',
  invalid_grant:
    "Check the enterprise ID or subject ID, that the app is authorised in the Box Admin Console and was re-authorised after any change to its scopes or access level, and, for user subjects, that 'Generate user access tokens' is enabled (managed users also need App + Enterprise Access).",
  unauthorized_client:
    'The Box app must use Server Authentication (Client Credentials Grant) and be authorised by a Box admin in the Admin Console.',
};

/** Context of a non-transient, non-2xx answer. */
export interface FailedAnswer {
  operation: BoxOperation;
  status: number;
  /** The raw body; read for Box's code and description only. */
  text: string;
  /** Values that must never be echoed (client secret, tokens sent). */
  secrets: readonly string[];
  /** Exchange only: what was asked, to name it in the error. */
  scopes?: readonly string[];
  resource?: string | undefined;
  sharedLink?: string | undefined;
}

/**
 * Maps a final, non-transient, non-2xx answer from Box to the broker's error. OAuth 4xx errors are
 * permanent: credentials problems become {@link BoxCredentialsRejectedError} (with Box's exact
 * `error` code as `boxError`), a refused resource or scope becomes the caller's error, and
 * anything else (our malformed request, an unexpected status) is {@link BoxBadResponseError}.
 */
export function errorForAnswer(answer: FailedAnswer): BrokerError {
  const { operation, status } = answer;
  const body = parseErrorBody(answer.text);
  const description = body === undefined ? '' : cleanDescription(body.description, answer.secrets);
  const scopes = (answer.scopes ?? []).join(' ');

  if (status === 401 && operation === 'exchange') {
    // Box documents only the status: scopes not all held by the subject token "error with 401".
    return new InvalidScopeError(
      `The Box app does not hold the requested scope(s) "${scopes}", so Box refused to downscope to them. Enable them in the app's configuration and have an admin re-authorise the app.`,
    );
  }
  if (status !== 400 || body === undefined) {
    const code = body === undefined ? '' : ` (${body.error})`;
    return new BoxBadResponseError(`Box answered with unexpected HTTP status ${status}${code}.`);
  }

  const { error } = body;
  const said = description === '' ? error : `${error} (${description})`;
  const hint = CREDENTIAL_HINTS[error];
  if (hint !== undefined && rejectsCredentials(operation, error)) {
    return new BoxCredentialsRejectedError(error, description, hint);
  }
  if (operation === 'exchange' && error === 'invalid_grant') {
    return new BoxSubjectTokenRejectedError(
      `Box refused the token to downscope: ${said}. It may have expired or been revoked; a new parent token is needed.`,
    );
  }
  if (operation === 'exchange' && error === 'invalid_resource') {
    const what =
      answer.resource !== undefined
        ? `the resource ${cleanDescription(answer.resource)}`
        : 'the shared link'; // a shared link is a capability: never echoed
    return new InvalidRequestError(
      `Box refused ${what} as the target of the downscoped token: ${said}. Use https://api.box.com/2.0/files/{id} or https://api.box.com/2.0/folders/{id} of an item the app can see.`,
    );
  }
  if (operation === 'exchange' && error === 'invalid_scope') {
    return new InvalidScopeError(`Box refused the requested scope(s) "${scopes}": ${said}.`);
  }
  return new BoxBadResponseError(`Box refused the broker's ${operation} request: ${said}.`);
}

/**
 * Whether a credentials-class code really is about the app's credentials for this operation. An
 * `invalid_grant` on an exchange refers to the parent token (the request's grant), not the app;
 * revoke is only told about the client credentials it carries.
 */
function rejectsCredentials(operation: BoxOperation, error: string): boolean {
  switch (operation) {
    case 'token':
      return true;
    case 'exchange':
      return error !== 'invalid_grant';
    case 'revoke':
      return error === 'invalid_client';
  }
}
