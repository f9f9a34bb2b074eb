/**
 * One upstream call shared by the requests that need it at once ({@link SharedFlight}), and
 * waiting inside a request's deadline ({@link untilDeadline}). A request stops waiting when its deadline passes, even if
 * the work it waits for does not honour the signal (a shared load another request started, a
 * port that ignores it): the broker's answer time never depends on an upstream's manners.
 */
import type { Deadline } from '../deadline.js';
import { BoxTimeoutError, type BrokerError } from '../errors.js';

/** The error a request gets when its deadline passes while it waits for `what`. */
export function deadlineExpired(what: string): BrokerError {
  return new BoxTimeoutError(`The request's time budget ran out waiting for ${what}; retry.`, {
    retryAfterSeconds: 1,
  });
}

/**
 * `work`, or {@link deadlineExpired} as soon as `deadline` passes, whichever comes first. The
 * work itself is not cancelled here (the caller decides that through the signal it passed).
 */
export function untilDeadline<T>(work: Promise<T>, deadline: Deadline, what: string): Promise<T> {
  const signal = deadline.signal;
  // A deadline that never passes (tools, tests) needs no listener.
  if (deadline.atMs === Number.POSITIVE_INFINITY) return work;
  if (signal.aborted) {
    // The work may still settle later; nobody listens, so a rejection must not go unhandled.
    work.catch(() => undefined);
    return Promise.reject(deadlineExpired(what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadlineExpired(what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * One call shared by every request that needs it at the same time (single flight). Each waiter
 * stops at its own deadline; the call goes on for the others, and is aborted only when every
 * waiter has given up, so a hung call is not joined forever by the requests that follow.
 */
export class SharedFlight<T> {
  private flight: { promise: Promise<T>; controller: AbortController; waiters: number } | undefined;

  /** Joins the call in flight, or starts `start` with a signal of its own. */
  run(deadline: Deadline, what: string, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let flight = this.flight;
    if (flight === undefined) {
      const controller = new AbortController();
      const promise = Promise.resolve()
        .then(() => start(controller.signal))
        .finally(() => {
          if (this.flight?.promise === promise) this.flight = undefined;
        });
      flight = { promise, controller, waiters: 0 };
      this.flight = flight;
    }
    const joined = flight;
    joined.waiters += 1;
    const leave = () => {
      joined.waiters -= 1;
      if (joined.waiters === 0 && this.flight === joined) {
        this.flight = undefined;
        joined.controller.abort();
      }
    };
    return untilDeadline(joined.promise, deadline, what).then(
      (value) => {
        joined.waiters -= 1;
        return value;
      },
      (error: unknown) => {
        if (deadline.signal.aborted) leave();
        else joined.waiters -= 1;
        throw error;
      },
    );
  }
}
