import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  isTransientStatus,
  parseRetryAfterSeconds,
  planRetry,
  type RetryOptions,
  sendWithRetries,
} from '../lambda/box/retry.js';
import type { BoxAnswer } from '../lambda/box/send.js';
import type { Deadline } from '../lambda/deadline.js';
import { BoxTimeoutError, BoxUnavailableError } from '../lambda/errors.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('Function: isTransientStatus', () => {
  it('treats 429 and every 5xx as transient', () => {
    for (const status of [429, 500, 502, 503, 504, 599]) {
      expect(isTransientStatus(status)).toBe(true);
    }
  });

  it('treats 2xx, 3xx and other 4xx as final', () => {
    for (const status of [200, 204, 302, 400, 401, 403, 404, 408, 600]) {
      expect(isTransientStatus(status)).toBe(false);
    }
  });
});

describe('Function: backoffDelayMs', () => {
  it('doubles from 200 ms without jitter at the midpoint draw', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((retry) => backoffDelayMs(retry, mid))).toEqual([200, 400, 800, 1600]);
  });

  it('spreads the delay by ±50 % across the random range', () => {
    expect(backoffDelayMs(2, () => 0)).toBe(200);
    expect(backoffDelayMs(2, () => 0.999_999)).toBe(600);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelayMs(20, () => 0.999_999)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it('clamps a random source that strays outside [0, 1)', () => {
    expect(backoffDelayMs(1, () => -5)).toBe(100);
    expect(backoffDelayMs(1, () => 7)).toBe(300);
  });
});

describe('Function: parseRetryAfterSeconds', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterSeconds('2', NOW)).toBe(2);
    expect(parseRetryAfterSeconds(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfterSeconds('1.5', NOW)).toBe(1.5);
  });

  it('reads an HTTP-date relative to now', () => {
    const inThreeSeconds = new Date(NOW + 3000).toUTCString();
    expect(parseRetryAfterSeconds(inThreeSeconds, NOW)).toBe(3);
  });

  it('returns 0 for an HTTP-date in the past', () => {
    expect(parseRetryAfterSeconds(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('returns undefined when the header is absent or unreadable', () => {
    for (const value of [null, undefined, '', 'soon', '-1', '2 s', '12/01/2026', 'Mon, garbage']) {
      expect(parseRetryAfterSeconds(value, NOW)).toBeUndefined();
    }
  });
});

describe('Function: planRetry', () => {
  const base = { maxAttempts: 4, remainingMs: 10_000, random: () => 0.5 };

  it('waits Retry-After seconds as milliseconds', () => {
    expect(planRetry({ ...base, attempt: 1, retryAfterSeconds: 2 })).toEqual({
      kind: 'wait',
      delayMs: 2000,
    });
  });

  it('uses the backoff when Box sent no Retry-After', () => {
    expect(planRetry({ ...base, attempt: 2, retryAfterSeconds: undefined })).toEqual({
      kind: 'wait',
      delayMs: 400,
    });
  });

  it('stops when no attempts are left', () => {
    expect(planRetry({ ...base, attempt: 4, retryAfterSeconds: 1 })).toEqual({ kind: 'stop' });
  });

  it('stops at once when Retry-After reaches past the budget', () => {
    expect(planRetry({ ...base, attempt: 1, retryAfterSeconds: 10 })).toEqual({ kind: 'stop' });
  });

  it('stops when the backoff would outlast the budget', () => {
    expect(
      planRetry({ ...base, attempt: 1, remainingMs: 150, retryAfterSeconds: undefined }),
    ).toEqual({ kind: 'stop' });
  });
});

describe('Function: sendWithRetries', () => {
  /** A scripted Box: each attempt takes `costMs` of fake time and gives the next outcome. */
  function scripted(outcomes: (BoxAnswer | Error)[], clock: { now: number }, costMs = 0) {
    const signals: AbortSignal[] = [];
    const send = async (signal: AbortSignal): Promise<BoxAnswer> => {
      signals.push(signal);
      clock.now += costMs;
      const next = outcomes.shift();
      if (next === undefined) throw new Error('script exhausted');
      if (next instanceof Error) throw next;
      return next;
    };
    return { send, signals };
  }

  function answer(status: number, retryAfter: string | null = null): BoxAnswer {
    return { status, text: '', retryAfter, wwwAuthenticate: null };
  }

  function setup(budgetMs = 10_000) {
    const clock = { now: NOW };
    const sleeps: number[] = [];
    const options: RetryOptions = {
      attemptTimeoutMs: 2000,
      maxAttempts: 4,
      now: () => clock.now,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
      random: () => 0.5,
    };
    const deadline: Deadline = { signal: new AbortController().signal, atMs: NOW + budgetMs };
    return { clock, sleeps, options, deadline };
  }

  it('returns the first final answer and the attempts it took', async () => {
    const { clock, sleeps, options, deadline } = setup();
    const { send } = scripted([answer(503), answer(429, '1'), answer(400)], clock);

    const settled = await sendWithRetries(send, deadline, options);

    expect(settled.answer.status).toBe(400);
    expect(settled.attempts).toBe(3);
    expect(sleeps).toEqual([200, 1000]);
  });

  it("does not start a Retry-After wait that would end past the deadline: BoxUnavailableError with Box's Retry-After", async () => {
    const { clock, sleeps, options, deadline } = setup(3000);
    const { send } = scripted([answer(503, '5')], clock);

    const error = await sendWithRetries(send, deadline, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxUnavailableError);
    expect(error).toMatchObject({ retryAfterSeconds: 5 });
    expect(sleeps).toEqual([]);
  });

  it('does not start a backoff that would end past the deadline', async () => {
    const { clock, sleeps, options, deadline } = setup(1000);
    // Each attempt costs 400 ms: after two (200 ms wait between) 0 ms remain for the 400 ms backoff.
    const { send } = scripted([answer(502), answer(502), answer(200)], clock, 400);

    const error = await sendWithRetries(send, deadline, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxUnavailableError);
    expect(error).toMatchObject({ retryAfterSeconds: undefined });
    expect(sleeps).toEqual([200]);
    expect(clock.now - NOW).toBeLessThanOrEqual(1000);
  });

  it('never waits or tries past the deadline, whatever Box says', async () => {
    for (const budgetMs of [1, 150, 999, 2500, 7000]) {
      const { clock, options, deadline } = setup(budgetMs);
      const { send } = scripted(
        [answer(503), answer(429, '2'), answer(500), answer(503, '0.5')],
        clock,
        100,
      );
      const started: number[] = [];
      await sendWithRetries(
        (signal) => {
          started.push(clock.now);
          return send(signal);
        },
        deadline,
        options,
      ).catch(() => undefined);
      expect(started.every((at) => at < deadline.atMs)).toBe(true);
      expect(clock.now).toBeLessThanOrEqual(deadline.atMs + 100);
    }
  });

  it('throws BoxTimeoutError without a try when no time is left', async () => {
    const { clock, options, deadline } = setup(0);
    const { send, signals } = scripted([answer(200)], clock);

    const error = await sendWithRetries(send, deadline, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxTimeoutError);
    expect(error).toMatchObject({ code: 'box_timeout', retryable: true });
    expect((error as BoxTimeoutError).retryAfterSeconds).toBeGreaterThan(0);
    expect(signals).toHaveLength(0);
  });

  it('maps an abort of the deadline during an attempt to BoxTimeoutError, not the raw abort', async () => {
    const { clock, options } = setup();
    const controller = new AbortController();
    const deadline: Deadline = { signal: controller.signal, atMs: NOW + 10_000 };
    const send = async (signal: AbortSignal): Promise<BoxAnswer> => {
      controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
      throw signal.reason;
    };
    void clock;

    const error = await sendWithRetries(send, deadline, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxTimeoutError);
    expect((error as Error).cause).toBeInstanceOf(DOMException);
  });

  it('gives each attempt a signal that follows the deadline', async () => {
    const { clock, options } = setup();
    const controller = new AbortController();
    const deadline: Deadline = { signal: controller.signal, atMs: NOW + 10_000 };
    const { send, signals } = scripted([answer(200)], clock);

    await sendWithRetries(send, deadline, options);
    controller.abort();

    expect(signals[0]?.aborted).toBe(true);
  });

  it('maps a wait the deadline interrupts to the last failure', async () => {
    const { clock, options, deadline } = setup();
    const { send } = scripted([answer(429, '1')], clock);

    const error = await sendWithRetries(send, deadline, {
      ...options,
      sleep: () => Promise.reject(new DOMException('aborted', 'AbortError')),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxUnavailableError);
    expect(error).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('reports a network failure as BoxUnavailableError with its cause', async () => {
    const { clock, options, deadline } = setup();
    const { send } = scripted([new TypeError('fetch failed')], clock);

    const error = await sendWithRetries(send, deadline, { ...options, maxAttempts: 1 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(BoxUnavailableError);
    expect((error as Error).message).toBe('Box could not be reached (1 attempt).');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });
});
