/**
 * Where a token for a target comes from: the cache, else Box, for one tenant's secret (one
 * instance per tenant; the token cache and back-off map may be shared, keyed by tenant). It wires
 * the units: the tenant's slice of the cache ({@link TenantTokens}), serving through the cache
 * ({@link CacheThrough}), what Box's answers prove about the secret ({@link CredentialProof}),
 * the rotation retry ({@link withRotation}), dead tokens, and the parent of a downscoped token.
 */
import { BoxSubjectTokenRejectedError } from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';
import { CacheThrough } from './cache-through.js';
import { CredentialProof } from './credential-proof.js';
import type { CredentialSelector } from './credential-selection.js';
import type { BoxCredentials } from './credentials.js';
import { dropIfDead, refuseIfDead } from './dead-token.js';
import type { RefreshBackoff } from './refresh-backoff.js';
import type { RequestScope } from './requests.js';
import { withRotation } from './rotation-retry.js';
import { TenantTokens } from './tenant-tokens.js';
import type { TokenCache } from './token-cache.js';
import { hashToken, type IssuedToken, type Target, type TokenMinter } from './token-minter.js';

export interface TokenSupplyOptions {
  cache: TokenCache<IssuedToken>;
  selector: CredentialSelector;
  minter: TokenMinter;
  backoff: RefreshBackoff;
  /**
   * After Box answers `invalid_client` to a caller's subject, how long the enterprise grant's
   * verdict on the same secret version is reused before it is asked again.
   */
  verifyIntervalMs: number;
  /**
   * The tenant this supply serves: the first part of every cache and back-off key, so a cache
   * shared by several tenants never hands one tenant's token to another (even when two tenants
   * share an enterprise ID or a client ID). @default 'default'
   */
  tenant?: string;
  now?: () => number;
}

/** What a request needs: the target (from the credentials' enterprise), life, a dead token. */
export interface TokenNeed {
  targetOf: (credentials: BoxCredentials) => Target;
  minTtlSeconds: number;
  /** Full SHA-256 (hex) of a token the caller found dead: never returned. */
  deadTokenSha256?: string | undefined;
}

/** A token and the target it was served for. */
export interface ServedToken {
  value: IssuedToken;
  target: Target;
}

export class TokenSupply {
  private readonly tokens: TenantTokens;
  private readonly through: CacheThrough;
  private readonly proof: CredentialProof;

  constructor(private readonly options: TokenSupplyOptions) {
    const now = options.now ?? Date.now;
    this.tokens = new TenantTokens(options.cache, options.tenant);
    this.through = new CacheThrough({ cache: options.cache, backoff: options.backoff, now });
    this.proof = new CredentialProof({
      minter: options.minter,
      selector: options.selector,
      tokens: this.tokens,
      verifyIntervalMs: options.verifyIntervalMs,
      now,
    });
  }

  /** Whether `key` is one of this supply's (its tenant's) cache keys. */
  owns(key: string): boolean {
    return this.tokens.owns(key);
  }

  /**
   * A newly proven secret version replaces the active one: this tenant's tokens of any other
   * version are suspect, so they go (other tenants' tokens in a shared cache stay).
   */
  dropOtherVersions(versionId: string): void {
    this.tokens.dropOtherVersions(versionId);
  }

  /** Drops every token of this tenant (its secret is gone). Returns how many went. */
  dropAll(): number {
    return this.tokens.dropAll();
  }

  /**
   * A token for `need`. The warm path reads only memory: the proven credentials tell the
   * enterprise and the secret version of the cache key without any I/O.
   */
  async token(need: TokenNeed, scope: RequestScope): Promise<ServedToken> {
    const { selector, cache } = this.options;
    if (selector.recheckDue()) {
      await selector.recheck(scope.deadline, scope.trace, (credentials) =>
        this.proof.proveEnterprise(credentials, scope),
      );
    }
    const known = selector.known();
    if (known !== undefined && need.deadTokenSha256 === undefined) {
      const target = need.targetOf(known);
      const hit = cache.get(this.tokens.key(target, known.versionId), need.minTtlSeconds);
      if (hit !== undefined) {
        scope.trace.cacheHit = true;
        return { value: this.served(hit, scope.trace), target };
      }
    }
    const minted = await withRotation(selector, scope, async (credentials) => {
      const target = need.targetOf(credentials);
      return { value: await this.cached(target, credentials, need, scope, true), target };
    });
    refuseIfDead(minted.value, need.deadTokenSha256);
    return { value: this.served(minted.value, scope.trace), target: minted.target };
  }

  /** Revokes `token` at Box and forgets it here. */
  async revoke(token: string, scope: RequestScope): Promise<void> {
    const credentials =
      this.options.selector.known() ??
      (await this.options.selector.select(scope.deadline, scope.trace));
    await this.options.minter.revoke(credentials, token, scope);
    this.tokens.forget(token);
    scope.trace.tokenHash = hashToken(token);
  }

  /**
   * The target's token from the cache, or minted through it (single flight). `requested`: this is
   * the caller's own target (not a parent), whose `min_ttl` and dead token apply.
   */
  private cached(
    target: Target,
    credentials: BoxCredentials,
    need: TokenNeed,
    scope: RequestScope,
    requested: boolean,
  ): Promise<IssuedToken> {
    const key = this.tokens.key(target, credentials.versionId);
    if (requested && need.deadTokenSha256 !== undefined)
      dropIfDead(this.options.cache, key, need.deadTokenSha256, scope.trace);
    const minTtlSeconds = requested ? need.minTtlSeconds : 0;
    const mint = () =>
      target.scopes.length === 0
        ? this.proof.grant(target, credentials, scope)
        : this.downscope(target, credentials, scope);
    return this.through.serve(key, minTtlSeconds, mint, scope, requested);
  }

  /** Downscoping exchanges the subject's full token, itself cached under its own key. */
  private async downscope(
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    const parentTarget: Target = { subject: target.subject, scopes: [] };
    const noNeed: TokenNeed = { targetOf: () => parentTarget, minTtlSeconds: 0 };
    const parent = await this.cached(parentTarget, credentials, noNeed, scope, false);
    try {
      return await this.options.minter.exchange(parent, target, scope);
    } catch (error) {
      if (!(error instanceof BoxSubjectTokenRejectedError)) throw error;
      // Box no longer honours the cached parent (revoked or expired early): drop it, retry once.
      this.options.cache.delete(this.tokens.key(parentTarget, credentials.versionId));
      const fresh = await this.cached(parentTarget, credentials, noNeed, scope, false);
      return this.options.minter.exchange(fresh, target, scope);
    }
  }

  private served(value: IssuedToken, trace: RequestTrace): IssuedToken {
    trace.secretVersionId = value.versionId;
    trace.tokenHash = value.tokenHash;
    if (this.options.selector.isFallback(value.versionId)) trace.secretFallback = true;
    return value;
  }
}
