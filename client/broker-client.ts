/**
 * The TypeScript client of box-token-broker: SigV4-signed calls, typed results and errors, and
 * an in-memory token cache so a process making many Box calls asks the broker rarely.
 *
 * @example
 * const client = new BrokerClient({ url: process.env.BOX_TOKEN_BROKER_URL ?? '' });
 * const { access_token } = await client.getToken();
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  type HealthResponse,
  ROUTES,
  type TokenRequest,
  type TokenResponse,
} from '../lambda/contract.js';
import {
  type BrokerAnswer,
  parseHealthResponse,
  parseRevokeResponse,
  parseTokenResponse,
} from './broker-response.js';
import { BrokerTransport } from './broker-transport.js';
import { brokerBaseUrl } from './broker-url.js';
import { BrokerClientError } from './errors.js';
import { LoopbackFallbackSigner } from './loopback-fallback-signer.js';
import { type AwsCredentialsSource, RequestSigner, resolveRegion } from './request-signer.js';
import { ClientTokenCache, TokenOrigins } from './token-cache.js';
import { cacheKeyOf, type TokenOptions, toTokenRequest } from './token-options.js';

/** Options of {@link BrokerClient.revoke}. */
export interface RevokeOptions {
  /**
   * The tenant the token came from. @default the tenant this client asked for when the broker
   * gave it the token (the default tenant for a token this client did not get itself)
   */
  tenant?: string;
}

export interface BrokerClientOptions {
  /** The API's invoke URL with its stage, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`. */
  url: string;
  /** Signing region. @default from the URL, else AWS_REGION / AWS_DEFAULT_REGION */
  region?: string;
  /** @default the default AWS credential chain */
  credentials?: AwsCredentialsSource;
  /** Named profile for the default credential chain. */
  profile?: string;
  /** A cached token is used until it has less than this left. @default 60 */
  refreshMarginSeconds?: number;
  /** Timeout of one HTTP attempt. @default 10000 */
  timeoutMs?: number;
  /** Attempts for a retryable failure, the first included. @default 2 */
  maxAttempts?: number;
  /** A `Retry-After` longer than this is not waited for; the error is thrown instead. @default 5 */
  maxRetryDelaySeconds?: number;
  /** Environment for the region fallback. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Epoch-millisecond clock deciding cache expiry. @default Date.now */
  now?: () => number;
  /** Waits between attempts. @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Told once when the client calls a loopback broker unsigned because no AWS credentials were
   * found (see {@link BrokerClient}). @default `process.emitWarning`
   */
  warn?: (message: string) => void;
}

/**
 * A client for one broker URL and one AWS identity. Keep one per process (module scope) so its
 * cache is shared; concurrent requests for the same token share one broker call.
 *
 * A broker on this machine (`http://127.0.0.1:…`, `localhost`, `[::1]`: `npm start`) is called
 * unsigned when the default credential chain finds no AWS credentials, with one warning: the
 * local broker trusts local callers unless its IAM emulation is on. Any other broker is always
 * signed, and plain `http` is refused for it.
 */
export class BrokerClient {
  readonly url: string;
  readonly region: string;
  readonly #transport: BrokerTransport;
  readonly #cache: ClientTokenCache;
  readonly #origins: TokenOrigins;

  constructor(options: BrokerClientOptions) {
    const base = brokerBaseUrl(options.url);
    this.url = base.href.replace(/\/$/, '');
    this.region = resolveRegion(base, options.region, options.env ?? process.env);
    const signer = new RequestSigner({
      region: this.region,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
    const warn =
      options.warn ??
      ((message) => process.emitWarning(message, { code: 'BOX_TOKEN_BROKER_UNSIGNED' }));
    const now = options.now ?? Date.now;
    const refreshMarginMs =
      nonNegative(options.refreshMarginSeconds ?? 60, 'refreshMarginSeconds') * 1000;
    this.#transport = new BrokerTransport({
      base,
      signer: new LoopbackFallbackSigner(signer, warn),
      fetch: options.fetch ?? globalThis.fetch,
      now,
      sleep: options.sleep ?? ((ms) => delay(ms)),
      timeoutMs: nonNegative(options.timeoutMs ?? 10_000, 'timeoutMs'),
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 2)),
      maxRetryDelaySeconds: nonNegative(options.maxRetryDelaySeconds ?? 5, 'maxRetryDelaySeconds'),
    });
    this.#cache = new ClientTokenCache(now, refreshMarginMs);
    this.#origins = new TokenOrigins(now);
  }

  /**
   * A Box token: from the cache while it has more than the refresh margin (and `minTtl`) left,
   * otherwise from the broker. `expires_in` is the remaining life at the moment of return.
   * With `deadToken` (a token Box refused with 401), that token is dropped from the cache and
   * the broker is told its SHA-256, so no broker environment hands it back.
   */
  async getToken(options: TokenOptions = {}): Promise<TokenResponse> {
    const request = toTokenRequest(options);
    const key = cacheKeyOf(request);
    const dead = request.dead_token_sha256;
    if (dead !== undefined) this.#cache.forgetBySha256(dead);
    const cached = this.#cache.usable(key, (request.min_ttl ?? 0) * 1000);
    if (cached !== undefined) return cached;
    // A call that names a dead token never joins one that does not: that one may return it.
    const flight = dead === undefined ? key : `${key}\n${dead}`;
    return this.#cache.fill(key, flight, () => this.#fetchToken(request, options.deadToken));
  }

  /**
   * Revokes a token at Box through the broker (which also drops it from its cache) and forgets it
   * here. The revoke goes to the tenant the token came from (`tenant` on `POST /revoke`): the one
   * this client asked for when it got the token, or `options.tenant`. A token revoked in another
   * tenant would stay in the broker's cache of its own.
   */
  async revoke(accessToken: string, options: RevokeOptions = {}): Promise<void> {
    const tenant =
      options.tenant === undefined
        ? this.#origins.tenantOf(accessToken)
        : toTokenRequest({ tenant: options.tenant }).tenant;
    this.forget(accessToken);
    const body = JSON.stringify({
      token: accessToken,
      ...(tenant === undefined ? {} : { tenant }),
    });
    parseRevokeResponse(await this.#transport.call('POST', ROUTES.revoke, body));
    this.#origins.forget(accessToken);
  }

  /** The broker's health check (credentials readable, a Box token obtainable). */
  async health(): Promise<HealthResponse> {
    return parseHealthResponse(await this.#transport.call('GET', ROUTES.health, undefined));
  }

  /** Drops a token from this client's cache (e.g. after Box answered 401 for it). */
  forget(accessToken: string): void {
    this.#cache.forget(accessToken);
  }

  /** Drops every cached token. */
  clearCache(): void {
    this.#cache.clear();
  }

  async #fetchToken(request: TokenRequest, deadToken: string | undefined): Promise<TokenResponse> {
    let answer: BrokerAnswer;
    try {
      answer = await this.#transport.call('POST', ROUTES.token, JSON.stringify(request));
    } catch (error) {
      if (!(deadToken !== undefined && isLegacyDeadTokenRefusal(error))) throw error;
      // A v1.0 broker does not know dead_token_sha256: revoke the token instead (which evicts it
      // from the environment that served it), as clients did before v1.1, and ask again.
      const { dead_token_sha256: _dead, ...legacy } = request;
      const tenant = request.tenant === undefined ? {} : { tenant: request.tenant };
      await this.revoke(deadToken, tenant).catch(() => undefined);
      answer = await this.#transport.call('POST', ROUTES.token, JSON.stringify(legacy));
    }
    const token = parseTokenResponse(answer);
    this.#origins.record(token, request.tenant);
    return token;
  }
}

/** A v1.0 broker's answer to a field it does not know: `Unknown field "dead_token_sha256"`. */
function isLegacyDeadTokenRefusal(error: unknown): boolean {
  return (
    error instanceof BrokerClientError &&
    error.code === 'invalid_request' &&
    error.message.includes('"dead_token_sha256"')
  );
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new BrokerClientError('invalid_argument', `${name} must be a non-negative number.`);
  }
  return value;
}
