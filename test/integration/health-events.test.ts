/**
 * Tenant health events through the real handler: several execution environments (handlers) of
 * one deployment sharing Box (simulated over real HTTP), Secrets Manager (faked with the SDK's
 * exception classes), one health store and one EventBridge bus (the real client, mocked). A
 * tenant's Box app breaks and is fixed; exactly one Unhealthy and one Recovered reach the bus.
 */
import {
  EventBridgeClient,
  InternalException,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { STEPS } from '../../lambda/setup/steps.js';
import { readString } from '../../lambda/state/state-table.js';
import { type BoxSimulator, startBoxSimulator } from '../../local/box-simulator/index.js';
import { startLocalBroker } from '../../local/local-broker.js';
import { startEventBridgeEndpoint } from '../support/eventbridge-endpoint.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import {
  startTestFleetState,
  type TestFleetState,
  type TestState,
} from '../support/fleet-state.js';
import {
  CLIENT_ID,
  ENTERPRISE_ID,
  type Harness,
  SCHEDULED_EVENT,
  SECRET_V1,
  secretJson,
  startHarness,
} from '../support/harness.js';

const PREFIX = 'box-token-broker/tenants/';
const DEFAULT_SECRET = 'box-token-broker/credentials';
const ACME = {
  clientId: 'acme-client-0042',
  clientSecret: 'acme-secret-S3CR3T',
  enterpriseId: '1111',
};
const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
/** Past the life of every token Box issued: the next request asks Box again. */
const TOKEN_LIFE_MS = 3_700_000;
/** Past BOX_NEGATIVE_CACHE_SECONDS and the re-read interval: Box is asked again. */
const PAST_NEGATIVE_CACHE_MS = 11_000;

interface Fleet {
  /** Entries EventBridge accepted, in order (a PutEvents still in flight is not among them). */
  delivered: PutEventsRequestEntry[];
  /** EventBridge accepts events again, answering after a turn of the event loop (real I/O). */
  deliver(): void;
  environments: Harness[];
  simulator: BoxSimulator;
  clock: { now: number };
  eventBridge: AwsClientStub<EventBridgeClient>;
  secrets: FakeSecrets;
  /** Every log line of every environment. */
  lines(): Record<string, unknown>[];
  /** The fleet state table the environments share; undefined without one. */
  state: TestState | undefined;
}

let open: Fleet | undefined;
let tables: TestFleetState;

beforeAll(async () => {
  tables = await startTestFleetState();
});
afterAll(async () => {
  await tables?.close();
});

afterEach(async () => {
  const fleet = open;
  open = undefined;
  if (fleet === undefined) return;
  // No secret, token or full client ID in any event, nor a secret or token in any log line or
  // health item.
  const events = JSON.stringify(entriesOf(fleet));
  const health = JSON.stringify(
    (await fleet.state?.scan())?.filter((item) => readString(item, 'pk')?.startsWith('health#')),
  );
  for (const value of [...fleet.secrets.clientSecretsServed(), ACME.clientId, CLIENT_ID]) {
    expect(health ?? '').not.toContain(value);
  }
  const logs = fleet.environments.flatMap((h) => h.logLines).join('\n');
  const tokens = fleet.simulator.issuedTokens().map((token) => token.accessToken);
  for (const value of [...fleet.secrets.clientSecretsServed(), SECRET_V1, ...tokens]) {
    expect(events).not.toContain(value);
    expect(logs).not.toContain(value);
  }
  expect(events).not.toContain(ACME.clientId);
  expect(events).not.toContain(CLIENT_ID);
  fleet.eventBridge.restore();
  for (const h of fleet.environments) await h.close();
  await fleet.simulator.close();
});

/**
 * Several environments of one deployment, each its own handler (runtime, caches, clients); with
 * `table`, all on one fleet state table (dynalite), which remembers each tenant's health.
 */
async function fleetOf(count: number, withTable: 'table' | 'no table'): Promise<Fleet> {
  const clock = { now: T0 };
  const now = () => clock.now;
  const state = withTable === 'table' ? await tables.newState({ now }) : undefined;
  const simulator = await startBoxSimulator({
    enterpriseId: ENTERPRISE_ID,
    credentials: [{ clientId: CLIENT_ID, clientSecret: SECRET_V1 }],
    now: () => clock.now,
  });
  simulator.addApp(ACME);
  const secrets = new FakeSecrets();
  secrets.put(DEFAULT_SECRET, { versionId: 'd1', secretString: secretJson(SECRET_V1) });
  secrets.put(`${PREFIX}acme`, { versionId: 'acme-v1', secretString: JSON.stringify(ACME) });
  const client = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
  });
  const eventBridge = mockClient(client);
  const delivered: PutEventsRequestEntry[] = [];
  const deliver = () => {
    eventBridge.on(PutEventsCommand).callsFake(
      (input: PutEventsCommandInput) =>
        new Promise((resolve) => {
          // Answered on a later turn of the event loop, as a real call over the network is: a
          // handler that answered without waiting for it would be frozen with it in flight.
          setImmediate(() => {
            delivered.push(...(input.Entries ?? []));
            resolve({ FailedEntryCount: 0, Entries: [{ EventId: `e${delivered.length}` }] });
          });
        }),
    );
  };
  deliver();
  const environments: Harness[] = [];
  for (let i = 0; i < count; i += 1) {
    const h = await startHarness({
      secrets,
      sharedSimulator: simulator,
      clock,
      env: {
        BOX_TENANT_SECRET_PREFIX: PREFIX,
        BOX_EVENT_BUS: 'default',
        ...(state === undefined
          ? {}
          : { BOX_STATE_TABLE: state.tableName, BOX_STATE_KMS_KEY: tables.local.kms.alias }),
        BOX_ACCESS_POLICY: JSON.stringify({
          version: 1,
          rules: [
            {
              id: 'etl',
              callers: ['arn:aws:iam::111122223333:role/etl-*', 'direct'],
              tenants: ['*'],
              subjects: ['enterprise'],
            },
          ],
        }),
      },
      runtime: {
        eventBridge: client,
        // Each environment its own clients on the one table.
        ...(state === undefined ? {} : { fleetState: tables.attach(state.tableName, { now }) }),
      },
    });
    h.secretsManager.on(ListSecretsCommand).resolves({ SecretList: [{ Name: `${PREFIX}acme` }] });
    environments.push(h);
  }
  const fleet: Fleet = {
    state,
    delivered,
    deliver,
    environments,
    simulator,
    clock,
    eventBridge,
    secrets,
    lines: () =>
      environments.flatMap((h) =>
        h.logLines.map((line) => JSON.parse(line) as Record<string, unknown>),
      ),
  };
  open = fleet;
  return fleet;
}

function entriesOf(fleet: Fleet): PutEventsRequestEntry[] {
  return fleet.eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? []);
}

const detailOf = (entry: PutEventsRequestEntry | undefined) =>
  JSON.parse(entry?.Detail ?? 'null') as Record<string, unknown>;

const acmeToken = (h: Harness | undefined) => {
  if (h === undefined) throw new Error('no such environment');
  return h.api('POST', '/token', { body: JSON.stringify({ tenant: 'acme' }) });
};

const metric = (fleet: Fleet, name: string) =>
  fleet
    .lines()
    .filter((line) => typeof line[name] === 'number')
    .map((line) => line[name]);

describe('Scenario: live traffic sees Box refuse a tenant', () => {
  it('puts exactly one Unhealthy across environments, before the answer, and one Recovered after the fix', async () => {
    // Prepare: three environments serve acme.
    const fleet = await fleetOf(3, 'table');
    const [a, b, c] = fleet.environments;
    for (const h of fleet.environments) expect((await acmeToken(h)).status).toBe(200);
    expect(entriesOf(fleet)).toHaveLength(0);

    // Act: the customer resets the app's secret; the tokens run out.
    fleet.simulator.app(ACME.clientId)?.misconfigure('secret_reset');
    fleet.clock.now += TOKEN_LIFE_MS;
    const brokeAt = fleet.clock.now;
    const first = await acmeToken(a);

    // Assess: the rejection is on the bus when the answer leaves (well within 60 s).
    expect(first.status).toBe(502);
    expect(first.body.error).toBe('box_credentials_rejected');
    expect(fleet.delivered).toHaveLength(1);
    const unhealthy = fleet.delivered[0];
    expect(unhealthy?.Source).toBe('box-token-broker');
    expect(unhealthy?.DetailType).toBe('Box Tenant Unhealthy');
    expect(unhealthy?.EventBusName).toBe('default');
    expect(unhealthy?.Time).toEqual(new Date(brokeAt));
    expect(detailOf(unhealthy)).toEqual({
      tenant: 'acme',
      reason: 'credentials_rejected',
      since: new Date(brokeAt).toISOString(),
      evidence: [{ request: 'POST /oauth2/token (client_credentials)', code: 'invalid_client' }],
    });

    // Every other environment and request sees it too: no second event.
    for (const h of [b, c, a, b, c]) {
      fleet.clock.now += PAST_NEGATIVE_CACHE_MS;
      expect((await acmeToken(h)).body.error).toBe('box_credentials_rejected');
    }
    expect(entriesOf(fleet)).toHaveLength(1);

    // The customer fixes the app: the first success anywhere announces one Recovered.
    fleet.simulator.app(ACME.clientId)?.setMisconfigurations([]);
    fleet.clock.now += PAST_NEGATIVE_CACHE_MS;
    const fixedAt = fleet.clock.now;
    for (const h of [c, a, b]) expect((await acmeToken(h)).status).toBe(200);
    expect(entriesOf(fleet)).toEqual(fleet.delivered);
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Recovered',
    ]);
    expect(detailOf(entriesOf(fleet)[1])).toEqual({
      tenant: 'acme',
      reason: 'credentials_rejected',
      since: new Date(fixedAt).toISOString(),
    });
    expect(metric(fleet, 'HealthEventsPublished')).toEqual([1, 1]);
  });

  it("does not take another environment's stored token for Box accepting the credentials now", async () => {
    // Prepare: environment a mints acme's token (the table keeps it); the secret is reset later.
    const fleet = await fleetOf(2, 'table');
    const [a, b] = fleet.environments;
    expect((await acmeToken(a)).status).toBe(200);
    fleet.simulator.app(ACME.clientId)?.misconfigure('secret_reset');
    fleet.clock.now += 1_800_000;

    // Act: a caller in a needs more life than the stored token has: Box refuses the grant. Then b,
    // which has never asked Box, is served the stored token (still valid, minted before the reset).
    const refused = await a?.api('POST', '/token', {
      body: JSON.stringify({ tenant: 'acme', min_ttl: 3000 }),
    });
    expect(refused?.body.error).toBe('box_credentials_rejected');
    expect((await acmeToken(b)).status).toBe(200);

    // Assess: the tenant is still unhealthy: Box accepted nothing since it refused the grant.
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual(['Box Tenant Unhealthy']);
  });

  it('never lets a failing PutEvents change an answer; counts it and retries on the next check', async () => {
    // Prepare: EventBridge is down.
    const fleet = await fleetOf(2, 'table');
    const [a, b] = fleet.environments;
    fleet.eventBridge
      .on(PutEventsCommand)
      .rejects(new InternalException({ $metadata: {}, message: 'EventBridge is down' }));
    expect((await acmeToken(a)).status).toBe(200);

    // Act: the tenant breaks while EventBridge is down.
    fleet.simulator.app(ACME.clientId)?.misconfigure('secret_reset');
    fleet.clock.now += TOKEN_LIFE_MS;
    const brokeAt = fleet.clock.now;
    const refused = await acmeToken(a);

    // Assess: the answer is the one without events; the failure is counted.
    expect(refused.status).toBe(502);
    expect(refused.body.error).toBe('box_credentials_rejected');
    expect(metric(fleet, 'HealthEventFailures')).toEqual([1]);

    // EventBridge is back: the next check, in another environment 20 s later, announces it.
    fleet.deliver();
    fleet.clock.now += 20_000;
    expect((await acmeToken(b)).body.error).toBe('box_credentials_rejected');
    expect(fleet.delivered).toHaveLength(1);
    expect(detailOf(fleet.delivered[0]).since).toBe(new Date(brokeAt).toISOString());
    expect(fleet.clock.now - brokeAt).toBeLessThan(60_000);

    // A success while EventBridge fails again is still a success.
    fleet.eventBridge
      .on(PutEventsCommand)
      .rejects(new InternalException({ $metadata: {}, message: 'down' }));
    fleet.simulator.app(ACME.clientId)?.setMisconfigurations([]);
    fleet.clock.now += PAST_NEGATIVE_CACHE_MS;
    expect((await acmeToken(b)).status).toBe(200);
    // Counted each time it is tried (every grant is a check), never put, never in the answer.
    expect(metric(fleet, 'HealthEventFailures').length).toBeGreaterThanOrEqual(2);
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual(['Box Tenant Unhealthy']);
  });

  it('answers as without events when the table fails too: the health check is counted, not felt', async () => {
    const fleet = await fleetOf(1, 'table');
    const [a] = fleet.environments;
    fleet.simulator.app(ACME.clientId)?.misconfigure('secret_reset');
    tables.dynamodbProxy.fault = { kind: 'throttled' };
    try {
      const refused = await acmeToken(a);
      expect(refused.status).toBe(502);
      expect(refused.body.error).toBe('box_credentials_rejected');
    } finally {
      tables.dynamodbProxy.fault = undefined;
    }
    expect(metric(fleet, 'HealthStoreErrors')).toEqual([1]);
    expect(entriesOf(fleet)).toHaveLength(0);
    // The table is back: the next request that sees the rejection announces it.
    fleet.clock.now += PAST_NEGATIVE_CACHE_MS;
    expect((await acmeToken(a)).body.error).toBe('box_credentials_rejected');
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual(['Box Tenant Unhealthy']);
  });

  it('puts nothing from live traffic without a fleet-wide store (only the scheduled check judges)', async () => {
    const fleet = await fleetOf(1, 'no table');
    fleet.simulator.app(ACME.clientId)?.misconfigure('secret_reset');
    expect((await acmeToken(fleet.environments[0])).status).toBe(502);
    expect(entriesOf(fleet)).toHaveLength(0);
  });
});

describe('Scenario: the scheduled setup check judges a tenant', () => {
  it('puts one Unhealthy with the failed step and its fix, none on the next runs, one Recovered after the fix', async () => {
    // Prepare: no table; the schedule's environment remembers between runs.
    const fleet = await fleetOf(1, 'no table');
    const h = fleet.environments[0] as Harness;
    const schedule = () => h.invoke(SCHEDULED_EVENT, 'schedule');
    expect((await schedule()).error).toBeUndefined();
    expect(entriesOf(fleet)).toHaveLength(0);

    // Act: the admin withdraws the app's authorisation.
    fleet.simulator.app(ACME.clientId)?.misconfigure('not_authorized');
    fleet.clock.now += 300_000;
    const failedAt = fleet.clock.now;
    await schedule();
    fleet.clock.now += 300_000;
    await schedule();

    // Assess
    expect(entriesOf(fleet)).toHaveLength(1);
    const detail = detailOf(entriesOf(fleet)[0]);
    expect(detail).toMatchObject({
      tenant: 'acme',
      reason: 'setup_check',
      since: new Date(failedAt).toISOString(),
      steps: [{ id: 'authorized', title: STEPS.authorized.title, fix: STEPS.authorized.fix }],
    });
    expect(detail.evidence).toEqual([
      expect.objectContaining({ status: 400, code: 'unauthorized_client' }),
    ]);
    expect(metric(fleet, 'TenantsUnhealthy')).toEqual([0, 1, 1]);

    fleet.simulator.app(ACME.clientId)?.setMisconfigurations([]);
    fleet.clock.now += 300_000;
    await schedule();
    expect(entriesOf(fleet).map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Recovered',
    ]);
    expect(metric(fleet, 'TenantsUnhealthy')).toEqual([0, 1, 1, 0]);
  });
});

describe('Scenario: every environment runs the scheduled check, one table', () => {
  it('puts one Unhealthy and one Recovered however many environments judge the tenant', async () => {
    // Prepare: three environments (say, overlapping schedule invocations) share the table.
    const fleet = await fleetOf(3, 'table');
    const scheduleAll = () =>
      Promise.all(fleet.environments.map((h) => h.invoke(SCHEDULED_EVENT, 'schedule')));
    fleet.simulator.app(ACME.clientId)?.misconfigure('not_authorized');

    // Act: all judge it at once, then again on the next run.
    await scheduleAll();
    fleet.clock.now += 300_000;
    await scheduleAll();

    // Assess
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual(['Box Tenant Unhealthy']);
    expect(metric(fleet, 'TenantsUnhealthy')).toEqual([1, 1, 1, 1, 1, 1]);

    fleet.simulator.app(ACME.clientId)?.setMisconfigurations([]);
    fleet.clock.now += 300_000;
    await scheduleAll();
    expect(fleet.delivered.map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Recovered',
    ]);
    // Runs that overlapped the recovery may count it still; the next ones count none.
    fleet.clock.now += 300_000;
    await scheduleAll();
    const lastCount = (h: Harness) =>
      h.logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => typeof line.TenantsUnhealthy === 'number')
        .at(-1)?.TenantsUnhealthy;
    expect(fleet.environments.map(lastCount)).toEqual([0, 0, 0]);
    expect(fleet.delivered).toHaveLength(2);
  });
});

describe('Scenario: environments configured only through their variables, EventBridge on the wire', () => {
  it('puts one Unhealthy and one Recovered on AWS_ENDPOINT_URL_EVENTBRIDGE; a throttled entry is retried', async () => {
    // Prepare: three environments; the table, the key and the bus reached through the standard
    // chain (AWS_ENDPOINT_URL_*), nothing injected but Box, Secrets Manager and the clock.
    const endpoint = await startEventBridgeEndpoint();
    const clock = { now: T0 };
    const state = await tables.newState({ now: () => clock.now });
    for (const [name, value] of Object.entries(state.env)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', endpoint.url);
    const simulator = await startBoxSimulator({
      enterpriseId: ENTERPRISE_ID,
      credentials: [{ clientId: CLIENT_ID, clientSecret: SECRET_V1 }],
      now: () => clock.now,
    });
    simulator.addApp(ACME);
    const secrets = new FakeSecrets();
    secrets.put(DEFAULT_SECRET, { versionId: 'd1', secretString: secretJson(SECRET_V1) });
    secrets.put(`${PREFIX}acme`, { versionId: 'acme-v1', secretString: JSON.stringify(ACME) });
    const environments: Harness[] = [];
    try {
      for (let i = 0; i < 3; i += 1) {
        const h = await startHarness({
          secrets,
          sharedSimulator: simulator,
          clock,
          env: {
            BOX_TENANT_SECRET_PREFIX: PREFIX,
            BOX_EVENT_BUS: 'default',
            BOX_STATE_TABLE: state.tableName,
            BOX_STATE_KMS_KEY: tables.local.kms.alias,
            BOX_ACCESS_POLICY: JSON.stringify({
              version: 1,
              rules: [
                {
                  id: 'etl',
                  callers: ['arn:aws:iam::111122223333:role/etl-*'],
                  tenants: ['*'],
                  subjects: ['enterprise'],
                },
              ],
            }),
          },
        });
        h.secretsManager
          .on(ListSecretsCommand)
          .resolves({ SecretList: [{ Name: `${PREFIX}acme` }] });
        environments.push(h);
      }
      for (const h of environments) expect((await acmeToken(h)).status).toBe(200);

      // Act: the secret is reset; every environment asks many times; then it is fixed.
      simulator.app(ACME.clientId)?.misconfigure('secret_reset');
      clock.now += TOKEN_LIFE_MS;
      const brokeAt = clock.now;
      expect((await acmeToken(environments[0])).status).toBe(502);
      const onTheBus = endpoint.accepted.length;
      for (let i = 0; i < 6; i += 1) {
        clock.now += PAST_NEGATIVE_CACHE_MS;
        expect((await acmeToken(environments[i % 3])).status).toBe(502);
      }
      simulator.app(ACME.clientId)?.setMisconfigurations([]);
      clock.now += PAST_NEGATIVE_CACHE_MS;
      for (const h of environments) expect((await acmeToken(h)).status).toBe(200);

      // Assess: on the bus before the first refusal was answered; one of each, as specified.
      expect(onTheBus).toBe(1);
      expect(endpoint.accepted.map((entry) => [entry.Source, entry.DetailType])).toEqual([
        ['box-token-broker', 'Box Tenant Unhealthy'],
        ['box-token-broker', 'Box Tenant Recovered'],
      ]);
      const [unhealthy] = endpoint.accepted;
      expect(unhealthy?.EventBusName).toBe('default');
      expect(unhealthy?.Time).toBe(brokeAt / 1000);
      expect(JSON.parse(unhealthy?.Detail ?? '{}')).toEqual({
        tenant: 'acme',
        reason: 'credentials_rejected',
        since: new Date(brokeAt).toISOString(),
        evidence: [{ request: 'POST /oauth2/token (client_credentials)', code: 'invalid_client' }],
      });

      // A throttled entry leaves the answer alone, and the next check announces it.
      endpoint.fault = 'throttled';
      simulator.app(ACME.clientId)?.misconfigure('secret_reset');
      clock.now += TOKEN_LIFE_MS;
      expect((await acmeToken(environments[1])).status).toBe(502);
      expect(endpoint.accepted).toHaveLength(2);
      endpoint.fault = undefined;
      clock.now += PAST_NEGATIVE_CACHE_MS;
      expect((await acmeToken(environments[2])).status).toBe(502);
      expect(endpoint.accepted.map((entry) => entry.DetailType).at(-1)).toBe(
        'Box Tenant Unhealthy',
      );
      expect(endpoint.accepted).toHaveLength(3);
      const wire = JSON.stringify(endpoint.accepted);
      for (const value of [ACME.clientSecret, ACME.clientId, SECRET_V1, CLIENT_ID]) {
        expect(wire).not.toContain(value);
      }
    } finally {
      for (const h of environments) await h.close();
      await simulator.close();
      await endpoint.close();
      vi.unstubAllEnvs();
    }
  });
});

describe('Scenario: npm start with BOX_EVENT_BUS and the local table', () => {
  it('puts the event through AWS_ENDPOINT_URL_EVENTBRIDGE and logs it, as deployed', async () => {
    // Prepare: the local broker with a simulated tenant, the local table and a local EventBridge.
    const endpoint = await startEventBridgeEndpoint();
    const state = await tables.newState();
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', endpoint.url);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-a-real-key');
    const lines: string[] = [];
    const local = await startLocalBroker({
      port: 0,
      env: {
        BOX_LOCAL_TENANTS: 'acme',
        BOX_EVENT_BUS: 'default',
        BOX_STATE_TABLE: state.tableName,
        BOX_STATE_KMS_KEY: tables.local.kms.alias,
      },
      stateClients: { dynamodb: tables.dynamodb(), kms: tables.kms() },
      sink: (line) => lines.push(line),
    });
    try {
      const acme = local.tenants[0];
      local.simulator?.app(acme?.clientId ?? '')?.misconfigure('secret_reset');

      // Act
      const answer = await fetch(`${local.url}/token?tenant=acme`);

      // Assess: the answer, then the event on the local bus and its log line with its metric.
      expect(answer.status).toBe(502);
      expect(endpoint.accepted.map((entry) => [entry.Source, entry.DetailType])).toEqual([
        ['box-token-broker', 'Box Tenant Unhealthy'],
      ]);
      const health = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.operation === 'tenant_health');
      expect(health).toEqual([
        expect.objectContaining({ tenant: 'acme', health: 'unhealthy', HealthEventsPublished: 1 }),
      ]);
    } finally {
      await local.close();
      await endpoint.close();
      vi.unstubAllEnvs();
    }
  });
});
