/**
 * Processing Box's 2xx answers from `/oauth2/token`: validating a token body before anything uses
 * it (as oauth4webapi's processors do), and proving a downscoped token is no wider than asked.
 * Error answers are read in error-answers.ts. Nothing here copies an upstream body into a message.
 */
import { type BoxResourceScope, DOWNSCOPED_TOKEN_TYPE } from '../contract.js';
import { BoxBadResponseError, BoxDownscopeMismatchError } from '../errors.js';
import type { BoxToken, DownscopeRequest } from './types.js';

type JsonObject = Record<string, unknown>;

/** Parses `text` as a JSON object; `undefined` for anything else (arrays, scalars, not JSON). */
export function parseJsonObject(text: string): JsonObject | undefined {
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
 * string, `expires_in` a finite positive number, and `restricted_to` an array of scope entries
 * when present.
 *
 * `issued_token_type` is kept only when it is the access-token URN, and dropped otherwise.
 *
 * `token_type` is optional: Box's OpenAPI `AccessToken` schema does not require it (and a Box doc
 * sample omits it). When present it must be `bearer` (any case): the broker hands every token out
 * as a bearer token (the contract's `token_type: "bearer"`), and a token of another type used as a
 * bearer would fail at Box in a way callers cannot diagnose.
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
  if (
    tokenType !== undefined &&
    (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
  ) {
    throw badBody(status, 'a token_type other than bearer');
  }
  const restrictedTo = parseRestrictedTo(status, body.restricted_to);
  const token: BoxToken = { accessToken, expiresInSeconds: expiresIn, restrictedTo };
  // Forwarded only as the one value the contract promises: Box's OpenAPI enum has only the URN,
  // but a Box doc sample shows `"bearer"` on a plain CCG token (docs/box.md). Anything else is
  // not a reason to refuse a good token, and not something to hand callers either.
  if (body.issued_token_type === DOWNSCOPED_TOKEN_TYPE)
    token.issuedTokenType = DOWNSCOPED_TOKEN_TYPE;
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

function mismatch(problem: string): BoxDownscopeMismatchError {
  return new BoxDownscopeMismatchError(
    `Box answered the token exchange with ${problem}; the token was discarded.`,
  );
}

function sameItem(
  a: { type: string; id: string } | undefined,
  b: { type: string; id: string } | undefined,
): boolean {
  return a !== undefined && b !== undefined && a.type === b.type && a.id === b.id;
}

/**
 * Narrow, never widen: rejects a downscoped token only when its `restricted_to` proves it WIDER
 * than asked; a list naming fewer of the requested scopes is narrower and accepted.
 *
 * What counts as proven narrow (Box documents `restricted_to` only by a sample for item scopes on
 * a folder, docs/box.md "Downscoping scopes"; plain CCG tokens come back with `[]`):
 * - every entry's `scope` must be one that was requested, whatever the request;
 * - with a `resource`: the list must not be empty, and every entry must name exactly that item
 *   (type and ID). An entry without `object` could mean "any item", so it is not proof;
 * - with a shared link: the list must not be empty. Box documents no `restricted_to` shape for
 *   a shared-link exchange and the link does not carry its item's ID, so entries may omit
 *   `object`; entries that name one must all name the same item (a link opens one item);
 * - with neither (`root_*`, `manage_*`, `ai.readwrite`, `sign_requests.readwrite`, or item scopes
 *   on everything the parent reaches): entries need no `object` (one is narrower still), and an
 *   empty list is accepted. Box restricts the token to the `scope` it was sent (a scope the
 *   parent lacks is a 401), and `[]` is how Box reports "no item restriction" on plain tokens.
 *
 * @throws BoxDownscopeMismatchError (`box_bad_response`, not retryable: Box answers the same
 *   request the same way) on a token wider than asked.
 */
export function checkDownscopedToken(token: BoxToken, request: DownscopeRequest): void {
  const asked = new Set(request.scopes);
  if (token.restrictedTo.some((grant) => !asked.has(grant.scope))) {
    throw mismatch('scopes that were not requested');
  }
  if (request.resource !== undefined) {
    const item = resourceItem(request.resource);
    if (token.restrictedTo.length === 0) throw mismatch('no item restriction for the resource');
    if (token.restrictedTo.some((grant) => !sameItem(grant.object, item))) {
      throw mismatch('an item other than the requested resource');
    }
    return;
  }
  if (request.sharedLink !== undefined) {
    if (token.restrictedTo.length === 0) throw mismatch('no restriction for the shared link');
    const named = token.restrictedTo.flatMap((grant) =>
      grant.object === undefined ? [] : [grant.object],
    );
    const first = named[0];
    if (first !== undefined && named.some((object) => !sameItem(object, first))) {
      throw mismatch('more than one item for the shared link');
    }
  }
}
