/**
 * Back-off after a failed refresh: when Box was unavailable or timed out for a cache key, nobody
 * asks Box for that key again until the window passes (at most one refresh attempt per key per
 * window), so a sick Box is not hammered by every request. One instance shared by every tenant,
 * like the token cache: its keys are the token cache's keys, which start with the tenant.
 */
import { BoundedMap } from './bounded-map.js';

export interface RefreshBackoffOptions {
  /** How long a key is left alone after a failed refresh. @default 5000 */
  windowMs?: number;
  /** Most keys remembered; the oldest goes first. @default 1024 */
  maxKeys?: number;
  now?: () => number;
}

/** Default back-off window: long enough to shed a storm, short enough to notice Box is back. */
export const DEFAULT_BACKOFF_WINDOW_MS = 5000;

export class RefreshBackoff {
  private readonly until: BoundedMap<string, number>;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: RefreshBackoffOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_BACKOFF_WINDOW_MS;
    this.until = new BoundedMap({ maxEntries: Math.max(1, options.maxKeys ?? 1024) });
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds left of `key`'s window, or 0 when Box may be asked. */
  remainingMs(key: string): number {
    if (this.until.size === 0) return 0;
    const untilMs = this.until.get(key);
    if (untilMs === undefined) return 0;
    const left = untilMs - this.now();
    if (left > 0) return left;
    this.until.delete(key);
    return 0;
  }

  /** A refresh of `key` failed because Box is sick: open its window. */
  failed(key: string): void {
    if (this.windowMs <= 0) return;
    this.until.set(key, this.now() + this.windowMs);
  }

  /** A refresh of `key` succeeded: close its window. */
  succeeded(key: string): void {
    this.until.delete(key);
  }
}
