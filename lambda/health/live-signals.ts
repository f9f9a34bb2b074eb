/**
 * Live traffic's side of tenant health: the broker reports, without waiting, that Box refused a
 * tenant's current and previous credentials or accepted a grant; the checks run beside the
 * request. Lambda freezes an execution environment once it has answered, so work left running
 * after the answer would wait for the next invocation, maybe for good: the handler awaits
 * {@link LiveHealthSignals.settle} before it answers, bounded, so a rejection is on the bus
 * within a second or two of the request that saw it (contract v1.2: within 60 s). What the bound
 * cuts off stays unannounced in the store and is retried by the next check of the tenant.
 */
import type { HealthCheckOutcome, HealthMonitor } from './health-monitor.js';

/** Longest the handler waits for pending checks before it answers anyway. */
export const SETTLE_MAX_MS = 1500;

/** Implements the broker's `CredentialHealthSignals` (structurally: health never imports broker). */
export class LiveHealthSignals {
  readonly #monitor: HealthMonitor;
  /** Checks in flight, one per tenant and kind: a burst of rejected requests costs one check. */
  readonly #inFlight = new Map<string, Promise<HealthCheckOutcome>>();

  constructor(monitor: HealthMonitor) {
    this.#monitor = monitor;
  }

  /** Box refused every version of `tenant`'s credentials with `boxError`. */
  rejected(tenant: string, boxError: string): void {
    this.#start(`rejected|${tenant}`, () =>
      this.#monitor.check({ kind: 'credentials_rejected', tenant, boxError }),
    );
  }

  /** Box accepted a client-credentials grant with `tenant`'s credentials. */
  accepted(tenant: string): void {
    this.#start(`accepted|${tenant}`, () =>
      this.#monitor.check({ kind: 'credentials_accepted', tenant }),
    );
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

  #start(key: string, check: () => Promise<HealthCheckOutcome>): void {
    if (this.#inFlight.has(key)) return;
    const running = check()
      .catch((): HealthCheckOutcome => 'failed')
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, running);
  }
}
