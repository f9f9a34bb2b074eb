import { BoundedMap } from './bounded-map.js';

/** A value the cache can hold: anything with an absolute expiry. */
export interface Expiring {
  /** Epoch milliseconds at which the value stops being valid. */
  readonly expiresAtMs: number;
}

export interface TokenCacheOptions {
  /** Most entries kept; the least recently used go first. */
  maxEntries: number;
  /** A value with less life than this is refreshed rather than served. */
  refreshMarginMs: number;
  /** Epoch-millisecond clock; injectable so tests control expiry. */
  now?: () => number;
}

/** What a lookup through {@link TokenCache.getOrLoad} produced. */
export interface CacheResult<T> {
  value: T;
  /**
   * True when the value is inside the refresh margin: served because another request is already
   * refreshing it, or because the refresh failed in a way `serveStaleOn` accepts.
   */
  stale: boolean;
}

export interface LoadOptions {
  /**
   * Which load failures may be answered with a still-valid value from inside the refresh margin
   * (refresh-ahead with graceful fallback: an upstream outage does not fail callers whose token
   * still has the life they asked for).
   */
  serveStaleOn?: (error: unknown) => boolean;
}

/**
 * Per-execution-environment cache of Box tokens with absolute expiry, an LRU size bound, and
 * single-flight loading: concurrent misses for one key share one load (one Box call).
 */
export class TokenCache<T extends Expiring> {
  private readonly entries: BoundedMap<string, T>;
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly refreshMarginMs: number;
  private readonly now: () => number;

  constructor(options: TokenCacheOptions) {
    this.refreshMarginMs = options.refreshMarginMs;
    this.now = options.now ?? Date.now;
    // When full, expired tokens go first, then the least recently used.
    this.entries = new BoundedMap({
      maxEntries: options.maxEntries,
      isSpent: (value) => value.expiresAtMs <= this.now(),
    });
  }

  /** Number of cached values (in-flight loads not included). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value for `key` if it still has more life than the refresh margin and at least
   * `minTtlSeconds`; otherwise undefined. Never does I/O.
   */
  get(key: string, minTtlSeconds = 0): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    const remainingMs = value.expiresAtMs - this.now();
    if (remainingMs <= 0) {
      this.entries.delete(key);
      return undefined;
    }
    if (remainingMs <= this.refreshMarginMs || remainingMs < minTtlSeconds * 1000) {
      return undefined;
    }
    this.entries.touch(key);
    return value;
  }

  /**
   * The cached value if usable, else the result of `load`, which is cached. Concurrent callers
   * that miss on the same key await the same load, except that while a refresh is in flight a
   * still-valid value (inside the refresh margin, above `minTtlSeconds`) is served at once, so
   * one slow upstream call never holds every request. A failed load caches nothing.
   */
  async getOrLoad(
    key: string,
    minTtlSeconds: number,
    load: () => Promise<T>,
    options: LoadOptions = {},
  ): Promise<CacheResult<T>> {
    const cached = this.get(key, minTtlSeconds);
    if (cached !== undefined) return { value: cached, stale: false };
    const stale = this.stillValid(key, minTtlSeconds);
    const pending = this.inFlight.get(key);
    if (pending !== undefined && stale !== undefined) return { value: stale, stale: true };
    const loading = pending ?? this.startLoad(key, load);
    try {
      return { value: await loading, stale: false };
    } catch (error) {
      if (stale !== undefined && options.serveStaleOn?.(error) === true) {
        return { value: stale, stale: true };
      }
      throw error;
    }
  }

  /**
   * The value for `key` if it has not expired and still has `minTtlSeconds` of life, even inside
   * the refresh margin (what may stand in while the upstream is sick). Never does I/O.
   */
  stillValid(key: string, minTtlSeconds: number): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    const remainingMs = value.expiresAtMs - this.now();
    return remainingMs > 0 && remainingMs >= minTtlSeconds * 1000 ? value : undefined;
  }

  /** Stores a value, evicting expired entries and then the least recently used. */
  set(key: string, value: T): void {
    this.entries.set(key, value);
  }

  /** Drops one key. */
  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Drops every entry the predicate selects; returns how many went. */
  deleteWhere(predicate: (value: T, key: string) => boolean): number {
    return this.entries.deleteWhere(predicate);
  }

  /** The first cached value the predicate selects (expired ones included). Never does I/O. */
  find(predicate: (value: T, key: string) => boolean): T | undefined {
    return this.entries.find(predicate);
  }

  /** Drops everything, in-flight loads included (their callers still get their result). */
  clear(): void {
    this.entries.clear();
    this.inFlight.clear();
  }

  /**
   * Starts the one shared load for `key`. Only the load that is still the key's current one may
   * store its value or clear its slot: after a clear() a newer load owns the key, and an older
   * result must not resurrect what was dropped.
   */
  private startLoad(key: string, load: () => Promise<T>): Promise<T> {
    const loading: Promise<T> = Promise.resolve()
      .then(load)
      .then((value) => {
        if (this.inFlight.get(key) === loading) this.set(key, value);
        return value;
      })
      .finally(() => {
        if (this.inFlight.get(key) === loading) this.inFlight.delete(key);
      });
    this.inFlight.set(key, loading);
    return loading;
  }
}
