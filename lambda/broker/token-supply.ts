/**
 * Where a token for a target comes from: the cache, else Box, for one tenant's secret (one
 * instance per tenant; the token cache and back-off map may be shared, keyed by tenant). It ties the units together: the credential selection (rotation),
 * the token cache (single flight, refresh-ahead), the refresh back-off, minting (grant, exchange,
 * parent handling), `min_ttl` and dead tokens.
 */
import {
  BoxBadResponseError,
  type BoxCredentialsRejectedError,
  BoxSubjectTokenRejectedError,
  BoxUnavailableError,
  InvalidRequestError,
} from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';
import type { CredentialSelector } from './credential-selection.js';
import type { BoxCredentials } from './credentials.js';
import { untilDeadline } from './deadline-wait.js';
import type { RefreshBackoff } from './refresh-backoff.js';
import type { RequestScope } from './requests.js';
import type { TokenCache } from './token-cache.js';
import {
  fullTokenHash,
  hashToken,
  type IssuedToken,
  isInvalidClient,
  isOutage,
  type Target,
  type TokenMinter,
} from './token-minter.js';

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

/** The enterprise grant proved the secret version wrong: the rotation state machine must act. */
class CredentialsProvenWrong extends Error {
  constructor(readonly rejection: BoxCredentialsRejectedError) {
    super('Box rejects this secret version');
  }
}

/** Versions of the secret tried in one request: the one selected, a re-read, the previous. */
const MAX_VERSIONS_PER_REQUEST = 3;

export class TokenSupply {
  private readonly now: () => number;
  private verdict: { versionId: string; untilMs: number; rejects: boolean } | undefined;
  private readonly keyPrefix: string;

  constructor(private readonly options: TokenSupplyOptions) {
    this.now = options.now ?? Date.now;
    this.keyPrefix = `${options.tenant ?? 'default'}|`;
  }

  /** Whether `key` is one of this supply's (its tenant's) cache keys. */
  owns(key: string): boolean {
    return key.startsWith(this.keyPrefix);
  }

  /**
   * A newly proven secret version replaces the active one: this tenant's tokens of any other
   * version are suspect, so they go (other tenants' tokens in a shared cache stay).
   */
  dropOtherVersions(versionId: string): void {
    this.options.cache.deleteWhere((token, key) => this.owns(key) && token.versionId !== versionId);
  }

  /** Drops every token of this tenant (its secret is gone). Returns how many went. */
  dropAll(): number {
    return this.options.cache.deleteWhere((_token, key) => this.owns(key));
  }

  private key(target: Target, versionId: string): string {
    return this.keyPrefix + cacheKey(target, versionId);
  }

  /**
   * A token for `need`. The warm path reads only memory: the proven credentials tell the
   * enterprise and the secret version of the cache key without any I/O.
   */
  async token(
    need: TokenNeed,
    scope: RequestScope,
  ): Promise<{ value: IssuedToken; target: Target }> {
    const { selector, cache } = this.options;
    if (selector.recheckDue()) {
      await selector.recheck(scope.deadline, scope.trace, (credentials) =>
        this.proveEnterprise(credentials, scope),
      );
    }
    const known = selector.known();
    if (known !== undefined && need.deadTokenSha256 === undefined) {
      const target = need.targetOf(known);
      const hit = cache.get(this.key(target, known.versionId), need.minTtlSeconds);
      if (hit !== undefined) {
        scope.trace.cacheHit = true;
        return { value: this.served(hit, scope.trace), target };
      }
    }
    const minted = await this.miss(need, scope);
    const dead = need.deadTokenSha256;
    if (dead !== undefined && fullTokenHash(minted.value.accessToken) === dead) {
      throw new BoxBadResponseError('Box handed back the token reported dead; retry.');
    }
    return { value: this.served(minted.value, scope.trace), target: minted.target };
  }

  /** Revokes `token` at Box and forgets it here. */
  async revoke(token: string, scope: RequestScope): Promise<void> {
    const credentials =
      this.options.selector.known() ??
      (await this.options.selector.select(scope.deadline, scope.trace));
    await this.options.minter.revoke(credentials, token, scope);
    this.options.cache.deleteWhere((issued, key) => this.owns(key) && issued.accessToken === token);
    scope.trace.tokenHash = hashToken(token);
  }

  /**
   * A cache miss, with rotation: when the enterprise grant proves the secret version wrong, the
   * selector names the next version to try (a re-read, then `AWSPREVIOUS`).
   */
  private async miss(
    need: TokenNeed,
    scope: RequestScope,
  ): Promise<{ value: IssuedToken; target: Target }> {
    let credentials = await this.options.selector.select(scope.deadline, scope.trace);
    for (let tried = 1; ; tried += 1) {
      const target = need.targetOf(credentials);
      try {
        const value = await this.cached(target, credentials, need, scope, true);
        // A rotation handled as designed: counted as a re-read, not as a Box error.
        if (tried > 1 && !this.options.selector.isFallback(value.versionId)) {
          scope.trace.boxError = undefined;
        }
        return { value, target };
      } catch (error) {
        if (!(error instanceof CredentialsProvenWrong)) throw error;
        const next =
          tried < MAX_VERSIONS_PER_REQUEST
            ? await this.options.selector.rejected(credentials, scope.deadline, scope.trace)
            : undefined;
        if (next === undefined) throw error.rejection;
        credentials = next;
      }
    }
  }

  /**
   * The target's token from the cache, or minted through it (single flight). `requested`: this is
   * the caller's own target (not a parent), whose `min_ttl` and dead token apply.
   */
  private async cached(
    target: Target,
    credentials: BoxCredentials,
    need: TokenNeed,
    scope: RequestScope,
    requested: boolean,
  ): Promise<IssuedToken> {
    const { cache, backoff } = this.options;
    const key = this.key(target, credentials.versionId);
    const minTtlSeconds = requested ? need.minTtlSeconds : 0;
    if (requested && need.deadTokenSha256 !== undefined)
      this.dropIfDead(key, need.deadTokenSha256, scope.trace);
    const hit = cache.get(key, minTtlSeconds);
    if (hit !== undefined) return hit;
    const backoffMs = backoff.remainingMs(key);
    if (backoffMs > 0)
      return this.duringBackoff(key, minTtlSeconds, backoffMs, scope.trace, requested);

    const result = await untilDeadline(
      cache.getOrLoad(key, minTtlSeconds, () => this.load(key, target, credentials, scope), {
        serveStaleOn: isOutage,
      }),
      scope.deadline,
      'Box',
    );
    if (result.stale) scope.trace.servedStale = true;
    if (requested) scope.trace.cacheHit = result.stale;
    const remaining = remainingSeconds(result.value, this.now());
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
  private async load(
    key: string,
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    try {
      const value =
        target.scopes.length === 0
          ? await this.grant(target, credentials, scope)
          : await this.downscope(target, credentials, scope);
      this.options.backoff.succeeded(key);
      return value;
    } catch (error) {
      if (isOutage(error)) this.options.backoff.failed(key);
      throw error;
    }
  }

  /**
   * A client-credentials grant. Success proves the credentials. `invalid_client` proves them
   * wrong only for the enterprise subject; for a caller's user subject the enterprise grant is
   * asked (rate-limited) and its answer decides.
   */
  private async grant(
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    try {
      const token = await this.options.minter.grant(target.subject, credentials, scope);
      this.options.selector.accepted(credentials);
      return token;
    } catch (error) {
      if (
        isInvalidClient(error) &&
        (target.subject.type === 'enterprise' || (await this.enterpriseRejects(credentials, scope)))
      ) {
        throw new CredentialsProvenWrong(error);
      }
      throw error;
    }
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
      this.options.cache.delete(this.key(parentTarget, credentials.versionId));
      const fresh = await this.cached(parentTarget, credentials, noNeed, scope, false);
      return this.options.minter.exchange(fresh, target, scope);
    }
  }

  /** Whether the enterprise grant, too, calls `credentials` invalid (the verdict is reused a while). */
  private async enterpriseRejects(
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<boolean> {
    const verdict = this.verdict;
    if (verdict?.versionId === credentials.versionId && this.now() < verdict.untilMs) {
      return verdict.rejects;
    }
    let rejects = false;
    try {
      await this.proveEnterprise(credentials, scope);
    } catch (error) {
      rejects = isInvalidClient(error);
    }
    this.verdict = {
      versionId: credentials.versionId,
      untilMs: this.now() + this.options.verifyIntervalMs,
      rejects,
    };
    return rejects;
  }

  /** A fresh enterprise grant with `credentials`; kept in the cache, since it is good. */
  private async proveEnterprise(credentials: BoxCredentials, scope: RequestScope): Promise<void> {
    const subject = { type: 'enterprise' as const, id: credentials.enterpriseId };
    const token = await this.options.minter.grant(subject, credentials, scope);
    this.options.selector.accepted(credentials);
    this.options.cache.set(this.key({ subject, scopes: [] }, credentials.versionId), token);
  }

  /** Drops the cached token for `key` if it is the one the caller reported dead. */
  private dropIfDead(key: string, deadTokenSha256: string, trace: RequestTrace): void {
    const cached = this.options.cache.stillValid(key, 0);
    if (cached !== undefined && fullTokenHash(cached.accessToken) === deadTokenSha256) {
      this.options.cache.delete(key);
      trace.deadTokenDropped = true;
    }
  }

  private served(value: IssuedToken, trace: RequestTrace): IssuedToken {
    trace.secretVersionId = value.versionId;
    trace.tokenHash = value.tokenHash;
    if (this.options.selector.isFallback(value.versionId)) trace.secretFallback = true;
    return value;
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

/** Whole seconds of life `token` has left at `nowMs`. */
export function remainingSeconds(token: IssuedToken, nowMs: number): number {
  return Math.max(0, Math.floor((token.expiresAtMs - nowMs) / 1000));
}
