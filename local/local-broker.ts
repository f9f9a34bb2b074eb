import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../lambda/app.js';
import type { CredentialsSource } from '../lambda/broker/credentials.js';
import { loadTelemetryConfig } from '../lambda/config.js';
import { DEFAULT_TENANT, TENANT_ID_PATTERN } from '../lambda/contract.js';
import { API_ENTRY_STAGE_VARIABLE, ApiEntryKey } from '../lambda/http/api-entry-key.js';
import { buildRuntime, type RuntimeOverrides } from '../lambda/runtime.js';
import type { InvitationStore } from '../lambda/state/ports.js';
import { type LogSink, RequestLogger } from '../lambda/trace/request-logger.js';
import {
  type ApiHandler,
  apiGatewayListener,
  type LocalAuthenticator,
  lambdaContext,
} from './api-gateway-adapter.js';
import { type BoxSimulator, startBoxSimulator } from './box-simulator/index.js';
import { LocalTenantSecrets } from './local-tenant-secrets.js';
import { StaticCredentials } from './static-credentials.js';
import { formatPolicyReport, validatePolicyFile, validatePolicyText } from './validate-policy.js';

/** Where the local broker's Box credentials come from. */
export type LocalMode = 'secrets-manager' | 'environment' | 'simulator';

export interface LocalBrokerOptions {
  /** Environment to read (defaults to process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default 8787 (or PORT); 0 picks a free port */
  port?: number;
  /** @default 127.0.0.1: the local broker is never exposed beyond the machine */
  host?: string;
  /** Where request log lines go. @default stdout */
  sink?: LogSink;
  /** Verifies SigV4 locally; without it every request is the anonymous caller. */
  authenticate?: LocalAuthenticator;
  /**
   * Refuse to start with an invalid access policy. @default true; false serves it as the deployed
   * function would (every request `500 misconfigured`), for tests of that answer.
   */
  checkPolicy?: boolean;
  /** Hints for the person running the server (e.g. `?tenant=` without BOX_LOCAL_TENANTS). */
  hint?: (line: string) => void;
  /**
   * Onboarding invitations (tests). Without it, onboarding reads the fleet-state table
   * (BOX_STATE_TABLE) that `tenant invite` writes.
   */
  invitations?: InvitationStore;
  /** Fleet state's clients (tests point them at their own endpoints); default: the standard chain. */
  stateClients?: RuntimeOverrides['stateClients'];
}

/** Local mode cannot start as configured; the message says what to change. */
export class LocalStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStartError';
  }
}

export interface LocalBroker {
  url: string;
  mode: LocalMode;
  /** The built-in Box simulator, in `simulator` mode. */
  simulator: BoxSimulator | undefined;
  /** Simulated tenants (BOX_LOCAL_TENANTS), each with its own Box app in the simulator. */
  tenants: readonly LocalTenant[];
  /** Whether `/onboard` is served (BOX_STATE_TABLE and BOX_TENANT_SECRET_PREFIX set). */
  onboarding: boolean;
  /**
   * In simulator mode, the in-process tenant secrets: BOX_LOCAL_TENANTS and every tenant the
   * onboarding page stored. Undefined otherwise (tenants live in Secrets Manager).
   */
  tenantSecrets: LocalTenantSecrets | undefined;
  /** The handler as the server calls it (also usable directly, e.g. for direct invocations). */
  handler: ApiHandler;
  server: Server;
  close(): Promise<void>;
}

/** Credentials the built-in simulator accepts; they exist only on this machine. */
export const SIMULATOR_CREDENTIALS = {
  clientId: 'local-client-id',
  clientSecret: 'local-client-secret',
  enterpriseId: '1234567',
} as const;

/**
 * The simulated customer's Box app of local onboarding: what a newcomer types into the onboarding
 * page to connect a tenant. Exists only in the local simulator.
 */
export const LOCAL_CUSTOMER_APP = {
  clientId: 'local-customer-client-id',
  clientSecret: 'local-customer-client-secret',
  enterpriseId: '7654321',
} as const;

/** A simulated tenant of local mode: its own Box app (client ID, secret, enterprise). */
export interface LocalTenant {
  id: string;
  clientId: string;
  clientSecret: string;
  enterpriseId: string;
}

/**
 * Local mode's policy when BOX_LOCAL_TENANTS is set and no policy is: the default policy (any
 * caller, the enterprise token) for every tenant, simulated ones included.
 */
export const LOCAL_TENANTS_POLICY = {
  version: 1,
  rules: [{ id: 'local-tenants', callers: ['*'], tenants: ['*'], subjects: ['enterprise'] }],
} as const;

/**
 * The tenants BOX_LOCAL_TENANTS names (`acme,globex`): each gets its own simulated Box app with
 * made-up credentials and enterprise ID. Only in simulator mode.
 */
export function localTenants(
  env: Readonly<Record<string, string | undefined>>,
): readonly LocalTenant[] {
  const raw = env.BOX_LOCAL_TENANTS?.trim() ?? '';
  if (raw === '') return [];
  const ids = [...new Set(raw.split(',').map((id) => id.trim()))].filter((id) => id !== '');
  for (const id of ids) {
    if (!TENANT_ID_PATTERN.test(id) || id === DEFAULT_TENANT) {
      throw new Error(
        'BOX_LOCAL_TENANTS must list tenant IDs separated by commas (lowercase letters, digits ' +
          'and inner hyphens; `default` is the default tenant already).',
      );
    }
  }
  return ids.map((id, index) => ({
    id,
    clientId: `local-${id}-client-id`,
    clientSecret: `local-${id}-client-secret`,
    enterpriseId: String(Number(SIMULATOR_CREDENTIALS.enterpriseId) + 1000 * (index + 1)),
  }));
}

/**
 * Runs the Lambda handler behind node:http on loopback. Credentials come from Secrets Manager
 * (`BOX_CREDENTIALS_SECRET`), from `BOX_CLIENT_ID`/`BOX_CLIENT_SECRET`/`BOX_ENTERPRISE_ID`, or,
 * with neither, from a built-in Box simulator so everything works offline.
 */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const env = { ...(options.env ?? process.env) };
  const mode = localMode(env);
  const port = options.port ?? localPort(env);
  const tenants = localTenants(env);
  if (tenants.length > 0 && mode !== 'simulator') {
    throw new Error(
      'BOX_LOCAL_TENANTS serves simulated tenants only; with real credentials, name tenants ' +
        'through BOX_TENANT_SECRET_PREFIX (their secrets in Secrets Manager).',
    );
  }
  checkEnvironmentCredentials(env, mode);
  if (options.checkPolicy !== false) checkAccessPolicy(env);
  // As deployed: onboarding needs the tenants' prefix and the table `tenant invite` writes to.
  const onboarding =
    Boolean(env.BOX_TENANT_SECRET_PREFIX?.trim()) &&
    (options.invitations !== undefined || Boolean(env.BOX_STATE_TABLE?.trim()));
  let simulator: BoxSimulator | undefined;
  let credentials: CredentialsSource | undefined;
  let tenantSecrets: LocalTenantSecrets | undefined;
  if (mode === 'simulator') {
    simulator = await startBoxSimulator({
      enterpriseId: SIMULATOR_CREDENTIALS.enterpriseId,
      credentials: [
        {
          clientId: SIMULATOR_CREDENTIALS.clientId,
          clientSecret: SIMULATOR_CREDENTIALS.clientSecret,
        },
      ],
      allowUserSubjects: true,
    });
    env.BOX_API_URL = simulator.url;
    credentials = new StaticCredentials(SIMULATOR_CREDENTIALS);
    if (tenants.length > 0 || onboarding) tenantSecrets = new LocalTenantSecrets();
    for (const tenant of tenants) {
      simulator.addApp(tenant);
      tenantSecrets?.seed(tenant.id, tenant);
    }
    // The customer's Box app that local onboarding connects (docs/onboarding.md).
    if (onboarding) simulator.addApp(LOCAL_CUSTOMER_APP);
    if (
      (tenants.length > 0 || onboarding) &&
      !env.BOX_ACCESS_POLICY &&
      !env.BOX_ACCESS_POLICY_FILE
    ) {
      env.BOX_ACCESS_POLICY = JSON.stringify(LOCAL_TENANTS_POLICY);
    }
  } else if (mode === 'environment') {
    credentials = new StaticCredentials({
      clientId: env.BOX_CLIENT_ID ?? '',
      clientSecret: env.BOX_CLIENT_SECRET ?? '',
      enterpriseId: env.BOX_ENTERPRISE_ID ?? '',
    });
  }
  // Static credentials need no secret name; the config still validates everything else.
  env.BOX_CREDENTIALS_SECRET ??= 'local';
  const telemetry = loadTelemetryConfig(env);
  // As deployed: API Gateway's stage carries a random key, and the handler trusts an `api` event
  // only with it. Here the key lives for the process; whatever calls the handler directly
  // (invokeDirect, a test) without it is refused on the `api` entry, as in AWS.
  const entryKey = randomBytes(32).toString('base64url');
  const overrides: RuntimeOverrides = {
    ...(credentials === undefined ? {} : { credentials }),
    ...(tenantSecrets === undefined
      ? {}
      : {
          tenantCredentials: (tenant: string) => tenantSecrets.credentialsOf(tenant),
          tenantSecrets,
        }),
    ...(options.invitations === undefined ? {} : { invitations: options.invitations }),
    ...(options.stateClients === undefined ? {} : { stateClients: options.stateClients }),
  };
  const logger = new RequestLogger({
    namespace: telemetry.metricsNamespace,
    service: telemetry.serviceName,
    ...(options.sink === undefined ? {} : { sink: options.sink }),
  });
  const handler = createHandler({
    // As in Lambda: the lines of what runs beside the requests (health events) go to the log too.
    ...buildRuntime(env, { ...overrides, log: (event) => logger.writeEvent(event) }),
    logger,
    apiEntryKey: new ApiEntryKey(async () => entryKey),
  }) as unknown as ApiHandler;

  const served =
    options.hint === undefined || tenants.length > 0 || env.BOX_TENANT_SECRET_PREFIX
      ? handler
      : hintingUnknownTenants(handler, options.hint);
  const server = createServer(
    apiGatewayListener(served, options.authenticate, {
      stageVariables: { [API_ENTRY_STAGE_VARIABLE]: entryKey },
    }),
  );
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    await simulator?.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalStartError(
        `port ${port} on ${host} is already in use (another npm start?): stop that process, or set PORT to another port (PORT=0 picks a free one).`,
      );
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    mode,
    simulator,
    tenants,
    onboarding,
    tenantSecrets,
    handler,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await simulator?.close();
    },
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** PORT (default 8787): a whole number 0-65535, 0 for a free port. */
export function localPort(env: Env): number {
  const raw = env.PORT?.trim() || '8787';
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new LocalStartError(
      'PORT must be a port number from 0 to 65535 (0 picks a free port; the default is 8787).',
    );
  }
  return port;
}

const CREDENTIAL_VARIABLES = ['BOX_CLIENT_ID', 'BOX_CLIENT_SECRET', 'BOX_ENTERPRISE_ID'] as const;

/** In environment mode the three variables go together; name the ones missing. */
function checkEnvironmentCredentials(env: Env, mode: LocalMode): void {
  if (mode !== 'environment') return;
  const missing = CREDENTIAL_VARIABLES.filter((name) => !env[name]?.trim());
  if (missing.length === 0) return;
  throw new LocalStartError(
    `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set: BOX_CLIENT_ID, BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID go together (a Box app's client ID and secret, and its enterprise ID). Unset all three for the built-in Box simulator, or set BOX_CREDENTIALS_SECRET to read them from Secrets Manager.`,
  );
}

/**
 * The access policy, checked before the server starts: the function would answer every request
 * `500 misconfigured`; here the operator gets the validator's report (with line and column).
 */
function checkAccessPolicy(env: Env): void {
  const file = env.BOX_ACCESS_POLICY_FILE?.trim();
  const inline = env.BOX_ACCESS_POLICY?.trim();
  const [name, report] = file
    ? [`BOX_ACCESS_POLICY_FILE (${file})`, validatePolicyFile(file)]
    : inline
      ? ['BOX_ACCESS_POLICY', validatePolicyText(inline)]
      : [undefined, undefined];
  if (name === undefined || report === undefined || report.ok) return;
  const { err } = formatPolicyReport(name, report);
  throw new LocalStartError(
    `${err.join('\n')}\nFix the policy (check it with: npx box-token-broker validate-policy FILE), or unset the variable for the default policy.`,
  );
}

/**
 * Adds a hint for a request naming a tenant when local mode serves none: the default policy
 * denies it, and the person probably meant BOX_LOCAL_TENANTS.
 */
function hintingUnknownTenants(handler: ApiHandler, hint: (line: string) => void): ApiHandler {
  const hinted = new Set<string>();
  return async (event, context) => {
    const result = await handler(event, context);
    const tenant = tenantNamed(event);
    const status = (result as { statusCode?: number } | undefined)?.statusCode ?? 0;
    if (tenant !== undefined && tenant !== DEFAULT_TENANT && status >= 400 && !hinted.has(tenant)) {
      if (hinted.size < 100) hinted.add(tenant);
      // The tenant is the caller's text: shown only when it is a well-formed tenant ID.
      const id = TENANT_ID_PATTERN.test(tenant) ? tenant : undefined;
      hint(
        `hint: a request named ${id === undefined ? 'a tenant' : `tenant "${id}"`}, but this local broker serves only the default tenant. For simulated tenants restart with BOX_LOCAL_TENANTS=${id ?? 'acme'} (comma-separated IDs); see docs/tenants.md.`,
      );
    }
    return result;
  };
}

/** The `tenant` a token request names, in the query or the JSON body. */
function tenantNamed(event: APIGatewayProxyEvent): string | undefined {
  const fromQuery = event.queryStringParameters?.tenant;
  if (typeof fromQuery === 'string') return fromQuery;
  if (event.body === null || !event.body.includes('tenant')) return undefined;
  try {
    const body: unknown = JSON.parse(event.body);
    if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'tenant'))
      return undefined;
    const tenant = (body as { tenant?: unknown }).tenant;
    return typeof tenant === 'string' ? tenant : undefined;
  } catch {
    return undefined;
  }
}

function localMode(env: Readonly<Record<string, string | undefined>>): LocalMode {
  if (env.BOX_CREDENTIALS_SECRET) return 'secrets-manager';
  if (env.BOX_CLIENT_ID || env.BOX_CLIENT_SECRET || env.BOX_ENTERPRISE_ID) return 'environment';
  return 'simulator';
}

/**
 * Invokes the local handler the way `aws lambda invoke` would: the unqualified function, no API
 * Gateway around it, so the event is a token request whatever it looks like.
 */
export async function invokeDirect(broker: LocalBroker, event: unknown): Promise<unknown> {
  return broker.handler(
    event as APIGatewayProxyEvent,
    lambdaContext(`direct-${Date.now()}`, 'direct'),
  );
}
