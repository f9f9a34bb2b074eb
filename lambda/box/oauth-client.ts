/**
 * The Box OAuth client: composes building and sending one request (send.ts), retrying inside the
 * request's deadline (retry.ts) and processing the answer (answers.ts, error-answers.ts) into the
 * three calls the broker makes. It keeps no state between calls (no cache, no credentials).
 */
import type { Deadline } from '../deadline.js';
import { InvalidRequestError } from '../errors.js';
import { checkDownscopedToken, parseTokenResponse } from './answers.js';
import { errorForAnswer } from './error-answers.js';
import { abortableSleep, type RetryOptions, type SettledAnswer, sendWithRetries } from './retry.js';
import {
  type BoxAnswer,
  clientCredentialsForm,
  revokeForm,
  sendToBox,
  tokenExchangeForm,
} from './send.js';
import type { BoxClientCredentials, BoxSubject, BoxToken, DownscopeRequest } from './types.js';

export type {
  BoxClientCredentials,
  BoxOperation,
  BoxSubject,
  BoxToken,
  DownscopeRequest,
} from './types.js';

export interface BoxOAuthClientOptions {
  /** Box API origin, e.g. `https://api.box.com`; the token URL is origin + `/oauth2/token`. */
  apiUrl: string;
  /** Timeout of one HTTP attempt (request and body); the request's deadline may cut it shorter. */
  attemptTimeoutMs: number;
  /** Attempts per call, the first try included (the deadline may allow fewer). */
  maxAttempts: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between attempts; must reject when the signal aborts. @default a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Millisecond clock, the one the request's deadline was computed with (epoch based:
   * `Retry-After` may be an HTTP-date). @default Date.now
   */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/**
 * Client for Box's OAuth 2.0 endpoints (Client Credentials Grant, token exchange, revoke). Every
 * call runs inside the request's {@link Deadline}.
 *
 * Failures are thrown as broker errors: {@link BoxCredentialsRejectedError} (with Box's `error`
 * code in `boxError`), {@link BoxSubjectTokenRejectedError} for a dead parent token,
 * {@link InvalidRequestError} / {@link InvalidScopeError} for a downscope Box refuses,
 * {@link BoxBadResponseError} (a wider-than-asked downscope as the non-retryable
 * {@link BoxDownscopeMismatchError}), {@link BoxUnavailableError} (429 / 5xx / network, with Box's
 * `Retry-After`) and {@link BoxTimeoutError}. Returned tokens carry the attempts they took.
 */
export class BoxOAuthClient {
  readonly #tokenUrl: string;
  readonly #revokeUrl: string;
  readonly #fetch: typeof fetch;
  readonly #retry: RetryOptions;

  constructor(options: BoxOAuthClientOptions) {
    const origin = options.apiUrl.replace(/\/+$/, '');
    this.#tokenUrl = `${origin}/oauth2/token`;
    this.#revokeUrl = `${origin}/oauth2/revoke`;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#retry = {
      attemptTimeoutMs: options.attemptTimeoutMs,
      maxAttempts: options.maxAttempts,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
    };
  }

  /** Client Credentials Grant: a token for the enterprise's service account or a user. */
  async requestToken(
    credentials: BoxClientCredentials,
    subject: BoxSubject,
    deadline: Deadline,
  ): Promise<BoxToken> {
    const form = clientCredentialsForm(credentials, subject);
    const { answer, attempts } = await this.#post(this.#tokenUrl, form, deadline);
    if (!isSuccess(answer.status)) {
      throw errorForAnswer({ operation: 'token', answer, secrets: [credentials.clientSecret] });
    }
    return { ...parseTokenResponse(answer.status, answer.text), attempts };
  }

  /**
   * Token exchange: downscopes `subjectToken` to `request.scopes`, optionally on one item or
   * shared link. The answer is proven no wider than asked (see checkDownscopedToken).
   */
  async exchangeToken(
    subjectToken: string,
    request: DownscopeRequest,
    deadline: Deadline,
  ): Promise<BoxToken> {
    if (request.scopes.length === 0) {
      // Box would answer invalid_request; the broker never asks this, so say so before calling.
      throw new InvalidRequestError('A downscoped token needs at least one scope.');
    }
    const form = tokenExchangeForm(subjectToken, request);
    const { answer, attempts } = await this.#post(this.#tokenUrl, form, deadline);
    if (!isSuccess(answer.status)) {
      const secrets = [subjectToken];
      if (request.sharedLink !== undefined) secrets.push(request.sharedLink);
      throw errorForAnswer({
        operation: 'exchange',
        answer,
        secrets,
        scopes: request.scopes,
        resource: request.resource,
        sharedLink: request.sharedLink,
      });
    }
    const token = parseTokenResponse(answer.status, answer.text);
    checkDownscopedToken(token, request);
    return { ...token, attempts };
  }

  /** Revokes an access token (plain or downscoped) at Box. Box answers 200 for unknown tokens. */
  async revokeToken(
    credentials: BoxClientCredentials,
    token: string,
    deadline: Deadline,
  ): Promise<void> {
    const form = revokeForm(credentials, token);
    const { answer } = await this.#post(this.#revokeUrl, form, deadline);
    if (!isSuccess(answer.status)) {
      throw errorForAnswer({
        operation: 'revoke',
        answer,
        secrets: [credentials.clientSecret, token],
      });
    }
  }

  #post(url: string, form: URLSearchParams, deadline: Deadline): Promise<SettledAnswer> {
    const send = (signal: AbortSignal): Promise<BoxAnswer> =>
      sendToBox(this.#fetch, { method: 'POST', url, form }, signal);
    return sendWithRetries(send, deadline, this.#retry);
  }
}
