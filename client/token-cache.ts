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

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }

  #present(entry: CachedToken): TokenResponse {
    const remaining = Math.max(0, Math.floor((entry.expiresAtMs - this.#now()) / 1000));
    return { ...entry.response, expires_in: remaining };
  }
}
