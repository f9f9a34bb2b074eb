/**
 * FleetLink, the broker's side of fleet state, on the in-memory twins (and a failing store): how
 * often it reads the controls, what stays in force when the table fails, and the lease protocol.
 */
import { describe, expect, it } from 'vitest';
import { FleetLink } from '../lambda/broker/fleet-link.js';
import type { IssuedToken, RequestScope } from '../lambda/broker/types.js';
import { noDeadline } from '../lambda/deadline.js';
import { MemoryFleetControls, MemorySharedTokenStore } from '../lambda/state/memory-stores.js';
import type { FleetControlStore, FleetControls } from '../lambda/state/ports.js';
import { StateUnavailableError } from '../lambda/state/state-call.js';
import { startTrace } from '../lambda/trace/request-trace.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;

function fakeClock() {
  let now = T0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function scope(): RequestScope {
  return {
    entry: 'api',
    caller: { kind: 'anonymous' },
    trace: startTrace('r', 'api', 'POST /token', { kind: 'anonymous' }, T0),
    deadline: noDeadline(),
  } as RequestScope;
}

/** A controls store that counts reads and fails when told to. */
class CountingControls implements FleetControlStore {
  reads = 0;
  failing = false;
  readonly inner: MemoryFleetControls;
  constructor(now: () => number) {
    this.inner = new MemoryFleetControls(now);
  }
  recordRevoked(...args: Parameters<FleetControlStore['recordRevoked']>) {
    if (this.failing) return Promise.reject(new StateUnavailableError('denied', 'write'));
    return this.inner.recordRevoked(...args);
  }
  suspend(tenant: string, by: string) {
    return this.inner.suspend(tenant, by);
  }
  resume(tenant: string, by: string) {
    return this.inner.resume(tenant, by);
  }
  controls(deadline: Parameters<FleetControlStore['controls']>[0]): Promise<FleetControls> {
    this.reads += 1;
    if (this.failing) return Promise.reject(new StateUnavailableError('throttled', 'query'));
    return this.inner.controls(deadline);
  }
  suspensions() {
    return this.inner.suspensions();
  }
}

/** What every link here shares: environment A, a 4 s lease, a 5 s sync, on the fake clock. */
function settingsOn(clock: ReturnType<typeof fakeClock>) {
  return {
    controls: new MemoryFleetControls(clock.now) as FleetControlStore,
    holder: 'env-a',
    leaseMs: 4000,
    syncMs: 5000,
    refreshMarginMs: 300_000,
    now: clock.now,
  };
}

function link(clock: ReturnType<typeof fakeClock>, controls: FleetControlStore) {
  const tokens = new MemorySharedTokenStore(clock.now);
  const fleet = new FleetLink({
    tokens,
    ...settingsOn(clock),
    controls,
    sleep: async (ms) => clock.advance(ms),
    random: () => 0.5,
  });
  return { fleet, tokens };
}

function issued(accessToken: string, expiresAtMs: number): IssuedToken {
  return {
    accessToken,
    expiresAtMs,
    grantedSeconds: 3600,
    restrictedTo: [],
    versionId: 'v1',
    tokenHash: 'x',
  };
}

describe('FleetLink: controls', () => {
  it('reads the controls at most once per sync interval', async () => {
    const clock = fakeClock();
    const store = new CountingControls(clock.now);
    const { fleet } = link(clock, store);

    await Promise.all([fleet.controls(scope()), fleet.controls(scope())]);
    clock.advance(4999);
    await fleet.controls(scope());
    clock.advance(1);
    await fleet.controls(scope());

    expect(store.reads).toBe(2);
  });

  it('keeps the last controls in force when a sync fails, counts it, and retries after a second', async () => {
    // Arrange: a suspension synced, then the table fails.
    const clock = fakeClock();
    const store = new CountingControls(clock.now);
    const { fleet } = link(clock, store);
    await store.suspend('acme', 'ops');
    await fleet.controls(scope());
    store.failing = true;
    clock.advance(5000);

    // Act
    const failedScope = scope();
    const during = await fleet.controls(failedScope);
    await fleet.controls(scope());
    clock.advance(1000);
    await fleet.controls(scope());

    // Assess
    expect([...during.suspendedTenants]).toEqual(['acme']);
    expect(failedScope.trace).toMatchObject({ stateErrors: 1, stateError: 'throttled' });
    expect(store.reads).toBe(3);
  });

  it('honours its own revocations at once, even when the table refuses them', async () => {
    const clock = fakeClock();
    const store = new CountingControls(clock.now);
    const { fleet } = link(clock, store);
    store.failing = true;

    await fleet.recordRevoked('acme', 'a'.repeat(64), T0 + HOUR, scope());
    store.failing = false;
    clock.advance(5000);
    await fleet.controls(scope());

    expect(fleet.revoked().has('a'.repeat(64))).toBe(true);
  });
});

describe('FleetLink: load', () => {
  it('mints as leaseholder, shares the token, and frees the lease for the next', async () => {
    const clock = fakeClock();
    const { fleet, tokens } = link(clock, new MemoryFleetControls(clock.now));
    let mints = 0;
    const mint = async () => {
      mints += 1;
      return issued(`token-${mints}`, T0 + HOUR);
    };

    const first = await fleet.load('acme', 'k', 0, undefined, scope(), mint);
    const second = await fleet.load('acme', 'k', 0, undefined, scope(), mint);

    expect(first.accessToken).toBe('token-1');
    expect(second.accessToken).toBe('token-1');
    expect(mints).toBe(1);
    expect(await tokens.lease({ tenant: 'acme', cacheKey: 'k' }, 'env-b', 4000, noDeadline())).toBe(
      true,
    );
  });

  it('never takes a token inside the refresh margin or short of min_ttl from the table', async () => {
    const clock = fakeClock();
    const { fleet, tokens } = link(clock, new MemoryFleetControls(clock.now));
    await tokens.write(
      { tenant: 'acme', cacheKey: 'k' },
      { payload: JSON.stringify(issued('old', T0 + 200_000)), expiresAtMs: T0 + 200_000 },
      noDeadline(),
    );

    const token = await fleet.load('acme', 'k', 0, undefined, scope(), async () =>
      issued('fresh', T0 + HOUR),
    );

    expect(token.accessToken).toBe('fresh');
  });

  it('releases the lease when its mint fails, so another environment mints at once', async () => {
    const clock = fakeClock();
    const { fleet, tokens } = link(clock, new MemoryFleetControls(clock.now));

    await expect(
      fleet.load('acme', 'k', 0, undefined, scope(), () => Promise.reject(new Error('box down'))),
    ).rejects.toThrow('box down');

    expect(await tokens.lease({ tenant: 'acme', cacheKey: 'k' }, 'env-b', 4000, noDeadline())).toBe(
      true,
    );
  });
});

describe('FleetLink: load when the table stumbles', () => {
  /** A token store whose reads fail as told (by call number). */
  function flaky(
    inner: MemorySharedTokenStore,
    failures: Record<number, 'timeout' | 'denied'>,
  ): MemorySharedTokenStore & { reads: number } {
    const store = Object.create(inner) as MemorySharedTokenStore & { reads: number };
    store.reads = 0;
    store.read = async (key, deadline) => {
      store.reads += 1;
      const failure = failures[store.reads];
      if (failure !== undefined) throw new StateUnavailableError(failure, 'read');
      return inner.read(key, deadline);
    };
    return store;
  }

  it('waits out a slow poll while another environment mints, instead of minting again', async () => {
    // Arrange: env-b holds the lease; this environment's second read times out; env-b's token
    // lands during the wait.
    const clock = fakeClock();
    const inner = new MemorySharedTokenStore(clock.now);
    const key = { tenant: 'acme', cacheKey: 'k' };
    await inner.lease(key, 'env-b', 4000, noDeadline());
    const tokens = flaky(inner, { 2: 'timeout' });
    let polls = 0;
    const fleet = new FleetLink({
      tokens,
      ...settingsOn(clock),
      sleep: async (ms) => {
        clock.advance(ms);
        polls += 1;
        if (polls === 2) {
          const token = issued('from-env-b', T0 + HOUR);
          await inner.write(
            key,
            { payload: JSON.stringify(token), expiresAtMs: T0 + HOUR },
            noDeadline(),
          );
        }
      },
      random: () => 0.5,
    });
    let mints = 0;
    const request = scope();

    // Act
    const token = await fleet.load('acme', 'k', 0, undefined, request, async () => {
      mints += 1;
      return issued('own', T0 + HOUR);
    });

    // Assess
    expect(token.accessToken).toBe('from-env-b');
    expect(mints).toBe(0);
    expect(request.trace).toMatchObject({ stateHit: true, stateErrors: 1, stateError: 'timeout' });
  });

  /**
   * A token store whose first lease call times out: after the write landed (`landed`), or
   * before it reached the table.
   */
  function leaseTimesOutOnce(inner: MemorySharedTokenStore, landed: boolean) {
    const store = Object.create(inner) as MemorySharedTokenStore & { leaseCalls: number };
    store.leaseCalls = 0;
    store.lease = async (key, holder, leaseMs, deadline) => {
      store.leaseCalls += 1;
      if (store.leaseCalls > 1) return inner.lease(key, holder, leaseMs, deadline);
      if (landed) await inner.lease(key, holder, leaseMs, deadline);
      throw new StateUnavailableError('timeout', 'write');
    };
    return store;
  }

  function linkOn(tokens: MemorySharedTokenStore, clock: ReturnType<typeof fakeClock>) {
    return new FleetLink({
      tokens,
      ...settingsOn(clock),
      sleep: async (ms) => clock.advance(ms),
      random: () => 0.5,
    });
  }

  it('asks again when its lease write timed out after landing, and mints as the leaseholder', async () => {
    // Arrange: a burst slows the table; this environment's lease lands but its answer is late.
    const clock = fakeClock();
    const inner = new MemorySharedTokenStore(clock.now);
    const key = { tenant: 'acme', cacheKey: 'k' };
    const tokens = leaseTimesOutOnce(inner, true);

    // Act
    const token = await linkOn(tokens, clock).load('acme', 'k', 0, undefined, scope(), async () =>
      issued('own', T0 + HOUR),
    );

    // Assess: shared with the fleet and the lease freed, not held until it ends.
    expect(token.accessToken).toBe('own');
    expect(tokens.leaseCalls).toBe(2);
    expect((await inner.read(key, noDeadline())).kind).toBe('hit');
    expect(await inner.lease(key, 'env-b', 4000, noDeadline())).toBe(true);
  });

  it('waits for the leaseholder when its own lease write timed out, instead of minting beside it', async () => {
    // Arrange: env-b holds the lease; its token lands while this environment polls.
    const clock = fakeClock();
    const inner = new MemorySharedTokenStore(clock.now);
    const key = { tenant: 'acme', cacheKey: 'k' };
    await inner.lease(key, 'env-b', 4000, noDeadline());
    const fromB = issued('from-env-b', T0 + HOUR);
    const fleet = new FleetLink({
      tokens: leaseTimesOutOnce(inner, false),
      ...settingsOn(clock),
      sleep: async (ms) => {
        clock.advance(ms);
        const payload = JSON.stringify(fromB);
        await inner.write(key, { payload, expiresAtMs: fromB.expiresAtMs }, noDeadline());
      },
      random: () => 0.5,
    });
    let mints = 0;

    // Act
    const served = await fleet.load('acme', 'k', 0, undefined, scope(), async () => {
      mints += 1;
      return issued('own', T0 + HOUR);
    });

    // Assess
    expect(served.accessToken).toBe('from-env-b');
    expect(mints).toBe(0);
  });

  it('mints at once, taking no lease, when the key refuses to decrypt (denied)', async () => {
    const clock = fakeClock();
    const inner = new MemorySharedTokenStore(clock.now);
    const fleet = new FleetLink({
      tokens: flaky(inner, { 1: 'denied' }),
      ...settingsOn(clock),
      sleep: async (ms) => clock.advance(ms),
    });

    const token = await fleet.load('acme', 'k', 0, undefined, scope(), async () =>
      issued('own', T0 + HOUR),
    );

    expect(token.accessToken).toBe('own');
    expect(await inner.lease({ tenant: 'acme', cacheKey: 'k' }, 'env-b', 4000, noDeadline())).toBe(
      true,
    );
  });
});
