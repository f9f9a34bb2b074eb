/**
 * One tenant's token supply: where a token for a request comes from. Read {@link TokenSupply.token}
 * top to bottom: the fallback's re-check when due, the warm path (memory only), then minting across
 * a secret rotation, each version's token served through the cache (single flight, refresh-ahead,
 * back-off, `min_ttl`), a downscoped token exchanged from its subject's full token, and what Box's
 * answers prove about the secret told to the credential selector.
 *
 * The token cache and the back-off map are shared by every tenant: each key starts with the
 * tenant ({@link TokenSupply.key}), so a shared cache never hands one tenant's token to another
 * (even when two tenants share an enterprise ID or a client ID), and dropping one tenant's tokens
 * leaves the others' in place.
 */
import {
  BoxBadResponseError,
  type BoxCredentialsRejectedError,
  BoxScopeRefusedError,
  BoxSubjectTokenRejectedError,
  BoxUnavailableError,
  InvalidRequestError,
} from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';
import type { CredentialSelector } from './credential-selection.js';
import type { BoxCredentials } from './credentials.js';
import type { FleetLink } from './fleet-link.js';
import { UNKNOWN_TOKEN_LIFE_MS } from './fleet-link.js';
import type { ForcedRefreshWindow } from './forced-refresh.js';
import type { RefreshBackoff } from './refresh-backoff.js';
import { untilDeadline } from './shared-flight.js';
import type { TokenCache } from './token-cache.js';
import { isOutage, saysSecretWrong, type TokenMinter } from './token-minter.js';
import {
  type CredentialHealthSignals,
  fullTokenHash,
  hashToken,
  type IssuedToken,
  type RequestScope,
  remainingSeconds,
  type ServedToken,
  type Target,
  type TokenAsk,
} from './types.js';

/** Versions of the secret tried in one request: the one selected, a re-read, the previous. */
const MAX_VERSIONS_PER_REQUEST = 3;

export interface TokenSupplyOptions {
  /** The tenant served: the first part of every cache and back-off key. */
  tenant: string;
  /** The tenant's rotation state (which secret version to mint with). */
  selector: CredentialSelector;
  /** The Box calls, with the tenant's negative cache. */
  minter: TokenMinter;
  /** The token cache (shared by every tenant). */
  cache: TokenCache<IssuedToken>;
  /** The refresh back-off windows (shared by every tenant). */
  backoff: RefreshBackoff;
  /**
   * After Box answers `invalid_client` or `invalid_grant` to a caller's subject, how long the
   * enterprise grant's verdict on the same secret version is reused before it is asked again.
   */
  verifyIntervalMs: number;
  /**
   * Caller-forced Box work (dead token, `min_ttl`, a fresh parent): one Box call per token key
   * per window, contract v1.2 (shared by every tenant: keys start with the tenant).
   */
  forced: ForcedRefreshWindow;
  /** Revokes of tokens this supply does not know: one Box call per caller per window (shared). */
  unknownRevokes: ForcedRefreshWindow;
  /** Told when Box rejects every version of the secret, and when it accepts one (health events). */
  health?: CredentialHealthSignals | undefined;
  /**
   * Fleet state (contract v1.2): misses ask the shared table before Box, revocations and dead
   * tokens are recorded for every environment. Undefined = this environment on its own (v1.1).
   */
  fleet?: FleetLink | undefined;
  now?: () => number;
}

/** The enterprise grant proved the secret version wrong: the next version must be tried. */
class CredentialsProvenWrong extends Error {
  constructor(readonly rejection: BoxCredentialsRejectedError) {
    super('Box rejects this secret version');
  }
}

/** A token this supply minted and still holds: what it was minted for, when known. */
export interface MintedToken {
  target: Target | undefined;
}

/** One token of the cache-through path and whether the cache answered it. */
interface CacheOutcome {
  value: IssuedToken;
  cacheHit: boolean;
}

export class TokenSupply {
  private readonly keyPrefix: string;
  private readonly now: () => number;
  /** The enterprise grant's last verdict on a secret version (reused for `verifyIntervalMs`). */
  private verdict: { versionId: string; untilMs: number; rejects: boolean } | undefined;

  constructor(private readonly options: TokenSupplyOptions) {
    this.keyPrefix = `${options.tenant}|`;
    this.now = options.now ?? Date.now;
  }

  /**
   * A token for `ask`. The warm path reads only memory: the proven credentials tell the
   * enterprise and the secret version of the cache key without any I/O.
   */
  async token(ask: TokenAsk, scope: RequestScope): Promise<ServedToken> {
    const { selector } = this.options;
    if (selector.beginRecheck()) await this.recheckCurrentVersion(scope);

    const known = selector.known();
    if (known !== undefined && ask.deadTokenSha256 === undefined) {
      const target = targetOf(ask, known);
      const hit = this.cachedUsable(this.key(target, known.versionId), ask.minTtlSeconds);
      if (hit !== undefined) {
        scope.trace.cacheHit = true;
        return { value: this.served(hit, scope.trace), target, cacheHit: true };
      }
    }

    const minted = await this.mintAcrossVersions(ask, scope);
    if (
      ask.deadTokenSha256 !== undefined &&
      fullTokenHash(minted.value.accessToken) === ask.deadTokenSha256
    ) {
      throw new BoxBadResponseError('Box handed back the token reported dead; retry.');
    }
    return { ...minted, value: this.served(minted.value, scope.trace) };
  }

  /**
   * The token, when this supply minted it and still holds it: the broker checks its target
   * against the policy before {@link revoke}. Reads memory only.
   */
  findMinted(token: string): MintedToken | undefined {
    const known = this.options.cache.find(
      (issued, key) => this.owns(key) && issued.accessToken === token,
    );
    return known === undefined ? undefined : { target: known.target };
  }

  /**
   * Revokes `token` at Box and forgets this tenant's copies of it. The caller's right to a token
   * this supply minted is the broker's to check first ({@link findMinted}). A token it does not
   * know (junk, expired, another execution environment's) cannot be attributed, Box answering 200
   * for any token (docs/box.md "Revoke"), so it is forwarded at most once per window per caller
   * (`callerKey`: an assumed role's sessions are one caller); inside the window, 503 with
   * `Retry-After`.
   */
  async revoke(token: string, scope: RequestScope, callerKey: string): Promise<void> {
    const { selector, minter, cache, unknownRevokes, fleet } = this.options;
    scope.trace.tokenHash = hashToken(token);
    const known = this.findMinted(token);
    if (known === undefined) {
      const key = `${this.keyPrefix}revoke|${callerKey}`;
      if (!unknownRevokes.tryOpen(key)) {
        scope.trace.forcedRefreshRefused = true;
        const seconds = unknownRevokes.retryAfterSeconds(key);
        throw new BoxUnavailableError(
          `This caller revoked another token this broker did not mint moments ago; such revokes reach Box once per window. Retry in ${seconds} s.`,
          { retryAfterSeconds: seconds },
        );
      }
    }
    const credentials = selector.known() ?? (await selector.select(scope.deadline, scope.trace));
    await minter.revoke(credentials, token, scope);
    const keys: string[] = [];
    let expiresAtMs = this.now() + UNKNOWN_TOKEN_LIFE_MS;
    cache.deleteWhere((issued, key) => {
      if (!this.owns(key) || issued.accessToken !== token) return false;
      keys.push(key);
      expiresAtMs = issued.expiresAtMs;
      return true;
    });
    if (fleet === undefined) return;
    // Every environment stops serving it within the sync bound; the table forgets it now.
    await fleet.recordRevoked(this.options.tenant, fullTokenHash(token), expiresAtMs, scope);
    for (const key of keys) await fleet.drop(this.options.tenant, key, scope);
  }

  /**
   * The enterprise ID of the credentials this tenant serves with: the proven ones (memory), else
   * the selected ones (read from the secret).
   */
  async enterpriseId(scope: RequestScope): Promise<string> {
    const { selector } = this.options;
    const credentials = selector.known() ?? (await selector.select(scope.deadline, scope.trace));
    return credentials.enterpriseId;
  }

  /** Drops every token of this tenant (its secret is gone). Returns how many went. */
  dropAll(): number {
    return this.options.cache.deleteWhere((_token, key) => this.owns(key));
  }

  /** The cache (and back-off) key of `target`'s token minted with secret version `versionId`. */
  key(target: Target, versionId: string): string {
    return this.keyPrefix + cacheKey(target, versionId);
  }

  /** Whether `key` is one of this tenant's cache keys. */
  owns(key: string): boolean {
    return key.startsWith(this.keyPrefix);
  }

  /**
   * Mints with the selected secret version, then with the next one each time the enterprise
   * grant proves a version wrong (a re-read, then `AWSPREVIOUS`); the last rejection when no
   * version is left.
   */
  private async mintAcrossVersions(
    ask: TokenAsk,
    scope: RequestScope,
  ): Promise<{ value: IssuedToken; target: Target; cacheHit: boolean }> {
    const { selector } = this.options;
    let credentials = await selector.select(scope.deadline, scope.trace);
    for (let tried = 1; ; tried += 1) {
      const target = targetOf(ask, credentials);
      try {
        const { value, cacheHit } = await this.cached(target, credentials, ask, scope, true);
        // A rotation handled as designed: counted as a re-read, not as a Box error.
        if (tried > 1 && !selector.isFallback(value.versionId)) scope.trace.boxError = undefined;
        return { value, target, cacheHit };
      } catch (error) {
        if (!(error instanceof CredentialsProvenWrong)) throw error;
        const next =
          tried < MAX_VERSIONS_PER_REQUEST
            ? await selector.rejected(credentials, scope.deadline, scope.trace)
            : undefined;
        if (next === undefined) {
          // Box refused the current version, the re-read and the previous one: the tenant is down.
          this.options.health?.rejected(this.options.tenant, error.rejection.boxError);
          throw error.rejection;
        }
        credentials = next;
      }
    }
  }

  /**
   * The target's token from the cache, or minted through it. `requested`: this is the caller's
   * own target (not a parent), whose `min_ttl`, dead token and cache outcome apply.
   */
  private async cached(
    target: Target,
    credentials: BoxCredentials,
    ask: TokenAsk,
    scope: RequestScope,
    requested: boolean,
  ): Promise<CacheOutcome> {
    const key = this.key(target, credentials.versionId);
    const minTtlSeconds = requested ? ask.minTtlSeconds : 0;
    const deadTokenSha256 = requested ? ask.deadTokenSha256 : undefined;
    // A caller-driven request: whatever Box call it makes counts against its key's window.
    const forcing = requested && (minTtlSeconds > 0 || deadTokenSha256 !== undefined);
    if (forcing) {
      const dead = this.gateForced(key, minTtlSeconds, deadTokenSha256, scope);
      if (dead !== undefined && this.options.fleet !== undefined) {
        // A dead token goes for the whole fleet: recorded, and dropped from the table.
        const { fleet, tenant } = this.options;
        await fleet.recordRevoked(tenant, fullTokenHash(dead.accessToken), dead.expiresAtMs, scope);
        await fleet.drop(tenant, key, scope);
      }
    }
    return this.serve(key, minTtlSeconds, target, credentials, scope, requested, forcing, ask);
  }

  /**
   * The cached token for `key` if it serves `minTtlSeconds` and no environment revoked it (fleet
   * state); a revoked one is dropped here, so the miss that follows mints a new one.
   */
  private cachedUsable(key: string, minTtlSeconds: number): IssuedToken | undefined {
    const { cache, fleet } = this.options;
    const hit = cache.get(key, minTtlSeconds);
    if (hit === undefined || fleet === undefined) return hit;
    const revoked = fleet.revoked();
    if (revoked.size === 0 || !revoked.has(fullTokenHash(hit.accessToken))) return hit;
    cache.delete(key);
    return undefined;
  }

  /**
   * Work a caller can force is bounded (contract v1.2). A cached token that serves everyone else
   * but not this request (reported dead, or too short for `min_ttl`) would make the broker mint:
   * at most once per key per window. Inside the window an impossible `min_ttl` is answered from
   * the lifetime Box last granted (400) and anything else is told to retry (503). The dead token
   * is never served, and stays cached for callers who did not report it, so a loop cannot turn
   * every other request into a miss either.
   */
  private gateForced(
    key: string,
    minTtlSeconds: number,
    deadTokenSha256: string | undefined,
    scope: RequestScope,
  ): IssuedToken | undefined {
    const { cache, forced } = this.options;
    const valid = cache.stillValid(key, 0);
    if (valid === undefined) return undefined; // a miss anyway: the usual single-flight mint
    const dead =
      deadTokenSha256 !== undefined && fullTokenHash(valid.accessToken) === deadTokenSha256;
    if (cache.get(key, 0) === undefined) {
      // Inside the refresh margin: a refresh is due anyway. The dead token must not stand in.
      if (!dead) return undefined;
      this.dropDead(key, scope.trace);
      return valid;
    }
    const tooShort = !dead && cache.get(key, minTtlSeconds) === undefined;
    if (!dead && !tooShort) return undefined;
    if (forced.remainingMs(key) > 0) {
      if (tooShort && minTtlSeconds > valid.grantedSeconds) {
        throw impossibleMinTtl(valid.grantedSeconds, minTtlSeconds);
      }
      scope.trace.forcedRefreshRefused = true;
      const seconds = forced.retryAfterSeconds(key);
      throw new BoxUnavailableError(
        `A new token for this request was minted moments ago; a caller can force one per window. Retry in ${seconds} s.`,
        { retryAfterSeconds: seconds },
      );
    }
    if (!dead) return undefined;
    this.dropDead(key, scope.trace);
    return valid;
  }

  /**
   * `key`'s token with at least `minTtlSeconds` of life: from the cache, or minted once for every
   * request that needs it (single flight), inside the key's back-off window and the request's
   * deadline; a still-valid token stands in while Box is sick.
   */
  private async serve(
    key: string,
    minTtlSeconds: number,
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
    requested: boolean,
    forcing: boolean,
    ask: TokenAsk,
  ): Promise<CacheOutcome> {
    const { cache, backoff, fleet, tenant } = this.options;
    const hit = this.cachedUsable(key, minTtlSeconds);
    if (hit !== undefined) return { value: hit, cacheHit: false };
    const backoffMs = backoff.remainingMs(key);
    if (backoffMs > 0) {
      const value = this.duringBackoff(key, minTtlSeconds, backoffMs, scope.trace, requested);
      return { value, cacheHit: true };
    }

    const result = await untilDeadline(
      cache.getOrLoad(
        key,
        minTtlSeconds,
        () => {
          if (forcing) this.options.forced.opened(key);
          const mint = () => this.mintOnce(key, target, credentials, scope);
          if (fleet === undefined) return mint();
          // The table before Box: another environment's token, or one mint for the fleet.
          const dead = requested ? ask.deadTokenSha256 : undefined;
          return fleet.load(tenant, key, minTtlSeconds, dead, scope, mint).then((token) => {
            // Box accepted this version for another environment: proven here too, so the warm
            // path (memory only) serves the next request. Not news of the tenant's health: the
            // token may predate a reset (a grant this environment made has signalled already).
            if (token.versionId === credentials.versionId) this.accepted(credentials, false);
            return token;
          });
        },
        { serveStaleOn: isOutage },
      ),
      scope.deadline,
      'Box',
    );
    if (result.stale) scope.trace.servedStale = true;
    if (requested) scope.trace.cacheHit = result.stale;
    if (remainingSeconds(result.value, this.now()) < minTtlSeconds) {
      // Only a fresh token gets here (a cached one too short was replaced first): retrying
      // cannot help, the caller asks for more than Box grants.
      throw impossibleMinTtl(result.value.grantedSeconds, minTtlSeconds);
    }
    return { value: result.value, cacheHit: result.stale };
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

  /** One mint of `key`'s token; a sick Box opens the key's back-off window. */
  private async mintOnce(
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
      // Cached with what it was minted for: a revoke is checked against it.
      return { ...value, target };
    } catch (error) {
      if (isOutage(error)) this.options.backoff.failed(key);
      throw error;
    }
  }

  /** Downscoping exchanges the subject's full token, itself cached under its own key. */
  private async downscope(
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    const { minter, cache, forced } = this.options;
    const parentTarget: Target = { subject: target.subject, scopes: [] };
    const parentAsk: TokenAsk = { subject: target.subject, scopes: [], minTtlSeconds: 0 };
    const parentKey = this.key(parentTarget, credentials.versionId);
    const parent = await this.cached(parentTarget, credentials, parentAsk, scope, false);
    try {
      return await minter.exchange(parent.value, target, scope);
    } catch (error) {
      if (error instanceof BoxScopeRefusedError) {
        // The parent may predate the admin's re-authorisation that granted these scopes (Box:
        // "request a new token"; docs/box.md). A fresh one at most once per parent per window:
        // a caller asking again and again for a scope the app lacks costs no grant per request.
        if (!forced.tryOpen(parentKey)) throw error;
      } else if (!(error instanceof BoxSubjectTokenRejectedError)) {
        throw error;
      }
      // Box no longer honours the cached parent (revoked, expired early, or older than the
      // scopes): drop it, retry once with a fresh one.
      cache.delete(parentKey);
      const fresh = await this.cached(parentTarget, credentials, parentAsk, scope, false);
      return minter.exchange(fresh.value, target, scope);
    }
  }

  /**
   * A client-credentials grant for `target`. Box accepting it proves the secret version good.
   * `invalid_client` or `invalid_grant` (Box documents both for a wrong or reset secret:
   * docs/box.md) proves it wrong only for the enterprise subject: for a caller's user subject
   * the enterprise grant is asked (its verdict reused a while, so callers cannot make the broker
   * re-validate the secret on every request) and its answer decides.
   */
  private async grant(
    target: Target,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    try {
      const token = await this.options.minter.grant(target.subject, credentials, scope);
      this.accepted(credentials);
      return token;
    } catch (error) {
      if (
        saysSecretWrong(error) &&
        (target.subject.type === 'enterprise' || (await this.enterpriseRejects(credentials, scope)))
      ) {
        throw new CredentialsProvenWrong(error);
      }
      throw error;
    }
  }

  /** A fresh enterprise grant with `credentials`; kept in the cache, since it is good. */
  private async proveEnterprise(credentials: BoxCredentials, scope: RequestScope): Promise<void> {
    const subject = { type: 'enterprise' as const, id: credentials.enterpriseId };
    const token = await this.options.minter.grant(subject, credentials, scope);
    this.accepted(credentials);
    const target: Target = { subject, scopes: [] };
    this.options.cache.set(this.key(target, credentials.versionId), { ...token, target });
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
      rejects = saysSecretWrong(error);
    }
    this.verdict = {
      versionId: credentials.versionId,
      untilMs: this.now() + this.options.verifyIntervalMs,
      rejects,
    };
    return rejects;
  }

  /**
   * Box accepted `credentials`. A newly proven version replacing the active one makes this
   * tenant's tokens of any other version suspect, so they go (other tenants' tokens stay).
   * `grantedNow`: Box granted just now (health hears of it), not earlier for another environment.
   */
  private accepted(credentials: BoxCredentials, grantedNow = true): void {
    if (grantedNow) this.options.health?.accepted(this.options.tenant);
    if (!this.options.selector.accepted(credentials)) return;
    const versionId = credentials.versionId;
    this.options.cache.deleteWhere((token, key) => this.owns(key) && token.versionId !== versionId);
  }

  /**
   * While serving from `AWSPREVIOUS`, the current version gets another chance now and then: one
   * enterprise grant, which ends the fallback when Box accepts it. A failure, whatever it is,
   * keeps serving from `AWSPREVIOUS` (the cached tokens stay as they are).
   */
  private async recheckCurrentVersion(scope: RequestScope): Promise<void> {
    const { selector } = this.options;
    try {
      const current = await selector.recheckCandidate(scope.deadline);
      if (current !== undefined) await this.proveEnterprise(current, scope);
    } catch {
      scope.trace.fallbackRecheckFailed = true;
    } finally {
      selector.endRecheck();
    }
  }

  /**
   * Dead tokens: a caller that found its token refused by Box sends the token's full SHA-256;
   * the cached copy goes (and {@link token} refuses a Box answer that hands it back).
   */
  private dropDead(key: string, trace: RequestTrace): void {
    this.options.cache.delete(key);
    trace.deadTokenDropped = true;
  }

  private served(value: IssuedToken, trace: RequestTrace): IssuedToken {
    trace.secretVersionId = value.versionId;
    trace.tokenHash = value.tokenHash;
    if (this.options.selector.isFallback(value.versionId)) trace.secretFallback = true;
    return value;
  }
}

/** The target of `ask` with credentials that serve `credentials.enterpriseId`. */
function targetOf(ask: TokenAsk, credentials: BoxCredentials): Target {
  const target: Target = {
    subject:
      ask.subject.type === 'enterprise'
        ? { type: 'enterprise', id: credentials.enterpriseId }
        : ask.subject,
    scopes: ask.scopes,
  };
  if (ask.resource !== undefined) target.resource = ask.resource;
  if (ask.sharedLink !== undefined) target.sharedLink = ask.sharedLink;
  return target;
}

/** The cache key within a tenant: subject, scopes, item and the secret version that minted it. */
export function cacheKey(target: Target, versionId: string): string {
  const item =
    target.resource !== undefined
      ? `${target.resource.type}:${target.resource.id}`
      : (target.sharedLink ?? '');
  return `${target.subject.type}|${target.subject.id}|${target.scopes.join(' ')}|${item}|${versionId}`;
}

/** The 400 of a `min_ttl` above the lifetime Box grants (retrying cannot help). */
function impossibleMinTtl(grantedSeconds: number, minTtlSeconds: number): InvalidRequestError {
  return new InvalidRequestError(
    `Box grants tokens of ${grantedSeconds} s; min_ttl ${minTtlSeconds} cannot be met.`,
  );
}
