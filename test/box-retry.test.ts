import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  isTransientStatus,
  parseRetryAfterSeconds,
  planRetry,
} from '../lambda/box/retry.js';

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
    expect(planRetry({ ...base, attempt: 4, retryAfterSeconds: 1 })).toEqual({
      kind: 'stop',
      reason: 'attempts',
    });
  });

  it('stops at once when Retry-After reaches past the budget', () => {
    expect(planRetry({ ...base, attempt: 1, retryAfterSeconds: 10 })).toEqual({
      kind: 'stop',
      reason: 'retry_after',
    });
  });

  it('stops when the backoff would outlast the budget', () => {
    expect(
      planRetry({ ...base, attempt: 1, remainingMs: 150, retryAfterSeconds: undefined }),
    ).toEqual({ kind: 'stop', reason: 'budget' });
  });
});
