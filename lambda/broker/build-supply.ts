/**
 * The composition of one secret's token supply: its credential selector (rotation), negative
 * cache and minter, over a token cache and back-off map of its own or shared by every tenant.
 */

import { CredentialSelector } from './credential-selection.js';
import type { CredentialsSource } from './credentials.js';
import { NegativeCache } from './negative-cache.js';
import type { BoxTokenApi } from './ports.js';
import { RefreshBackoff } from './refresh-backoff.js';
import { TokenCache } from './token-cache.js';
import { type IssuedToken, TokenMinter } from './token-minter.js';
import { TokenSupply } from './token-supply.js';

/** The units that serve one secret: one set per tenant. */
export interface SupplyOptions {
  credentials: CredentialsSource;
  box: BoxTokenApi;
  tokenCacheMaxEntries: number;
  refreshMarginMs: number;
  negativeCacheMs: number;
  /** While falling back to `AWSPREVIOUS`, how often the current version is tried again. */
  fallbackRecheckMs: number;
  backoffWindowMs: number;
  now: () => number;
  /** The tenant served (first part of its cache keys). @default 'default' */
  tenant?: string;
  /** A token cache shared by every tenant; absent = one of `tokenCacheMaxEntries` of its own. */
  cache?: TokenCache<IssuedToken>;
  /** A back-off map shared by every tenant; absent = its own. */
  backoff?: RefreshBackoff;
  /** Most remembered Box refusals of caller-chosen subjects. @default 256 */
  negativeCallerEntries?: number;
}

/** Composes the token supply of one secret: cache, rotation, back-off, minting. */
export function buildSupply(options: SupplyOptions): TokenSupply {
  const cache =
    options.cache ??
    new TokenCache<IssuedToken>({
      maxEntries: options.tokenCacheMaxEntries,
      refreshMarginMs: options.refreshMarginMs,
      now: options.now,
    });
  let supply: TokenSupply | undefined;
  const selector = new CredentialSelector({
    source: options.credentials,
    recheckMs: options.fallbackRecheckMs,
    // A newly proven version makes every token of another version suspect: drop this tenant's.
    onSwitch: (versionId) => supply?.dropOtherVersions(versionId),
    now: options.now,
  });
  const negative = new NegativeCache({
    ttlMs: options.negativeCacheMs,
    now: options.now,
    ...(options.negativeCallerEntries === undefined
      ? {}
      : { maxCallerEntries: options.negativeCallerEntries }),
  });
  supply = new TokenSupply({
    cache,
    selector,
    minter: new TokenMinter(options.box, negative, options.now),
    backoff:
      options.backoff ??
      new RefreshBackoff({
        windowMs: options.backoffWindowMs,
        maxKeys: options.tokenCacheMaxEntries,
        now: options.now,
      }),
    verifyIntervalMs: options.fallbackRecheckMs,
    now: options.now,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
  });
  return supply;
}
