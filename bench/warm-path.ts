/**
 * Warm path: the real handler on cache hits, in-process, beside the floor (a Map lookup plus
 * JSON.stringify of the response) and the naive handler (GetSecretValue + Box on every request).
 */
import type { TokenResponse } from '../lambda/contract.js';
import { type BrokerUnderTest, buildBrokerUnderTest, expectOk } from './broker-under-test.js';
import {
  APP_CALLER,
  ETL_CALLER,
  type PreparedInvocation,
  tokenEvents,
} from './fakes/api-events.js';
import { createNaiveHandler } from './fakes/naive-handler.js';
import { BENCH_SECRET_NAME, startUpstreams, type Upstreams } from './fakes/upstreams.js';
import { percentilesOf, type RunPercentiles, type Spread, spreadOf } from './stats.js';
import { collectGarbage, sampleLatencies } from './timing.js';

export interface WarmPathOptions {
  /** Repeated runs; each variant is measured once per run, in rotating order. */
  runs: number;
  /** Requests per run for the floor and the broker variants. */
  requestsPerRun: number;
  /** Requests per run for the naive handler (each makes two loopback HTTP calls). */
  naiveRequestsPerRun: number;
  /** Unmeasured requests per variant before the first run (JIT warm-up). */
  warmup: number;
}

/** One measured variant. */
export interface LatencyFigure {
  id: string;
  label: string;
  /** Per-run percentiles. */
  runs: RunPercentiles[];
  /** p50 and p99 over runs: median and spread. */
  p50: Spread;
  p99: Spread;
  /** Percentiles of all samples of all runs pooled. */
  pooled: RunPercentiles;
}

export interface WarmPathResult {
  options: WarmPathOptions;
  figures: LatencyFigure[];
  /** Size of the request's log line in bytes (serialised variants). */
  logLineBytes: { enterprise: number; downscoped: number };
  /** Upstream calls the broker variants made during all runs (warm-up included). */
  brokerUpstreamCalls: { boxToken: number; getSecretValue: number; requests: number };
  /** Upstream calls the naive handler made, and its request count. */
  naiveUpstreamCalls: { boxToken: number; getSecretValue: number; requests: number };
}

const ENTERPRISE_BODY = '';
const DOWNSCOPED_BODY = JSON.stringify({
  scope: 'item_preview',
  resource: 'https://api.box.com/2.0/folders/123',
  min_ttl: 600,
});
/** Distinct events cycled through, so request IDs vary without building 10,000 events. */
const EVENT_POOL = 512;

interface Variant {
  id: string;
  label: string;
  naive?: boolean;
  call: (index: number) => Promise<unknown>;
}

/** Measures the warm path. The broker and the naive handler each get their own fakes. */
export async function measureWarmPath(options: WarmPathOptions): Promise<WarmPathResult> {
  const upstreams = await startUpstreams();
  const naiveUpstreams = await startUpstreams();
  try {
    return await measure(upstreams, naiveUpstreams, options);
  } finally {
    await Promise.all([upstreams.close(), naiveUpstreams.close()]);
  }
}

async function measure(
  upstreams: Upstreams,
  naiveUpstreams: Upstreams,
  options: WarmPathOptions,
): Promise<WarmPathResult> {
  const withLog = buildBrokerUnderTest(upstreams, { logMode: 'serialised' });
  const withoutLog = buildBrokerUnderTest(upstreams, { logMode: 'off' });
  const enterpriseEvents = tokenEvents(ENTERPRISE_BODY, APP_CALLER, EVENT_POOL);
  const downscopedEvents = tokenEvents(DOWNSCOPED_BODY, ETL_CALLER, EVENT_POOL);
  const invoke = (broker: BrokerUnderTest, events: PreparedInvocation[]) => async (i: number) => {
    const prepared = events[i % events.length] as PreparedInvocation;
    expectOk(await broker.handler(prepared.event, prepared.context));
  };

  // The floor: the cheapest possible cache hit, answering the same response the broker gives.
  const first = expectOk(
    await withLog.handler(
      (enterpriseEvents[0] as PreparedInvocation).event,
      (enterpriseEvents[0] as PreparedInvocation).context,
    ),
  );
  const floorMap = new Map<string, TokenResponse>([
    ['enterprise|1234567||', JSON.parse(first.body) as TokenResponse],
  ]);
  const floor = async (_i: number) => JSON.stringify(floorMap.get('enterprise|1234567||'));

  const naiveHandler = createNaiveHandler({
    secretsManager: naiveUpstreams.secretsManagerClient(),
    secretId: BENCH_SECRET_NAME,
    boxApiUrl: naiveUpstreams.box.url,
  });
  const naiveEvents = enterpriseEvents;

  const variants: Variant[] = [
    { id: 'floor', label: 'Floor: Map lookup + JSON.stringify', call: floor },
    {
      id: 'broker-enterprise',
      label: 'Broker, enterprise token, log line serialised',
      call: invoke(withLog, enterpriseEvents),
    },
    {
      id: 'broker-enterprise-nolog',
      label: 'Broker, enterprise token, no log line',
      call: invoke(withoutLog, enterpriseEvents),
    },
    {
      id: 'broker-downscoped',
      label: 'Broker, downscoped folder token + min_ttl, log line serialised',
      call: invoke(withLog, downscopedEvents),
    },
    {
      id: 'broker-downscoped-nolog',
      label: 'Broker, downscoped folder token + min_ttl, no log line',
      call: invoke(withoutLog, downscopedEvents),
    },
    {
      id: 'naive',
      label: 'Naive: GetSecretValue + POST /oauth2/token per request',
      naive: true,
      call: async (i) => {
        const prepared = naiveEvents[i % naiveEvents.length] as PreparedInvocation;
        expectOk(await naiveHandler(prepared.event));
      },
    },
  ];

  // Warm-up: JIT, connection pools, and the broker's first (cold) requests fill its cache.
  for (const variant of variants) {
    await sampleLatencies(
      variant.naive ? Math.min(200, options.warmup) : options.warmup,
      variant.call,
    );
  }
  const samples = new Map<string, Float64Array[]>(variants.map((v) => [v.id, []]));
  for (let run = 0; run < options.runs; run += 1) {
    // Rotate the order each run so no variant always follows the naive one's garbage.
    for (let k = 0; k < variants.length; k += 1) {
      const variant = variants[(run + k) % variants.length] as Variant;
      collectGarbage();
      const count = variant.naive ? options.naiveRequestsPerRun : options.requestsPerRun;
      samples.get(variant.id)?.push(await sampleLatencies(count, variant.call));
    }
  }
  const brokerRequests = 1 + 4 * (options.warmup + options.runs * options.requestsPerRun);
  const naiveRequests = Math.min(200, options.warmup) + options.runs * options.naiveRequestsPerRun;

  const figures = variants.map((variant): LatencyFigure => {
    const runs = (samples.get(variant.id) ?? []).map(percentilesOf);
    const all = Float64Array.from((samples.get(variant.id) ?? []).flatMap((run) => [...run]));
    return {
      id: variant.id,
      label: variant.label,
      runs,
      p50: spreadOf(runs.map((r) => r.p50)),
      p99: spreadOf(runs.map((r) => r.p99)),
      pooled: percentilesOf(all),
    };
  });
  return {
    options,
    figures,
    logLineBytes: {
      enterprise: await lineBytes(withLog, enterpriseEvents),
      downscoped: await lineBytes(withLog, downscopedEvents),
    },
    brokerUpstreamCalls: {
      boxToken: upstreams.box.tokenCallCount(),
      getSecretValue: upstreams.secrets.getSecretValueCalls,
      requests: brokerRequests,
    },
    naiveUpstreamCalls: {
      boxToken: naiveUpstreams.box.tokenCallCount(),
      getSecretValue: naiveUpstreams.secrets.getSecretValueCalls,
      requests: naiveRequests,
    },
  };
}

/** Bytes of the one log line a request of this kind writes. */
async function lineBytes(broker: BrokerUnderTest, events: PreparedInvocation[]): Promise<number> {
  const before = broker.log.bytes;
  const prepared = events[0] as PreparedInvocation;
  expectOk(await broker.handler(prepared.event, prepared.context));
  return broker.log.bytes - before;
}
