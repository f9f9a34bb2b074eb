/**
 * The simulator's public face: {@link startBoxSimulator} and the {@link BoxSimulator} handle
 * tests and `npm start` hold. It only delegates: apps to the registry, tokens to the store,
 * faults to the queue, HTTP and the request record to the server.
 */
import type { Server } from 'node:http';
import type { BoxResourceScope } from '../../lambda/contract.js';
import type { SimulatorApp, SimulatorAppOptions, SimulatorCredentials } from './apps.js';
import { SIMULATOR_DEFAULTS } from './constants.js';
import type { BoxFault } from './faults.js';
import type { RecordedRequest } from './requests.js';
import { listen, SimulatorServer } from './server.js';
import { type BoxSimulatorOptions, type SimulatorState, simulatorState } from './state.js';
import type { IssuedToken } from './tokens.js';

/**
 * The running simulator. Create it with {@link startBoxSimulator}; always `close()` it.
 */
export class BoxSimulator {
  /** Origin to use as the broker's `BOX_API_URL`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  readonly enterpriseId: string;
  readonly #state: SimulatorState;
  readonly #http: SimulatorServer;

  /** @internal use {@link startBoxSimulator}. */
  constructor(server: Server, options: BoxSimulatorOptions) {
    this.#state = simulatorState(options);
    this.#http = new SimulatorServer(server, this.#state, options.requestLogLimit);
    this.url = this.#http.url;
    this.port = this.#http.port;
    this.enterpriseId = this.#state.apps.defaultApp.enterpriseId;
  }

  /** Replaces the accepted client credentials (secret rotation). Issued tokens stay valid [gap]. */
  setCredentials(credentials: readonly SimulatorCredentials[]): void {
    this.#state.apps.defaultApp.credentials = [...credentials];
  }

  /** Changes whether user subjects are allowed ("Generate user access tokens"). */
  setAllowUserSubjects(allow: boolean | readonly string[]): void {
    this.#state.apps.defaultApp.userSubjects = allow;
  }

  /** Changes the scopes new CCG tokens hold. */
  setAppScopes(scopes: readonly string[]): void {
    this.#state.apps.defaultApp.setScopes(scopes);
  }

  /** The default app (the one the constructor options describe). */
  get defaultApp(): SimulatorApp {
    return this.#state.apps.defaultApp;
  }

  /**
   * Serves one more Box app (another customer's enterprise, say). It allows user subjects and
   * As-User unless misconfigured. A client ID already served is refused: tokens are bound to their
   * app, so two apps must not share one.
   */
  addApp(options: SimulatorAppOptions): SimulatorApp {
    return this.#state.apps.add(options);
  }

  /** The app with this client ID, if served. */
  app(clientId: string): SimulatorApp | undefined {
    return this.#state.apps.find(clientId);
  }

  /**
   * Makes every successful token exchange answer with this `restricted_to` instead of one that
   * matches the request (a Box answer that does not match); `undefined` restores normal answers.
   */
  overrideRestrictedTo(restrictedTo: BoxResourceScope[] | undefined): void {
    this.#state.settings.restrictedToOverride = restrictedTo;
  }

  /** Changes whether 200 token answers carry `token_type` (see {@link BoxSimulatorOptions}). */
  setOmitTokenType(omit: boolean): void {
    this.#state.settings.omitTokenType = omit;
  }

  /** Queues faults; each answers one matching request, in order. */
  injectFaults(...faults: BoxFault[]): void {
    this.#state.faults.push(...faults);
  }

  /** Queues the same fault for the next `times` matching requests. */
  injectFault(fault: BoxFault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.#state.faults.push(fault);
  }

  /** Faults not yet consumed. */
  get pendingFaults(): number {
    return this.#state.faults.pending;
  }

  /**
   * The last requests received, oldest first: at most `requestLogLimit` (default 1000), each form
   * value cut to 1 KiB. Memory only: it holds client secrets and tokens.
   */
  get requests(): readonly RecordedRequest[] {
    return this.#http.requests;
  }

  /** Requests to `POST /oauth2/token` ever received, optionally only with this `grant_type`. */
  tokenCallCount(grantType?: string): number {
    return this.#http.callCount('/oauth2/token', grantType);
  }

  /** Requests to `/oauth2/revoke` ever received. */
  revokeCallCount(): number {
    return this.#http.callCount('/oauth2/revoke');
  }

  /** Every token issued, oldest first. */
  issuedTokens(): readonly IssuedToken[] {
    return this.#state.tokens.list();
  }

  /** Whether `accessToken` was issued here and is neither expired nor revoked. */
  isTokenActive(accessToken: string): boolean {
    return this.#state.tokens.active(accessToken) !== undefined;
  }

  /** Revokes every issued token, as if Box invalidated them all. */
  revokeAllTokens(): void {
    this.#state.tokens.revokeAll();
  }

  /** Forgets requests, faults, issued tokens and the `restricted_to` override. */
  reset(): void {
    this.#state.faults.clear();
    this.#http.clearRequests();
    this.#state.tokens.clear();
    this.#state.settings.restrictedToOverride = undefined;
  }

  /** Stops the server, dropping hung and idle connections. Idempotent. */
  close(): Promise<void> {
    return this.#http.close();
  }
}

/**
 * Starts a simulator listening on `host:port` (default `127.0.0.1:0`).
 *
 * @example
 * const sim = await startBoxSimulator({ enterpriseId: '42', allowUserSubjects: ['7'] });
 * try { ... fetch(`${sim.url}/oauth2/token`, ...) ... } finally { await sim.close(); }
 */
export async function startBoxSimulator(options: BoxSimulatorOptions = {}): Promise<BoxSimulator> {
  const server = await listen(options.host ?? SIMULATOR_DEFAULTS.host, options.port ?? 0);
  return new BoxSimulator(server, options);
}
