/**
 * Live traffic's side of tenant health: the broker reports, without waiting, that Box refused a
 * tenant's current and previous credentials or accepted a grant; the checks run beside the
 * request. Lambda freezes an execution environment once it has answered, so work left running
 * after the answer would wait for the next invocation, maybe for good: the handler awaits
 * {@link LiveHealthSignals.settle} before it answers, bounded, so a rejection is on the bus
 * within a second or two of the request that saw it (contract v1.2: within 60 s). What the bound
 * cuts off stays unannounced in the store and is retried by the next check of the tenant.
 *
 * A grant Box accepts matters only to a tenant the store says is unhealthy, so an environment
 * that just read the tenant healthy trusts that for a while (the fleet state's sync bound) and
 * lets grants through without touching the table: only a rejection, which is always checked, or
 * the first grant after the bound reaches the store. Fleet-wide deduplication is unchanged (every
 * transition is still a conditional write); a recovery another environment's rejection started
 * is announced by the first grant here after the bound, or by the next scheduled run.
 */
import type { HealthCheckOutcome, HealthMonitor } from './health-monitor.js';

/** Longest the handler waits for pending checks before it answers anyway. */
export const SETTLE_MAX_MS = 1500;

/** How long a tenant read healthy is trusted without a read (`BOX_STATE_SYNC_SECONDS`' default). */
export const KNOWN_HEALTHY_MS = 5000;

/** Most tenants remembered healthy at once (a deployment with more simply reads more often). */
const MAX_KNOWN = 10_000;

export interface LiveHealthSignalsOptions {
  /** How long a tenant read healthy is trusted: the fleet state's sync bound. */
  knownHealthyMs?: number;
  now?: () => number;
}

/** Implements the broker's `CredentialHealthSignals` (structurally: health never imports broker). */
export class LiveHealthSignals {
  readonly #monitor: HealthMonitor;
  /** Checks in flight, one per tenant and kind: a burst of rejected requests costs one check. */
  readonly #inFlight = new Map<string, Promise<HealthCheckOutcome>>();
  /** Tenants read healthy, with when that stops being trusted (epoch ms). */
  readonly #healthyUntil = new Map<string, number>();
  readonly #knownHealthyMs: number;
  readonly #now: () => number;
  /** Rejections seen so far: a grant's check that overlapped one learnt nothing it may trust. */
  #rejections = 0;

  constructor(monitor: HealthMonitor, options: LiveHealthSignalsOptions = {}) {
    this.#monitor = monitor;
    this.#knownHealthyMs = options.knownHealthyMs ?? KNOWN_HEALTHY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Box refused every version of `tenant`'s credentials with `boxError`. */
  rejected(tenant: string, boxError: string): void {
    this.#rejections += 1;
    this.#healthyUntil.delete(tenant);
    this.#start(`rejected|${tenant}`, () =>
      this.#monitor.check({ kind: 'credentials_rejected', tenant, boxError }),
    );
  }

  /** Box accepted a client-credentials grant with `tenant`'s credentials. */
  accepted(tenant: string): void {
    if ((this.#healthyUntil.get(tenant) ?? 0) > this.#now()) return;
    this.#start(`accepted|${tenant}`, async () => {
      const rejectionsBefore = this.#rejections;
      const { outcome, healthy } = await this.#monitor.inspect({
        kind: 'credentials_accepted',
        tenant,
      });
      // Read healthy (not merely assumed): trusted for the bound, unless a rejection came since.
      if (healthy && this.#rejections === rejectionsBefore) this.#knowHealthy(tenant);
      return outcome;
    });
  }

  /** Whether checks are in flight. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /**
   * Waits for the checks in flight, at most `maxMs` (a timer the tests' fake clock drives).
   * Never rejects.
   */
  async settle(maxMs = SETTLE_MAX_MS): Promise<void> {
    if (this.#inFlight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    try {
      await Promise.race([Promise.allSettled([...this.#inFlight.values()]), cap]);
    } finally {
      clearTimeout(timer);
    }
  }

  #knowHealthy(tenant: string): void {
    if (this.#healthyUntil.size >= MAX_KNOWN) this.#healthyUntil.clear();
    this.#healthyUntil.set(tenant, this.#now() + this.#knownHealthyMs);
  }

  #start(key: string, check: () => Promise<HealthCheckOutcome>): void {
    if (this.#inFlight.has(key)) return;
    const running = check()
      .catch((): HealthCheckOutcome => 'failed')
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, running);
  }
}
