/**
 * The canary's proof that a broker token really works at Box: `GET /2.0/users/me` with it, inside
 * the request's deadline. A token endpoint that answers is not enough (an app can mint tokens it
 * cannot use).
 */
import type { Deadline } from '../deadline.js';
import { BoxBadResponseError, BoxTimeoutError, BoxUnavailableError } from '../errors.js';
import { parseJsonObject } from './answers.js';
import { TIMEOUT_RETRY_AFTER_SECONDS } from './retry.js';
import { type BoxAnswer, sendToBox } from './send.js';

export interface BoxUserProbeOptions {
  /** Box API origin; the probe calls origin + `/2.0/users/me`. */
  apiUrl: string;
  /** Longest the probe waits for Box; the request's deadline may cut it shorter. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

const WHAT = 'GET /2.0/users/me';

/** Probes one token at Box's users/me endpoint. */
export class BoxUserProbe {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: BoxUserProbeOptions) {
    this.#url = `${options.apiUrl.replace(/\/+$/, '')}/2.0/users/me?fields=id`;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * The ID of the user the token acts as.
   *
   * @throws BoxTimeoutError when Box does not answer before the timeout or the deadline.
   * @throws BoxUnavailableError when Box cannot be reached or answers 429 / 5xx.
   * @throws BoxBadResponseError when Box refuses the token or answers without a user ID.
   */
  async whoAmI(accessToken: string, deadline: Deadline): Promise<string> {
    const timeout = () =>
      new BoxTimeoutError(`Box did not answer ${WHAT} in time.`, {
        retryAfterSeconds: TIMEOUT_RETRY_AFTER_SECONDS,
      });
    if (deadline.signal.aborted) throw timeout();
    const attemptTimeout = AbortSignal.timeout(this.#timeoutMs);
    let answer: BoxAnswer;
    try {
      answer = await sendToBox(
        this.#fetch,
        { method: 'GET', url: this.#url, bearer: accessToken },
        AbortSignal.any([deadline.signal, attemptTimeout]),
      );
    } catch (error) {
      if (deadline.signal.aborted || attemptTimeout.aborted) throw timeout();
      throw new BoxUnavailableError(`Box could not be reached for ${WHAT}.`, { cause: error });
    }
    if (answer.status === 429 || answer.status >= 500) {
      throw new BoxUnavailableError(`Box answered ${WHAT} with ${answer.status}.`);
    }
    if (answer.status !== 200) {
      throw new BoxBadResponseError(
        `Box refused the broker's token on ${WHAT} (HTTP ${answer.status}).`,
      );
    }
    const id = parseJsonObject(answer.text)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new BoxBadResponseError(`Box answered ${WHAT} without a user id.`);
    }
    return id;
  }
}
