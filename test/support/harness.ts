/**
 * Integration harness: the real handler (middy chain, broker, Box OAuth client) with Box
 * simulated over real HTTP on 127.0.0.1 and Secrets Manager faked by command on a real client.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, expect } from 'vitest';
import { createHandler } from '../../lambda/app.js';
import { buildRuntime, type RuntimeOverrides } from '../../lambda/runtime.js';
import { RequestLogger } from '../../lambda/trace/request-logger.js';
import {
  apiGatewayEvent,
  lambdaContext,
  localFunctionArn,
} from '../../local/api-gateway-adapter.js';
import {
  type BoxSimulator,
  type BoxSimulatorOptions,
  startBoxSimulator,
} from '../../local/box-simulator/index.js';
import type { FakeSecrets } from './fake-secrets.js';

export const ENTERPRISE_ID = '1234567';
export const CLIENT_ID = 'it-client-id';
export const SECRET_V1 = 'it-secret-version-one-S3CR3T';
export const SECRET_V2 = 'it-secret-version-two-S3CR3T';

/** The event an EventBridge schedule rule sends: the canary. */
export const SCHEDULED_EVENT = {
  version: '0',
  id: 'canary-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '999988887777',
  time: '2026-11-28T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:999988887777:rule/box-token-broker-canary'],
  detail: {},
};

/** A caller API Gateway authenticated with SigV4. */
export const ETL_ROLE_CALLER = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/etl-prod/session-1',
  accountId: '111122223333',
  principalOrgId: 'o-a1b2c3d4e5',
};

export interface HarnessOptions {
  env?: Record<string, string>;
  simulator?: BoxSimulatorOptions;
  /**
   * A Box simulator another harness started: a second execution environment of the same
   * deployment (same Box). It stays open when this harness closes.
   */
  sharedSimulator?: BoxSimulator;
  /** Back-off window after a failed refresh (the runtime's default otherwise). */
  backoffWindowMs?: number;
  /** Secret value served as AWSCURRENT. @default v1 credentials */
  secretString?: string;
  /**
   * Secrets Manager holding several secrets (tenants): when given, it answers every read instead
   * of the single default secret (put the default secret in it too if the test needs one).
   */
  secrets?: FakeSecrets;
  /** Tenants whose metrics also carry a `tenant` dimension (the logger's allow-list). */
  tenantMetrics?: readonly string[];
  /**
   * The fake clock, shared by harnesses that are environments of one deployment (fleet state).
   * @default a clock of its own
   */
  clock?: { now: number };
  /** More of the runtime's overrides (fleet state's stores or clients, health events'). */
  runtime?: Pick<
    RuntimeOverrides,
    'fleetState' | 'stateClients' | 'fleetSleep' | 'eventBridge' | 'healthStore' | 'healthPublisher'
  >;
}

export interface Harness {
  simulator: BoxSimulator;
  secretsManager: AwsClientStub<SecretsManagerClient>;
  logLines: string[];
  clock: { now: number };
  /** Milliseconds the Box client asked to wait between retries. */
  sleeps: number[];
  /** Calls the handler with an API Gateway REST event, through the `api` entry. */
  api(
    method: string,
    path: string,
    options?: { body?: string; query?: Record<string, string>; caller?: typeof ETL_ROLE_CALLER },
  ): Promise<ApiAnswer>;
  /**
   * Invokes the handler through the function ARN with `qualifier` (none: the unqualified
   * function, a direct invocation; `schedule`: the canary's entry); resolves the result or the
   * thrown error.
   */
  invoke(event: unknown, qualifier?: string): Promise<{ result?: unknown; error?: Error }>;
  /** Serves a new secret version (the console edit). */
  rotateSecret(versionId: string, secretString: string): void;
  /** Every client secret any served secret value held: none may ever appear in a log line. */
  clientSecretsServed(): string[];
  /** Serves the secret's stages: AWSCURRENT and (or no) AWSPREVIOUS. */
  setSecretStages(
    current: { versionId: string; secretString: string },
    previous?: { versionId: string; secretString: string },
  ): void;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  raw: APIGatewayProxyResult;
}

export function secretJson(clientSecret: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    clientId: CLIENT_ID,
    clientSecret,
    enterpriseId: ENTERPRISE_ID,
    ...overrides,
  });
}

let requestCounter = 0;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? { now: Date.UTC(2026, 10, 28, 12, 0, 0) };
  const now = () => clock.now;
  const simulator =
    options.sharedSimulator ??
    (await startBoxSimulator({
      enterpriseId: ENTERPRISE_ID,
      credentials: [{ clientId: CLIENT_ID, clientSecret: SECRET_V1 }],
      now,
      ...options.simulator,
    }));
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
  });
  const served = new Set<string>([SECRET_V1, SECRET_V2]);
  const serve = (secretString: string) => {
    const clientSecret = (JSON.parse(secretString) as { clientSecret?: unknown }).clientSecret;
    if (typeof clientSecret === 'string') served.add(clientSecret);
    return secretString;
  };
  const secretsManager = mockClient(client);
  if (options.secrets === undefined) {
    secretsManager.on(GetSecretValueCommand).resolves({
      VersionId: 'v1',
      SecretString: serve(options.secretString ?? secretJson(SECRET_V1)),
    });
  } else {
    options.secrets.install(secretsManager);
  }

  const logLines: string[] = [];
  const sleeps: number[] = [];
  const env = {
    BOX_CREDENTIALS_SECRET: 'box-token-broker/credentials',
    BOX_API_URL: simulator.url,
    ...options.env,
  };
  const logger = new RequestLogger({
    namespace: 'BoxTokenBroker',
    service: 'box-token-broker',
    sink: (line) => logLines.push(line),
    now,
    ...(options.tenantMetrics === undefined ? {} : { tenantMetrics: options.tenantMetrics }),
  });
  const handler = createHandler({
    ...buildRuntime(env, {
      log: (event) => logger.writeEvent(event),
      secretsManager: client,
      now,
      ...(options.backoffWindowMs === undefined
        ? {}
        : { backoffWindowMs: options.backoffWindowMs }),
      // Retries wait on the fake clock: Retry-After: 2 advances it by two seconds, instantly.
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
      // So do the polls for another environment's token (fleet state).
      fleetSleep: async (ms) => {
        clock.now += ms;
      },
      ...options.runtime,
    }),
    logger,
    now,
  });

  return {
    simulator,
    secretsManager,
    logLines,
    clock,
    sleeps,
    async api(method, path, { body, query, caller = ETL_ROLE_CALLER } = {}) {
      const event = apiEvent(method, path, body, query, caller);
      const raw = (await handler(
        event,
        lambdaContext(event.requestContext.requestId, 'api'),
      )) as APIGatewayProxyResult;
      return {
        status: raw.statusCode,
        headers: Object.fromEntries(
          Object.entries(raw.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
        ),
        body: JSON.parse(raw.body) as Record<string, unknown>,
        raw,
      };
    },
    async invoke(event, qualifier) {
      try {
        requestCounter += 1;
        const context = {
          ...lambdaContext(`direct-${requestCounter}`, 'direct'),
          invokedFunctionArn: localFunctionArn(qualifier),
        };
        return { result: await handler(event, context) };
      } catch (error) {
        return { error: error as Error };
      }
    },
    rotateSecret(versionId, secretString) {
      secretsManager
        .on(GetSecretValueCommand)
        .resolves({ VersionId: versionId, SecretString: serve(secretString) });
    },
    clientSecretsServed: () => [...served, ...(options.secrets?.clientSecretsServed() ?? [])],
    setSecretStages(current, previous) {
      secretsManager.reset();
      secretsManager
        .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
        .resolves({ VersionId: current.versionId, SecretString: serve(current.secretString) });
      const previousStage = secretsManager.on(GetSecretValueCommand, {
        VersionStage: 'AWSPREVIOUS',
      });
      if (previous === undefined) {
        previousStage.rejects(
          new ResourceNotFoundException({ $metadata: {}, message: 'no AWSPREVIOUS version' }),
        );
      } else {
        previousStage.resolves({
          VersionId: previous.versionId,
          SecretString: serve(previous.secretString),
        });
      }
    },
    async close() {
      secretsManager.restore();
      if (options.sharedSimulator === undefined) await simulator.close();
    },
  };
}

function apiEvent(
  method: string,
  path: string,
  body: string | undefined,
  query: Record<string, string> | undefined,
  caller: typeof ETL_ROLE_CALLER,
): APIGatewayProxyEvent {
  requestCounter += 1;
  return apiGatewayEvent({
    method,
    path,
    // What SigV4 leaves in the event: the broker must never log it.
    headers: {
      Authorization: [
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef',
      ],
    },
    ...(query === undefined
      ? {}
      : { query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) }),
    body: body ?? null,
    identity: caller,
    requestId: `req-${requestCounter}`,
    sourceIp: '10.0.0.1',
    stage: 'prod',
  });
}

/**
 * One harness per test, closed after it. Every scenario doubles as a log-scrub check: no client
 * secret that was ever served and no token Box issued may appear in any line it logged.
 */
export function useHarness(): (options?: HarnessOptions) => Promise<Harness> {
  let current: Harness | undefined;
  afterEach(async () => {
    const h = current;
    current = undefined;
    if (h === undefined) return;
    const logs = h.logLines.join('\n');
    const forbidden = [
      ...h.clientSecretsServed(),
      ...h.simulator.issuedTokens().map((token) => token.accessToken),
    ];
    await h.close();
    for (const value of forbidden)
      expect(logs, 'a secret or token was logged').not.toContain(value);
  });
  return async (options) => {
    current = await startHarness(options);
    return current;
  };
}
