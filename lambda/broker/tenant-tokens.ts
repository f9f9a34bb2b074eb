/**
 * One tenant's slice of the token cache. The cache (and the back-off map) may be shared by every
 * tenant: each key starts with the tenant, so a shared cache never hands one tenant's token to
 * another (even when two tenants share an enterprise ID or a client ID), and dropping one
 * tenant's tokens leaves the others' in place.
 */
import type { TokenCache } from './token-cache.js';
import type { IssuedToken, Target } from './token-minter.js';

export class TenantTokens {
  private readonly keyPrefix: string;

  /** @param tenant The first part of every key. @default 'default' */
  constructor(
    readonly cache: TokenCache<IssuedToken>,
    tenant = 'default',
  ) {
    this.keyPrefix = `${tenant}|`;
  }

  /** The cache (and back-off) key of `target`'s token minted with secret version `versionId`. */
  key(target: Target, versionId: string): string {
    return this.keyPrefix + cacheKey(target, versionId);
  }

  /** Whether `key` is one of this tenant's keys. */
  owns(key: string): boolean {
    return key.startsWith(this.keyPrefix);
  }

  /** Drops this tenant's tokens minted with any version but `versionId`. */
  dropOtherVersions(versionId: string): void {
    this.cache.deleteWhere((token, key) => this.owns(key) && token.versionId !== versionId);
  }

  /** Drops every token of this tenant. Returns how many went. */
  dropAll(): number {
    return this.cache.deleteWhere((_token, key) => this.owns(key));
  }

  /** Drops this tenant's cached copies of `accessToken`. */
  forget(accessToken: string): void {
    this.cache.deleteWhere((issued, key) => this.owns(key) && issued.accessToken === accessToken);
  }
}

/** The cache key within a tenant: subject, scopes, item and the secret version that minted it. */
export function cacheKey(target: Target, versionId: string): string {
  const item =
    target.resource !== undefined
      ? `${target.resource.type}:${target.resource.id}`
      : (target.sharedLink ?? '');
  return `${target.subject.type}|${target.subject.id}|${target.scopes.join(' ')}|${item}|${versionId}`;
}
