/**
 * Dead tokens: a caller that found its token refused by Box sends the token's full SHA-256, and
 * the broker never serves that token again (it drops the cached copy, and refuses a Box answer
 * that hands the same token back).
 */
import { BoxBadResponseError } from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';
import type { TokenCache } from './token-cache.js';
import { fullTokenHash, type IssuedToken } from './token-minter.js';

/** Drops the cached token for `key` if it is the one the caller reported dead. */
export function dropIfDead(
  cache: TokenCache<IssuedToken>,
  key: string,
  deadTokenSha256: string,
  trace: RequestTrace,
): void {
  const cached = cache.stillValid(key, 0);
  if (cached !== undefined && fullTokenHash(cached.accessToken) === deadTokenSha256) {
    cache.delete(key);
    trace.deadTokenDropped = true;
  }
}

/** Throws a retryable error when a freshly minted `token` is the one reported dead. */
export function refuseIfDead(token: IssuedToken, deadTokenSha256: string | undefined): void {
  if (deadTokenSha256 !== undefined && fullTokenHash(token.accessToken) === deadTokenSha256) {
    throw new BoxBadResponseError('Box handed back the token reported dead; retry.');
  }
}
