/**
 * The fleet state section of BENCHMARKS.md and its targets (issue: fleet state), from
 * {@link FleetResult}: Box grants per key across environments, a cold environment's first answer,
 * warm hits beside fleet state off, and the table and KMS calls with the monthly cost they imply.
 */
import type { FleetResult } from './fleet.js';
import type { RunPercentiles } from './stats.js';

interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

const fmt = (value: number, digits = 1): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (p: RunPercentiles): string => `${fmt(p.p50 / 1000, 1)} ms`;

/** us-east-1 on-demand prices (public price pages), for the cost model. */
export const PRICES = {
  readRequestUnitPerMillion: 0.125,
  writeRequestUnitPerMillion: 0.625,
  kmsPer10kRequests: 0.03,
  kmsKeyPerMonth: 1,
} as const;

/** The deployment the cost model is for. */
export const COST_MODEL = {
  tenants: 1000,
  environments: 50,
  hoursPerMonth: 730,
  /** Tokens of ~60 min refreshed 5 min early: one mint per key per 55 min. */
  lifetimesPerHour: 60 / 55,
} as const;

/** Per environment and key, per token lifetime, from the measured scenario. */
export function perKeyEnvironment(result: FleetResult) {
  const environments = result.options.environments + 1;
  const keys = result.options.keys;
  return {
    reads: result.stateCalls.dynamodbReads / (environments * keys),
    writes: result.stateCalls.dynamodbWrites / (environments * keys),
    decrypts: result.stateCalls.kmsDecrypt / (environments * keys),
    encrypts: result.stateCalls.kmsEncrypt / (environments * keys),
  };
}

/** Monthly cost at COST_MODEL's size, worst case (every environment serves every tenant). */
export function monthlyCost(result: FleetResult) {
  const per = perKeyEnvironment(result);
  const { tenants, environments, hoursPerMonth, lifetimesPerHour } = COST_MODEL;
  const keyEnvLifetimes = tenants * environments * lifetimesPerHour * hoursPerMonth;
  // A consistent GetItem of an item under 4 KB is 1 RRU; a write under 1 KB is 1 WRU.
  const readUnits = per.reads * keyEnvLifetimes;
  const writeUnits = per.writes * keyEnvLifetimes;
  // Each busy environment syncs the controls once per interval: an eventually consistent Query
  // of a small partition, 0.5 RRU.
  const syncUnits = environments * (3600 / result.syncSeconds) * hoursPerMonth * 0.5;
  const kmsRequests = (per.decrypts + per.encrypts) * keyEnvLifetimes;
  const dynamodb =
    ((readUnits + syncUnits) / 1e6) * PRICES.readRequestUnitPerMillion +
    (writeUnits / 1e6) * PRICES.writeRequestUnitPerMillion;
  const kms = (kmsRequests / 1e4) * PRICES.kmsPer10kRequests + PRICES.kmsKeyPerMonth;
  return { readUnits, writeUnits, syncUnits, kmsRequests, dynamodb, kms, total: dynamodb + kms };
}

export function fleetVerdicts(result: FleetResult): Verdict[] {
  const { environments, keys } = result.options;
  const perKeyOn = result.on.burstBoxGrants / keys;
  const perKeyOff = result.off.burstBoxGrants / keys;
  const coldRatio =
    result.on.coldEnvironmentFirstAnswer.p50 / result.off.coldEnvironmentFirstAnswer.p50;
  const warmRatio = result.on.warmHit.p50 / result.off.warmHit.p50;
  return [
    {
      target: `Fleet: Box grants per key per token lifetime across ${environments} environments ≤ 1`,
      measured: `${fmt(perKeyOn, 2)} with fleet state (off: ${fmt(perKeyOff, 2)})`,
      met: perKeyOn <= 1,
    },
    {
      target: 'Fleet: a cold environment’s first answer from the table ≤ 1/3 of a Box mint',
      measured: `${ms(result.on.coldEnvironmentFirstAnswer)} vs ${ms(result.off.coldEnvironmentFirstAnswer)} p50 (${fmt(coldRatio * 100, 1)} %)`,
      met: coldRatio <= 1 / 3,
    },
    {
      target: 'Fleet: warm-hit p50 within 10% of fleet state off',
      measured: `${fmt(result.on.warmHit.p50, 1)} µs vs ${fmt(result.off.warmHit.p50, 1)} µs (${warmRatio >= 1 ? '+' : ''}${fmt((warmRatio - 1) * 100, 1)} %)`,
      met: warmRatio <= 1.1,
    },
  ].map((v) => ({ ...v, measured: `${v.measured}; ${int(keys)} keys` }));
}

type Line = (text?: string) => void;
type Table = (head: string[], rows: string[][]) => void;

export function renderFleet(result: FleetResult | undefined, line: Line, table: Table): void {
  if (result === undefined) return;
  const { environments, keys, boxDelayMs, warmRequests } = result.options;
  line(`## Fleet state: ${environments} environments × ${keys} keys`);
  line();
  line(
    `${environments} execution environments (separate brokers: their own caches and single flights, one ` +
      `request in flight each, as Lambda runs them) ask for ${keys} token keys (a user subject each), key after ` +
      `key, every environment missing the same key at the same moment (the herd); Box answers every token call ` +
      `after ${boxDelayMs} ms (the simulator’s \`delay\`). Then a new environment asks for each key once (its first answers), then ` +
      `${int(warmRequests)} warm hits, measured in alternating rounds with fleet state off and on. Fleet state on: ` +
      'one table (dynalite) and one key (the KMS stand-in) on loopback through the real SDK clients; in AWS a ' +
      'GetItem and a Decrypt each take a few ms in-region, so the cold figure here is a lower bound.',
  );
  line();
  const row = (label: string, off: string, on: string) => [label, off, on];
  table(
    ['figure', 'fleet state off', 'fleet state on'],
    [
      row(
        `Box grants for the burst (${environments} × ${keys} requests)`,
        int(result.off.burstBoxGrants),
        int(result.on.burstBoxGrants),
      ),
      row(
        'Box grants per key per token lifetime',
        fmt(result.off.burstBoxGrants / keys, 2),
        fmt(result.on.burstBoxGrants / keys, 2),
      ),
      row('burst wall time', `${int(result.off.burstMs)} ms`, `${int(result.on.burstMs)} ms`),
      row(
        'new environment’s first answer, p50 / p99',
        `${ms(result.off.coldEnvironmentFirstAnswer)} / ${fmt(result.off.coldEnvironmentFirstAnswer.p99 / 1000, 1)} ms`,
        `${ms(result.on.coldEnvironmentFirstAnswer)} / ${fmt(result.on.coldEnvironmentFirstAnswer.p99 / 1000, 1)} ms`,
      ),
      row(
        'warm hit p50 / p99',
        `${fmt(result.off.warmHit.p50, 1)} / ${fmt(result.off.warmHit.p99, 1)} µs`,
        `${fmt(result.on.warmHit.p50, 1)} / ${fmt(result.on.warmHit.p99, 1)} µs`,
      ),
    ],
  );
  if (result.on.stateErrors > 0) {
    line(
      `- ${int(result.on.stateErrors)} state call(s) failed during the run (on this loaded machine, a dynalite ` +
        'call over the 400 ms state timeout); each such request was served as without fleet state, by a Box ' +
        'grant of its own: the grants above one per key.',
    );
  }
  const per = perKeyEnvironment(result);
  const cost = monthlyCost(result);
  const c = result.stateCalls;
  line(
    `- State calls over the scenario (${environments + 1} environments × ${keys} keys, one token lifetime): ` +
      `${int(c.dynamodbReads)} DynamoDB reads (GetItem, Query), ${int(c.dynamodbWrites)} writes (lease, token, ` +
      `release), ${int(c.kmsEncrypt)} KMS Encrypt, ${int(c.kmsDecrypt)} Decrypt. Per environment and key per ` +
      `token lifetime: ${fmt(per.reads, 2)} reads, ${fmt(per.writes, 2)} writes, ${fmt(per.decrypts, 2)} Decrypt; ` +
      `${fmt(per.encrypts * (environments + 1), 2)} Encrypt per key. Waiting environments poll the table every ~50 ms ` +
      'while the leaseholder mints, so reads grow with Box’s latency.',
  );
  line(
    `- Per environment-hour at ${COST_MODEL.tenants} keys: about ${int(per.reads * COST_MODEL.tenants * COST_MODEL.lifetimesPerHour)} reads, ` +
      `${int(per.decrypts * COST_MODEL.tenants * COST_MODEL.lifetimesPerHour)} Decrypt, and up to ${int(3600 / result.syncSeconds)} ` +
      `controls syncs (one Query per BOX_STATE_SYNC_SECONDS = ${result.syncSeconds} s while busy).`,
  );
  line(
    `- Monthly cost at ${int(COST_MODEL.tenants)} tenants × ${COST_MODEL.environments} environments, every environment ` +
      `serving every tenant (the worst case), from these per-key figures: DynamoDB $${fmt(cost.dynamodb, 2)} ` +
      `(${fmt(cost.readUnits / 1e6, 1)} M RRU for tokens, ${fmt(cost.syncUnits / 1e6, 1)} M for syncs, ` +
      `${fmt(cost.writeUnits / 1e6, 1)} M WRU), KMS $${fmt(cost.kms, 2)} (${fmt(cost.kmsRequests / 1e6, 1)} M requests + ` +
      `$${PRICES.kmsKeyPerMonth} key): **$${fmt(cost.total, 0)} / month** (docs/fleet-state.md "Cost model").`,
  );
  line();
}
