/**
 * Serving a key's token from the cache, or loading it through the cache (single flight,
 * refresh-ahead, a stale token standing in while Box is sick), inside the key's refresh back-off
 * window and the request's deadline, and holding the caller to `min_ttl`.
 */
import { BoxUnavailableError, InvalidRequestError } from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';
import { untilDeadline } from './deadline-wait.js';
import type { RefreshBackoff } from './refresh-backoff.js';
import type { RequestScope } from './requests.js';
import type { TokenCache } from './token-cache.js';
import { type IssuedToken, isOutage, remainingSeconds } from './token-minter.js';

export interface CacheThroughOptions {
  cache: TokenCache<IssuedToken>;
  backoff: RefreshBackoff;
  now: () => number;
}

export class CacheThrough {
  constructor(private readonly options: CacheThroughOptions) {}

  /**
   * `key`'s token with at least `minTtlSeconds` of life, from the cache or from `load`.
   * `requested`: the caller's own target (not a parent), whose cache outcome goes on the trace.
   */
  async serve(
    key: string,
    minTtlSeconds: number,
    load: () => Promise<IssuedToken>,
    scope: RequestScope,
    requested: boolean,
  ): Promise<IssuedToken> {
    const { cache, backoff } = this.options;
    const hit = cache.get(key, minTtlSeconds);
    if (hit !== undefined) return hit;
    const backoffMs = backoff.remainingMs(key);
    if (backoffMs > 0)
      return this.duringBackoff(key, minTtlSeconds, backoffMs, scope.trace, requested);

    const result = await untilDeadline(
      cache.getOrLoad(key, minTtlSeconds, () => this.loadOnce(key, load), {
        serveStaleOn: isOutage,
      }),
      scope.deadline,
      'Box',
    );
    if (result.stale) scope.trace.servedStale = true;
    if (requested) scope.trace.cacheHit = result.stale;
    const remaining = remainingSeconds(result.value, this.options.now());
    if (remaining < minTtlSeconds) {
      // Only a fresh token gets here (a cached one too short was replaced first): retrying
      // cannot help, the caller asks for more than Box grants.
      throw new InvalidRequestError(
        `Box grants tokens of ${result.value.grantedSeconds} s; min_ttl ${minTtlSeconds} cannot be met.`,
      );
    }
    return result.value;
  }

  /** Inside a back-off window: the still-valid token at once, or a fast 503; never Box. */
  private duringBackoff(
    key: string,
    minTtlSeconds: number,
    backoffMs: number,
    trace: RequestTrace,
    requested: boolean,
  ): IssuedToken {
    const valid = this.options.cache.stillValid(key, minTtlSeconds);
    if (valid !== undefined) {
      trace.backoffServed = true;
      trace.servedStale = true;
      if (requested) trace.cacheHit = true;
      return valid;
    }
    trace.backoffRejected = true;
    const seconds = Math.max(1, Math.ceil(backoffMs / 1000));
    throw new BoxUnavailableError(
      `Box failed moments ago and no cached token meets this request; retry in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }

  /** One refresh of `key`; a sick Box opens the key's back-off window. */
  private async loadOnce(key: string, load: () => Promise<IssuedToken>): Promise<IssuedToken> {
    try {
      const value = await load();
      this.options.backoff.succeeded(key);
      return value;
    } catch (error) {
      if (isOutage(error)) this.options.backoff.failed(key);
      throw error;
    }
  }
}
