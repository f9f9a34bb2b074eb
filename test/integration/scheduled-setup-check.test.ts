/**
 * The scheduled setup check through the real handler on the `schedule` entry: Box simulated over
 * real HTTP (several apps, one per tenant), Secrets Manager faked on a real client with the SDK's
 * own exception classes.
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  ListSecretsCommand,
  type ListSecretsCommandInput,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/app.js';
import type { HealthEvent } from '../../lambda/health/health-event.js';
import { buildRuntime } from '../../lambda/runtime.js';
import { RequestLogger } from '../../lambda/trace/request-logger.js';
import { lambdaContext, localFunctionArn } from '../../local/api-gateway-adapter.js';
import {
  type AppMisconfiguration,
  type BoxSimulator,
  startBoxSimulator,
} from '../../local/box-simulator/index.js';

const PREFIX = 'box-token-broker/tenants/';
const DEFAULT_SECRET_ID = 'box-token-broker/credentials';
const DEFAULT_APP = {
  clientId: 'default-client',
  clientSecret: 'default-S3CR3T',
  enterpriseId: '100',
};

interface TenantApp {
  id: string;
  misconfigurations?: AppMisconfiguration[];
  /** A secret value other than the app's credentials. */
  secretString?: string;
  /** GetSecretValue fails with this. */
  readError?: Error;
}

type Line = Record<string, unknown>;

interface Scenario {
  simulator: BoxSimulator;
  secretsManager: AwsClientStub<SecretsManagerClient>;
  lines: Line[];
  rawLines: string[];
  clock: { now: number };
  /** Invokes through the `schedule` alias. */
  schedule(context?: Partial<Context>): Promise<{ result?: unknown; error?: Error }>;
  clientSecrets: string[];
}

let open: Scenario | undefined;
afterEach(async () => {
  const scenario = open;
  open = undefined;
  if (scenario === undefined) return;
  // Nothing secret in any line: no client secret, no token Box issued.
  const all = scenario.rawLines.join('\n');
  for (const secret of scenario.clientSecrets) expect(all).not.toContain(secret);
  for (const token of scenario.simulator.issuedTokens())
    expect(all).not.toContain(token.accessToken);
  scenario.secretsManager.restore();
  await scenario.simulator.close();
});

async function scenario(options: {
  tenants: TenantApp[];
  /** Names under the prefix that are not tenants. */
  strayNames?: string[];
  env?: Record<string, string>;
  defaultSecret?: boolean;
  listError?: Error;
  /** Box calls advance the clock by this much (a slow Box on a fake clock). */
  msPerBoxCall?: number;
  /** Date.now instead of the fake clock (for a real deadline). */
  realClock?: boolean;
  /** With health events (BOX_EVENT_BUS): where they are put. */
  healthEvents?: HealthEvent[];
}): Promise<Scenario> {
  const clock = { now: Date.UTC(2026, 10, 30, 9, 0, 0) };
  const now = options.realClock === true ? Date.now : () => clock.now;
  const simulator = await startBoxSimulator({
    enterpriseId: DEFAULT_APP.enterpriseId,
    credentials: [{ clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret }],
    now,
  });
  const values = new Map<string, () => Promise<string>>();
  const clientSecrets = [DEFAULT_APP.clientSecret];
  values.set(DEFAULT_SECRET_ID, async () => JSON.stringify(DEFAULT_APP));
  options.tenants.forEach((tenant, index) => {
    const app = {
      clientId: `client-${tenant.id}`,
      clientSecret: `secret-${tenant.id}-S3CR3T`,
      enterpriseId: String(200 + index),
    };
    clientSecrets.push(app.clientSecret);
    simulator.addApp({ ...app, misconfigurations: tenant.misconfigurations ?? [] });
    values.set(`${PREFIX}${tenant.id}`, async () => {
      if (tenant.readError !== undefined) throw tenant.readError;
      return tenant.secretString ?? JSON.stringify(app);
    });
  });

  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
  });
  const secretsManager = mockClient(client);
  secretsManager.on(GetSecretValueCommand).callsFake(async (input: GetSecretValueCommandInput) => {
    const read = values.get(String(input.SecretId));
    if (read === undefined) {
      throw new ResourceNotFoundException({ $metadata: {}, message: 'not found' });
    }
    return { VersionId: 'v1', SecretString: await read() };
  });
  // Two pages, the way Secrets Manager paginates; a name that only shares a word does not count.
  const names = [
    ...options.tenants.map((tenant) => `${PREFIX}${tenant.id}`),
    ...(options.strayNames ?? []).map((name) => `${PREFIX}${name}`),
    'other/box-token-broker/tenants/not-ours',
  ];
  const half = Math.ceil(names.length / 2);
  secretsManager.on(ListSecretsCommand).callsFake(async (input: ListSecretsCommandInput) => {
    if (options.listError !== undefined) throw options.listError;
    const page = input.NextToken === 'page-2' ? names.slice(half) : names.slice(0, half);
    return {
      SecretList: page.map((Name) => ({ Name })),
      ...(input.NextToken === 'page-2' ? {} : { NextToken: 'page-2' }),
    };
  });

  const rawLines: string[] = [];
  const step = options.msPerBoxCall ?? 0;
  const env: Record<string, string> = {
    BOX_TENANT_SECRET_PREFIX: PREFIX,
    BOX_API_URL: simulator.url,
    ...(options.defaultSecret === false ? {} : { BOX_CREDENTIALS_SECRET: DEFAULT_SECRET_ID }),
    ...(options.healthEvents === undefined ? {} : { BOX_EVENT_BUS: 'default' }),
    ...options.env,
  };
  const healthEvents = options.healthEvents;
  const logger = new RequestLogger({
    namespace: 'BoxTokenBroker',
    service: 'box-token-broker',
    sink: (line) => rawLines.push(line),
    now,
  });
  const handler = createHandler({
    ...buildRuntime(env, {
      log: (event) => logger.writeEvent(event),
      secretsManager: client,
      now,
      fetch: async (input, init) => {
        clock.now += step;
        return fetch(input, init);
      },
      sleep: async (ms) => {
        clock.now += ms;
      },
      ...(healthEvents === undefined
        ? {}
        : {
            healthPublisher: {
              publish: async (event: HealthEvent) => {
                healthEvents.push(event);
              },
            },
          }),
    }),
    logger,
    now,
  });
  const lines: Line[] = [];
  const created: Scenario = {
    simulator,
    secretsManager,
    get lines() {
      lines.length = 0;
      for (const raw of rawLines) lines.push(JSON.parse(raw) as Line);
      return lines;
    },
    rawLines,
    clock,
    clientSecrets,
    async schedule(context = {}) {
      try {
        const result = await handler(
          {},
          {
            ...lambdaContext('scheduled-1', 'schedule'),
            invokedFunctionArn: localFunctionArn('schedule'),
            ...context,
          },
        );
        return { result };
      } catch (error) {
        return { error: error as Error };
      }
    },
  };
  open = created;
  return created;
}

const setupLines = (s: Scenario) => s.lines.filter((line) => line.operation === 'setup_check');
const summaryOf = (s: Scenario) => setupLines(s).find((line) => 'TenantsChecked' in line);

describe('Scenario: scheduled setup checks on the schedule entry', () => {
  it('checks the default tenant and every registered tenant, and names the one that fails', async () => {
    // Arrange: three tenants, one of them un-authorised in its Admin Console.
    const s = await scenario({
      tenants: [
        { id: 'acme' },
        { id: 'globex', misconfigurations: ['not_authorized'] },
        { id: 'initech' },
      ],
      strayNames: ['Not_A_Tenant', 'default'],
    });

    // Act
    const { result, error } = await s.schedule();

    // Assess: the canary as before, and the checks' counts.
    expect(error).toBeUndefined();
    expect(result).toMatchObject({
      status: 'ok',
      setup_checks: { checked: 4, failing: 1, inconclusive: 0, notReached: 0, registered: 3 },
    });
    const failing = setupLines(s).filter((line) => line.outcome === 'fail');
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({
      level: 'ERROR',
      request_id: 'scheduled-1',
      tenant: 'globex',
      failed_steps: ['authorized'],
      box_error: 'unauthorized_client',
      box_status: 400,
    });
    expect(String(failing[0]?.message)).toContain('globex: authorized');
    const summary = summaryOf(s);
    expect(summary).toMatchObject({
      TenantsChecked: 4,
      TenantsFailing: 1,
      TenantsInconclusive: 0,
      TenantsNotReached: 0,
      tenants_registered: 3,
      tenants_ignored: 2,
      failing_tenants: ['globex'],
      stopped_early: false,
    });
    // The metrics are EMF under the service dimension only: no per-tenant dimension.
    const aws = summary?._aws as
      | { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    const emf = aws?.CloudWatchMetrics ?? [];
    expect(emf).toHaveLength(1);
    expect(emf[0]?.Dimensions).toEqual([['service']]);
    expect(emf[0]?.Metrics.map((m) => m.Name)).toEqual(
      expect.arrayContaining(['TenantsChecked', 'TenantsFailing', 'TenantsInconclusive']),
    );
    // Every page of the listing was read, filtered by the prefix.
    const listCalls = s.secretsManager.commandCalls(ListSecretsCommand);
    expect(listCalls).toHaveLength(2);
    expect(listCalls[0]?.args[0].input.Filters).toEqual([{ Key: 'name', Values: [PREFIX] }]);
    // The request's own line comes last and is the canary's, unchanged.
    expect(s.lines.at(-1)).toMatchObject({
      entry: 'schedule',
      operation: 'canary',
      CanarySuccess: 1,
    });
  });

  it('reports all tenants passing with TenantsFailing = 0', async () => {
    const s = await scenario({ tenants: [{ id: 'acme' }, { id: 'initech' }] });
    await s.schedule();
    expect(summaryOf(s)).toMatchObject({ level: 'INFO', TenantsChecked: 3, TenantsFailing: 0 });
    expect(setupLines(s).filter((line) => line.outcome !== undefined)).toEqual([]);
  });

  it('fails a tenant whose secret is unusable or unreadable, and drops one deleted since the listing', async () => {
    const s = await scenario({
      tenants: [
        { id: 'half-set', secretString: '{"clientId":"x","enterpriseId":"1"}' },
        {
          id: 'locked',
          readError: new SecretsManagerServiceException({
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: {},
            message: 'User arn:aws:sts::1:assumed-role/x is not authorized',
          }),
        },
        {
          id: 'removed',
          readError: new ResourceNotFoundException({ $metadata: {}, message: 'gone' }),
        },
      ],
    });
    await s.schedule();
    const byTenant = new Map(setupLines(s).map((line) => [line.tenant, line]));
    expect(byTenant.get('half-set')).toMatchObject({
      outcome: 'fail',
      failed_steps: ['secret_value'],
      reason: 'the secret lacks the key "clientSecret" (a non-empty string)',
    });
    expect(byTenant.get('locked')).toMatchObject({
      outcome: 'fail',
      failed_steps: ['secret_read'],
      reason: 'AccessDeniedException',
    });
    expect(byTenant.has('removed')).toBe(false);
    expect(JSON.stringify(s.lines)).not.toContain('arn:aws:sts');
    expect(summaryOf(s)).toMatchObject({ TenantsChecked: 3, TenantsFailing: 2 });
  });

  it('stops early when the run runs out of time, and says how many it did not reach', async () => {
    // Arrange: every Box call takes a second of the (fake) clock; one check at a time; the
    // function has 7.4 s: the canary takes 2 s, leaving 4.9 s for checks of 2 s each.
    const s = await scenario({
      tenants: ['t1', 't2', 't3', 't4', 't5', 't6'].map((id) => ({ id })),
      env: { BOX_SETUP_CHECK_CONCURRENCY: '1' },
      msPerBoxCall: 1000,
    });
    const functionEndsAt = s.clock.now + 7400;

    // Act
    const { result, error } = await s.schedule({
      getRemainingTimeInMillis: () => functionEndsAt - s.clock.now,
    });

    // Assess: three checks started while at least 300 ms were left; four never started.
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ setup_checks: { checked: 3, notReached: 4 } });
    const summary = summaryOf(s);
    expect(summary).toMatchObject({ TenantsChecked: 3, TenantsNotReached: 4, stopped_early: true });
    expect(String(summary?.message)).toContain('stopped early, 4 not reached');
    // The ones not reached cost nothing: one grant for the canary, one per check.
    expect(s.simulator.tokenCallCount()).toBe(4);
  });

  it('leaves room to judge health when the checks use up their time (fake clock)', async () => {
    // Arrange: every Box call takes a second; one check at a time; more tenants than the
    // function's 13.2 s allow (the checks stop with 200 ms of their time left, too little to
    // start another); the first tenant's app lost its authorisation.
    const events: HealthEvent[] = [];
    const s = await scenario({
      tenants: [
        { id: 'a-broken', misconfigurations: ['not_authorized'] },
        ...['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'].map((id) => ({ id })),
      ],
      env: { BOX_SETUP_CHECK_CONCURRENCY: '1' },
      msPerBoxCall: 1000,
      healthEvents: events,
    });
    const functionEndsAt = s.clock.now + 13_200;

    // Act
    const { error } = await s.schedule({
      getRemainingTimeInMillis: () => functionEndsAt - s.clock.now,
    });

    // Assess: the checks stopped early, short of the time kept for judging, and the failed tenant
    // was judged: its Unhealthy is out, and the run counted the unhealthy tenants.
    expect(error).toBeUndefined();
    expect(summaryOf(s)).toMatchObject({ stopped_early: true });
    expect(Number(summaryOf(s)?.TenantsNotReached)).toBeGreaterThan(0);
    expect(events.map((event) => [event.detailType, event.detail.tenant])).toEqual([
      ['Box Tenant Unhealthy', 'a-broken'],
    ]);
    expect(s.lines.filter((line) => 'TenantsUnhealthy' in line)).toEqual([
      expect.objectContaining({ TenantsUnhealthy: 1 }),
    ]);
    expect(s.clock.now).toBeLessThanOrEqual(functionEndsAt);
  });

  it('cuts a hung check at the run deadline and counts it as not reached, not as the tenant failing', async () => {
    // Arrange: real time; Box never answers the tenant's grant; the function has 800 ms left,
    // 300 of them for the checks (500 are kept to answer).
    const s = await scenario({ tenants: [{ id: 'acme' }], defaultSecret: false, realClock: true });
    s.simulator.injectFault({ kind: 'hang', path: '/oauth2/token' });
    const startedAt = Date.now();

    // Act
    await s.schedule(lambdaContext('scheduled-1', 'schedule', 800));

    // Assess
    expect(Date.now() - startedAt).toBeLessThan(800);
    expect(summaryOf(s)).toMatchObject({
      TenantsChecked: 0,
      TenantsFailing: 0,
      TenantsNotReached: 1,
      stopped_early: true,
    });
  });

  it('says when the tenants cannot be listed, and still checks the default tenant', async () => {
    const s = await scenario({
      tenants: [{ id: 'acme' }],
      listError: new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'not authorized to perform: secretsmanager:ListSecrets on resource: *',
      }),
    });
    await s.schedule();
    expect(summaryOf(s)).toMatchObject({
      level: 'ERROR',
      TenantsChecked: 1,
      TenantListingFailures: 1,
      listing_error: 'AccessDeniedException',
    });
  });

  it('checks the tenants of a tenants-only deployment, whose canary has no token to probe', async () => {
    const s = await scenario({
      tenants: [{ id: 'acme' }, { id: 'globex', misconfigurations: ['secret_reset'] }],
      defaultSecret: false,
    });
    const { result, error } = await s.schedule();
    // No default tenant: the token probe is skipped (not failed), the setup checks judge tenants.
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ status: 'ok', skipped: 'no_default_tenant' });
    expect(summaryOf(s)).toMatchObject({ TenantsChecked: 2, TenantsFailing: 1 });
    expect(setupLines(s).find((line) => line.outcome === 'fail')).toMatchObject({
      tenant: 'globex',
      failed_steps: ['credentials'],
      box_error: 'invalid_client',
    });
  });

  it('runs no setup check on the api or direct entry', async () => {
    const s = await scenario({ tenants: [{ id: 'acme' }] });
    await s.schedule({ invokedFunctionArn: localFunctionArn() });
    expect(setupLines(s)).toEqual([]);
    expect(s.secretsManager.commandCalls(ListSecretsCommand)).toHaveLength(0);
  });
});
