/**
 * The back-off windows after a failed refresh.
 */
import { describe, expect, it } from 'vitest';
import { RefreshBackoff } from '../lambda/broker/refresh-backoff.js';
import { clock } from './support/broker-fakes.js';

describe('Unit: RefreshBackoff', () => {
  it('opens a window per key after a failure and closes it on success or when it passes', () => {
    const c = clock();
    const backoff = new RefreshBackoff({ windowMs: 5000, now: c.now });
    expect(backoff.remainingMs('a')).toBe(0);
    backoff.failed('a');
    c.t += 2000;
    expect(backoff.remainingMs('a')).toBe(3000);
    expect(backoff.remainingMs('b')).toBe(0);
    c.t += 3000;
    expect(backoff.remainingMs('a')).toBe(0);
    backoff.failed('a');
    backoff.succeeded('a');
    expect(backoff.remainingMs('a')).toBe(0);
  });
});
