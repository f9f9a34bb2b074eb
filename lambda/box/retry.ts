/**
 * Retrying a Box call inside the request's deadline: which answers are transient, how long to
 * wait before the next attempt (backoff, or Box's `Retry-After` in seconds), when to give up, and
 * the loop that does it. The arithmetic is pure; the loop takes its clock, sleep and jitter as
 * inputs, so both are tested without real waiting.
 *
 * The deadline is the request's, not the call's: no attempt and no wait outlasts `deadline.atMs`,
 * and its abort always ends as a {@link BoxTimeoutError} or the last answer's error, never as a
 * bare `TimeoutError`/`AbortError`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Deadline } from '../deadline.js';
import { BoxTimeoutError, BoxUnavailableError } from '../errors.js';
import type { BoxAnswer } from './send.js';

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

/** What to do after a transient failure: wait this long, or stop. */
export type RetryDecision =
  | { readonly kind: 'wait'; readonly delayMs: number }
  | { readonly kind: 'stop' };

/** Inputs of {@link planRetry}. */
export interface RetryState {
  /** Attempts made so far (1 after the first try). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Milliseconds left until the request's deadline. */
  readonly remainingMs: number;
  /** Box's `Retry-After` on the failed answer, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;
  readonly random: () => number;
  readonly policy?: BackoffPolicy;
}

/**
 * Decides whether to retry and after how long. Box's `Retry-After` wins over the computed backoff
 * (it is in seconds: `2` means 2000 ms); a wait that would not end before the deadline is not
 * started.
 */
export function planRetry(state: RetryState): RetryDecision {
  if (state.attempt >= state.maxAttempts) return { kind: 'stop' };
  const delayMs =
    state.retryAfterSeconds !== undefined
      ? Math.ceil(state.retryAfterSeconds * 1000)
      : backoffDelayMs(state.attempt, state.random, state.policy);
  return delayMs < state.remainingMs ? { kind: 'wait', delayMs } : { kind: 'stop' };
}

/**
 * `Retry-After` the broker suggests after Box did not answer in time. Box gave no advice; a short
 * pause lets a passing stall clear without making callers wait long (they back off themselves).
 */
export const TIMEOUT_RETRY_AFTER_SECONDS = 2;

/** How the retry loop runs; everything time-related is injectable. */
export interface RetryOptions {
  /** Longest single attempt (request and body); the deadline may cut it shorter. */
  attemptTimeoutMs: number;
  /** Attempts per call, the first try included. */
  maxAttempts: number;
  /** Millisecond clock, the same one the deadline's `atMs` was computed with. */
  now: () => number;
  /** Waits `ms`; rejects when `signal` (the deadline) aborts first. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random: () => number;
  policy?: BackoffPolicy;
}

/** A final (non-transient) answer and how many attempts it took. */
export interface SettledAnswer {
  answer: BoxAnswer;
  attempts: number;
}

/** A waiting timer that gives up when the deadline aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

/** Why an attempt gave no final answer. */
type TransientFailure =
  | { kind: 'answer'; status: number; retryAfterSeconds: number | undefined }
  | { kind: 'timeout' }
  | { kind: 'network'; cause: unknown };

/**
 * Sends with `send` until Box gives a non-transient answer, retrying 429, 5xx, network failures
 * and attempt timeouts within `maxAttempts` and the deadline. Each attempt runs under
 * `AbortSignal.any([deadline.signal, AbortSignal.timeout(…)])`.
 *
 * @throws BoxTimeoutError when the deadline passes during an attempt, or every attempt timed out.
 * @throws BoxUnavailableError when Box kept failing (with Box's `Retry-After`, if it sent one) or
 *   could not be reached.
 */
export async function sendWithRetries(
  send: (signal: AbortSignal) => Promise<BoxAnswer>,
  deadline: Deadline,
  options: RetryOptions,
): Promise<SettledAnswer> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
  let last: TransientFailure | undefined;
  let attempts = 0;
  for (;;) {
    const remainingMs = deadline.atMs - options.now();
    if (remainingMs <= 0 || deadline.signal.aborted) throw exhausted(last, attempts);
    attempts += 1;
    const attemptTimeout = AbortSignal.timeout(Math.min(options.attemptTimeoutMs, remainingMs));
    try {
      const answer = await send(AbortSignal.any([deadline.signal, attemptTimeout]));
      if (!isTransientStatus(answer.status)) return { answer, attempts };
      last = {
        kind: 'answer',
        status: answer.status,
        retryAfterSeconds: parseRetryAfterSeconds(answer.retryAfter, options.now()),
      };
    } catch (cause) {
      if (deadline.signal.aborted) throw timedOut(attempts, cause);
      last = attemptTimeout.aborted ? { kind: 'timeout' } : { kind: 'network', cause };
    }
    const decision = planRetry({
      attempt: attempts,
      maxAttempts,
      remainingMs: deadline.atMs - options.now(),
      retryAfterSeconds: last.kind === 'answer' ? last.retryAfterSeconds : undefined,
      random: options.random,
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    });
    if (decision.kind === 'stop') throw exhausted(last, attempts);
    try {
      await options.sleep(decision.delayMs, deadline.signal);
    } catch {
      // The deadline passed during the wait: the last failure is the honest answer.
      throw exhausted(last, attempts);
    }
  }
}

function attemptsText(attempts: number): string {
  return `${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

function timedOut(attempts: number, cause?: unknown): BoxTimeoutError {
  const what =
    attempts === 0
      ? "The request's time ran out before Box could be called."
      : `Box did not answer within the request's time (${attemptsText(attempts)}).`;
  return new BoxTimeoutError(what, {
    retryAfterSeconds: TIMEOUT_RETRY_AFTER_SECONDS,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The error for a call that ended without a final answer, from its last failure. */
function exhausted(
  last: TransientFailure | undefined,
  attempts: number,
): BoxTimeoutError | BoxUnavailableError {
  if (last === undefined || last.kind === 'timeout') return timedOut(attempts);
  const tries = attemptsText(attempts);
  if (last.kind === 'network') {
    return new BoxUnavailableError(`Box could not be reached (${tries}).`, { cause: last.cause });
  }
  if (last.retryAfterSeconds === undefined) {
    return new BoxUnavailableError(`Box is unavailable (HTTP ${last.status} after ${tries}).`);
  }
  const seconds = Math.ceil(last.retryAfterSeconds);
  return new BoxUnavailableError(
    `Box is unavailable (HTTP ${last.status} after ${tries}; Box asked to retry after ${seconds} s).`,
    { retryAfterSeconds: seconds },
  );
}
