/**
 * Retry arithmetic for calls to Box: which answers are transient, how long to wait before the
 * next attempt, and when to give up. Pure functions, so the policy is tested without a network.
 */

/** Shape of the exponential backoff used when Box sends no `Retry-After`. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** Upper bound of any computed delay, after jitter. */
  readonly maxMs: number;
  /** Relative jitter: the delay is scaled by a factor drawn from [1 - jitter, 1 + jitter). */
  readonly jitter: number;
}

/**
 * 200 ms doubling per retry, ±50 % jitter, at most 3.2 s: short enough that a few retries fit a
 * budget well under API Gateway's 29 s, long enough not to hammer a throttled token endpoint.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 3200, jitter: 0.5 };

/** Whether an HTTP status from Box is worth retrying (throttling or a server-side failure). */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Delay before retry number `retry` (1 = the first retry): `baseMs * 2^(retry-1)`, jittered,
 * capped at `maxMs`.
 *
 * @param random - returns a number in [0, 1); injected so tests are deterministic.
 */
export function backoffDelayMs(
  retry: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const exponential = policy.baseMs * 2 ** Math.max(0, retry - 1);
  const draw = Math.min(Math.max(random(), 0), 1);
  const factor = 1 - policy.jitter + 2 * policy.jitter * draw;
  return Math.round(Math.min(policy.maxMs, exponential * factor));
}

// RFC 9110 allows three date forms; all start with a day name, which also keeps Date.parse from
// reading something like "12" as a year.
const HTTP_DATE_START = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i;
const DELTA_SECONDS = /^\d+(\.\d+)?$/;

/**
 * Parses a `Retry-After` header into seconds from `nowMs`. Box sends delta-seconds; an HTTP-date
 * is accepted too. Returns `undefined` when the header is absent or unreadable, so the caller
 * falls back to its own backoff.
 */
export function parseRetryAfterSeconds(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (DELTA_SECONDS.test(trimmed)) return Number(trimmed);
  if (!HTTP_DATE_START.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - nowMs) / 1000);
}

/** What to do after a transient failure. */
export type RetryDecision =
  | { readonly kind: 'wait'; readonly delayMs: number }
  | {
      readonly kind: 'stop';
      /**
       * `attempts`: no attempts left; `budget`: the backoff would outlast the budget;
       * `retry_after`: Box asked for a pause longer than the remaining budget.
       */
      readonly reason: 'attempts' | 'budget' | 'retry_after';
    };

/** Inputs of {@link planRetry}. */
export interface RetryState {
  /** Attempts made so far (1 after the first try). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Milliseconds left of the operation's total budget. */
  readonly remainingMs: number;
  /** Box's `Retry-After` on the failed answer, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;
  readonly random: () => number;
  readonly policy?: BackoffPolicy;
}

/**
 * Decides whether to retry and after how long. Box's `Retry-After` wins over the computed backoff
 * (it is in seconds: `2` means 2000 ms); a wait is never allowed to reach past the budget.
 */
export function planRetry(state: RetryState): RetryDecision {
  if (state.attempt >= state.maxAttempts) return { kind: 'stop', reason: 'attempts' };
  if (state.retryAfterSeconds !== undefined) {
    const delayMs = Math.ceil(state.retryAfterSeconds * 1000);
    return delayMs < state.remainingMs
      ? { kind: 'wait', delayMs }
      : { kind: 'stop', reason: 'retry_after' };
  }
  const delayMs = backoffDelayMs(state.attempt, state.random, state.policy);
  return delayMs < state.remainingMs
    ? { kind: 'wait', delayMs }
    : { kind: 'stop', reason: 'budget' };
}
