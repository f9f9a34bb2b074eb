/**
 * Reading Box's error answers from `/oauth2/token` and `/oauth2/revoke` and turning a final
 * (non-transient) one into the broker's error hierarchy. Nothing here copies an upstream body into
 * a message beyond Box's own `error` code and a cleaned, truncated `error_description`.
 */
import {
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BoxScopeRefusedError,
  BoxSubjectTokenRejectedError,
  type BrokerError,
  InvalidRequestError,
} from '../errors.js';
import { cleanText } from '../safe-text.js';
import { parseJsonObject } from './answers.js';
import type { BoxAnswer } from './send.js';
import type { BoxOperation } from './types.js';

/** Box's error code and description, from either of its error shapes. */
export interface BoxErrorBody {
  error: string;
  description: string;
}

const MAX_DESCRIPTION_CHARS = 200;
// Box's codes are short snake_case words; anything else is not echoed.
const ERROR_CODE_SHAPE = /^[A-Za-z0-9_.:-]{1,64}$/;

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
  return cleanText(raw, secrets, MAX_DESCRIPTION_CHARS);
}

/** Box's reason for an error answer, as evidence (the setup check shows it as Box said it). */
export interface BoxErrorEvidence {
  /** Box's `error` / `code`, or the `error` of a `WWW-Authenticate` header. */
  code: string | undefined;
  /** Box's `error_description` / `message`, cleaned. */
  message: string | undefined;
}

/**
 * Reads any error answer's reason without classifying it: the body when Box sent one of its error
 * shapes, else the `WWW-Authenticate` challenge (API errors without a body carry Box's reason
 * there; observed on 401 and 403). `secrets` are masked in the message.
 */
export function readErrorEvidence(answer: BoxAnswer, secrets: readonly string[]): BoxErrorEvidence {
  const error = parseErrorBody(answer.text);
  if (error !== undefined) {
    return { code: error.error, message: cleanDescription(error.description, secrets) };
  }
  const challenge = answer.wwwAuthenticate ?? '';
  const code = /error="([A-Za-z0-9_]{1,64})"/.exec(challenge)?.[1];
  const description = /error_description="([^"]{0,300})"/.exec(challenge)?.[1];
  return {
    code,
    message: description === undefined ? undefined : cleanDescription(description, secrets),
  };
}

/**
 * Why each credentials error happens and what the admin should check (docs/box.md "Token endpoint
 * errors"). Box documents a wrong or mismatched client secret as `invalid_grant` in its CCG guide
 * and as `invalid_client` elsewhere, so both hints name the secret.
 */
const CREDENTIAL_HINTS: Readonly<Record<string, string>> = {
  invalid_client:
    'Check clientId and clientSecret in the credentials secret; the client secret may have been reset in the Box Developer Console.',
  invalid_grant:
    "Check the client secret (Box answers a wrong or reset secret with invalid_grant too), the enterprise ID or subject ID, that the app is authorised in the Box Admin Console (Integrations > Platform Apps Manager > Server Authentication Apps) and was re-authorised after any change to its scopes or access level, and, for user subjects, that 'Generate user access tokens' is enabled (managed users also need App + Enterprise Access).",
  unauthorized_client:
    "The Box app must use Server Authentication (Client Credentials Grant) and be authorised by a Box admin in the Admin Console (Integrations > Platform Apps Manager > Server Authentication Apps); with 'Disable unpublished apps by default' on, the admin must also enable it.",
};

/**
 * Box's answer when the app's authentication method is not Client Credentials Grant (e.g. a JWT
 * or OAuth 2.0 app). Box lists it under `invalid_request` (developer.box.com PR #902); community
 * reports show it under `unauthorized_client` too (docs/box.md "Token endpoint errors"). Compared without case and
 * trailing period, since both spellings are seen.
 */
const GRANT_TYPE_UNAUTHORIZED = 'the grant type is unauthorized for this client_id';

const GRANT_TYPE_HINT =
  "The Box app does not use Server Authentication (Client Credentials Grant). A JWT app can be switched in the Box Developer Console (the app's Configuration tab > Server Authentication Method; it needs multi-factor authentication, and the enterprise setting 'Allow developers to switch server app auth type for existing apps', which enterprises have off by default); no re-authorisation is needed after the switch. Any other app cannot be switched: create one with Create Platform App > Platform App > Server Authentication (Client Credentials Grant), have it authorised, and store its client ID and secret.";

function saysGrantTypeUnauthorized(description: string): boolean {
  return description.trim().replace(/\.$/, '').toLowerCase() === GRANT_TYPE_UNAUTHORIZED;
}

/**
 * Whether a token-exchange refusal says the parent (subject) token itself is dead: an
 * `invalid_grant` (the exchange's grant is that token), an `invalid_token` code, or a 401 whose
 * `WWW-Authenticate` names `invalid_token` (Box's answer to a dead bearer, docs/box.md "Re-authorising an app"). A
 * bare 401 is not: Box documents it for scopes the parent does not hold.
 */
function saysSubjectTokenDead(answer: BoxAnswer, error: string | undefined): boolean {
  if (answer.status !== 400 && answer.status !== 401) return false;
  if (error === 'invalid_grant' || error === 'invalid_token') return true;
  return answer.status === 401 && /error="?invalid_token/i.test(answer.wwwAuthenticate ?? '');
}

/** Context of a final, non-2xx answer. */
export interface FailedAnswer {
  operation: BoxOperation;
  answer: BoxAnswer;
  /** Values that must never be echoed (client secret, tokens sent, shared link). */
  secrets: readonly string[];
  /** Exchange only: what was asked, to name it in the error. */
  scopes?: readonly string[];
  resource?: string | undefined;
  sharedLink?: string | undefined;
}

/**
 * Maps a final, non-transient, non-2xx answer from Box to the broker's error. OAuth 4xx errors are
 * permanent: credentials problems become {@link BoxCredentialsRejectedError} (with Box's exact
 * `error` code as `boxError`), a dead parent token {@link BoxSubjectTokenRejectedError} (the
 * broker drops it and mints once more), a refused resource or scope the caller's error, and
 * anything else (our malformed request, an unexpected status) {@link BoxBadResponseError}.
 */
export function errorForAnswer(failed: FailedAnswer): BrokerError {
  const { operation, answer } = failed;
  const { status } = answer;
  const body = parseErrorBody(answer.text);
  const description = body === undefined ? '' : cleanDescription(body.description, failed.secrets);
  const said =
    body === undefined ? '' : description === '' ? body.error : `${body.error} (${description})`;

  if (operation === 'exchange' && saysSubjectTokenDead(answer, body?.error)) {
    const why = said === '' ? `HTTP ${status}` : said;
    return new BoxSubjectTokenRejectedError(
      `Box refused the token to downscope: ${why}. It may have expired or been revoked; a new parent token is needed.`,
    );
  }
  if (status === 401 && operation === 'exchange') {
    // Box documents only the status: scopes not all held by the subject token "error with 401".
    // The subject token may also predate the re-authorisation that granted them (docs/box.md).
    return scopeRefused(failed.scopes, `HTTP 401${said === '' ? '' : `, ${said}`}`);
  }
  if (status !== 400 || body === undefined) {
    const code = body === undefined ? '' : ` (${body.error})`;
    return new BoxBadResponseError(`Box answered with unexpected HTTP status ${status}${code}.`);
  }

  const { error } = body;
  if (operation !== 'revoke' && saysGrantTypeUnauthorized(body.description)) {
    return new BoxCredentialsRejectedError(error, description, GRANT_TYPE_HINT);
  }
  const hint = CREDENTIAL_HINTS[error];
  if (hint !== undefined && rejectsCredentials(operation, error)) {
    return new BoxCredentialsRejectedError(error, description, hint);
  }
  if (operation === 'exchange' && error === 'invalid_resource') {
    const what =
      failed.resource !== undefined
        ? `the resource ${cleanDescription(failed.resource)}`
        : 'the shared link'; // a shared link is a capability: never echoed
    return new InvalidRequestError(
      `Box refused ${what} as the target of the downscoped token: ${said}. Use https://api.box.com/2.0/files/{id} or https://api.box.com/2.0/folders/{id} of an item that the token's own subject (the service account, or the user named by box_subject_id) can access: As-User does not carry into a token exchange, so collaborate the service account on the item or ask for a user-subject token.`,
    );
  }
  if (operation === 'exchange' && error === 'invalid_scope') {
    return scopeRefused(failed.scopes, said);
  }
  return new BoxBadResponseError(`Box refused the broker's ${operation} request: ${said}.`);
}

/**
 * Box refused to downscope to scopes the broker knows. Two causes fit (docs/box.md): the app does
 * not hold them, or the token being downscoped was minted before an admin re-authorised the app
 * with them. The broker retries once with a fresh parent; if Box refuses again, this is the answer.
 */
function scopeRefused(scopes: readonly string[] | undefined, why: string): BoxScopeRefusedError {
  return new BoxScopeRefusedError(
    `Box refused to downscope to "${(scopes ?? []).join(' ')}" (${why}): the Box app does not hold these scopes, or holds them only since a re-authorisation newer than the token. Enable them in the app's Configuration tab > Application Scopes, and have a Box admin re-authorise the app (Admin Console > Integrations > Platform Apps Manager > the app > Reauthorize App).`,
  );
}

/**
 * Whether a credentials-class code really is about the app's credentials for this operation. An
 * `invalid_grant` on an exchange refers to the parent token (handled above), not the app; revoke
 * is only told about the client credentials it carries.
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
