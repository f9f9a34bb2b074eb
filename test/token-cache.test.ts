import { describe, expect, it, vi } from 'vitest';
import { type Expiring, TokenCache } from '../lambda/broker/token-cache.js';

/** A cached value: a token name plus its absolute expiry. */
interface FakeToken extends Expiring {
  readonly name: string;
}

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MARGIN_MS = 300_000;

/** A clock the test moves by hand. */
function fakeClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

function token(name: string, expiresAtMs: number): FakeToken {
  return { name, expiresAtMs };
}

/** A promise the test settles by hand, to hold a load in flight. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function makeCache(maxEntries = 100, clock = fakeClock()) {
  const cache = new TokenCache<FakeToken>({
    maxEntries,
    refreshMarginMs: MARGIN_MS,
    now: clock.now,
  });
  return { cache, clock };
}

describe('Class: TokenCache', () => {
  describe('Method: constructor', () => {
    it('throws RangeError when maxEntries is not a positive integer', () => {
      for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
        expect(() => new TokenCache<FakeToken>({ maxEntries, refreshMarginMs: 0 })).toThrow(
          RangeError,
        );
      }
    });
  });

  describe('Method: get (refresh margin)', () => {
    it('serves a value whose remaining life is just above the refresh margin', () => {
      // Prepare
      const { cache, clock } = makeCache();
      cache.set('k', token('a', T0 + 3_600_000));
      // Act: leave exactly margin + 1 ms of life
      clock.advance(3_600_000 - MARGIN_MS - 1);
      // Assess
      expect(cache.get('k')?.name).toBe('a');
    });

    it('misses when the remaining life equals the refresh margin', () => {
      const { cache, clock } = makeCache();
      cache.set('k', token('a', T0 + 3_600_000));
      clock.advance(3_600_000 - MARGIN_MS);
      expect(cache.get('k')).toBeUndefined();
    });

    it('keeps a value inside the margin (not expired yet) but does not serve it', () => {
      const { cache, clock } = makeCache();
      cache.set('k', token('a', T0 + 3_600_000));
      clock.advance(3_600_000 - 1000);
      expect(cache.get('k')).toBeUndefined();
      expect(cache.size).toBe(1);
    });

    it('drops an expired value on lookup', () => {
      const { cache, clock } = makeCache();
      cache.set('k', token('a', T0 + 3_600_000));
      clock.advance(3_600_000);
      expect(cache.get('k')).toBeUndefined();
      expect(cache.size).toBe(0);
    });

    it('uses the absolute expiry of each value rather than assuming an hour', () => {
      const { cache, clock } = makeCache();
      cache.set('short', token('s', T0 + MARGIN_MS + 10_000));
      cache.set('long', token('l', T0 + 4 * 3_600_000));
      clock.advance(10_000);
      expect(cache.get('short')).toBeUndefined();
      clock.advance(3 * 3_600_000);
      expect(cache.get('long')?.name).toBe('l');
    });
  });

  describe('Method: get (min_ttl)', () => {
    it('serves a value whose remaining life equals min_ttl', () => {
      const { cache } = makeCache();
      cache.set('k', token('a', T0 + 1_000_000));
      expect(cache.get('k', 1000)?.name).toBe('a');
    });

    it('misses when the remaining life is one millisecond short of min_ttl', () => {
      const { cache } = makeCache();
      cache.set('k', token('a', T0 + 999_999));
      expect(cache.get('k', 1000)).toBeUndefined();
      // Still cached for callers that need less.
      expect(cache.get('k', 999)?.name).toBe('a');
    });

    it('applies the refresh margin even when min_ttl is lower', () => {
      const { cache } = makeCache();
      cache.set('k', token('a', T0 + MARGIN_MS));
      expect(cache.get('k', 0)).toBeUndefined();
      expect(cache.get('k', 10)).toBeUndefined();
    });
  });

  describe('Method: getOrLoad', () => {
    it('reports a hit without loading when the value is usable', async () => {
      const { cache } = makeCache();
      cache.set('k', token('a', T0 + 3_600_000));
      const load = vi.fn(async () => token('b', T0 + 3_600_000));
      const result = await cache.getOrLoad('k', 0, load);
      expect(result).toEqual({ value: token('a', T0 + 3_600_000), stale: false });
      expect(load).not.toHaveBeenCalled();
    });

    it('loads and caches on a miss', async () => {
      const { cache } = makeCache();
      const load = vi.fn(async () => token('b', T0 + 3_600_000));
      const first = await cache.getOrLoad('k', 0, load);
      const second = await cache.getOrLoad('k', 0, load);
      expect(second).toEqual({ value: first.value, stale: false });
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('reloads when the cached value lacks the requested min_ttl', async () => {
      const { cache } = makeCache();
      cache.set('k', token('old', T0 + 600_000));
      const load = vi.fn(async () => token('new', T0 + 3_600_000));
      const result = await cache.getOrLoad('k', 900, load);
      expect(result).toEqual({ value: token('new', T0 + 3_600_000), stale: false });
      expect(cache.get('k')?.name).toBe('new');
    });

    it('shares one load between 50 concurrent misses on one key', async () => {
      // Prepare
      const { cache } = makeCache();
      const gate = deferred<FakeToken>();
      const load = vi.fn(() => gate.promise);
      // Act
      const calls = Array.from({ length: 50 }, () => cache.getOrLoad('k', 0, load));
      gate.resolve(token('a', T0 + 3_600_000));
      const results = await Promise.all(calls);
      // Assess
      expect(load).toHaveBeenCalledTimes(1);
      expect(results.every((r) => r.value.name === 'a' && !r.stale)).toBe(true);
      await cache.getOrLoad('k', 0, load);
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('loads separately for different keys', async () => {
      const { cache } = makeCache();
      const load = vi.fn(async () => token('x', T0 + 3_600_000));
      await Promise.all([
        cache.getOrLoad('a', 0, load),
        cache.getOrLoad('b', 0, load),
        cache.getOrLoad('a', 0, load),
        cache.getOrLoad('b', 0, load),
      ]);
      expect(load).toHaveBeenCalledTimes(2);
      expect(cache.size).toBe(2);
    });

    it('rejects every waiter, caches nothing and retries on the next call when a load fails', async () => {
      const { cache } = makeCache();
      const gate = deferred<FakeToken>();
      const failing = vi.fn(() => gate.promise);
      const calls = Array.from({ length: 5 }, () => cache.getOrLoad('k', 0, failing));
      gate.reject(new Error('box down'));
      for (const call of calls) await expect(call).rejects.toThrow('box down');
      expect(failing).toHaveBeenCalledTimes(1);
      expect(cache.size).toBe(0);

      const working = vi.fn(async () => token('a', T0 + 3_600_000));
      const result = await cache.getOrLoad('k', 0, working);
      expect(result).toEqual({ value: token('a', T0 + 3_600_000), stale: false });
      expect(working).toHaveBeenCalledTimes(1);
    });

    it('retries on the next call when a load throws synchronously', async () => {
      const { cache } = makeCache();
      const throwing = (): Promise<FakeToken> => {
        throw new Error('sync failure');
      };
      await expect(cache.getOrLoad('k', 0, throwing)).rejects.toThrow('sync failure');
      const working = vi.fn(async () => token('a', T0 + 3_600_000));
      const result = await cache.getOrLoad('k', 0, working);
      expect(working).toHaveBeenCalledTimes(1);
      expect(result.value.name).toBe('a');
    });

    it('does not store a value whose load was in flight during clear()', async () => {
      const { cache } = makeCache();
      const gate = deferred<FakeToken>();
      const pending = cache.getOrLoad('k', 0, () => gate.promise);
      cache.clear();
      gate.resolve(token('stale', T0 + 3_600_000));
      // The waiter still gets its value …
      expect((await pending).value.name).toBe('stale');
      // … but the cache does not resurrect it.
      expect(cache.size).toBe(0);
      expect(cache.get('k')).toBeUndefined();
    });

    it('keeps the fresh value when a pre-clear() load finishes after a post-clear() load started', async () => {
      // Prepare: a load in flight, then clear() (e.g. a new secret version), then a new load.
      const { cache } = makeCache();
      const staleGate = deferred<FakeToken>();
      const freshGate = deferred<FakeToken>();
      const stale = cache.getOrLoad('k', 0, () => staleGate.promise);
      cache.clear();
      const fresh = cache.getOrLoad('k', 0, () => freshGate.promise);
      // Act: the old load finishes first, then the new one.
      staleGate.resolve(token('stale', T0 + 3_600_000));
      await stale;
      freshGate.resolve(token('fresh', T0 + 3_600_000));
      await fresh;
      // Assess: only the value loaded after clear() may be cached.
      expect(cache.get('k')?.name).toBe('fresh');
    });

    it('shares the post-clear() load, not the pre-clear() one, with later callers', async () => {
      const { cache } = makeCache();
      const staleGate = deferred<FakeToken>();
      const freshGate = deferred<FakeToken>();
      const stale = cache.getOrLoad('k', 0, () => staleGate.promise);
      cache.clear();
      const fresh = cache.getOrLoad('k', 0, () => freshGate.promise);
      staleGate.resolve(token('stale', T0 + 3_600_000));
      await stale;
      // The fresh load is still in flight: a new caller must join it instead of loading again.
      const third = vi.fn(async () => token('third', T0 + 3_600_000));
      const joined = cache.getOrLoad('k', 0, third);
      freshGate.resolve(token('fresh', T0 + 3_600_000));
      await fresh;
      expect((await joined).value.name).toBe('fresh');
      expect(third).not.toHaveBeenCalled();
    });
  });

  describe('Method: getOrLoad (refresh ahead)', () => {
    /** A cache holding `k` with 100 s of life: inside the margin, above a small min_ttl. */
    function cacheInsideMargin() {
      const made = makeCache();
      made.cache.set('k', token('old', T0 + 100_000));
      return made;
    }

    it('loads when the value is inside the refresh margin and no refresh is in flight', async () => {
      const { cache } = cacheInsideMargin();
      const load = vi.fn(async () => token('new', T0 + 3_600_000));
      const result = await cache.getOrLoad('k', 0, load);
      expect(result).toEqual({ value: token('new', T0 + 3_600_000), stale: false });
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('serves the still-valid value at once while another request refreshes it', async () => {
      // Prepare
      const { cache } = cacheInsideMargin();
      const gate = deferred<FakeToken>();
      const load = vi.fn(() => gate.promise);
      const refreshing = cache.getOrLoad('k', 0, load);
      // Act: a second request arrives while the refresh is in flight.
      const served = await cache.getOrLoad('k', 60, load);
      // Assess
      expect(served).toEqual({ value: token('old', T0 + 100_000), stale: true });
      gate.resolve(token('new', T0 + 3_600_000));
      expect((await refreshing).value.name).toBe('new');
      expect(load).toHaveBeenCalledTimes(1);
      expect(cache.get('k')?.name).toBe('new');
    });

    it('waits for the refresh when the old value lacks the requested min_ttl', async () => {
      const { cache } = cacheInsideMargin();
      const gate = deferred<FakeToken>();
      const load = vi.fn(() => gate.promise);
      const refreshing = cache.getOrLoad('k', 0, load);
      const waiting = cache.getOrLoad('k', 101, load);
      gate.resolve(token('new', T0 + 3_600_000));
      expect(await waiting).toEqual({
        value: token('new', T0 + 3_600_000),
        stale: false,
      });
      await refreshing;
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('never serves an expired value while a load is in flight', async () => {
      const { cache, clock } = cacheInsideMargin();
      const gate = deferred<FakeToken>();
      const load = vi.fn(() => gate.promise);
      const first = cache.getOrLoad('k', 0, load);
      clock.advance(100_000);
      const second = cache.getOrLoad('k', 0, load);
      gate.resolve(token('new', T0 + 3_600_000));
      expect((await second).value.name).toBe('new');
      await first;
    });

    it('answers a failed refresh with the still-valid value when serveStaleOn accepts the error', async () => {
      const { cache } = cacheInsideMargin();
      const outage = new Error('box 503');
      const result = await cache.getOrLoad('k', 0, () => Promise.reject(outage), {
        serveStaleOn: (error) => error === outage,
      });
      expect(result).toEqual({ value: token('old', T0 + 100_000), stale: true });
    });

    it('rethrows a failed refresh when serveStaleOn refuses the error or is absent', async () => {
      const { cache } = cacheInsideMargin();
      await expect(
        cache.getOrLoad('k', 0, () => Promise.reject(new Error('rejected')), {
          serveStaleOn: () => false,
        }),
      ).rejects.toThrow('rejected');
      await expect(
        cache.getOrLoad('k', 0, () => Promise.reject(new Error('plain'))),
      ).rejects.toThrow('plain');
    });

    it('rethrows a failed refresh when the old value lacks the requested min_ttl', async () => {
      const { cache } = cacheInsideMargin();
      await expect(
        cache.getOrLoad('k', 200, () => Promise.reject(new Error('down')), {
          serveStaleOn: () => true,
        }),
      ).rejects.toThrow('down');
    });
  });

  describe('Method: set (size bound)', () => {
    it('never holds more than maxEntries across many distinct keys', () => {
      const { cache } = makeCache(10);
      for (let i = 0; i < 1000; i += 1) {
        cache.set(`user:${i}`, token(String(i), T0 + 3_600_000));
        expect(cache.size).toBeLessThanOrEqual(10);
      }
      expect(cache.size).toBe(10);
      // The newest ten are the ones kept.
      expect(cache.get('user:999')?.name).toBe('999');
      expect(cache.get('user:990')?.name).toBe('990');
      expect(cache.get('user:989')).toBeUndefined();
    });

    it('never holds more than maxEntries through getOrLoad', async () => {
      const { cache } = makeCache(5);
      for (let i = 0; i < 100; i += 1) {
        await cache.getOrLoad(`user:${i}`, 0, async () => token(String(i), T0 + 3_600_000));
        expect(cache.size).toBeLessThanOrEqual(5);
      }
    });

    it('evicts the least recently used, so a recently read key survives', () => {
      const { cache } = makeCache(3);
      cache.set('a', token('a', T0 + 3_600_000));
      cache.set('b', token('b', T0 + 3_600_000));
      cache.set('c', token('c', T0 + 3_600_000));
      expect(cache.get('a')?.name).toBe('a');
      cache.set('d', token('d', T0 + 3_600_000));
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('a')?.name).toBe('a');
      expect(cache.get('c')?.name).toBe('c');
      expect(cache.get('d')?.name).toBe('d');
    });

    it('evicts expired entries before live ones', () => {
      const { cache, clock } = makeCache(3);
      cache.set('live1', token('live1', T0 + 3_600_000));
      cache.set('dying', token('dying', T0 + 1000));
      cache.set('live2', token('live2', T0 + 3_600_000));
      clock.advance(2000);
      cache.set('live3', token('live3', T0 + 3_600_000));
      expect(cache.size).toBe(3);
      expect(cache.get('live1')?.name).toBe('live1');
      expect(cache.get('live2')?.name).toBe('live2');
      expect(cache.get('live3')?.name).toBe('live3');
    });

    it('replaces the value of an existing key without growing', () => {
      const { cache } = makeCache(2);
      cache.set('a', token('a1', T0 + 3_600_000));
      cache.set('a', token('a2', T0 + 3_600_000));
      expect(cache.size).toBe(1);
      expect(cache.get('a')?.name).toBe('a2');
    });
  });

  describe('Method: deleteWhere', () => {
    it('drops the entries of an old secret version and keeps the rest', () => {
      const { cache } = makeCache();
      cache.set('enterprise|1||v1', token('e1', T0 + 3_600_000));
      cache.set('user|2||v1', token('u1', T0 + 3_600_000));
      cache.set('enterprise|1||v2', token('e2', T0 + 3_600_000));
      const dropped = cache.deleteWhere((_value, key) => !key.endsWith('|v2'));
      expect(dropped).toBe(2);
      expect(cache.size).toBe(1);
      expect(cache.get('enterprise|1||v2')?.name).toBe('e2');
      expect(cache.get('enterprise|1||v1')).toBeUndefined();
    });

    it('passes each value to the predicate', () => {
      const { cache } = makeCache();
      cache.set('a', token('keep', T0 + 3_600_000));
      cache.set('b', token('drop', T0 + 3_600_000));
      expect(cache.deleteWhere((value) => value.name === 'drop')).toBe(1);
      expect(cache.get('a')?.name).toBe('keep');
    });
  });

  describe('Method: delete / clear', () => {
    it('drops one key and reports whether it was there', () => {
      const { cache } = makeCache();
      cache.set('a', token('a', T0 + 3_600_000));
      expect(cache.delete('a')).toBe(true);
      expect(cache.delete('a')).toBe(false);
      expect(cache.size).toBe(0);
    });

    it('drops everything on clear()', () => {
      const { cache } = makeCache();
      cache.set('a', token('a', T0 + 3_600_000));
      cache.set('b', token('b', T0 + 3_600_000));
      cache.clear();
      expect(cache.size).toBe(0);
    });
  });
});
