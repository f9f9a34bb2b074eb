/**
 * The onboarding attempt limit's window (contract v1.3: at most 10 attempts per code per hour).
 * Fixed clock hours, the same in every store, so `Retry-After` can say when the window ends.
 */

/** One window: an hour. */
export const ATTEMPT_WINDOW_MS = 3_600_000;

/** The window `nowMs` falls in: its index (hours since the epoch) and when it ends. */
export function attemptWindowOf(nowMs: number): { index: number; endsAtMs: number } {
  const index = Math.floor(nowMs / ATTEMPT_WINDOW_MS);
  return { index, endsAtMs: (index + 1) * ATTEMPT_WINDOW_MS };
}
