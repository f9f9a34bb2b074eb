/**
 * Tenant health events, assembled (contract v1.2): the monitor over a store and an EventBridge
 * publisher, the live signals the broker reports to, and the scheduled run's hook. With the
 * fleet-state table every environment shares one memory of each tenant's health, so live traffic
 * reports too; without it the only judge is the scheduled setup check, remembered by the
 * environment that runs it (a run in another environment, or after a cold start, may announce a
 * still-unhealthy tenant again).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SetupCheckRun } from '../setup/scheduled-checks.js';
import type { TenantHealthStore } from '../state/ports.js';
import type { LogEvent } from '../trace/request-logger.js';
import {
  EventBridgePublisher,
  type HealthEventPublisher,
  PUT_EVENTS_TIMEOUT_MS,
} from './event-publisher.js';
import { HealthMonitor } from './health-monitor.js';
import { LiveHealthSignals } from './live-signals.js';
import { judgeSetupRun } from './setup-run-health.js';

export interface TenantHealthOptions {
  /** `BOX_EVENT_BUS`. */
  eventBus: string;
  client: EventBridgeClient;
  store: TenantHealthStore;
  /** Whether `store` is shared by every environment (the table): live traffic reports then. */
  fleetWide: boolean;
  log: (event: LogEvent) => void;
  /** Instead of EventBridge (tests of what is put). */
  publisher?: HealthEventPublisher;
  /** How long an environment trusts a tenant it read healthy: the fleet state's sync bound. */
  knownHealthyMs?: number;
  now?: () => number;
}

/** One execution environment's tenant health: built once, at cold start. */
export class TenantHealth {
  readonly monitor: HealthMonitor;
  /** What the broker reports to; undefined without a fleet-wide store. */
  readonly signals: LiveHealthSignals | undefined;
  readonly #log: (event: LogEvent) => void;

  constructor(options: TenantHealthOptions) {
    this.#log = options.log;
    this.monitor = new HealthMonitor({
      store: options.store,
      publisher:
        options.publisher ??
        new EventBridgePublisher({
          client: options.client,
          eventBus: options.eventBus,
          timeoutMs: PUT_EVENTS_TIMEOUT_MS,
        }),
      log: options.log,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.signals = options.fleetWide
      ? new LiveHealthSignals(this.monitor, {
          ...(options.knownHealthyMs === undefined
            ? {}
            : { knownHealthyMs: options.knownHealthyMs }),
          ...(options.now === undefined ? {} : { now: options.now }),
        })
      : undefined;
  }

  /** The scheduled run's verdicts, judged; never rejects. */
  afterSetupRun(run: SetupCheckRun, mayStart?: () => boolean): Promise<void> {
    return judgeSetupRun(this.monitor, run, this.#log, mayStart);
  }

  /** Live checks in flight ({@link settle} has something to wait for when above 0). */
  get pending(): number {
    return this.signals?.pending ?? 0;
  }

  /** Waits (bounded) for live checks in flight, before the handler answers. Never rejects. */
  settle(maxMs?: number): Promise<void> {
    return this.signals?.settle(maxMs) ?? Promise.resolve();
  }
}
