/**
 * One deadline per request. Every Box and Secrets Manager call a request makes shares it, so a
 * downscoped miss (grant, then exchange) or a rotation re-read can never run past the time the
 * function has left to answer.
 */

/** When the request must have its answer, as an abort signal and as an epoch-millisecond time. */
export interface Deadline {
  /** Aborts (reason: a `TimeoutError` DOMException) when the deadline passes. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds by the broker's clock at which the signal aborts. */
  readonly atMs: number;
}

export interface DeadlineOptions {
  /** The configured budget of one request's upstream work (`BOX_RETRY_BUDGET_MS`). */
  budgetMs: number;
  /** What Lambda says is left (`context.getRemainingTimeInMillis()`); undefined = no limit. */
  remainingMs?: number | undefined;
  /** Kept back from `remainingMs` to shape and log the answer. */
  answerMarginMs: number;
  now: () => number;
  /** The timer behind the signal (tests inject one). @default AbortSignal.timeout */
  timeout?: (ms: number) => AbortSignal;
}

/** Time kept back from the Lambda timeout to write the answer and the log line. */
export const ANSWER_MARGIN_MS = 500;

/**
 * The request's deadline: the configured budget, cut short when the function has less time left
 * than that (minus a margin to answer). Never less than 1 ms, so the signal always fires.
 *
 * The signal's timer is armed the first time something reads `signal`, for the time left until
 * `atMs`: a warm request served from memory never touches it and pays for no timer.
 */
export function startDeadline(options: DeadlineOptions): Deadline {
  const left =
    options.remainingMs === undefined
      ? options.budgetMs
      : Math.min(options.budgetMs, options.remainingMs - options.answerMarginMs);
  const ms = Math.max(1, Math.floor(left));
  return new LazyDeadline(options.now() + ms, options.now, options.timeout ?? AbortSignal.timeout);
}

/** A deadline whose timer starts on the first read of `signal` (a class: cheap to allocate). */
class LazyDeadline implements Deadline {
  private armed: AbortSignal | undefined;

  constructor(
    readonly atMs: number,
    private readonly now: () => number,
    private readonly timeout: (ms: number) => AbortSignal,
  ) {}

  get signal(): AbortSignal {
    this.armed ??= this.timeout(Math.max(1, this.atMs - this.now()));
    return this.armed;
  }
}

/** A deadline that never passes (tools and tests that do not care). */
export function noDeadline(): Deadline {
  return { signal: new AbortController().signal, atMs: Number.POSITIVE_INFINITY };
}
