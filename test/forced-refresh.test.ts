import { describe, expect, it } from 'vitest';
import { ForcedRefreshWindow } from '../lambda/broker/forced-refresh.js';

describe('Unit: ForcedRefreshWindow', () => {
  it('lets a key force one call per window, tells the rest when to retry, and reopens after it', () => {
    let now = 0;
    const windows = new ForcedRefreshWindow({ windowMs: 10_000, maxKeys: 10, now: () => now });
    expect(windows.tryOpen('a')).toBe(true);
    expect(windows.tryOpen('a')).toBe(false);
    expect(windows.tryOpen('b')).toBe(true);
    now += 2500;
    expect(windows.remainingMs('a')).toBe(7500);
    expect(windows.retryAfterSeconds('a')).toBe(8);
    now += 7500;
    expect(windows.remainingMs('a')).toBe(0);
    expect(windows.tryOpen('a')).toBe(true);
  });

  it('holds at most maxKeys keys (the oldest goes first)', () => {
    const windows = new ForcedRefreshWindow({ windowMs: 10_000, maxKeys: 2, now: () => 0 });
    for (const key of ['a', 'b', 'c']) windows.opened(key);
    expect(windows.remainingMs('a')).toBe(0);
    expect(windows.remainingMs('b')).toBe(10_000);
    expect(windows.remainingMs('c')).toBe(10_000);
  });
});
