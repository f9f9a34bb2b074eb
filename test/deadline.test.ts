import { describe, expect, it } from 'vitest';
import { noDeadline, startDeadline } from '../lambda/deadline.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('Function: startDeadline', () => {
  it('is the budget, or the time Lambda has left minus the answer margin when that is less', () => {
    const now = () => T0;
    expect(startDeadline({ budgetMs: 10_000, answerMarginMs: 500, now }).atMs).toBe(T0 + 10_000);
    expect(
      startDeadline({ budgetMs: 10_000, remainingMs: 60_000, answerMarginMs: 500, now }).atMs,
    ).toBe(T0 + 10_000);
    expect(
      startDeadline({ budgetMs: 10_000, remainingMs: 3_000, answerMarginMs: 500, now }).atMs,
    ).toBe(T0 + 2_500);
    // Less than the margin left: still a deadline that fires (1 ms), never a negative one.
    expect(
      startDeadline({ budgetMs: 10_000, remainingMs: 100, answerMarginMs: 500, now }).atMs,
    ).toBe(T0 + 1);
  });

  it('aborts with a TimeoutError once the deadline passes', async () => {
    const deadline = startDeadline({ budgetMs: 20, answerMarginMs: 0, now: Date.now });
    expect(deadline.signal.aborted).toBe(false);
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('arms its timer for the time left when first read, and returns the same signal after', () => {
    // Prepare: 30 ms of budget, of which the clock says 29 have passed before anyone reads it.
    let clock = T0;
    const armed: number[] = [];
    const deadline = startDeadline({
      budgetMs: 30,
      answerMarginMs: 0,
      now: () => clock,
      timeout: (ms) => {
        armed.push(ms);
        return new AbortController().signal;
      },
    });
    clock += 29;
    expect(armed).toEqual([]);

    // Act
    const signal = deadline.signal;

    // Assess: one timer, for the 1 ms left, armed once.
    expect(armed).toEqual([1]);
    expect(deadline.signal).toBe(signal);
    expect(armed).toEqual([1]);
  });
});

describe('Function: noDeadline', () => {
  it('never aborts', () => {
    const deadline = noDeadline();
    expect(deadline.atMs).toBe(Number.POSITIVE_INFINITY);
    expect(deadline.signal.aborted).toBe(false);
  });
});
