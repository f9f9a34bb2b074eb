/**
 * The TypeScript client of box-token-broker: SigV4-signed calls, typed results and errors, and
 * an in-memory token cache so a process making many Box calls asks the broker rarely.
 *
 * @example
 * const { access_token } = await getBoxToken({ url: process.env.BOX_TOKEN_BROKER_URL });
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
  errorFromAnswer,
  parseHealthResponse,
  parseRevokeResponse,
  parseTokenResponse,
} from './broker-response.js';
import { BrokerClientError } from './errors.js';
import {
  type AwsCredentialsSource,
  isLoopbackUrl,
  RequestSigner,
  resolveRegion,
  type SignedRequest,
  unsignedRequest,
} from './request-signer.js';
import { cacheKeyOf, type TokenOptions, tokenSha256, toTokenRequest } from './token-options.js';

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

interface CachedToken {
  response: TokenResponse;
  /** On this process's clock: receipt time + `expires_in`, so clock skew cannot extend it. */
  expiresAtMs: number;
}

/** Backoff when the broker sent no `Retry-After`: 200 ms, 400 ms, …, jittered ±50 %. */
const BACKOFF_BASE_MS = 200;

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
  readonly #base: URL;
  readonly #signer: RequestSigner;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #refreshMarginMs: number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryDelaySeconds: number;
  readonly #cache = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<CachedToken>>();
  readonly #warn: (message: string) => void;
  /** Set once a loopback call found no credentials: later calls go unsigned at once. */
  #unsigned = false;

  constructor(options: BrokerClientOptions) {
    this.#base = brokerBaseUrl(options.url);
    this.url = this.#base.href.replace(/\/$/, '');
    this.region = resolveRegion(this.#base, options.region, options.env ?? process.env);
    this.#signer = new RequestSigner({
      region: this.region,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#warn =
      options.warn ??
      ((message) => process.emitWarning(message, { code: 'BOX_TOKEN_BROKER_UNSIGNED' }));
    this.#refreshMarginMs =
      nonNegative(options.refreshMarginSeconds ?? 60, 'refreshMarginSeconds') * 1000;
    this.#timeoutMs = nonNegative(options.timeoutMs ?? 10_000, 'timeoutMs');
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 2));
    this.#maxRetryDelaySeconds = nonNegative(
      options.maxRetryDelaySeconds ?? 5,
      'maxRetryDelaySeconds',
    );
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
    if (dead !== undefined) this.#forgetBySha256(dead);
    const minTtlMs = (request.min_ttl ?? 0) * 1000;
    const cached = this.#usable(this.#cache.get(key), minTtlMs);
    if (cached !== undefined) return this.#present(cached);

    // A call that names a dead token never joins one that does not: that one may return it.
    const flight = dead === undefined ? key : `${key}\n${dead}`;
    let pending = this.#inFlight.get(flight);
    if (pending === undefined) {
      pending = this.#fetchToken(request, options.deadToken).finally(() =>
        this.#inFlight.delete(flight),
      );
      this.#inFlight.set(flight, pending);
    }
    const fetched = await pending;
    this.#cache.set(key, fetched);
    return this.#present(fetched);
  }

  /** Revokes a token at Box through the broker (which also drops it from its cache) and forgets it here. */
  async revoke(accessToken: string): Promise<void> {
    this.forget(accessToken);
    const answer = await this.#call('POST', ROUTES.revoke, JSON.stringify({ token: accessToken }));
    parseRevokeResponse(answer);
  }

  /** The broker's health check (credentials readable, a Box token obtainable). */
  async health(): Promise<HealthResponse> {
    return parseHealthResponse(await this.#call('GET', ROUTES.health, undefined));
  }

  /** Drops a token from this client's cache (e.g. after Box answered 401 for it). */
  forget(accessToken: string): void {
    for (const [key, entry] of this.#cache) {
      if (entry.response.access_token === accessToken) this.#cache.delete(key);
    }
  }

  /** Drops every cached token. */
  clearCache(): void {
    this.#cache.clear();
  }

  async #fetchToken(request: TokenRequest, deadToken: string | undefined): Promise<CachedToken> {
    let answer: BrokerAnswer;
    try {
      answer = await this.#call('POST', ROUTES.token, JSON.stringify(request));
    } catch (error) {
      if (!(deadToken !== undefined && isLegacyDeadTokenRefusal(error))) throw error;
      // A v1.0 broker does not know dead_token_sha256: revoke the token instead (which evicts it
      // from the environment that served it), as clients did before v1.1, and ask again.
      const { dead_token_sha256: _dead, ...legacy } = request;
      await this.revoke(deadToken).catch(() => undefined);
      answer = await this.#call('POST', ROUTES.token, JSON.stringify(legacy));
    }
    const response = parseTokenResponse(answer);
    return { response, expiresAtMs: this.#now() + response.expires_in * 1000 };
  }

  #forgetBySha256(sha256: string): void {
    for (const [key, entry] of this.#cache) {
      if (tokenSha256(entry.response.access_token) === sha256) this.#cache.delete(key);
    }
  }

  #usable(entry: CachedToken | undefined, minTtlMs: number): CachedToken | undefined {
    if (entry === undefined) return undefined;
    const remaining = entry.expiresAtMs - this.#now();
    return remaining > this.#refreshMarginMs && remaining >= minTtlMs ? entry : undefined;
  }

  #present(entry: CachedToken): TokenResponse {
    const remaining = Math.max(0, Math.floor((entry.expiresAtMs - this.#now()) / 1000));
    return { ...entry.response, expires_in: remaining };
  }

  /** One signed call with retries for retryable failures; non-2xx answers become errors. */
  async #call(method: string, route: string, body: string | undefined): Promise<BrokerAnswer> {
    const url = new URL(`${this.#base.pathname.replace(/\/$/, '')}${route}`, this.#base);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.#send(await this.#prepare(method, url, body));
        if (answer.status >= 200 && answer.status < 300) return answer;
        throw errorFromAnswer(answer, this.#now());
      } catch (error) {
        const failure = asClientError(error);
        const wait = this.#retryDelayMs(failure, attempt);
        if (wait === undefined) throw failure;
        await this.#sleep(wait);
      }
    }
  }

  /** Signs the call; for a loopback broker without AWS credentials, sends it unsigned instead. */
  async #prepare(method: string, url: URL, body: string | undefined): Promise<SignedRequest> {
    if (this.#unsigned) return unsignedRequest(method, url, body);
    try {
      return await this.#signer.sign(method, url, body);
    } catch (error) {
      const noCredentials =
        error instanceof BrokerClientError && error.code === 'aws_credentials_unavailable';
      if (!noCredentials || !isLoopbackUrl(url)) throw error;
      this.#unsigned = true;
      this.#warn(
        `No AWS credentials found: calling the local broker at ${url.host} unsigned (it answers unsigned calls unless its IAM emulation is on).`,
      );
      return unsignedRequest(method, url, body);
    }
  }

  #retryDelayMs(error: BrokerClientError, attempt: number): number | undefined {
    if (!error.retryable || attempt >= this.#maxAttempts) return undefined;
    if (error.retryAfterSeconds !== undefined) {
      return error.retryAfterSeconds <= this.#maxRetryDelaySeconds
        ? error.retryAfterSeconds * 1000
        : undefined;
    }
    const exponential = BACKOFF_BASE_MS * 2 ** (attempt - 1);
    return Math.round(exponential * (0.5 + Math.random()));
  }

  async #send(request: SignedRequest): Promise<BrokerAnswer> {
    let response: Response;
    try {
      response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (
        error instanceof Error &&
        (error.name === 'TimeoutError' || error.name === 'AbortError')
      ) {
        throw new BrokerClientError(
          'timeout',
          `The broker did not answer within ${this.#timeoutMs} ms.`,
          { cause: error },
        );
      }
      throw new BrokerClientError(
        'network_error',
        `The broker at ${this.#base.host} could not be reached.`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Options of {@link getBoxToken}: where the broker is, who calls, and what to ask for. */
export interface GetBoxTokenOptions
  extends TokenOptions,
    Pick<BrokerClientOptions, 'region' | 'credentials' | 'profile'> {
  /** The API's invoke URL with its stage. @default BOX_TOKEN_BROKER_URL */
  url?: string | undefined;
}

const sharedClients = new Map<string, BrokerClient>();
const clientsByCredentials = new WeakMap<object, Map<string, BrokerClient>>();

/**
 * A Box token from the broker at `url`, signed with the default AWS credentials (or the given
 * ones), cached in memory until it nears expiry. Throws {@link BrokerClientError}.
 */
export async function getBoxToken(options: GetBoxTokenOptions = {}): Promise<TokenResponse> {
  const { url, region, credentials, profile, ...token } = options;
  const target = url ?? process.env.BOX_TOKEN_BROKER_URL;
  if (target === undefined || target === '') {
    throw new BrokerClientError('invalid_argument', 'Give url, or set BOX_TOKEN_BROKER_URL.');
  }
  const key = JSON.stringify([target, region ?? '', profile ?? '']);
  const registry = credentials === undefined ? sharedClients : registryFor(credentials as object);
  let client = registry.get(key);
  if (client === undefined) {
    client = new BrokerClient({
      url: target,
      ...(region === undefined ? {} : { region }),
      ...(credentials === undefined ? {} : { credentials }),
      ...(profile === undefined ? {} : { profile }),
    });
    registry.set(key, client);
  }
  return client.getToken(token);
}

function registryFor(credentials: object): Map<string, BrokerClient> {
  let registry = clientsByCredentials.get(credentials);
  if (registry === undefined) {
    registry = new Map();
    clientsByCredentials.set(credentials, registry);
  }
  return registry;
}

/** The stage URL: `…/prod`, tolerating a trailing slash or a pasted `…/prod/token`. */
function brokerBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BrokerClientError('invalid_argument', 'The broker URL is not an absolute URL.');
  }
  // Tokens travel in the response: plain http only to a broker on this machine.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackUrl(parsed))) {
    throw new BrokerClientError(
      'invalid_argument',
      'The broker URL must use https (http only for a loopback host).',
    );
  }
  if (
    parsed.search !== '' ||
    parsed.hash !== '' ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new BrokerClientError(
      'invalid_argument',
      'The broker URL must not carry a query, fragment or credentials.',
    );
  }
  const path = parsed.pathname.replace(/\/+$/, '').replace(new RegExp(`${ROUTES.token}$`), '');
  parsed.pathname = `${path}/`;
  return parsed;
}

/** A v1.0 broker's answer to a field it does not know: `Unknown field "dead_token_sha256"`. */
function isLegacyDeadTokenRefusal(error: unknown): boolean {
  return (
    error instanceof BrokerClientError &&
    error.code === 'invalid_request' &&
    error.message.includes('"dead_token_sha256"')
  );
}

function asClientError(error: unknown): BrokerClientError {
  if (error instanceof BrokerClientError) return error;
  return new BrokerClientError('unexpected_response', 'The broker call failed unexpectedly.', {
    cause: error,
  });
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new BrokerClientError('invalid_argument', `${name} must be a non-negative number.`);
  }
  return value;
}
