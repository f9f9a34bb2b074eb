/**
 * The tenant health store's contract, on every implementation: only one caller wins a
 * transition, a recovery from a live rejection only from that reason, one claim at a time on an
 * announcement, settled by the transition's own time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantHealthRecord, TenantHealthStore } from '../lambda/state/ports.js';
import { readString } from '../lambda/state/state-table.js';
import { TableTenantHealth } from '../lambda/state/table-tenant-health.js';
import { MemoryTenantHealthStore } from '../lambda/state/tenant-health-memory.js';
import { startTestFleetState, type TestFleetState } from './support/fleet-state.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);

let fleet: TestFleetState;
beforeAll(async () => {
  fleet = await startTestFleetState();
});
afterAll(async () => {
  await fleet?.close();
});

const STORES: [string, () => Promise<TenantHealthStore>][] = [
  ['MemoryTenantHealthStore', async () => new MemoryTenantHealthStore()],
  // Each environment its own client on one dynalite table, through the real SDK.
  ['TableTenantHealth', async () => new TableTenantHealth((await fleet.newState()).table)],
];

const unhealthy = (tenant: string, sinceMs: number, reason = 'credentials_rejected') =>
  ({
    tenant,
    state: 'unhealthy',
    reason,
    sinceMs,
    announced: false,
    event: `{"detailType":"Box Tenant Unhealthy","detail":{"tenant":"${tenant}"}}`,
    claimedUntilMs: sinceMs + 10_000,
  }) satisfies TenantHealthRecord;

describe.each(STORES)('Port: TenantHealthStore (%s)', (_name, open) => {
  it('lets exactly one of many concurrent callers make a transition', async () => {
    const store = await open();
    const wins = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.transition(unhealthy('acme', T0 + i))),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect((await store.get('acme'))?.state).toBe('unhealthy');
    // Already there: no second transition into the same state.
    expect(await store.transition(unhealthy('acme', T0 + 100))).toBe(false);
  });

  it('recovers from a reason only when the tenant is unhealthy for that reason', async () => {
    const store = await open();
    const healthy = (sinceMs: number): TenantHealthRecord => ({
      tenant: 'acme',
      state: 'healthy',
      reason: 'credentials_rejected',
      sinceMs,
      announced: true,
    });
    expect(await store.transition(healthy(T0), 'credentials_rejected')).toBe(false);
    await store.transition(unhealthy('acme', T0, 'setup_check'));
    expect(await store.transition(healthy(T0 + 1), 'credentials_rejected')).toBe(false);
    expect(await store.transition(healthy(T0 + 2))).toBe(true);
    expect(await store.get('acme')).toEqual(healthy(T0 + 2));
  });

  it('gives an announcement to one claimant at a time, and to another once the claim runs out', async () => {
    const store = await open();
    await store.transition(unhealthy('acme', T0));
    // The transition's writer holds it until T0 + 10 s.
    expect(await store.claimAnnouncement('acme', T0, T0 + 5_000, T0 + 15_000)).toBe(false);
    const claims = await Promise.all(
      Array.from({ length: 5 }, () =>
        store.claimAnnouncement('acme', T0, T0 + 10_000, T0 + 20_000),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    // A claim given up (a failed PutEvents) can be taken at once.
    await store.settleAnnouncement('acme', T0, false);
    expect(await store.claimAnnouncement('acme', T0, T0 + 11_000, T0 + 21_000)).toBe(true);
    // Announced: nobody claims it again, and the event is no longer kept.
    await store.settleAnnouncement('acme', T0, true);
    expect(await store.claimAnnouncement('acme', T0, T0 + 60_000, T0 + 70_000)).toBe(false);
    const record = await store.get('acme');
    expect(record?.announced).toBe(true);
    expect(record?.event).toBeUndefined();
    expect(record?.claimedUntilMs).toBeUndefined();
  });

  it('settles and claims only the transition at the given time', async () => {
    const store = await open();
    await store.transition(unhealthy('acme', T0));
    await store.settleAnnouncement('acme', T0 - 1, true);
    expect((await store.get('acme'))?.announced).toBe(false);
    expect(await store.claimAnnouncement('acme', T0 - 1, T0 + 20_000, T0 + 30_000)).toBe(false);
    expect(await store.claimAnnouncement('nobody', T0, T0 + 20_000, T0 + 30_000)).toBe(false);
  });

  it('lists every tenant it holds, and an unknown tenant is undefined', async () => {
    const store = await open();
    await store.transition(unhealthy('globex', T0));
    await store.transition(unhealthy('acme', T0));
    expect((await store.list()).map((record) => record.tenant).sort()).toEqual(['acme', 'globex']);
    expect(await store.get('initech')).toBeUndefined();
  });

  it('keeps tenant IDs as data, never as object keys', async () => {
    const store = await open();
    await store.transition(unhealthy('__proto__', T0));
    await store.transition(unhealthy('constructor', T0));
    expect((await store.get('__proto__'))?.tenant).toBe('__proto__');
    expect(await store.get('toString')).toBeUndefined();
  });
});

describe('Class: TableTenantHealth', () => {
  it('keeps one item per tenant in the health# partition, which several environments share', async () => {
    const state = await fleet.newState();
    const [a, b] = [
      new TableTenantHealth(state.table),
      new TableTenantHealth(fleet.attach(state.tableName).table),
    ];
    expect(await a.transition(unhealthy('acme', T0))).toBe(true);
    expect(await b.transition(unhealthy('acme', T0 + 1))).toBe(false);
    expect((await b.get('acme'))?.sinceMs).toBe(T0);
    const items = await state.scan();
    expect(items.map((item) => [readString(item, 'pk'), readString(item, 'sk')])).toEqual([
      ['health#', 'acme'],
    ]);
    expect(items[0]).not.toHaveProperty('ttl');
  });

  it('lists health items only, not the other families of the table', async () => {
    const state = await fleet.newState();
    await state.controls.suspend('acme', 'arn:aws:iam::111122223333:user/ops');
    const store = new TableTenantHealth(state.table);
    await store.transition(unhealthy('globex', T0));
    expect((await store.list()).map((record) => record.tenant)).toEqual(['globex']);
  });
});
