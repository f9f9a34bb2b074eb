/**
 * A Box OAuth simulator: a real HTTP server on loopback that answers like `api.box.com` for
 * `POST /oauth2/token` (Client Credentials Grant and token exchange), `POST /oauth2/revoke` and
 * `GET /2.0/users/me` (with `As-User`) and `GET /2.0/folders/0`, with Box's status codes, headers and exact error strings (BOX-OAUTH.md).
 * `npm start` and every integration test use it; tests program faults (429, 5xx, hangs, resets,
 * malformed bodies) and read back what it received.
 *
 * It serves several Box apps at once, each with its own client ID/secret, enterprise, service
 * account, scopes and a set of misconfigurations ({@link AppMisconfiguration}: not CCG, secret
 * reset, not authorised, not re-authorised, As-User off, user tokens off) that make it answer as
 * Box does for that setup mistake. Tokens are bound to the app that obtained them. The options of
 * {@link startBoxSimulator} describe the default app; {@link BoxSimulator.addApp} adds others.
 *
 * Where Box's behaviour is undocumented (marked "[gap]" below) the simulator picks a plausible
 * answer; tests should not treat those answers as Box's truth.
 *
 * Run it alone with `tsx local/box-simulator.ts` (env: `BOX_SIM_PORT`, `BOX_SIM_ENTERPRISE_ID`,
 * `BOX_SIM_CLIENT_ID`, `BOX_SIM_CLIENT_SECRET`, `BOX_SIM_MISCONFIGURATIONS`: a comma-separated
 * list of {@link AppMisconfiguration}s for the app); it prints its URL.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BOX_DOWNSCOPE_SCOPES,
  type BoxResourceScope,
  type BoxSubjectType,
} from '../lambda/contract.js';

/** `grant_type` of the Client Credentials Grant. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
/** `grant_type` of a token exchange (downscope). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The only `subject_token_type`, and the `issued_token_type` of a downscoped token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A client ID / secret pair the simulator accepts. */
export interface SimulatorCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * `false` models an app whose authentication method is not Client Credentials Grant (JWT,
   * OAuth 2.0): Box refuses `grant_type=client_credentials` for it with `invalid_request` "The
   * grant type is unauthorized for this client_id.". @default true
   */
  clientCredentialsGrant?: boolean;
}

/** Defaults of {@link BoxSimulatorOptions}; fake values, safe to commit. */
export const SIMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  enterpriseId: '1234567',
  clientId: 'box-sim-client-id',
  clientSecret: 'box-sim-client-secret',
  serviceAccountUserId: '31000001',
  /** Box's observed CCG lifetimes are a little above an hour (3992, 4102). */
  tokenLifetimeSeconds: 3992,
  /** Box's downscope sample shows 4175. */
  downscopedTokenLifetimeSeconds: 4175,
} as const;

/** Box's exact `error_description` strings (BOX-OAUTH.md §3). */
export const BOX_ERROR_DESCRIPTIONS = {
  invalidRequest: 'Invalid grant_type parameter or parameter missing',
  invalidClient: 'The client credentials are invalid',
  invalidGrant: 'Grant credentials are invalid',
  subjectTypeUnauthorized: 'The "box_subject_type" value is unauthorized for this client_id',
  appNotAuthorized: 'This app is not authorized by the enterprise admin',
  grantTypeUnauthorized: 'The grant type is unauthorized for this client_id',
  /** The same refusal as Box lists it under `invalid_request` (developer.box.com PR #902). */
  grantTypeUnauthorizedForClient: 'The grant type is unauthorized for this client_id.',
  invalidResource: 'The target resource is invalid.',
  /** The `WWW-Authenticate` description of a 403 `insufficient_scope` API answer (observed). */
  insufficientScope: 'The request requires higher privileges than provided by the access token.',
} as const;

/**
 * A setup mistake of one Box app, switched on per app; each makes the simulator answer exactly as
 * BOX-OAUTH.md records Box answering it.
 * - `not_ccg`: the app does not use Server Authentication (Client Credentials Grant):
 *   `client_credentials` is answered `invalid_request` "The grant type is unauthorized for this
 *   client_id." (§3; PR #902 lists it under `invalid_request`).
 * - `secret_reset`: the client secret was reset in the Developer Console, so the old one is
 *   answered `invalid_client` (§3).
 * - `not_authorized`: never authorised in the Admin Console: `unauthorized_client` "This app is not
 *   authorized by the enterprise admin" (§3, boxcli#154).
 * - `not_reauthorized`: changed after authorisation and not re-authorised: `invalid_grant` "Grant
 *   credentials are invalid" (§3, §8.1), for every subject.
 * - `as_user_off`: "Perform Actions as Users" off: an `As-User` API call is a 403 with
 *   `WWW-Authenticate: … error="insufficient_scope"` (observed, support posts 360049157874,
 *   26735203602323; box-python-sdk#243).
 * - `user_tokens_off`: "Generate user access tokens" off: `box_subject_type=user` is `invalid_grant`
 *   (§1, §8.1).
 *
 * A missing scope is modelled by the app's `scopes`; a wrong enterprise ID needs no switch (any
 * other enterprise is `invalid_grant`).
 */
export type AppMisconfiguration =
  | 'not_ccg'
  | 'secret_reset'
  | 'not_authorized'
  | 'not_reauthorized'
  | 'as_user_off'
  | 'user_tokens_off';

/** Every {@link AppMisconfiguration}, for tests that walk them all. */
export const APP_MISCONFIGURATIONS: readonly AppMisconfiguration[] = [
  'not_ccg',
  'secret_reset',
  'not_authorized',
  'not_reauthorized',
  'as_user_off',
  'user_tokens_off',
];

/** Scopes that let the service account read the root folder ("Read all files and folders"). */
const ROOT_READ_SCOPES = ['root_readonly', 'root_readwrite'];

/** A further Box app the simulator serves ({@link BoxSimulator.addApp}). */
export interface SimulatorAppOptions {
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
  /** @default a unique ID per app */
  serviceAccountUserId?: string;
  /** The app's configured scopes. @default every scope in BOX_DOWNSCOPE_SCOPES */
  scopes?: readonly string[];
  /** Setup mistakes this app has. @default none: a correctly set-up app */
  misconfigurations?: readonly AppMisconfiguration[];
}

/** One app's live configuration; changes apply to the next request. */
export interface SimulatorApp {
  readonly enterpriseId: string;
  readonly serviceAccountUserId: string;
  /** Switches misconfigurations on (adds to the set). */
  misconfigure(...misconfigurations: AppMisconfiguration[]): void;
  /** Replaces the set of misconfigurations (`[]` = a correct app). */
  setMisconfigurations(misconfigurations: readonly AppMisconfiguration[]): void;
  /** The misconfigurations switched on. */
  misconfigurations(): readonly AppMisconfiguration[];
  /** Replaces the app's scopes. */
  setScopes(scopes: readonly string[]): void;
}

interface AppState extends SimulatorApp {
  credentials: SimulatorCredentials[];
  scopes: readonly string[];
  /** "Generate user access tokens": any user, only these IDs, or none. */
  userSubjects: boolean | readonly string[];
  broken: Set<AppMisconfiguration>;
}

function appState(fields: {
  credentials: SimulatorCredentials[];
  enterpriseId: string;
  serviceAccountUserId: string;
  scopes: readonly string[];
  userSubjects: boolean | readonly string[];
  misconfigurations: readonly AppMisconfiguration[];
}): AppState {
  const state: AppState = {
    credentials: fields.credentials,
    enterpriseId: fields.enterpriseId,
    serviceAccountUserId: fields.serviceAccountUserId,
    scopes: fields.scopes,
    userSubjects: fields.userSubjects,
    broken: new Set(fields.misconfigurations),
    misconfigure(...misconfigurations) {
      for (const m of misconfigurations) state.broken.add(m);
    },
    setMisconfigurations(misconfigurations) {
      state.broken = new Set(misconfigurations);
    },
    misconfigurations() {
      return [...state.broken];
    },
    setScopes(scopes) {
      state.scopes = [...scopes];
    },
  };
  return state;
}

export interface BoxSimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** The enterprise whose service account `box_subject_type=enterprise` gets. @default '1234567' */
  enterpriseId?: string;
  /** Accepted client credentials; several pairs model a rotation window. @default one demo pair */
  credentials?: readonly SimulatorCredentials[];
  /**
   * Whether `box_subject_type=user` is allowed ("Generate user access tokens"): `true` for any
   * user ID, a list for those IDs only. @default false
   */
  allowUserSubjects?: boolean | readonly string[];
  /** `expires_in` of CCG tokens. @default 3992 */
  tokenLifetimeSeconds?: number;
  /** `expires_in` of downscoped tokens. @default 4175 */
  downscopedTokenLifetimeSeconds?: number;
  /**
   * Scopes a CCG token holds (the app's configured scopes); downscoping to others is a 401.
   * @default every scope in BOX_DOWNSCOPE_SCOPES
   */
  appScopes?: readonly string[];
  /** User ID `GET /2.0/users/me` reports for the service account. @default '31000001' */
  serviceAccountUserId?: string;
  /** Millisecond clock deciding token expiry. @default Date.now */
  now?: () => number;
  /**
   * Answer 200s without `token_type`: Box's OpenAPI schema does not require it and a Box doc
   * sample omits it. @default false
   */
  omitTokenType?: boolean;
}

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** Exact request path. @default any path under `/oauth2/` */
  path?: string;
  /** Only requests with this `grant_type` form field (token endpoint). */
  grantType?: string;
  /**
   * Only requests whose `client_id` form field is this: one app's (one tenant's) Box misbehaves
   * while the others' answer normally.
   */
  clientId?: string;
}

/** Named ways to break a 200 token body. */
export type MalformedTokenBody =
  | 'not_json'
  | 'not_object'
  | 'missing_access_token'
  | 'empty_access_token'
  | 'string_expires_in'
  | 'zero_expires_in'
  | 'other_token_type'
  | 'restricted_to_not_array';

/**
 * A programmed misbehaviour, consumed by the first matching request (queue order).
 * - `rate_limit`: 429 with `retry-after` (seconds, or any string such as an HTTP-date) and Box's
 *   `rate_limit_exceeded` ClientError body.
 * - `server_error`: a 5xx (default 503), optionally with `retry-after`.
 * - `oauth_error`: a Box OAuth error answer (default 400), e.g. `unauthorized_client`.
 * - `malformed`: 200 with a broken token body.
 * - `response`: any raw answer (e.g. a 302).
 * - `hang`: never answer (until {@link BoxSimulator.close}).
 * - `reset`: reset the connection (TCP RST) after reading the request.
 * - `delay`: answer normally after `ms`.
 */
export type BoxFault = FaultMatch &
  (
    | { kind: 'rate_limit'; retryAfter?: number | string }
    | { kind: 'server_error'; status?: number; retryAfter?: number | string }
    | { kind: 'oauth_error'; status?: number; error: string; description: string }
    | { kind: 'malformed'; body: MalformedTokenBody }
    | { kind: 'response'; status: number; headers?: Record<string, string>; body?: string }
    | { kind: 'hang' }
    | { kind: 'reset' }
    | { kind: 'delay'; ms: number }
  );

/** A request the simulator received. Held in memory only; it may contain secrets and tokens. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Raw query string, including the `?`, or ''. */
  query: string;
  contentType: string | undefined;
  /** Parsed url-encoded body; empty unless the body was `application/x-www-form-urlencoded`. */
  form: Readonly<Record<string, string>>;
  /** Whether an `Authorization` header was sent (its value is not kept). */
  hasAuthorization: boolean;
  /** The `User-Agent` header, when sent. */
  userAgent: string | undefined;
  /** The fault that answered it, if any. */
  fault: BoxFault['kind'] | undefined;
  receivedAt: number;
}

/** A token the simulator issued. */
export interface IssuedToken {
  accessToken: string;
  kind: 'ccg' | 'downscoped';
  subjectType: BoxSubjectType;
  subjectId: string;
  /** The client that obtained the CCG token (the parent's, for a downscoped token). */
  clientId: string;
  scopes: readonly string[];
  resource?: string;
  sharedLink?: string;
  /** The token it was exchanged from. */
  parentToken?: string;
  /** The enterprise of the app that obtained it. */
  enterpriseId: string;
  expiresInSeconds: number;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

interface SimAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };
const MAX_BODY_BYTES = 64 * 1024;
const RESOURCE_URL = /^https:\/\/api\.box\.com\/2\.0\/(files|folders)\/(\d+)$/;
const SHARED_LINK_URL = /^https:\/\/([a-z0-9-]+\.)*box\.com\/(s|v)\/[A-Za-z0-9_-]+$/i;
const DIGITS = /^\d+$/;
const OTHER_GRANTS = new Set([
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);
const KNOWN_SCOPES: ReadonlySet<string> = new Set(BOX_DOWNSCOPE_SCOPES);

function json(status: number, body: unknown, headers: Record<string, string> = {}): SimAnswer {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function oauthError(status: number, error: string, description: string): SimAnswer {
  return json(status, { error, error_description: description });
}

/** Box's `ClientError` shape, used by the API and (we assume) by 429/5xx on the token endpoint. */
function clientError(status: number, code: string, message: string): SimAnswer {
  return json(status, {
    type: 'error',
    status,
    code,
    help_url: 'http://developers.box.com/docs/#errors',
    message,
    request_id: randomToken(12),
  });
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An opaque, Box-looking token: 32 random alphanumerics. */
function randomToken(length = 32): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return token;
}

function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => done(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString()));
    req.on('error', fail);
  });
}

/**
 * The running simulator. Create it with {@link startBoxSimulator}; always `close()` it.
 */
export class BoxSimulator {
  /** Origin to use as the broker's `BOX_API_URL`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  readonly enterpriseId: string;

  readonly #server: Server;
  readonly #now: () => number;
  readonly #tokenLifetime: number;
  readonly #downscopedLifetime: number;
  readonly #defaultApp: AppState;
  readonly #apps: AppState[];
  #restrictedToOverride: BoxResourceScope[] | undefined;
  #omitTokenType: boolean;
  #faults: BoxFault[] = [];
  #requests: RecordedRequest[] = [];
  #tokens = new Map<string, IssuedToken>();
  #timers = new Set<NodeJS.Timeout>();
  #closed: Promise<void> | undefined;

  /** @internal use {@link startBoxSimulator}. */
  constructor(server: Server, options: BoxSimulatorOptions) {
    const address = server.address() as AddressInfo;
    this.#server = server;
    this.port = address.port;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    this.enterpriseId = options.enterpriseId ?? SIMULATOR_DEFAULTS.enterpriseId;
    this.#now = options.now ?? Date.now;
    this.#tokenLifetime = options.tokenLifetimeSeconds ?? SIMULATOR_DEFAULTS.tokenLifetimeSeconds;
    this.#downscopedLifetime =
      options.downscopedTokenLifetimeSeconds ?? SIMULATOR_DEFAULTS.downscopedTokenLifetimeSeconds;
    this.#defaultApp = appState({
      credentials: [
        ...(options.credentials ?? [
          { clientId: SIMULATOR_DEFAULTS.clientId, clientSecret: SIMULATOR_DEFAULTS.clientSecret },
        ]),
      ],
      enterpriseId: this.enterpriseId,
      serviceAccountUserId: options.serviceAccountUserId ?? SIMULATOR_DEFAULTS.serviceAccountUserId,
      scopes: options.appScopes ?? BOX_DOWNSCOPE_SCOPES,
      userSubjects: options.allowUserSubjects ?? false,
      misconfigurations: [],
    });
    this.#apps = [this.#defaultApp];
    this.#omitTokenType = options.omitTokenType ?? false;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        // A simulator bug must be visible to the test as a failure, not as a hang.
        if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
        res.end(JSON.stringify({ error: 'simulator_error' }));
      });
    });
  }

  // ---- configuration at runtime -------------------------------------------------------------

  /** Replaces the accepted client credentials (secret rotation). Issued tokens stay valid [gap]. */
  setCredentials(credentials: readonly SimulatorCredentials[]): void {
    this.#defaultApp.credentials = [...credentials];
  }

  /** Changes whether user subjects are allowed ("Generate user access tokens"). */
  setAllowUserSubjects(allow: boolean | readonly string[]): void {
    this.#defaultApp.userSubjects = allow;
  }

  /** Changes the scopes new CCG tokens hold. */
  setAppScopes(scopes: readonly string[]): void {
    this.#defaultApp.setScopes(scopes);
  }

  /** The default app (the one the constructor options describe). */
  get defaultApp(): SimulatorApp {
    return this.#defaultApp;
  }

  /**
   * Serves one more Box app (another customer's enterprise, say). It allows user subjects and
   * As-User unless misconfigured. A client ID already served is refused: tokens are bound to their
   * app, so two apps must not share one.
   */
  addApp(options: SimulatorAppOptions): SimulatorApp {
    if (this.#appFor(options.clientId) !== undefined) {
      throw new Error('The Box simulator already serves an app with this client ID.');
    }
    const app = appState({
      credentials: [{ clientId: options.clientId, clientSecret: options.clientSecret }],
      enterpriseId: options.enterpriseId,
      serviceAccountUserId:
        options.serviceAccountUserId ??
        String(Number(SIMULATOR_DEFAULTS.serviceAccountUserId) + this.#apps.length),
      scopes: options.scopes ?? BOX_DOWNSCOPE_SCOPES,
      userSubjects: true,
      misconfigurations: options.misconfigurations ?? [],
    });
    this.#apps.push(app);
    return app;
  }

  /** The app with this client ID, if served. */
  app(clientId: string): SimulatorApp | undefined {
    return this.#appFor(clientId);
  }

  /**
   * Makes every successful token exchange answer with this `restricted_to` instead of one that
   * matches the request (a Box answer that does not match); `undefined` restores normal answers.
   */
  overrideRestrictedTo(restrictedTo: BoxResourceScope[] | undefined): void {
    this.#restrictedToOverride = restrictedTo;
  }

  /** Changes whether 200 token answers carry `token_type` (see {@link BoxSimulatorOptions}). */
  setOmitTokenType(omit: boolean): void {
    this.#omitTokenType = omit;
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Queues faults; each answers one matching request, in order. */
  injectFaults(...faults: BoxFault[]): void {
    this.#faults.push(...faults);
  }

  /** Queues the same fault for the next `times` matching requests. */
  injectFault(fault: BoxFault, times = 1): void {
    for (let i = 0; i < times; i += 1) this.#faults.push(fault);
  }

  /** Faults not yet consumed. */
  get pendingFaults(): number {
    return this.#faults.length;
  }

  // ---- observation ---------------------------------------------------------------------------

  /** Every request received, oldest first (memory only: it holds client secrets and tokens). */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Requests to `POST /oauth2/token`, optionally only those with this `grant_type`. */
  tokenCallCount(grantType?: string): number {
    return this.#requests.filter(
      (r) =>
        r.path === '/oauth2/token' && (grantType === undefined || r.form.grant_type === grantType),
    ).length;
  }

  /** Requests to `/oauth2/revoke`. */
  revokeCallCount(): number {
    return this.#requests.filter((r) => r.path === '/oauth2/revoke').length;
  }

  /** Every token issued, oldest first. */
  issuedTokens(): readonly IssuedToken[] {
    return [...this.#tokens.values()];
  }

  /** Whether `accessToken` was issued here and is neither expired nor revoked. */
  isTokenActive(accessToken: string): boolean {
    return this.#activeToken(accessToken) !== undefined;
  }

  /** Revokes every issued token, as if Box invalidated them all. */
  revokeAllTokens(): void {
    for (const token of this.#tokens.values()) token.revoked = true;
  }

  /** Forgets requests, faults, issued tokens and the `restricted_to` override. */
  reset(): void {
    this.#faults = [];
    this.#requests = [];
    this.#tokens.clear();
    this.#restrictedToOverride = undefined;
  }

  /** Stops the server, dropping hung and idle connections. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#closed = new Promise((done) => {
        this.#server.close(() => done());
        this.#server.closeAllConnections();
      });
    }
    return this.#closed;
  }

  // ---- request handling ----------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'];
    const body = await readBody(req);
    if (body === undefined) {
      this.#send(res, clientError(413, 'request_too_large', 'Request body too large'));
      return;
    }
    const form = isForm(contentType) ? Object.fromEntries(new URLSearchParams(body)) : {};
    const fault = this.#takeFault(url.pathname, form.grant_type, form.client_id);
    this.#requests.push({
      method,
      path: url.pathname,
      query: url.search,
      contentType,
      form,
      hasAuthorization: req.headers.authorization !== undefined,
      userAgent: req.headers['user-agent'],
      fault: fault?.kind,
      receivedAt: this.#now(),
    });

    if (fault !== undefined) {
      switch (fault.kind) {
        case 'hang':
          return; // close() ends the connection
        case 'reset':
          req.socket.resetAndDestroy();
          return;
        case 'delay':
          await new Promise<void>((done) => {
            const timer = setTimeout(() => {
              this.#timers.delete(timer);
              done();
            }, fault.ms);
            this.#timers.add(timer);
          });
          if (this.#closed !== undefined) return;
          break;
        default:
          this.#send(res, this.#faultAnswer(fault));
          return;
      }
    }
    this.#send(res, this.#route(method, url.pathname, contentType, form, req));
  }

  #takeFault(
    path: string,
    grantType: string | undefined,
    clientId: string | undefined,
  ): BoxFault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (f.path === undefined ? path.startsWith('/oauth2/') : f.path === path) &&
        (f.grantType === undefined || f.grantType === grantType) &&
        (f.clientId === undefined || f.clientId === clientId),
    );
    if (index === -1) return undefined;
    return this.#faults.splice(index, 1)[0];
  }

  #faultAnswer(fault: Exclude<BoxFault, { kind: 'hang' | 'reset' | 'delay' }>): SimAnswer {
    switch (fault.kind) {
      case 'rate_limit': {
        const answer = clientError(
          429,
          'rate_limit_exceeded',
          'Request rate limit exceeded, please try again later',
        );
        answer.headers['retry-after'] = String(fault.retryAfter ?? 1);
        return answer;
      }
      case 'server_error': {
        const status = fault.status ?? 503;
        const codes: Record<number, string> = {
          500: 'internal_server_error',
          502: 'bad_gateway',
          503: 'unavailable',
          504: 'gateway_timeout',
        };
        const answer = clientError(status, codes[status] ?? 'internal_server_error', 'Unavailable');
        if (fault.retryAfter !== undefined)
          answer.headers['retry-after'] = String(fault.retryAfter);
        return answer;
      }
      case 'oauth_error':
        return oauthError(fault.status ?? 400, fault.error, fault.description);
      case 'malformed':
        return malformedTokenAnswer(fault.body, this.#tokenLifetime);
      case 'response':
        return { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' };
    }
  }

  #route(
    method: string,
    path: string,
    contentType: string | undefined,
    form: Record<string, string>,
    req: IncomingMessage,
  ): SimAnswer {
    if (path === '/oauth2/token' || path === '/oauth2/revoke') {
      // Box answers a GET, a query string, multipart or JSON with this very error (observed).
      if (method !== 'POST' || !isForm(contentType)) {
        return oauthError(400, 'invalid_request', BOX_ERROR_DESCRIPTIONS.invalidRequest);
      }
      return path === '/oauth2/token' ? this.#token(form) : this.#revoke(form);
    }
    if (path === '/2.0/users/me') {
      if (method !== 'GET') return clientError(405, 'method_not_allowed', 'Method Not Allowed');
      return this.#api(req, (token, actingUserId) => this.#usersMe(token, actingUserId));
    }
    const folder = /^\/2\.0\/folders\/(\d+)$/.exec(path);
    if (folder !== null) {
      if (method !== 'GET') return clientError(405, 'method_not_allowed', 'Method Not Allowed');
      return this.#api(req, (token) => this.#folder(token, folder[1] ?? ''));
    }
    return clientError(404, 'not_found', `The Box simulator has no route ${method} ${path}`);
  }

  #token(form: Record<string, string>): SimAnswer {
    const grantType = form.grant_type;
    if (grantType === CLIENT_CREDENTIALS_GRANT) return this.#clientCredentials(form);
    if (grantType === TOKEN_EXCHANGE_GRANT) return this.#exchange(form);
    if (grantType !== undefined && OTHER_GRANTS.has(grantType)) {
      return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized);
    }
    return oauthError(400, 'invalid_request', BOX_ERROR_DESCRIPTIONS.invalidRequest);
  }

  #appFor(clientId: string | undefined): AppState | undefined {
    return this.#apps.find((app) => app.credentials.some((c) => c.clientId === clientId));
  }

  /** The app whose client ID and secret these are (a reset secret is no longer accepted). */
  #acceptedApp(form: Record<string, string>): AppState | undefined {
    const app = this.#appFor(form.client_id);
    if (app === undefined || app.broken.has('secret_reset')) return undefined;
    const match = app.credentials.some(
      (c) => c.clientId === form.client_id && c.clientSecret === form.client_secret,
    );
    return match ? app : undefined;
  }

  #clientCredentials(form: Record<string, string>): SimAnswer {
    const invalidClient = oauthError(400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient);
    // [gap] The order in which Box checks the app's auth method, secret and authorisation is not
    // documented. An app switched to `not_ccg` is refused before its secret is looked at; an app
    // whose credentials say `clientCredentialsGrant: false` only once the secret matched.
    if (this.#appFor(form.client_id)?.broken.has('not_ccg') === true) {
      return oauthError(
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorizedForClient,
      );
    }
    const app = this.#acceptedApp(form);
    if (app === undefined) return invalidClient;
    const notCcg = app.credentials.some(
      (c) =>
        c.clientId === form.client_id &&
        c.clientSecret === form.client_secret &&
        c.clientCredentialsGrant === false,
    );
    if (notCcg) {
      return oauthError(
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorizedForClient,
      );
    }
    const subjectType = form.box_subject_type;
    const subjectId = form.box_subject_id;
    // Box answers missing subject fields with invalid_client, not invalid_request (observed).
    if (subjectType === undefined || subjectId === undefined || subjectId === '') {
      return invalidClient;
    }
    if (app.broken.has('not_authorized')) {
      return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.appNotAuthorized);
    }
    const invalidGrant = oauthError(400, 'invalid_grant', BOX_ERROR_DESCRIPTIONS.invalidGrant);
    if (app.broken.has('not_reauthorized')) return invalidGrant;
    if (subjectType === 'enterprise') {
      if (subjectId !== app.enterpriseId) return invalidGrant;
    } else if (subjectType === 'user') {
      const allow = app.broken.has('user_tokens_off') ? false : app.userSubjects;
      const allowed = allow === true || (Array.isArray(allow) && allow.includes(subjectId));
      // The service account's own ID is not a user subject (observed, box-windows-sdk-v2#879).
      if (!allowed || !DIGITS.test(subjectId) || subjectId === app.serviceAccountUserId) {
        return invalidGrant;
      }
    } else {
      return oauthError(400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.subjectTypeUnauthorized);
    }
    const token = this.#issue({
      kind: 'ccg',
      subjectType,
      subjectId,
      clientId: form.client_id ?? '',
      enterpriseId: app.enterpriseId,
      scopes: app.scopes,
      expiresInSeconds: this.#tokenLifetime,
    });
    return json(200, {
      access_token: token.accessToken,
      expires_in: token.expiresInSeconds,
      restricted_to: [],
      ...this.#tokenType(),
    });
  }

  #exchange(form: Record<string, string>): SimAnswer {
    if (form.subject_token_type !== ACCESS_TOKEN_TYPE) {
      return oauthError(400, 'invalid_request', 'Invalid subject_token_type'); // [gap]
    }
    const parent = this.#activeToken(form.subject_token ?? '');
    if (parent === undefined) {
      return oauthError(400, 'invalid_grant', 'The subject token is invalid or expired'); // [gap]
    }
    const scopes = (form.scope ?? '').split(' ').filter((s) => s !== '');
    if (scopes.length === 0) {
      return oauthError(400, 'invalid_request', 'The scope parameter is missing'); // [gap]
    }
    if (scopes.some((s) => !KNOWN_SCOPES.has(s))) {
      return oauthError(400, 'invalid_scope', 'The requested scope is invalid'); // [gap]
    }
    const { resource, box_shared_link: sharedLink } = form;
    if (resource !== undefined && sharedLink !== undefined) {
      return oauthError(400, 'invalid_request', 'Cannot specify both resource and box_shared_link'); // [gap]
    }
    const invalidResource = oauthError(
      400,
      'invalid_resource',
      BOX_ERROR_DESCRIPTIONS.invalidResource,
    );
    const item = resource === undefined ? undefined : RESOURCE_URL.exec(resource);
    if (item === null) return invalidResource;
    if (sharedLink !== undefined && !SHARED_LINK_URL.test(sharedLink)) return invalidResource;
    if (scopes.some((s) => !parent.scopes.includes(s))) {
      // Box documents only the 401 status for scopes the subject token lacks [gap: body].
      return oauthError(
        401,
        'insufficient_scope',
        'The subject token does not hold the requested scopes',
      );
    }
    const token = this.#issue({
      kind: 'downscoped',
      subjectType: parent.subjectType,
      subjectId: parent.subjectId,
      clientId: parent.clientId,
      enterpriseId: parent.enterpriseId,
      scopes,
      parentToken: parent.accessToken,
      expiresInSeconds: this.#downscopedLifetime,
      ...(resource === undefined ? {} : { resource }),
      ...(sharedLink === undefined ? {} : { sharedLink }),
    });
    const object =
      item === undefined
        ? undefined
        : {
            type: item[1] === 'files' ? 'file' : 'folder',
            id: item[2] ?? '',
            sequence_id: '0',
            etag: '0',
            name: `Simulated ${item[1] === 'files' ? 'file' : 'folder'} ${item[2] ?? ''}`,
          };
    const restrictedTo =
      this.#restrictedToOverride ??
      scopes.map((scope) => (object === undefined ? { scope } : { scope, object }));
    return json(200, {
      access_token: token.accessToken,
      expires_in: token.expiresInSeconds,
      ...this.#tokenType(),
      restricted_to: restrictedTo,
      issued_token_type: ACCESS_TOKEN_TYPE,
    });
  }

  #tokenType(): { token_type?: 'bearer' } {
    return this.#omitTokenType ? {} : { token_type: 'bearer' };
  }

  #revoke(form: Record<string, string>): SimAnswer {
    if (this.#acceptedApp(form) === undefined) {
      return oauthError(400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient);
    }
    const value = form.token;
    if (value === undefined || value === '') {
      return oauthError(400, 'invalid_request', 'Token parameter missing'); // [gap]
    }
    const token = this.#tokens.get(value);
    if (token !== undefined) token.revoked = true;
    // Box documents 200 with an empty body; unknown tokens are not an error (RFC 7009).
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
  }

  /**
   * An API call: the bearer must be an active token; an `As-User` header needs "Perform Actions as
   * Users" on the token's app, and may not name the service account itself (DOCS as-user.md).
   */
  #api(
    req: IncomingMessage,
    answer: (token: IssuedToken, actingUserId: string | undefined) => SimAnswer,
  ): SimAnswer {
    const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    const token = match?.[1] === undefined ? undefined : this.#activeToken(match[1]);
    if (token === undefined) {
      // Box's observed answer for a missing, invalid or expired bearer: 401, empty body.
      return {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
        },
        body: '',
      };
    }
    const asUser = req.headers['as-user'];
    if (asUser === undefined) return answer(token, undefined);
    const app = this.#appFor(token.clientId);
    if (app === undefined || app.broken.has('as_user_off') || token.subjectType !== 'enterprise') {
      return insufficientScope();
    }
    const userId = Array.isArray(asUser) ? asUser[0] : asUser;
    if (userId === undefined || !DIGITS.test(userId) || userId === app.serviceAccountUserId) {
      // [gap] Box's answer for an unusable As-User ID is not documented.
      return clientError(400, 'bad_request', 'The As-User header does not name a usable user');
    }
    return answer(token, userId);
  }

  #usersMe(token: IssuedToken, actingUserId: string | undefined): SimAnswer {
    const app = this.#appFor(token.clientId);
    const serviceAccountId = app?.serviceAccountUserId ?? SIMULATOR_DEFAULTS.serviceAccountUserId;
    const isServiceAccount = actingUserId === undefined && token.subjectType === 'enterprise';
    const id = isServiceAccount ? serviceAccountId : (actingUserId ?? token.subjectId);
    return json(200, {
      type: 'user',
      id,
      name: isServiceAccount ? 'Box Simulator Service Account' : `Simulated User ${id}`,
      login: isServiceAccount
        ? `AutomationUser_${id}@boxdevedition.com`
        : `user${id}@simulator.invalid`,
      status: 'active',
      enterprise: { type: 'enterprise', id: token.enterpriseId, name: 'Box Simulator' },
    });
  }

  /** `GET /2.0/folders/:id`: the root folder needs "Read all files and folders" (root_readonly). */
  #folder(token: IssuedToken, id: string): SimAnswer {
    if (id !== '0') return clientError(404, 'not_found', 'Not Found');
    if (!token.scopes.some((scope) => ROOT_READ_SCOPES.includes(scope))) return insufficientScope();
    return json(200, { type: 'folder', id: '0', etag: null, name: 'All Files' });
  }

  #issue(fields: Omit<IssuedToken, 'accessToken' | 'issuedAt' | 'expiresAt' | 'revoked'>) {
    const issuedAt = this.#now();
    const token: IssuedToken = {
      ...fields,
      accessToken: randomToken(),
      issuedAt,
      expiresAt: issuedAt + fields.expiresInSeconds * 1000,
      revoked: false,
    };
    this.#tokens.set(token.accessToken, token);
    return token;
  }

  #activeToken(accessToken: string): IssuedToken | undefined {
    const token = this.#tokens.get(accessToken);
    if (token === undefined || token.revoked || this.#now() >= token.expiresAt) return undefined;
    return token;
  }

  #send(res: ServerResponse, answer: SimAnswer): void {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
}

/** Box's 403 for a token lacking a scope or the As-User feature (observed): header, empty body. */
function insufficientScope(): SimAnswer {
  return {
    status: 403,
    headers: {
      'www-authenticate': `Bearer realm="Service", error="insufficient_scope", error_description="${BOX_ERROR_DESCRIPTIONS.insufficientScope}"`,
    },
    body: '',
  };
}

function malformedTokenAnswer(kind: MalformedTokenBody, lifetime: number): SimAnswer {
  const valid: Record<string, unknown> = {
    access_token: randomToken(),
    expires_in: lifetime,
    restricted_to: [],
    token_type: 'bearer',
  };
  switch (kind) {
    case 'not_json':
      return { status: 200, headers: JSON_HEADERS, body: '<html>Service Unavailable</html>' };
    case 'not_object':
      return json(200, [valid]);
    case 'missing_access_token':
      return json(200, { ...valid, access_token: undefined });
    case 'empty_access_token':
      return json(200, { ...valid, access_token: '' });
    case 'string_expires_in':
      return json(200, { ...valid, expires_in: String(lifetime) });
    case 'zero_expires_in':
      return json(200, { ...valid, expires_in: 0 });
    case 'other_token_type':
      return json(200, { ...valid, token_type: 'mac' });
    case 'restricted_to_not_array':
      return json(200, { ...valid, restricted_to: {} });
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
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? SIMULATOR_DEFAULTS.host, () => {
      server.off('error', fail);
      done();
    });
  });
  return new BoxSimulator(server, options);
}

async function main(): Promise<void> {
  const env = process.env;
  const clientId = env.BOX_SIM_CLIENT_ID ?? SIMULATOR_DEFAULTS.clientId;
  const sim = await startBoxSimulator({
    port: Number(env.BOX_SIM_PORT ?? 0),
    enterpriseId: env.BOX_SIM_ENTERPRISE_ID ?? SIMULATOR_DEFAULTS.enterpriseId,
    credentials: [
      { clientId, clientSecret: env.BOX_SIM_CLIENT_SECRET ?? SIMULATOR_DEFAULTS.clientSecret },
    ],
    allowUserSubjects: true,
  });
  const requested = (env.BOX_SIM_MISCONFIGURATIONS ?? '').split(',').filter((m) => m !== '');
  const known = (m: string): m is AppMisconfiguration =>
    (APP_MISCONFIGURATIONS as readonly string[]).includes(m);
  const unknown = requested.filter((m) => !known(m));
  if (unknown.length > 0) {
    console.error(`BOX_SIM_MISCONFIGURATIONS: unknown ${unknown.join(', ')}`);
    await sim.close();
    process.exit(2);
  }
  sim.defaultApp.setMisconfigurations(requested.filter(known));
  // The client secret is deliberately not printed, even a fake one.
  console.log(
    `Box simulator listening on ${sim.url} (enterprise ${sim.enterpriseId}, client ID ${clientId})`,
  );
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && resolve(invokedPath) === fileURLToPath(import.meta.url)) {
  void main();
}
