/**
 * Upstream calls: Box token calls and Secrets Manager reads per 10,000 requests, for the real
 * broker (in-process, against the simulator and the wire fake) beside the ideal model of the
 * design's caching rules and the naive handler.
 */
import { CONFIG_DEFAULTS } from '../lambda/config.js';
import { SIMULATOR_DEFAULTS, TOKEN_EXCHANGE_GRANT } from '../local/box-simulator/index.js';
import { buildBrokerUnderTest, expectOk } from './broker-under-test.js';
import {
  APP_CALLER,
  type BenchCaller,
  ETL_CALLER,
  type PreparedInvocation,
  tokenEvents,
} from './fakes/api-events.js';
import { createNaiveHandler } from './fakes/naive-handler.js';
import {
  BENCH_SECRET_NAME,
  ROTATED_CREDENTIALS,
  startUpstreams,
  type Upstreams,
} from './fakes/upstreams.js';
import { idealUpstreamCalls, type ModelRequest } from './ideal-upstream-model.js';
import { runConcurrently } from './timing.js';

/** A kind of request a scenario sends. */
interface RequestKind {
  /** Cache key without the version (for the model). */
  key: string;
  parentKey?: string;
  body: Record<string, unknown>;
  caller: BenchCaller;
}

interface Scenario {
  id: string;
  label: string;
  requests: number;
  concurrency: number;
  /** Simulated seconds between requests; undefined = real clock. */
  stepSeconds?: number;
  kinds: RequestKind[];
  kindAt(index: number): number;
  minTtlAt?(index: number): number;
  /** Something that happens before request `index` (e.g. a rotation). */
  before?(index: number, upstreams: Upstreams): void;
  /** Secret version served and accepted by Box, by request index (rotation scenarios). */
  rotationAtIndex?: number;
  /** Whether the naive handler is run through this scenario too. */
  naive?: boolean;
}

/** Counts for one scenario. */
export interface UpstreamScenarioResult {
  id: string;
  label: string;
  requests: number;
  concurrency: number;
  simulatedHours: number | undefined;
  distinctKeys: number;
  broker: {
    boxTokenCalls: number;
    boxCcgCalls: number;
    boxExchangeCalls: number;
    /** Token calls Box refused (e.g. `invalid_client` after a rotation). */
    boxRejected: number;
    getSecretValueCalls: number;
    /** Most Box tokens issued for one key (real-clock scenarios: one lifetime). */
    maxIssuedPerKey: number;
    /** Shortest gap between two Secrets Manager reads, seconds (undefined: < 2 reads). */
    minSecondsBetweenSecretReads: number | undefined;
  };
  ideal: { boxTokenCalls: number; boxRejected: number; getSecretValueCalls: number };
  naive: { boxTokenCalls: number; getSecretValueCalls: number; measured: boolean };
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const ENTERPRISE: RequestKind = { key: 'enterprise', body: {}, caller: APP_CALLER };
const USERS: RequestKind[] = Array.from({ length: 8 }, (_, n) => ({
  key: `user:${2001 + n}`,
  body: { box_subject_type: 'user', box_subject_id: String(2001 + n) },
  caller: APP_CALLER,
}));
const DOWNSCOPED: RequestKind[] = [
  { scope: 'item_preview', resource: 'https://api.box.com/2.0/folders/123' },
  { scope: 'item_download', resource: 'https://api.box.com/2.0/files/456' },
  { scope: 'item_download item_preview', resource: 'https://api.box.com/2.0/folders/123' },
].map((body) => ({
  key: `enterprise|${body.scope}|${body.resource}`,
  parentKey: 'enterprise',
  body,
  caller: ETL_CALLER,
}));
/** A user first seen after the rotation: its miss finds the old secret still inside its TTL. */
const NEW_USER: RequestKind = {
  key: 'user:3001',
  body: { box_subject_type: 'user', box_subject_id: '3001' },
  caller: APP_CALLER,
};
const MIN_TTL_CHOICES = [0, 0, 60, 300, 900, 1800, 3600];

/** An admin rotates the secret before request `at`: Box takes only the new one from then on. */
function rotateAt(at: number): (index: number, upstreams: Upstreams) => void {
  return (index, upstreams) => {
    if (index !== at) return;
    upstreams.secrets.rotate(ROTATED_CREDENTIALS);
    upstreams.box.setCredentials([
      { clientId: ROTATED_CREDENTIALS.clientId, clientSecret: ROTATED_CREDENTIALS.clientSecret },
    ]);
  };
}

/** Deterministic pseudo-random index (a fixed LCG), so every run sends the same mix. */
function pick(index: number, size: number): number {
  return ((index * 1_103_515_245 + 12_345) >>> 16) % size;
}

export const UPSTREAM_SCENARIOS: Scenario[] = [
  {
    id: 'sequential',
    label: 'Sequential, one key, real clock',
    requests: 10_000,
    concurrency: 1,
    kinds: [ENTERPRISE],
    kindAt: () => 0,
  },
  {
    id: 'cold-50',
    label: '50-way concurrent from a cold start, one key',
    requests: 10_000,
    concurrency: 50,
    kinds: [ENTERPRISE],
    kindAt: () => 0,
    naive: true,
  },
  {
    id: 'cold-50-keys',
    label: '50-way concurrent from a cold start, 12 keys (enterprise, 8 users, 3 downscoped)',
    requests: 10_000,
    concurrency: 50,
    kinds: [ENTERPRISE, ...USERS, ...DOWNSCOPED],
    kindAt: (i) => i % 12,
  },
  {
    id: 'lifetimes',
    label: 'Sequential, one key, 1 request/s simulated (2.8 h: three token lifetimes)',
    requests: 10_000,
    concurrency: 1,
    stepSeconds: 1,
    kinds: [ENTERPRISE],
    kindAt: () => 0,
  },
  {
    id: 'min-ttl-mix',
    label: 'Sequential, one key, 1 request/s simulated, min_ttl mixed 0–3600 s',
    requests: 10_000,
    concurrency: 1,
    stepSeconds: 1,
    kinds: [ENTERPRISE],
    kindAt: () => 0,
    minTtlAt: (i) => MIN_TTL_CHOICES[pick(i, MIN_TTL_CHOICES.length)] ?? 0,
  },
  {
    id: 'rotation-ttl',
    label:
      'Sequential, 12 keys, 1 request/s simulated, secret rotated at 5,000 s; noticed when the secret TTL runs out',
    requests: 10_000,
    concurrency: 1,
    stepSeconds: 1,
    kinds: [ENTERPRISE, ...USERS, ...DOWNSCOPED],
    kindAt: (i) => pick(i, 12),
    rotationAtIndex: 5_000,
    before: rotateAt(5_000),
  },
  {
    id: 'rotation-rejected',
    label:
      'As above, rotated at 3,750 s, shortly after a read; a new user at 3,800 s makes Box reject the old secret still cached',
    requests: 10_000,
    concurrency: 1,
    stepSeconds: 1,
    kinds: [ENTERPRISE, ...USERS, ...DOWNSCOPED, NEW_USER],
    kindAt: (i) => (i < 3_800 ? pick(i, 12) : i === 3_800 ? 12 : pick(i, 13)),
    rotationAtIndex: 3_750,
    before: rotateAt(3_750),
  },
];

/** Runs every scenario; `naiveSequential` is the warm path's measured naive count. */
export async function measureUpstreamCalls(naiveSequential: {
  boxToken: number;
  getSecretValue: number;
  requests: number;
}): Promise<UpstreamScenarioResult[]> {
  const results: UpstreamScenarioResult[] = [];
  for (const scenario of UPSTREAM_SCENARIOS) {
    const started = Date.now();
    results.push(await runScenario(scenario, naiveSequential));
    if (process.env.BENCH_VERBOSE) console.error(`  ${scenario.id}: ${Date.now() - started} ms`);
  }
  return results;
}

async function runScenario(
  scenario: Scenario,
  naiveSequential: { boxToken: number; getSecretValue: number; requests: number },
): Promise<UpstreamScenarioResult> {
  let clockMs = T0;
  const simulated = scenario.stepSeconds !== undefined;
  const now = simulated ? () => clockMs : Date.now;
  const upstreams = await startUpstreams({ now });
  try {
    const broker = buildBrokerUnderTest(upstreams, simulated ? { now } : {});
    // Events per kind and min_ttl, built before the clock starts.
    const eventCache = new Map<string, PreparedInvocation[]>();
    const eventFor = (kind: RequestKind, minTtl: number, index: number): PreparedInvocation => {
      const body = minTtl > 0 ? { ...kind.body, min_ttl: minTtl } : kind.body;
      const text = Object.keys(body).length === 0 ? '' : JSON.stringify(body);
      let pool = eventCache.get(text);
      if (pool === undefined) {
        pool = tokenEvents(text, kind.caller, 64);
        eventCache.set(text, pool);
      }
      return pool[index % pool.length] as PreparedInvocation;
    };
    const modelRequests: ModelRequest[] = [];
    const send = async (index: number) => {
      const kind = scenario.kinds[scenario.kindAt(index)] as RequestKind;
      const minTtl = scenario.minTtlAt?.(index) ?? 0;
      if (simulated) {
        clockMs = T0 + index * (scenario.stepSeconds ?? 0) * 1000;
        scenario.before?.(index, upstreams);
      }
      modelRequests.push({
        atMs: now(),
        key: kind.key,
        ...(kind.parentKey === undefined ? {} : { parentKey: kind.parentKey }),
        ...(kind.key.startsWith('user:') ? { callerChosen: true } : {}),
        minTtlSeconds: minTtl,
      });
      const prepared = eventFor(kind, minTtl, index);
      expectOk(await broker.handler(prepared.event, prepared.context));
    };
    await runConcurrently(scenario.requests, scenario.concurrency, send);

    const issued = upstreams.box.issuedTokens();
    const perKey = new Map<string, number>();
    for (const token of issued) {
      const key = `${token.kind}|${token.subjectType}|${token.subjectId}|${token.scopes.join(' ')}|${token.resource ?? ''}`;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const readTimes = upstreams.secrets.callTimes;
    const gaps = readTimes.slice(1).map((t, i) => (t - (readTimes[i] ?? t)) / 1000);
    const tokenCalls = upstreams.box.tokenCallCount();
    const exchangeCalls = upstreams.box.tokenCallCount(TOKEN_EXCHANGE_GRANT);
    const rotationMs =
      scenario.rotationAtIndex === undefined
        ? Number.POSITIVE_INFINITY
        : T0 + scenario.rotationAtIndex * (scenario.stepSeconds ?? 0) * 1000;
    const ideal = idealUpstreamCalls(
      // Concurrent requests reach the cache in start order; the model replays that order.
      modelRequests,
      {
        tokenLifetimeSeconds: SIMULATOR_DEFAULTS.tokenLifetimeSeconds,
        downscopedLifetimeSeconds: SIMULATOR_DEFAULTS.downscopedTokenLifetimeSeconds,
        refreshMarginSeconds: CONFIG_DEFAULTS.refreshMarginSeconds,
        secretTtlSeconds: CONFIG_DEFAULTS.secretTtlSeconds,
        secretRereadIntervalSeconds: CONFIG_DEFAULTS.secretRereadIntervalSeconds,
        versionAt: (at) => (at >= rotationMs ? 2 : 1),
        boxAccepts: (version, at) => (at >= rotationMs ? version === 2 : version === 1),
      },
    );
    const downscopedShare =
      modelRequests.filter((r) => r.parentKey !== undefined).length / modelRequests.length;
    const naive = scenario.naive
      ? await runNaive(scenario)
      : scenario.id === 'sequential'
        ? {
            boxTokenCalls: Math.round(
              (naiveSequential.boxToken / naiveSequential.requests) * scenario.requests,
            ),
            getSecretValueCalls: Math.round(
              (naiveSequential.getSecretValue / naiveSequential.requests) * scenario.requests,
            ),
            measured: true,
          }
        : {
            // By construction: one read and one CCG call per request, plus an exchange when downscoped.
            boxTokenCalls: Math.round(scenario.requests * (1 + downscopedShare)),
            getSecretValueCalls: scenario.requests,
            measured: false,
          };
    return {
      id: scenario.id,
      label: scenario.label,
      requests: scenario.requests,
      concurrency: scenario.concurrency,
      simulatedHours: simulated
        ? (scenario.requests * (scenario.stepSeconds ?? 0)) / 3600
        : undefined,
      distinctKeys: new Set(modelRequests.flatMap((r) => [r.key, r.parentKey ?? r.key])).size,
      broker: {
        boxTokenCalls: tokenCalls,
        boxCcgCalls: tokenCalls - exchangeCalls,
        boxExchangeCalls: exchangeCalls,
        boxRejected: tokenCalls - issued.length,
        getSecretValueCalls: upstreams.secrets.getSecretValueCalls,
        maxIssuedPerKey: Math.max(0, ...perKey.values()),
        minSecondsBetweenSecretReads: gaps.length === 0 ? undefined : Math.min(...gaps),
      },
      ideal,
      naive,
    };
  } finally {
    await upstreams.close();
  }
}

/** Requests the naive handler really sends per concurrent scenario; counts are scaled up. */
const NAIVE_CONCURRENT_REQUESTS = 2_000;

/**
 * The naive handler at the scenario's concurrency, on its own fakes. Its counts are linear by
 * construction and it is slow under 50-way load on loopback, so it runs 2,000 requests and the
 * counts are scaled to the scenario's request count.
 */
async function runNaive(
  scenario: Scenario,
): Promise<{ boxTokenCalls: number; getSecretValueCalls: number; measured: boolean }> {
  const sent = Math.min(NAIVE_CONCURRENT_REQUESTS, scenario.requests);
  const scale = scenario.requests / sent;
  const upstreams = await startUpstreams();
  try {
    const handler = createNaiveHandler({
      secretsManager: upstreams.secretsManagerClient(),
      secretId: BENCH_SECRET_NAME,
      boxApiUrl: upstreams.box.url,
    });
    const events = tokenEvents('', APP_CALLER, 64);
    await runConcurrently(sent, scenario.concurrency, async (i) => {
      expectOk(await handler((events[i % events.length] as PreparedInvocation).event));
    });
    return {
      boxTokenCalls: Math.round(upstreams.box.tokenCallCount() * scale),
      getSecretValueCalls: Math.round(upstreams.secrets.getSecretValueCalls * scale),
      measured: true,
    };
  } finally {
    await upstreams.close();
  }
}
