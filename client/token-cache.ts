import type { TokenResponse } from '../lambda/contract.js';
import { tokenSha256 } from './token-options.js';

interface CachedToken {
  response: TokenResponse;
  /** On this process's clock: receipt time + `expires_in`, so clock skew cannot extend it. */
  expiresAtMs: number;
}

/**
 * The client's in-memory token cache, keyed by the token request: a token is served while it
 * has more than the refresh margin (and the caller's `min_ttl`) left, and concurrent misses for
 * the same flight share one broker call.
 */
export class ClientTokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<CachedToken>>();
  readonly #now: () => number;
  readonly #refreshMarginMs: number;

  constructor(now: () => number, refreshMarginMs: number) {
    this.#now = now;
    this.#refreshMarginMs = refreshMarginMs;
  }

  /** The cached token for `key` if it still has enough life, with `expires_in` as of now. */
  usable(key: string, minTtlMs: number): TokenResponse | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const remaining = entry.expiresAtMs - this.#now();
    const fresh = remaining > this.#refreshMarginMs && remaining >= minTtlMs;
    return fresh ? this.#present(entry) : undefined;
  }

  /**
   * Fetches a token for `key` (joining a fetch already running under the same `flight`),
   * caches it and returns it with `expires_in` as of now.
   */
  async fill(
    key: string,
    flight: string,
    fetchToken: () => Promise<TokenResponse>,
  ): Promise<TokenResponse> {
    let pending = this.#inFlight.get(flight);
    if (pending === undefined) {
      pending = fetchToken()
        .then((response) => ({ response, expiresAtMs: this.#now() + response.expires_in * 1000 }))
        .finally(() => this.#inFlight.delete(flight));
      this.#inFlight.set(flight, pending);
    }
    const fetched = await pending;
    this.#entries.set(key, fetched);
    return this.#present(fetched);
  }

  /** Drops every entry holding this token. */
  forget(accessToken: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.response.access_token === accessToken) this.#entries.delete(key);
    }
  }

  /** Drops every entry holding the token with this SHA-256 (hex). */
  forgetBySha256(sha256: string): void {
    for (const [key, entry] of this.#entries) {
      if (tokenSha256(entry.response.access_token) === sha256) this.#entries.delete(key);
    }
  }

  /** Drops every entry (the record of which tenant each token came from stays). */
  clear(): void {
    this.#entries.clear();
  }

  #present(entry: CachedToken): TokenResponse {
    const remaining = Math.max(0, Math.floor((entry.expiresAtMs - this.#now()) / 1000));
    return { ...entry.response, expires_in: remaining };
  }
}

/** Most tokens whose tenant a client remembers; the oldest are forgotten first. */
const MAX_ORIGINS = 10_000;

/**
 * Which tenant each token this client was given came from (`undefined` = the default tenant), so
 * that revoking a token revokes it in that tenant, also after the cache replaced it with a newer
 * one. Entries go when their token expires, or the oldest first beyond {@link MAX_ORIGINS}.
 */
export class TokenOrigins {
  readonly #tenants = new Map<string, { tenant: string | undefined; expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Remembers that `response` was issued for `tenant` (the tenant this client asked for). */
  record(response: TokenResponse, tenant: string | undefined): void {
    const now = this.#now();
    for (const [token, origin] of this.#tenants) {
      if (origin.expiresAtMs <= now) this.#tenants.delete(token);
    }
    this.#tenants.delete(response.access_token);
    this.#tenants.set(response.access_token, {
      tenant,
      expiresAtMs: now + response.expires_in * 1000,
    });
    if (this.#tenants.size > MAX_ORIGINS) {
      const oldest = this.#tenants.keys().next();
      if (oldest.done !== true) this.#tenants.delete(oldest.value);
    }
  }

  /** The tenant `accessToken` came from: `undefined` for the default tenant or an unknown token. */
  tenantOf(accessToken: string): string | undefined {
    return this.#tenants.get(accessToken)?.tenant;
  }

  /** Forgets a token (it was revoked). */
  forget(accessToken: string): void {
    this.#tenants.delete(accessToken);
  }
}
