import { type BrokerAnswer, errorFromAnswer } from './broker-response.js';
import { BrokerClientError } from './errors.js';
import type { LoopbackFallbackSigner } from './loopback-fallback-signer.js';
import type { SignedRequest } from './request-signer.js';

/** What {@link BrokerTransport} needs: where, how to sign, and the timing knobs. */
export interface BrokerTransportOptions {
  /** The stage URL, ending in `/` (see `brokerBaseUrl`). */
  base: URL;
  signer: LoopbackFallbackSigner;
  fetch: typeof fetch;
  /** Epoch-millisecond clock, for `Retry-After` dates. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Timeout of one HTTP attempt. */
  timeoutMs: number;
  /** Attempts for a retryable failure, the first included (at least 1). */
  maxAttempts: number;
  /** A `Retry-After` longer than this is not waited for. */
  maxRetryDelaySeconds: number;
}

/** Backoff when the broker sent no `Retry-After`: 200 ms, 400 ms, …, jittered ±50 %. */
const BACKOFF_BASE_MS = 200;

/**
 * Sends one call to the broker: signed, with a timeout per attempt, retried for retryable
 * failures (honouring `Retry-After` up to a bound); a non-2xx answer becomes a
 * {@link BrokerClientError}.
 */
export class BrokerTransport {
  readonly #options: BrokerTransportOptions;

  constructor(options: BrokerTransportOptions) {
    this.#options = options;
  }

  /** The broker's 2xx answer to `method route`; throws {@link BrokerClientError} otherwise. */
  async call(method: string, route: string, body: string | undefined): Promise<BrokerAnswer> {
    const { base, signer, now, sleep } = this.#options;
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${route}`, base);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.#send(await signer.prepare(method, url, body));
        if (answer.status >= 200 && answer.status < 300) return answer;
        throw errorFromAnswer(answer, now());
      } catch (error) {
        const failure = asClientError(error);
        const wait = this.#retryDelayMs(failure, attempt);
        if (wait === undefined) throw failure;
        await sleep(wait);
      }
    }
  }

  #retryDelayMs(error: BrokerClientError, attempt: number): number | undefined {
    const { maxAttempts, maxRetryDelaySeconds } = this.#options;
    if (!error.retryable || attempt >= maxAttempts) return undefined;
    if (error.retryAfterSeconds !== undefined) {
      return error.retryAfterSeconds <= maxRetryDelaySeconds
        ? error.retryAfterSeconds * 1000
        : undefined;
    }
    const exponential = BACKOFF_BASE_MS * 2 ** (attempt - 1);
    return Math.round(exponential * (0.5 + Math.random()));
  }

  async #send(request: SignedRequest): Promise<BrokerAnswer> {
    const { timeoutMs } = this.#options;
    let response: Response;
    try {
      response = await this.#options.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (
        error instanceof Error &&
        (error.name === 'TimeoutError' || error.name === 'AbortError')
      ) {
        throw new BrokerClientError(
          'timeout',
          `The broker did not answer within ${timeoutMs} ms.`,
          {
            cause: error,
          },
        );
      }
      throw new BrokerClientError(
        'network_error',
        `The broker at ${this.#options.base.host} could not be reached.`,
        { cause: error },
      );
    }
  }
}

function asClientError(error: unknown): BrokerClientError {
  if (error instanceof BrokerClientError) return error;
  return new BrokerClientError('unexpected_response', 'The broker call failed unexpectedly.', {
    cause: error,
  });
}
