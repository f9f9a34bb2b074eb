/**
 * The Box OAuth client: speaks HTTP to `/oauth2/token` and `/oauth2/revoke` with a per-attempt
 * timeout, retries transient failures inside a total budget, and hands back validated tokens or
 * errors from the broker's hierarchy. It keeps no state between calls (no cache, no credentials).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { BoxSubjectType } from '../contract.js';
import { BoxTimeoutError, BoxUnavailableError, InvalidRequestError } from '../errors.js';
import {
  type BoxOperation,
  type BoxToken,
  checkDownscopedToken,
  errorForAnswer,
  parseTokenResponse,
} from './answers.js';
import { isTransientStatus, parseRetryAfterSeconds, planRetry } from './retry.js';

export type { BoxOperation, BoxToken } from './answers.js';

/** The app's client credentials (from the secret). */
export interface BoxClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The Box subject a CCG token acts as. */
export interface BoxSubject {
  type: BoxSubjectType;
  id: string;
}

/** What to downscope a token to. `resource` and `sharedLink` are mutually exclusive. */
export interface DownscopeRequest {
  scopes: readonly string[];
  /** `https://api.box.com/2.0/files/{id}` or `…/folders/{id}`. */
  resource?: string;
  sharedLink?: string;
}

/** One HTTP attempt, reported to {@link BoxOAuthClientOptions.onAttempt} for metrics. */
export interface BoxAttemptInfo {
  operation: BoxOperation;
  /** 1 for the first try. */
  attempt: number;
  /** Wall time of the attempt by the client's clock. */
  durationMs: number;
  /** HTTP status when Box answered. */
  status?: number;
  /** Set when Box did not answer: the attempt timed out or the connection failed. */
  failure?: 'timeout' | 'network';
}

export interface BoxOAuthClientOptions {
  /** Box API origin, e.g. `https://api.box.com`; the token URL is origin + `/oauth2/token`. */
  apiUrl: string;
  /** Timeout of one HTTP attempt (request and body). */
  attemptTimeoutMs: number;
  /** Total wall time of one operation, retries and waits included. */
  retryBudgetMs: number;
  /** Attempts per operation, the first try included. */
  maxAttempts: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between attempts. @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /** Millisecond clock (epoch based: `Retry-After` may be an HTTP-date). @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Called after every HTTP attempt; must not throw (errors from it are ignored). */
  onAttempt?: (info: BoxAttemptInfo) => void;
}

/** An answer Box gave (any status) or the failure to get one. */
type AttemptResult =
  | { kind: 'answer'; status: number; retryAfter: string | null; text: string }
  | { kind: 'timeout' }
  | { kind: 'network'; cause: unknown };

/** The final answer of an operation: not transient, any status. */
interface Answer {
  status: number;
  text: string;
}

const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The only `subject_token_type` Box accepts. */
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const REQUEST_HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
} as const;

/**
 * Client for Box's OAuth 2.0 endpoints (Client Credentials Grant, token exchange, revoke).
 *
 * Failures are thrown as broker errors: {@link BoxCredentialsRejectedError} (with Box's `error`
 * code in `boxError`), {@link InvalidRequestError} / {@link InvalidScopeError} for a downscope Box
 * refuses, {@link BoxBadResponseError}, {@link BoxUnavailableError} (429 / 5xx / network, after
 * retries, with Box's `Retry-After`) and {@link BoxTimeoutError}.
 */
export class BoxOAuthClient {
  readonly #tokenUrl: string;
  readonly #revokeUrl: string;
  readonly #attemptTimeoutMs: number;
  readonly #retryBudgetMs: number;
  readonly #maxAttempts: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onAttempt: ((info: BoxAttemptInfo) => void) | undefined;

  constructor(options: BoxOAuthClientOptions) {
    const origin = options.apiUrl.replace(/\/+$/, '');
    this.#tokenUrl = `${origin}/oauth2/token`;
    this.#revokeUrl = `${origin}/oauth2/revoke`;
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#retryBudgetMs = options.retryBudgetMs;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onAttempt = options.onAttempt;
  }

  /** Client Credentials Grant: a token for the enterprise's service account or a user. */
  async requestToken(credentials: BoxClientCredentials, subject: BoxSubject): Promise<BoxToken> {
    const form = new URLSearchParams({
      grant_type: GRANT_CLIENT_CREDENTIALS,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      box_subject_type: subject.type,
      box_subject_id: subject.id,
    });
    const secrets = [credentials.clientSecret];
    const answer = await this.#call('token', this.#tokenUrl, form);
    if (!isSuccess(answer.status)) {
      throw errorForAnswer({ operation: 'token', ...answer, secrets });
    }
    return parseTokenResponse(answer.status, answer.text);
  }

  /**
   * Token exchange: downscopes `subjectToken` to `request.scopes`, optionally on one item or
   * shared link. The answer is checked against the request (no scope or item beyond it).
   */
  async exchangeToken(subjectToken: string, request: DownscopeRequest): Promise<BoxToken> {
    if (request.scopes.length === 0) {
      throw new InvalidRequestError('A downscoped token needs at least one scope.');
    }
    if (request.resource !== undefined && request.sharedLink !== undefined) {
      throw new InvalidRequestError('resource and box_shared_link cannot be used together.');
    }
    const form = new URLSearchParams({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      scope: request.scopes.join(' '),
    });
    if (request.resource !== undefined) form.set('resource', request.resource);
    if (request.sharedLink !== undefined) form.set('box_shared_link', request.sharedLink);
    const secrets = [subjectToken];
    if (request.sharedLink !== undefined) secrets.push(request.sharedLink);
    const answer = await this.#call('exchange', this.#tokenUrl, form);
    if (!isSuccess(answer.status)) {
      throw errorForAnswer({
        operation: 'exchange',
        ...answer,
        secrets,
        scopes: request.scopes,
        resource: request.resource,
        sharedLink: request.sharedLink,
      });
    }
    const token = parseTokenResponse(answer.status, answer.text);
    checkDownscopedToken(token, request);
    return token;
  }

  /** Revokes an access token (plain or downscoped) at Box. Box answers 200 for unknown tokens. */
  async revokeToken(credentials: BoxClientCredentials, token: string): Promise<void> {
    const form = new URLSearchParams({
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      token,
    });
    const answer = await this.#call('revoke', this.#revokeUrl, form);
    if (!isSuccess(answer.status)) {
      throw errorForAnswer({
        operation: 'revoke',
        ...answer,
        secrets: [credentials.clientSecret, token],
      });
    }
  }

  /**
   * Sends `form` until Box gives a non-transient answer, retrying 429, 5xx, network failures and
   * timeouts within the attempt limit and the budget.
   */
  async #call(operation: BoxOperation, url: string, form: URLSearchParams): Promise<Answer> {
    const body = form.toString();
    const deadline = this.#now() + this.#retryBudgetMs;
    let last: AttemptResult = { kind: 'timeout' };
    let lastRetryAfter: number | undefined;
    let attempt = 0;
    while (attempt < this.#maxAttempts) {
      const remainingMs = deadline - this.#now();
      if (remainingMs <= 0) break;
      attempt += 1;
      const started = this.#now();
      last = await this.#attempt(url, body, Math.min(this.#attemptTimeoutMs, remainingMs));
      this.#report(operation, attempt, started, last);
      if (last.kind === 'answer' && !isTransientStatus(last.status)) {
        return { status: last.status, text: last.text };
      }
      lastRetryAfter =
        last.kind === 'answer' ? parseRetryAfterSeconds(last.retryAfter, this.#now()) : undefined;
      const decision = planRetry({
        attempt,
        maxAttempts: this.#maxAttempts,
        remainingMs: deadline - this.#now(),
        retryAfterSeconds: lastRetryAfter,
        random: this.#random,
      });
      if (decision.kind === 'stop') break;
      await this.#sleep(decision.delayMs);
    }
    throw this.#exhausted(last, attempt, lastRetryAfter);
  }

  async #attempt(url: string, body: string, timeoutMs: number): Promise<AttemptResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: REQUEST_HEADERS,
        body,
        // A redirect is unexpected from Box; following it would post the secret elsewhere.
        redirect: 'manual',
        signal: controller.signal,
      });
      // The body is read under the same timer: a stalled body is as bad as no answer.
      const text = await response.text();
      return {
        kind: 'answer',
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        text,
      };
    } catch (cause) {
      return timedOut ? { kind: 'timeout' } : { kind: 'network', cause };
    } finally {
      clearTimeout(timer);
    }
  }

  #report(operation: BoxOperation, attempt: number, started: number, result: AttemptResult): void {
    if (this.#onAttempt === undefined) return;
    const info: BoxAttemptInfo = { operation, attempt, durationMs: this.#now() - started };
    if (result.kind === 'answer') info.status = result.status;
    else info.failure = result.kind;
    try {
      this.#onAttempt(info);
    } catch {
      // Metrics must never change the outcome of a Box call.
    }
  }

  #exhausted(
    last: AttemptResult,
    attempts: number,
    retryAfterSeconds: number | undefined,
  ): BoxTimeoutError | BoxUnavailableError {
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    if (last.kind === 'timeout') {
      return new BoxTimeoutError(
        `Box did not answer in time (${tries} within a ${this.#retryBudgetMs} ms budget, ${this.#attemptTimeoutMs} ms per attempt).`,
      );
    }
    if (last.kind === 'network') {
      return new BoxUnavailableError(`Box could not be reached (${tries}).`, { cause: last.cause });
    }
    const options =
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterSeconds) };
    const wait =
      retryAfterSeconds === undefined
        ? ''
        : `; Box asked to retry after ${Math.ceil(retryAfterSeconds)} s`;
    return new BoxUnavailableError(
      `Box is unavailable (HTTP ${last.status} after ${tries}${wait}).`,
      options,
    );
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}
