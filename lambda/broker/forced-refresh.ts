/**
 * Work a caller can force is bounded (contract v1.2): `dead_token_sha256`, `min_ttl`, a fresh
 * parent after Box refused an exchange, and a revoke of a token the broker does not know each
 * make Box work a caller chooses. Each such key gets at most one Box call per window
 * (`BOX_FORCED_REFRESH_SECONDS`); inside it the caller is answered from memory or told when to
 * retry. One instance per kind of key, shared by every tenant (keys start with the tenant).
 */
import { BoundedMap } from './bounded-map.js';

export interface ForcedRefreshWindowOptions {
  /** How long after a forced Box call the same key may not force another. */
  windowMs: number;
  /** Most keys remembered; the oldest goes first (losing one only allows one more call). */
  maxKeys: number;
  now?: () => number;
}

export class ForcedRefreshWindow {
  /** Key → when its window opened. */
  private readonly since: BoundedMap<string, number>;
  private readonly now: () => number;

  constructor(private readonly options: ForcedRefreshWindowOptions) {
    this.since = new BoundedMap({ maxEntries: Math.max(1, options.maxKeys) });
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds left of `key`'s window, or 0 when the key may force a Box call now. */
  remainingMs(key: string): number {
    if (this.since.size === 0) return 0;
    const at = this.since.get(key);
    if (at === undefined) return 0;
    const left = at + this.options.windowMs - this.now();
    if (left > 0) return left;
    this.since.delete(key);
    return 0;
  }

  /** Whole seconds to tell a refused caller (`Retry-After`), at least 1. */
  retryAfterSeconds(key: string): number {
    return Math.max(1, Math.ceil(this.remainingMs(key) / 1000));
  }

  /** `key` forces a Box call now: its window opens. */
  opened(key: string): void {
    this.since.set(key, this.now());
  }

  /**
   * Opens `key`'s window when it is closed and says so; false (nothing changed) while it is open.
   */
  tryOpen(key: string): boolean {
    if (this.remainingMs(key) > 0) return false;
    this.opened(key);
    return true;
  }
}
