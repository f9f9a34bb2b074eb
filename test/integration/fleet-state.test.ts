/**
 * Fleet state across execution environments: several handlers (each its own runtime, cache and
 * single flight: separate environments) sharing one table (dynalite) and one key (the KMS
 * stand-in) through the real SDK clients, and one Box simulator, all on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { abortableSleep } from '../../lambda/box/retry.js';
import { noDeadline } from '../../lambda/deadline.js';
import { readString } from '../../lambda/state/state-table.js';
import { type BoxSimulator, startBoxSimulator } from '../../local/box-simulator/index.js';
import {
  startTestFleetState,
  type TestFleetState,
  type TestState,
} from '../support/fleet-state.js';
import {
  CLIENT_ID,
  ENTERPRISE_ID,
  type Harness,
  SECRET_V1,
  startHarness,
} from '../support/harness.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SYNC_MS = 5000;
/** The enterprise token's cache key in the default tenant, secret version v1. */
const ENTERPRISE_KEY = { tenant: 'default', cacheKey: `default|enterprise|${ENTERPRISE_ID}|||v1` };
const TOKEN_BODY = JSON.stringify({});

let fleet: TestFleetState;
let simulator: BoxSimulator;
const clock = { now: T0 };
const open: Harness[] = [];

beforeAll(async () => {
  fleet = await startTestFleetState();
  simulator = await startBoxSimulator({
    enterpriseId: ENTERPRISE_ID,
    credentials: [{ clientId: CLIENT_ID, clientSecret: SECRET_V1 }],
    now: () => clock.now,
  });
});
afterAll(async () => {
  await simulator?.close();
  await fleet?.close();
});
afterEach(async () => {
  fleet.dynamodbProxy.fault = undefined;
  fleet.kmsProxy.fault = undefined;
  await Promise.all(open.splice(0).map((h) => h.close()));
});

interface Fleet {
  state: TestState;
  envs: Harness[];
}

/**
 * `count` environments of one deployment on a fresh table. Polls for another environment's token
 * advance the fake clock (`clock`), or wait for real (`real`: the holder mints in real time).
 */
async function environments(
  count: number,
  options: { sleep?: 'clock' | 'real'; callTimeoutMs?: number } = {},
): Promise<Fleet> {
  const now = () => clock.now;
  const state = await fleet.newState({ now });
  const envs = await Promise.all(
    Array.from({ length: count }, () =>
      startHarness({
        sharedSimulator: simulator,
        clock,
        env: {
          BOX_STATE_TABLE: state.tableName,
          BOX_STATE_KMS_KEY: fleet.local.kms.alias,
          BOX_STATE_SYNC_SECONDS: String(SYNC_MS / 1000),
        },
        runtime: {
          fleetState: fleet.attach(state.tableName, {
            now,
            callTimeoutMs: options.callTimeoutMs ?? 2000,
          }),
          ...(options.sleep === 'real' ? { fleetSleep: abortableSleep } : {}),
        },
      }),
    ),
  );
  open.push(...envs);
  return { state, envs };
}

async function token(env: Harness, body = TOKEN_BODY) {
  return env.api('POST', '/token', { body });
}

/** The request log line a harness wrote last. */
function lastLine(env: Harness): Record<string, unknown> {
  return JSON.parse(env.logLines.at(-1) ?? '{}') as Record<string, unknown>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('Fleet state: shared tokens', () => {
  it('serves a token minted in one environment to another with no Box call', async () => {
    // Arrange
    const { envs } = await environments(2);
    const [a, b] = envs as [Harness, Harness];
    const first = await token(a);
    const grants = simulator.tokenCallCount();

    // Act
    const second = await token(b);

    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.access_token).toBe(first.body.access_token);
    expect(simulator.tokenCallCount()).toBe(grants);
    expect(lastLine(b)).toMatchObject({ state_hit: true, StateHits: 1, box_calls: 0 });
  });

  it('makes one Box grant for 20 environments’ simultaneous cold misses', async () => {
    // Arrange: the waiters poll in real time while the leaseholder mints.
    const { envs } = await environments(20, { sleep: 'real' });
    const grants = simulator.tokenCallCount();

    // Act
    const answers = await Promise.all(envs.map((env) => token(env)));

    // Assess
    expect(answers.map((a) => a.status)).toEqual(envs.map(() => 200));
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(1);
    expect(simulator.tokenCallCount() - grants).toBe(1);
  });

  it('takes over the lease of a holder that died, once the lease ends (fake clock)', async () => {
    // Arrange: a holder took the lease and died before writing a token.
    const { state, envs } = await environments(1);
    const [env] = envs as [Harness];
    expect(await state.tokens.lease(ENTERPRISE_KEY, 'dead-env', 4000, noDeadline())).toBe(true);
    const grants = simulator.tokenCallCount();
    const start = clock.now;

    // Act
    const answer = await token(env);

    // Assess: it waited out the lease (BOX_HTTP_TIMEOUT_MS, 4 s), then minted once itself.
    expect(answer.status).toBe(200);
    expect(clock.now - start).toBeGreaterThanOrEqual(4000);
    expect(simulator.tokenCallCount() - grants).toBe(1);
  });

  it('never serves an item that does not decrypt under the reader’s context, and replaces it', async () => {
    // Arrange: one environment stores a token; someone flips a byte of the sealed item.
    const { state, envs } = await environments(2);
    const [a, b] = envs as [Harness, Harness];
    const original = await token(a);
    const items = await state.scan();
    const item = items.find((i) => readString(i, 'pk') === 'token#default');
    if (item?.sealed?.B === undefined) throw new Error('no token item');
    const sealed = Buffer.from(item.sealed.B);
    sealed[20] = (sealed[20] ?? 0) ^ 0xff;
    const client = fleet.local.table.client();
    await client.send(
      new PutItemCommand({ TableName: state.tableName, Item: { ...item, sealed: { B: sealed } } }),
    );
    client.destroy();
    const grants = simulator.tokenCallCount();

    // Act
    const answer = await token(b);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.access_token).not.toBe(original.body.access_token);
    expect(simulator.tokenCallCount() - grants).toBe(1);
    expect(lastLine(b)).toMatchObject({ StateItemsRejected: 1 });
  });

  it('reads nothing from the table on warm hits inside the sync bound', async () => {
    const { envs } = await environments(1);
    const [env] = envs as [Harness];
    await token(env);
    const before = fleet.dynamodbProxy.requests;

    for (let i = 0; i < 10; i += 1) expect((await token(env)).status).toBe(200);

    expect(fleet.dynamodbProxy.requests).toBe(before);
  });
});

describe('Fleet state: revocation, dead tokens, suspension', () => {
  it('stops every environment serving a revoked token within the sync bound', async () => {
    // Arrange: both environments hold the same token.
    const { envs } = await environments(2);
    const [a, b] = envs as [Harness, Harness];
    const shared = String((await token(a)).body.access_token);
    expect((await token(b)).body.access_token).toBe(shared);

    // Act: revoked through A; B syncs within the bound.
    const revoked = await a.api('POST', '/revoke', { body: JSON.stringify({ token: shared }) });
    clock.now += SYNC_MS;
    const fromB = await token(b);
    const fromA = await token(a);

    // Assess
    expect(revoked.status).toBe(200);
    expect(fromB.status).toBe(200);
    expect(fromB.body.access_token).not.toBe(shared);
    expect(fromA.body.access_token).toBe(fromB.body.access_token);
  });

  it('stops every environment serving a token reported dead within the sync bound', async () => {
    const { envs } = await environments(2);
    const [a, b] = envs as [Harness, Harness];
    const dead = String((await token(a)).body.access_token);
    expect((await token(b)).body.access_token).toBe(dead);

    const replaced = await token(a, JSON.stringify({ dead_token_sha256: sha256(dead) }));
    clock.now += SYNC_MS;
    const fromB = await token(b);

    expect(replaced.status).toBe(200);
    expect(replaced.body.access_token).not.toBe(dead);
    expect(fromB.body.access_token).toBe(replaced.body.access_token);
  });

  it('answers 403 tenant_suspended in every environment within the bound, and serves again after resume', async () => {
    // Arrange
    const { state, envs } = await environments(3);
    for (const env of envs) expect((await token(env)).status).toBe(200);

    // Act: the operator CLI's store call.
    await state.controls.suspend('default', 'arn:aws:iam::111122223333:role/ops');
    clock.now += SYNC_MS;
    const suspended = await Promise.all(envs.map((env) => token(env)));
    await state.controls.resume('default', 'arn:aws:iam::111122223333:role/ops');
    clock.now += SYNC_MS;
    const resumed = await Promise.all(envs.map((env) => token(env)));

    // Assess
    for (const answer of suspended) {
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'tenant_suspended', retryable: false });
    }
    expect(resumed.map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('keeps nothing secret in any table attribute', async () => {
    // Arrange: tokens shared, one revoked, one reported dead, a tenant suspended.
    const { state, envs } = await environments(2);
    const [a, b] = envs as [Harness, Harness];
    const first = String((await token(a)).body.access_token);
    await token(b);
    await a.api('POST', '/revoke', { body: JSON.stringify({ token: first }) });
    clock.now += SYNC_MS;
    const second = String((await token(b)).body.access_token);
    await token(b, JSON.stringify({ dead_token_sha256: sha256(second) }));
    await state.controls.suspend('acme', 'arn:aws:iam::111122223333:role/ops');

    // Act
    const dump = JSON.stringify(await state.scan(), (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
    );

    // Assess
    for (const issued of simulator.issuedTokens()) expect(dump).not.toContain(issued.accessToken);
    expect(dump).not.toContain(SECRET_V1);
    expect(dump).not.toContain(CLIENT_ID);
  });
});

describe('Fleet state: degraded, never down', () => {
  it.each([
    ['table throttled', 'dynamodb', { kind: 'throttled' }],
    ['table denied', 'dynamodb', { kind: 'denied' }],
    ['table unreachable', 'dynamodb', { kind: 'reset' }],
    ['table slow', 'dynamodb', { kind: 'slow', delayMs: 1000 }],
    ['KMS denied', 'kms', { kind: 'denied' }],
    ['KMS throttled', 'kms', { kind: 'throttled' }],
  ] as const)(
    'serves from Box when the %s, and counts StateErrors',
    async (_name, which, fault) => {
      // Arrange
      const { envs } = await environments(2, { callTimeoutMs: 200 });
      const [a, b] = envs as [Harness, Harness];
      await token(a);
      (which === 'dynamodb' ? fleet.dynamodbProxy : fleet.kmsProxy).fault = fault;

      // Act: a cold environment, and the warm one after its sync bound.
      const cold = await token(b);
      clock.now += SYNC_MS;
      const warm = await token(a);

      // Assess
      expect(cold.status).toBe(200);
      expect(warm.status).toBe(200);
      expect(lastLine(b)).toMatchObject({ StateErrors: expect.any(Number) });
      expect(Number(lastLine(b).StateErrors)).toBeGreaterThan(0);
    },
  );

  it('keeps a revoked token refused while the table is down', async () => {
    const { envs } = await environments(1);
    const [env] = envs as [Harness];
    const first = String((await token(env)).body.access_token);
    fleet.dynamodbProxy.fault = { kind: 'denied' };

    const revoked = await env.api('POST', '/revoke', { body: JSON.stringify({ token: first }) });
    clock.now += SYNC_MS;
    const next = await token(env);

    expect(revoked.status).toBe(200);
    expect(next.status).toBe(200);
    expect(next.body.access_token).not.toBe(first);
  });
});
