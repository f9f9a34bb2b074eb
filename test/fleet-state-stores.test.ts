/**
 * The fleet-state stores against real protocols (dynalite and the KMS stand-in through the real
 * SDK clients), and their in-memory twins against the same behavioural suite.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deadline, noDeadline } from '../lambda/deadline.js';
import { MemoryFleetControls, MemorySharedTokenStore } from '../lambda/state/memory-stores.js';
import type { FleetControlStore, SharedTokenKey, SharedTokenStore } from '../lambda/state/ports.js';
import { StateUnavailableError } from '../lambda/state/state-call.js';
import { readString } from '../lambda/state/state-table.js';
import { cacheKeyHash } from '../lambda/state/token-sealer.js';
import { startTestFleetState, type TestFleetState } from './support/fleet-state.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const KEY: SharedTokenKey = { tenant: 'acme', cacheKey: 'enterprise|root_readwrite|v1' };
const OTHER: SharedTokenKey = { tenant: 'globex', cacheKey: 'enterprise|root_readwrite|v1' };
const PAYLOAD = JSON.stringify({ access_token: 'tok-SECRET-abc123', scopes: ['root_readwrite'] });

function fakeClock(start = T0) {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}

const deadline: Deadline = noDeadline();

let fleet: TestFleetState;
beforeAll(async () => {
  fleet = await startTestFleetState();
});
afterAll(async () => {
  await fleet?.close();
});

/** The same behaviour from the table store and its twin. */
describe.each([
  [
    'table',
    async (now: () => number) => {
      const state = await fleet.newState({ now });
      return { tokens: state.tokens, controls: state.controls };
    },
  ],
  [
    'memory',
    async (now: () => number) => ({
      tokens: new MemorySharedTokenStore(now) as SharedTokenStore,
      controls: new MemoryFleetControls(now) as FleetControlStore,
    }),
  ],
] as const)('%s stores', (_name, build) => {
  it('serves a written token to any reader of the same key until it expires', async () => {
    // Arrange
    const clock = fakeClock();
    const { tokens } = await build(clock.now);
    await tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);

    // Act
    const hit = await tokens.read(KEY, deadline);
    const otherKey = await tokens.read(OTHER, deadline);
    clock.advance(HOUR);
    const expired = await tokens.read(KEY, deadline);

    // Assess
    expect(hit).toEqual({ kind: 'hit', token: { payload: PAYLOAD, expiresAtMs: T0 + HOUR } });
    expect(otherKey).toEqual({ kind: 'miss' });
    expect(expired).toEqual({ kind: 'miss' });
  });

  it('drops a token so no reader gets it again', async () => {
    const { tokens } = await build(fakeClock().now);
    await tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);

    await tokens.drop(KEY, deadline);

    expect(await tokens.read(KEY, deadline)).toEqual({ kind: 'miss' });
  });

  it('gives a key’s lease to one holder until it ends or is released', async () => {
    // Arrange
    const clock = fakeClock();
    const { tokens } = await build(clock.now);

    // Act / Assess: one holder at a time.
    expect(await tokens.lease(KEY, 'env-a', 4000, deadline)).toBe(true);
    expect(await tokens.lease(KEY, 'env-b', 4000, deadline)).toBe(false);
    expect(await tokens.lease(OTHER, 'env-b', 4000, deadline)).toBe(true);
    // The holder's own live lease is its again (a retried write whose first answer was lost).
    expect(await tokens.lease(KEY, 'env-a', 4000, deadline)).toBe(true);
    // A release by someone else does nothing; the holder's own frees the key.
    await tokens.release(KEY, 'env-b', deadline);
    expect(await tokens.lease(KEY, 'env-c', 4000, deadline)).toBe(false);
    await tokens.release(KEY, 'env-a', deadline);
    expect(await tokens.lease(KEY, 'env-c', 4000, deadline)).toBe(true);
    // A dead holder's lease is taken over once it ends.
    clock.advance(3999);
    expect(await tokens.lease(KEY, 'env-d', 4000, deadline)).toBe(false);
    clock.advance(1);
    expect(await tokens.lease(KEY, 'env-d', 4000, deadline)).toBe(true);
  });

  it('keeps revocations until the token would expire, and suspensions until resumed', async () => {
    // Arrange
    const clock = fakeClock();
    const { controls } = await build(clock.now);
    await controls.recordRevoked('acme', 'a'.repeat(64), T0 + 60_000, deadline);
    await controls.suspend('globex', 'arn:aws:iam::111122223333:role/ops');

    // Act
    const first = await controls.controls(deadline);
    clock.advance(60_000);
    await controls.resume('globex', 'arn:aws:iam::111122223333:role/ops');
    const later = await controls.controls(deadline);

    // Assess
    expect([...first.revokedSha256]).toEqual(['a'.repeat(64)]);
    expect([...first.suspendedTenants]).toEqual(['globex']);
    expect(later.revokedSha256.size).toBe(0);
    expect(later.suspendedTenants.size).toBe(0);
  });

  it('lists suspensions with who suspended and when', async () => {
    const { controls } = await build(fakeClock().now);
    await controls.suspend('acme', 'arn:aws:iam::111122223333:role/ops');

    expect(await controls.suspensions()).toEqual([
      { tenant: 'acme', by: 'arn:aws:iam::111122223333:role/ops', sinceMs: T0 },
    ]);
  });
});

describe('table token store: encryption', () => {
  it('stores nothing a table reader could use: no token, payload or cache key in any attribute', async () => {
    // Arrange
    const state = await fleet.newState({ now: fakeClock().now });

    // Act
    await state.tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);
    await state.tokens.lease(KEY, 'env-a', 4000, deadline);

    // Assess: a full scan, every attribute as text and as bytes.
    const dump = JSON.stringify(await state.scan(), (_k, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
    );
    expect(dump).not.toContain('tok-SECRET-abc123');
    expect(dump).not.toContain('root_readwrite');
    expect(dump).not.toContain(KEY.cacheKey);
    expect(dump).toContain(cacheKeyHash(KEY.cacheKey));
  });

  it('binds the ciphertext to tenant and key: a moved or altered item is rejected, never served', async () => {
    // Arrange: the item of KEY copied under OTHER's key, and a copy with one byte flipped.
    const state = await fleet.newState({ now: fakeClock().now });
    await state.tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);
    const [item] = (await state.scan()).filter((i) => readString(i, 'pk') === 'token#acme');
    if (item === undefined) throw new Error('no token item');
    const client = fleet.local.table.client();
    await client.send(
      new PutItemCommand({
        TableName: state.tableName,
        Item: { ...item, pk: { S: 'token#globex' } },
      }),
    );
    const sealed = Buffer.from(item.sealed?.B ?? new Uint8Array());
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    const moved = { tenant: 'acme', cacheKey: 'user:42|root_readonly|v1' };
    await client.send(
      new PutItemCommand({
        TableName: state.tableName,
        Item: { ...item, sk: { S: cacheKeyHash(moved.cacheKey) } },
      }),
    );
    await client.send(
      new PutItemCommand({ TableName: state.tableName, Item: { ...item, sealed: { B: sealed } } }),
    );
    client.destroy();

    // Act / Assess
    expect(await state.tokens.read(OTHER, deadline)).toEqual({ kind: 'rejected' });
    expect(await state.tokens.read(moved, deadline)).toEqual({ kind: 'rejected' });
    expect(await state.tokens.read(KEY, deadline)).toEqual({ kind: 'rejected' });
  });

  it('names only the app, the tenant and the key’s hash in the encryption context', async () => {
    const state = await fleet.newState({ now: fakeClock().now });
    const before = fleet.local.kms.contexts.length;

    await state.tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);

    expect({ ...fleet.local.kms.contexts[before] }).toEqual({
      app: 'box-token-broker',
      tenant: 'acme',
      key: cacheKeyHash(KEY.cacheKey),
    });
  });
});

describe('table stores: failures become StateUnavailableError', () => {
  it.each([
    [{ kind: 'throttled' } as const, 'throttled'],
    [{ kind: 'denied' } as const, 'denied'],
    [{ kind: 'reset' } as const, 'unreachable'],
    [{ kind: 'slow', delayMs: 1000 } as const, 'timeout'],
  ])('table fault %o is %s', async (fault, failure) => {
    // Arrange
    const state = await fleet.newState({ now: fakeClock().now, callTimeoutMs: 200 });
    fleet.dynamodbProxy.fault = fault;

    // Act
    const read = state.tokens.read(KEY, deadline).catch((error: unknown) => error);
    const controls = state.controls.controls(deadline).catch((error: unknown) => error);

    // Assess
    try {
      for (const outcome of [await read, await controls]) {
        expect(outcome).toBeInstanceOf(StateUnavailableError);
        expect((outcome as StateUnavailableError).failure).toBe(failure);
      }
    } finally {
      fleet.dynamodbProxy.fault = undefined;
    }
  });

  it.each([
    [{ kind: 'denied' } as const, 'denied'],
    [{ kind: 'throttled' } as const, 'throttled'],
  ])('KMS fault %o is %s, on write and on read', async (fault, failure) => {
    // Arrange: a token in the table, then the key fails.
    const state = await fleet.newState({ now: fakeClock().now });
    await state.tokens.write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline);
    fleet.kmsProxy.fault = fault;

    // Act
    const write = state.tokens
      .write(OTHER, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline)
      .catch((error: unknown) => error);
    const read = state.tokens.read(KEY, deadline).catch((error: unknown) => error);

    // Assess
    try {
      for (const outcome of [await write, await read]) {
        expect(outcome).toBeInstanceOf(StateUnavailableError);
        expect((outcome as StateUnavailableError).failure).toBe(failure);
      }
    } finally {
      fleet.kmsProxy.fault = undefined;
    }
  });

  it('reports a disabled key as a KMS failure, and its message names no key or value', async () => {
    const state = await fleet.newState({ now: fakeClock().now });
    fleet.local.kms.setFault({ kind: 'disabled' });
    try {
      const outcome = await state.tokens
        .write(KEY, { payload: PAYLOAD, expiresAtMs: T0 + HOUR }, deadline)
        .catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(StateUnavailableError);
      expect((outcome as StateUnavailableError).failure).toBe('kms');
      expect((outcome as Error).message).toBe('Fleet state encrypt failed: kms.');
    } finally {
      fleet.local.kms.setFault(undefined);
    }
  });

  it('never runs past the request’s deadline', async () => {
    const state = await fleet.newState({ now: fakeClock().now, callTimeoutMs: 5000 });
    fleet.dynamodbProxy.fault = { kind: 'slow', delayMs: 2000 };
    const controller = new AbortController();
    const tight: Deadline = { signal: controller.signal, atMs: Date.now() + 50 };
    try {
      const pending = state.tokens.read(KEY, tight).catch((error: unknown) => error);
      controller.abort(new DOMException('deadline', 'TimeoutError'));
      const outcome = await pending;
      expect(outcome).toBeInstanceOf(StateUnavailableError);
      expect((outcome as StateUnavailableError).failure).toBe('timeout');
    } finally {
      fleet.dynamodbProxy.fault = undefined;
    }
  });
});
