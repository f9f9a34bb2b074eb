import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../lambda/app.js';
import type { CredentialsSource } from '../lambda/broker/credentials.js';
import { loadTelemetryConfig } from '../lambda/config.js';
import { TENANT_ID_PATTERN } from '../lambda/contract.js';
import { API_ENTRY_STAGE_VARIABLE, ApiEntryKey } from '../lambda/http/api-entry-key.js';
import { buildRuntime } from '../lambda/runtime.js';
import { type LogSink, RequestLogger } from '../lambda/trace/log-line.js';
import {
  type ApiHandler,
  apiGatewayListener,
  type LocalAuthenticator,
  lambdaContext,
} from './api-gateway-adapter.js';
import { type BoxSimulator, startBoxSimulator } from './box-simulator/index.js';
import { StaticCredentials } from './static-credentials.js';

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
}

export interface LocalBroker {
  url: string;
  mode: LocalMode;
  /** The built-in Box simulator, in `simulator` mode. */
  simulator: BoxSimulator | undefined;
  /** Simulated tenants (BOX_LOCAL_TENANTS), each with its own Box app in the simulator. */
  tenants: readonly LocalTenant[];
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
    if (!TENANT_ID_PATTERN.test(id) || id === 'default') {
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
  const tenants = localTenants(env);
  if (tenants.length > 0 && mode !== 'simulator') {
    throw new Error(
      'BOX_LOCAL_TENANTS serves simulated tenants only; with real credentials, name tenants ' +
        'through BOX_TENANT_SECRET_PREFIX (their secrets in Secrets Manager).',
    );
  }
  let simulator: BoxSimulator | undefined;
  let credentials: CredentialsSource | undefined;
  const tenantCredentials = new Map<string, CredentialsSource>();
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
    for (const tenant of tenants) {
      simulator.addApp(tenant);
      tenantCredentials.set(tenant.id, new StaticCredentials(tenant));
    }
    if (tenants.length > 0 && !env.BOX_ACCESS_POLICY && !env.BOX_ACCESS_POLICY_FILE) {
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
  const handler = createHandler({
    ...buildRuntime(env, {
      ...(credentials === undefined ? {} : { credentials }),
      ...(tenants.length === 0
        ? {}
        : { tenantCredentials: (tenant: string) => tenantCredentials.get(tenant) }),
    }),
    logger: new RequestLogger({
      namespace: telemetry.metricsNamespace,
      service: telemetry.serviceName,
      ...(options.sink === undefined ? {} : { sink: options.sink }),
    }),
    apiEntryKey: new ApiEntryKey(async () => entryKey),
  }) as unknown as ApiHandler;

  const server = createServer(
    apiGatewayListener(handler, options.authenticate, {
      stageVariables: { [API_ENTRY_STAGE_VARIABLE]: entryKey },
    }),
  );
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(env.PORT ?? 8787);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    mode,
    simulator,
    tenants,
    handler,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await simulator?.close();
    },
  };
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
