import {
  EventBridgeClient,
  InternalException,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBridgePublisher } from '../lambda/health/event-publisher.js';
import type { HealthObservation } from '../lambda/health/health-judge.js';
import { ANNOUNCE_CLAIM_MS, HealthMonitor } from '../lambda/health/health-monitor.js';
import { LiveHealthSignals } from '../lambda/health/live-signals.js';
import type { TenantHealthStore } from '../lambda/state/ports.js';
import { MemoryTenantHealthStore } from '../lambda/state/tenant-health-memory.js';
import type { LogEvent } from '../lambda/trace/request-logger.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const BUS = 'arn:aws:events:eu-west-1:111122223333:event-bus/default';

const rejected: HealthObservation = {
  kind: 'credentials_rejected',
  tenant: 'acme',
  boxError: 'invalid_client',
};
const accepted: HealthObservation = { kind: 'credentials_accepted', tenant: 'acme' };

let client: EventBridgeClient;
let eventBridge: AwsClientStub<EventBridgeClient>;

beforeEach(() => {
  client = new EventBridgeClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
  });
  eventBridge = mockClient(client);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
});

afterEach(() => {
  eventBridge.restore();
});

/** The entries put on the bus, in order. */
function entries(): PutEventsRequestEntry[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? []);
}

/** One environment: its own monitor over the shared store. */
function environment(store: TenantHealthStore, clock: { now: number }, lines: LogEvent[] = []) {
  return new HealthMonitor({
    store,
    publisher: new EventBridgePublisher({ client, eventBus: BUS, timeoutMs: 1000 }),
    log: (line) => lines.push(line),
    now: () => clock.now,
  });
}

const metricsOf = (lines: LogEvent[]) => lines.flatMap((line) => line.metrics ?? []);

describe('Class: HealthMonitor', () => {
  it('puts one Unhealthy and one Recovered on the bus, source box-token-broker, on the given bus', async () => {
    // Prepare
    const clock = { now: T0 };
    const monitor = environment(new MemoryTenantHealthStore(), clock);

    // Act
    expect(await monitor.check(rejected)).toBe('announced');
    expect(await monitor.check(rejected)).toBe('unchanged');
    clock.now += 60_000;
    expect(await monitor.check(accepted)).toBe('announced');
    expect(await monitor.check(accepted)).toBe('unchanged');

    // Assess
    expect(entries().map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
      ['box-token-broker', 'Box Tenant Unhealthy', BUS],
      ['box-token-broker', 'Box Tenant Recovered', BUS],
    ]);
    expect(JSON.parse(entries()[1]?.Detail ?? '')).toEqual({
      tenant: 'acme',
      reason: 'credentials_rejected',
      since: new Date(T0 + 60_000).toISOString(),
    });
    expect(entries()[0]?.Time).toEqual(new Date(T0));
  });

  it("writes the fields the dashboard's tenant health query reads", async () => {
    const lines: LogEvent[] = [];
    await environment(new MemoryTenantHealthStore(), { now: T0 }, lines).check(rejected);
    expect(lines[0]?.fields).toMatchObject({
      operation: 'tenant_health',
      tenant: 'acme',
      health: 'unhealthy',
      reason: 'credentials_rejected',
      since: new Date(T0).toISOString(),
    });
  });

  it('announces a transition once across environments sharing one store, however many see it', async () => {
    const store = new MemoryTenantHealthStore();
    const clock = { now: T0 };
    const fleet = Array.from({ length: 5 }, () => environment(store, clock));

    const outcomes = await Promise.all(
      fleet.flatMap((monitor) => [monitor.check(rejected), monitor.check(rejected)]),
    );

    expect(outcomes.filter((outcome) => outcome === 'announced')).toHaveLength(1);
    expect(entries()).toHaveLength(1);
    const recovered = await Promise.all(fleet.map((monitor) => monitor.check(accepted)));
    expect(recovered.filter((outcome) => outcome === 'announced')).toHaveLength(1);
    expect(entries().map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Recovered',
    ]);
  });

  it('counts a failed PutEvents and retries it on the next check, in any environment', async () => {
    // Prepare: EventBridge fails once (an exception), then once more (a failed entry).
    const store = new MemoryTenantHealthStore();
    const clock = { now: T0 };
    const lines: LogEvent[] = [];
    const [first, second] = [environment(store, clock, lines), environment(store, clock, lines)];
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(new InternalException({ $metadata: {}, message: 'arn:aws:events:secret-arn' }))
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });

    // Act + Assess
    expect(await first?.check(rejected)).toBe('failed');
    expect(metricsOf(lines)).toEqual([['HealthEventFailures', 1]]);
    expect(JSON.stringify(lines)).not.toContain('secret-arn');
    clock.now += 5_000;
    expect(await second?.check(rejected)).toBe('failed');
    clock.now += 5_000;
    expect(await second?.check(rejected)).toBe('retried');
    expect(await first?.check(rejected)).toBe('unchanged');
    expect(metricsOf(lines)).toEqual([
      ['HealthEventFailures', 1],
      ['HealthEventFailures', 1],
      ['HealthEventsPublished', 1],
    ]);
    // The same event each time: the transition's own time.
    expect(new Set(entries().map((entry) => entry.Detail)).size).toBe(1);
    expect(JSON.parse(entries()[2]?.Detail ?? '').since).toBe(new Date(T0).toISOString());
  });

  it('leaves an announcement claimed by a live environment alone until its claim runs out', async () => {
    const store = new MemoryTenantHealthStore();
    const clock = { now: T0 };
    // An environment that won the transition and froze before its PutEvents answered.
    await store.transition({
      tenant: 'acme',
      state: 'unhealthy',
      reason: 'credentials_rejected',
      sinceMs: T0,
      announced: false,
      claimedUntilMs: T0 + ANNOUNCE_CLAIM_MS,
      event: JSON.stringify({
        detailType: 'Box Tenant Unhealthy',
        detail: {
          tenant: 'acme',
          reason: 'credentials_rejected',
          since: new Date(T0).toISOString(),
        },
      }),
    });
    const other = environment(store, clock);
    expect(await other.check(rejected)).toBe('lost');
    clock.now += ANNOUNCE_CLAIM_MS;
    expect(await other.check(rejected)).toBe('retried');
    expect(entries()).toHaveLength(1);
  });

  it('counts a failing store and never throws', async () => {
    const lines: LogEvent[] = [];
    const broken: TenantHealthStore = {
      get: () =>
        Promise.reject(
          Object.assign(new Error('boom arn:aws:x'), {
            name: 'ProvisionedThroughputExceededException',
          }),
        ),
      transition: () => Promise.reject(new Error('no')),
      claimAnnouncement: () => Promise.reject(new Error('no')),
      settleAnnouncement: () => Promise.reject(new Error('no')),
      list: () => Promise.reject(new Error('no')),
    };
    const monitor = environment(broken, { now: T0 }, lines);
    expect(await monitor.check(rejected)).toBe('failed');
    expect(await monitor.sweep()).toBeUndefined();
    expect(metricsOf(lines)).toEqual([
      ['HealthStoreErrors', 1],
      ['HealthStoreErrors', 1],
    ]);
    expect(lines[0]?.fields.error).toBe('ProvisionedThroughputExceededException');
    expect(entries()).toHaveLength(0);
  });

  it('sweeps: announces every transition a failed PutEvents left unannounced', async () => {
    const store = new MemoryTenantHealthStore();
    const clock = { now: T0 };
    const monitor = environment(store, clock);
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(new InternalException({ $metadata: {}, message: 'x' }))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    expect(await monitor.check(rejected)).toBe('failed');
    const records = await monitor.sweep();
    expect(records?.map((record) => [record.tenant, record.state, record.announced])).toEqual([
      ['acme', 'unhealthy', true],
    ]);
    expect(entries().map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Unhealthy',
    ]);
  });
});

describe('Class: LiveHealthSignals', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one check per tenant and kind at a time, and settles when they are done', async () => {
    const store = new MemoryTenantHealthStore();
    const signals = new LiveHealthSignals(environment(store, { now: T0 }));
    for (let i = 0; i < 10; i += 1) signals.rejected('acme', 'invalid_client');
    expect(signals.pending).toBe(1);
    await signals.settle();
    expect(signals.pending).toBe(0);
    expect(entries()).toHaveLength(1);
  });

  it('spares a grant the store while it knows the tenant is healthy; reads again after the bound', async () => {
    // Prepare: two environments on one store; this one knows acme healthy for 5 s at a time.
    const store = new MemoryTenantHealthStore();
    let reads = 0;
    const counted: TenantHealthStore = {
      get: (tenant) => {
        reads += 1;
        return store.get(tenant);
      },
      transition: (next, from) => store.transition(next, from),
      claimAnnouncement: (...args) => store.claimAnnouncement(...args),
      settleAnnouncement: (...args) => store.settleAnnouncement(...args),
      list: () => store.list(),
    };
    const clock = { now: T0 };
    const signals = new LiveHealthSignals(environment(counted, clock), {
      knownHealthyMs: 5000,
      now: () => clock.now,
    });
    const other = environment(store, clock);
    signals.accepted('acme');
    await signals.settle();
    expect(reads).toBe(1);

    // Act: more grants inside the bound, while another environment sees Box refuse acme.
    for (let i = 0; i < 5; i += 1) {
      clock.now += 900;
      signals.accepted('acme');
      expect(signals.pending).toBe(0);
    }
    await other.check(rejected);

    // Assess: no read inside the bound; the first grant past it reads and announces the recovery.
    expect(reads).toBe(1);
    clock.now += 600;
    signals.accepted('acme');
    await signals.settle();
    expect(reads).toBe(2);
    expect(entries().map((entry) => entry.DetailType)).toEqual([
      'Box Tenant Unhealthy',
      'Box Tenant Recovered',
    ]);
    // A rejection seen here is checked at once, and forgets what this environment knew.
    signals.rejected('acme', 'invalid_client');
    await signals.settle();
    signals.accepted('acme');
    await signals.settle();
    expect(reads).toBe(4);
    expect(entries()).toHaveLength(4);
  });

  it('waits at most its bound for a hung PutEvents (fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    eventBridge.on(PutEventsCommand).callsFake(() => new Promise(() => {}));
    const monitor = new HealthMonitor({
      store: new MemoryTenantHealthStore(),
      publisher: { publish: () => new Promise(() => {}) },
      log: () => {},
      now: () => T0,
    });
    const signals = new LiveHealthSignals(monitor);
    signals.rejected('acme', 'invalid_client');
    let settled = false;
    const settling = signals.settle(3000).then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(2999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settling;
    expect(settled).toBe(true);
  });
});
