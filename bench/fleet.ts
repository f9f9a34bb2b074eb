/**
 * Fleet state (contract v1.2), side by side with it off, in one run: N execution environments
 * (separate brokers: their own caches and single flights) × K token keys, Box answering each token
 * call after a fixed delay (the simulator's `delay` fault, ~300 ms like a real Box round trip). With
 * fleet state on, the environments share one table (dynalite) and one key (the KMS stand-in) on
 * loopback through the real SDK clients.
 *
 * Measures, for each configuration: Box grants for a simultaneous cold burst of every environment
 * on every key; the first answer of a new cold environment (from the table, or from Box); warm
 * hits; and, with fleet state on, the table and KMS calls the burst cost per environment.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHandler } from '../lambda/app.js';
import { loadConfig } from '../lambda/config.js';
import { buildBroker } from '../lambda/runtime.js';
import { RequestLogger } from '../lambda/trace/request-logger.js';
import { type LocalFleetState, startLocalFleetState } from '../local/state/index.js';
import { type BenchHandler, expectOk } from './broker-under-test.js';
import {
  APP_CALLER,
  BENCH_POLICY,
  type PreparedInvocation,
  tokenEvent,
} from './fakes/api-events.js';
import { startUpstreams, type Upstreams } from './fakes/upstreams.js';
import { percentilesOf, type RunPercentiles } from './stats.js';
import { sampleLatencies } from './timing.js';

export interface FleetOptions {
  environments: number;
  keys: number;
  /** Box's answer time for every token call, ms. */
  boxDelayMs: number;
  /** Warm hits measured per configuration. */
  warmRequests: number;
}

/** One configuration's figures. */
export interface FleetConfigResult {
  /** Box token calls for the cold bursts (for each key, every environment misses at once). */
  burstBoxGrants: number;
  /** Wall time of the burst, ms. */
  burstMs: number;
  /** A new environment's first answer per key, µs (from the table, or from Box). */
  coldEnvironmentFirstAnswer: RunPercentiles;
  /** Warm hits (memory), µs. */
  warmHit: RunPercentiles;
  /** State calls that failed (timed out on this machine, …): each made its request mint itself. */
  stateErrors: number;
}

export interface FleetResult {
  options: FleetOptions;
  off: FleetConfigResult;
  on: FleetConfigResult;
  /**
   * Fleet state's calls over the whole scenario (the burst, the new environment's first answers,
   * its warm hits), summed over the N + 1 environments.
   */
  stateCalls: {
    dynamodbReads: number;
    dynamodbWrites: number;
    kmsEncrypt: number;
    kmsDecrypt: number;
  };
  /** Controls syncs per environment-hour at the default BOX_STATE_SYNC_SECONDS. */
  syncSeconds: number;
}

/** DynamoDB commands counted by kind (reads: GetItem, Query; writes: PutItem, DeleteItem, UpdateItem). */
export interface CommandCount {
  reads: number;
  writes: number;
}

const READS = new Set(['GetItemCommand', 'QueryCommand']);

/** Counts the commands a client sends (its middleware sees every `send`). */
function counted(client: DynamoDBClient, count: CommandCount): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (READS.has(String(context.commandName))) count.reads += 1;
      else count.writes += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return client;
}

interface Environment {
  handler: BenchHandler;
}

function environment(
  upstreams: Upstreams,
  fleet: { state: LocalFleetState; dynamodb: CommandCount } | undefined,
  stateErrors: { n: number },
): Environment {
  const env: Record<string, string> = {
    BOX_CREDENTIALS_SECRET: upstreams.env().BOX_CREDENTIALS_SECRET ?? '',
    BOX_API_URL: upstreams.box.url,
    BOX_ACCESS_POLICY: JSON.stringify(BENCH_POLICY),
    ...(fleet === undefined ? {} : fleet.state.env),
  };
  const config = loadConfig(env);
  const broker = buildBroker(config, {
    secretsManager: upstreams.secretsManagerClient(),
    ...(fleet === undefined
      ? {}
      : {
          stateClients: {
            dynamodb: counted(fleet.state.table.client({ maxAttempts: 2 }), fleet.dynamodb),
            kms: fleet.state.kmsClient({ maxAttempts: 2 }),
          },
        }),
  });
  const logger = new RequestLogger({
    namespace: config.metricsNamespace,
    service: config.serviceName,
    sink: (line) => {
      const match = /"StateErrors":(\d+)/.exec(line);
      if (match !== null) stateErrors.n += Number(match[1]);
    },
  });
  const handler = createHandler({
    broker,
    logger,
    requestBudgetMs: config.boxRetryBudgetMs,
  }) as unknown as BenchHandler;
  return { handler };
}

/** The token request of key `k`: a user subject per key (the app role may have any user). */
function keyEvent(k: number): PreparedInvocation {
  return tokenEvent(
    JSON.stringify({ box_subject_type: 'user', box_subject_id: String(100_000 + k) }),
    APP_CALLER,
  );
}

/** What one configuration leaves for the warm comparison: its new environment, warmed up. */
interface Measured {
  figures: Omit<FleetConfigResult, 'warmHit' | 'stateErrors'>;
  fresh: Environment;
  stateErrors: { n: number };
}

async function burstAndCold(
  options: FleetOptions,
  upstreams: Upstreams,
  fleet: { state: LocalFleetState; dynamodb: CommandCount } | undefined,
): Promise<Measured> {
  const stateErrors = { n: 0 };
  const envs = Array.from({ length: options.environments }, () =>
    environment(upstreams, fleet, stateErrors),
  );
  upstreams.box.injectFault(
    { kind: 'delay', ms: options.boxDelayMs, path: '/oauth2/token' },
    (options.environments + 1) * options.keys,
  );

  const before = upstreams.box.tokenCallCount();
  const burstStarted = performance.now();
  // Key after key, every environment misses on it at the same moment: the herd. Each environment
  // has one request in flight, as Lambda gives it; a fresh event per invocation.
  for (let k = 0; k < options.keys; k += 1) {
    await Promise.all(envs.map((env) => call(env, keyEvent(k))));
  }
  const burstMs = performance.now() - burstStarted;
  const burstBoxGrants = upstreams.box.tokenCallCount() - before;

  const fresh = environment(upstreams, fleet, stateErrors);
  const coldFirst = await sampleLatencies(options.keys, (k) => call(fresh, keyEvent(k)));
  return {
    figures: { burstBoxGrants, burstMs, coldEnvironmentFirstAnswer: percentilesOf(coldFirst) },
    fresh,
    stateErrors,
  };
}

function keyEvents(keys: number): PreparedInvocation[] {
  return Array.from({ length: keys }, (_, k) => keyEvent(k));
}

async function call(env: Environment, prepared: PreparedInvocation) {
  return expectOk(await env.handler(prepared.event, prepared.context));
}

/** Warm rounds per configuration, alternating, so machine noise falls on both alike. */
const WARM_ROUNDS = 5;

export async function measureFleet(options: FleetOptions): Promise<FleetResult> {
  // Each configuration on its own Box simulator and secret fake: no figure leaks into the other.
  const offUpstreams = await startUpstreams();
  const onUpstreams = await startUpstreams();
  const state = await startLocalFleetState({ tableName: `bench-${randomUUID()}` });
  try {
    const dynamodb: CommandCount = { reads: 0, writes: 0 };
    const kmsBefore = { ...state.kms.calls };
    const off = await burstAndCold(options, offUpstreams, undefined);
    const on = await burstAndCold(options, onUpstreams, { state, dynamodb });
    // Warm hits of both new environments, in alternating rounds (fresh events each round: a
    // Lambda context's remaining time runs down).
    const perRound = Math.ceil(options.warmRequests / WARM_ROUNDS);
    const samples = { off: [] as number[], on: [] as number[] };
    for (let round = 0; round < WARM_ROUNDS; round += 1) {
      const events = keyEvents(options.keys);
      for (const [name, env] of [
        ['off', off.fresh],
        ['on', on.fresh],
      ] as const) {
        const taken = await sampleLatencies(perRound, (i) =>
          call(env, events[i % options.keys] as PreparedInvocation),
        );
        samples[name].push(...taken);
      }
    }
    return {
      options,
      off: { ...off.figures, warmHit: percentilesOf(samples.off), stateErrors: off.stateErrors.n },
      on: { ...on.figures, warmHit: percentilesOf(samples.on), stateErrors: on.stateErrors.n },
      stateCalls: {
        dynamodbReads: dynamodb.reads,
        dynamodbWrites: dynamodb.writes,
        kmsEncrypt: (state.kms.calls.Encrypt ?? 0) - (kmsBefore.Encrypt ?? 0),
        kmsDecrypt: (state.kms.calls.Decrypt ?? 0) - (kmsBefore.Decrypt ?? 0),
      },
      syncSeconds: 5,
    };
  } finally {
    await state.close();
    await Promise.all([offUpstreams.close(), onUpstreams.close()]);
  }
}
