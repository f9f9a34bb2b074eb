/**
 * The health monitor: turns an observation into at most one event, fleet-wide. It reads the
 * tenant's last judged health, asks {@link judge} whether this is a transition, writes it with a
 * conditional write (only one environment wins it) and announces it. A failed PutEvents leaves
 * the transition unannounced in the store: the next check of that tenant, in any environment, or
 * the scheduled run's sweep, announces it. Nothing here ever throws: health events are a side
 * channel, and a token request never waits on one failing.
 */
import type { TenantHealthRecord, TenantHealthStore } from '../state/ports.js';
import type { LogEvent } from '../trace/request-logger.js';
import type { HealthEventPublisher } from './event-publisher.js';
import type { HealthEvent } from './health-event.js';
import { type HealthObservation, judge } from './health-judge.js';

/** The metrics the monitor writes (Embedded Metric Format, `service` dimension). */
export const HEALTH_METRICS = {
  healthEventsPublished: 'HealthEventsPublished',
  healthEventFailures: 'HealthEventFailures',
  healthStoreErrors: 'HealthStoreErrors',
  tenantsUnhealthy: 'TenantsUnhealthy',
} as const;

/** The `operation` field of the monitor's log lines. */
export const HEALTH_OPERATION = 'tenant_health';

/** How long a claim on an announcement lasts: a dead claimant's event is retried after it. */
export const ANNOUNCE_CLAIM_MS = 10_000;

/** A check's outcome, and what it taught this environment. */
export interface HealthCheckResult {
  outcome: HealthCheckOutcome;
  /**
   * The check left the tenant healthy (or never judged) in the store, with no event waiting:
   * a grant Box accepts changes nothing until another environment judges it otherwise.
   */
  healthy: boolean;
}

export interface HealthMonitorOptions {
  store: TenantHealthStore;
  publisher: HealthEventPublisher;
  /** Writes a log line (with metrics); the handler's logger. */
  log: (event: LogEvent) => void;
  now?: () => number;
}

/** What one check did (tests and the scheduled run's counts read it). */
export type HealthCheckOutcome =
  /** Nothing to announce. */
  | 'unchanged'
  /** This environment made a transition and put its event on the bus. */
  | 'announced'
  /** This environment made a transition that needs no event (a silent recovery). */
  | 'recorded'
  /** Another environment made (or is announcing) the transition. */
  | 'lost'
  /** This environment put an earlier transition's event on the bus. */
  | 'retried'
  /** The store or EventBridge failed: counted, retried on the next check. */
  | 'failed';

export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  readonly #now: () => number;

  constructor(options: HealthMonitorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Judges `observation`; announces a transition or a pending announcement. Never rejects. */
  async check(observation: HealthObservation): Promise<HealthCheckOutcome> {
    return (await this.inspect(observation)).outcome;
  }

  /** {@link check}, and whether it left the tenant known healthy. Never rejects. */
  async inspect(observation: HealthObservation): Promise<HealthCheckResult> {
    const { store } = this.#options;
    const tenant = observation.tenant;
    let current: TenantHealthRecord | undefined;
    try {
      current = await store.get(tenant);
    } catch (error) {
      return { outcome: this.#storeFailed(tenant, error), healthy: false };
    }
    const nowMs = this.#now();
    const transition = judge(current, observation, nowMs);
    if (transition === undefined) {
      // No new transition: the last one may still be waiting for its event.
      if (current !== undefined && !current.announced) {
        return { outcome: await this.#retry(current), healthy: false };
      }
      return {
        outcome: 'unchanged',
        healthy: current === undefined || current.state === 'healthy',
      };
    }
    const event = transition.event;
    const next: TenantHealthRecord = {
      ...transition.next,
      announced: event === undefined,
      ...(event === undefined
        ? {}
        : { event: JSON.stringify(event), claimedUntilMs: nowMs + ANNOUNCE_CLAIM_MS }),
    };
    let won: boolean;
    try {
      won = await store.transition(next, transition.fromReason);
    } catch (error) {
      return { outcome: this.#storeFailed(tenant, error), healthy: false };
    }
    // Another environment's transition: what it left is not known here.
    if (!won) return { outcome: 'lost', healthy: false };
    const healthy = next.state === 'healthy';
    if (event === undefined) return { outcome: 'recorded', healthy };
    return (await this.#announce(next, event))
      ? { outcome: 'announced', healthy }
      : { outcome: 'failed', healthy: false };
  }

  /**
   * Announces every transition whose event is not on the bus and that no live claim holds (the
   * scheduled run's sweep); returns the records, so the run can count the unhealthy tenants.
   */
  async sweep(): Promise<TenantHealthRecord[] | undefined> {
    let records: TenantHealthRecord[];
    try {
      records = await this.#options.store.list();
    } catch (error) {
      this.#storeFailed(undefined, error);
      return undefined;
    }
    for (const record of records) {
      if (!record.announced && (await this.#retry(record)) === 'retried') record.announced = true;
    }
    return records;
  }

  /** Claims and announces a transition another attempt left unannounced. */
  async #retry(record: TenantHealthRecord): Promise<HealthCheckOutcome> {
    const event = parseEvent(record.event);
    if (event === undefined) return 'unchanged';
    const nowMs = this.#now();
    let claimed: boolean;
    try {
      claimed = await this.#options.store.claimAnnouncement(
        record.tenant,
        record.sinceMs,
        nowMs,
        nowMs + ANNOUNCE_CLAIM_MS,
      );
    } catch (error) {
      return this.#storeFailed(record.tenant, error);
    }
    if (!claimed) return 'lost';
    return (await this.#announce(record, event)) ? 'retried' : 'failed';
  }

  /** Puts the event on the bus and records the outcome; false when it is not on the bus. */
  async #announce(record: TenantHealthRecord, event: HealthEvent): Promise<boolean> {
    const { store, publisher, log } = this.#options;
    let published = true;
    let failure: string | undefined;
    try {
      await publisher.publish(event);
    } catch (error) {
      published = false;
      failure = codeOf(error);
    }
    try {
      // Announced, or the claim given up so the next check retries at once.
      await store.settleAnnouncement(record.tenant, record.sinceMs, published);
    } catch (error) {
      // An announced event whose record says otherwise is announced again later: at least once.
      this.#storeFailed(record.tenant, error);
    }
    log({
      level: published ? (record.state === 'unhealthy' ? 'WARN' : 'INFO') : 'ERROR',
      message: published
        ? `tenant ${record.tenant}: ${event.detailType} (${event.detail.reason})`
        : `tenant ${record.tenant}: ${event.detailType} not published, retried on the next check: ${failure}`,
      fields: {
        operation: HEALTH_OPERATION,
        tenant: record.tenant,
        health: record.state,
        reason: event.detail.reason,
        since: event.detail.since,
        failed_steps: event.detail.steps?.map((step) => step.id),
        error: failure,
      },
      metrics: [
        [published ? HEALTH_METRICS.healthEventsPublished : HEALTH_METRICS.healthEventFailures, 1],
      ],
    });
    return published;
  }

  #storeFailed(tenant: string | undefined, error: unknown): 'failed' {
    this.#options.log({
      level: 'ERROR',
      message: `tenant health store failed: ${codeOf(error)}`,
      fields: { operation: HEALTH_OPERATION, tenant, error: codeOf(error) },
      metrics: [[HEALTH_METRICS.healthStoreErrors, 1]],
    });
    return 'failed';
  }
}

/** A stored event, if it still reads as one. */
function parseEvent(text: string | undefined): HealthEvent | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const event = value as Partial<HealthEvent>;
    if (typeof event.detailType !== 'string' || typeof event.detail !== 'object') return undefined;
    return event as HealthEvent;
  } catch {
    return undefined;
  }
}

/** An error's stable code (its `code`, else its name), never its message. */
function codeOf(error: unknown): string {
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string'
      ? error.code
      : error instanceof Error
        ? error.name
        : 'Error';
  return /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? code : 'Error';
}
