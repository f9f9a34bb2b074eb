/**
 * The scheduled setup check's side of tenant health: each tenant the run decided (passed or
 * failed) is judged; an inconclusive check, one the run did not reach and a tenant gone since the
 * listing say nothing about its health. Then the sweep retries any transition whose event is not
 * on the bus yet, and the run's line carries `TenantsUnhealthy` (the dashboard's widget): the
 * tenants that still exist (registered, or the default), or every one when the listing failed.
 */
import { runBounded } from '../setup/concurrency.js';
import type { SetupCheckRun, TenantCheck } from '../setup/scheduled-checks.js';
import type { LogEvent } from '../trace/request-logger.js';
import type { HealthEvidence, HealthStep } from './health-event.js';
import type { HealthObservation } from './health-judge.js';
import { HEALTH_METRICS, HEALTH_OPERATION, type HealthMonitor } from './health-monitor.js';

/** Checks against the store in flight at once (each a read, maybe a write and a PutEvents). */
const CONCURRENCY = 4;

/** What a tenant's check says about its health; undefined = nothing. */
export function observationOf(check: TenantCheck): HealthObservation | undefined {
  if (check.outcome === 'pass') return { kind: 'setup_check_passed', tenant: check.tenant };
  if (check.outcome !== 'fail') return undefined;
  const failures = check.failures ?? [];
  const steps: HealthStep[] = failures.map(({ id, title, fix }) => ({ id, title, fix }));
  const evidence: HealthEvidence[] = failures.flatMap((failure) => failure.evidence);
  return { kind: 'setup_check_failed', tenant: check.tenant, steps, evidence };
}

/**
 * Judges every decided tenant of `run`, then sweeps; starts a tenant only while `mayStart` says
 * there is time (one not judged now is judged by its next check). Never rejects.
 */
export async function judgeSetupRun(
  monitor: HealthMonitor,
  run: SetupCheckRun,
  log: (event: LogEvent) => void,
  mayStart: () => boolean = () => true,
): Promise<void> {
  const observations = run.tenants.flatMap((check) => {
    const observation = observationOf(check);
    return observation === undefined ? [] : [observation];
  });
  await runBounded(observations, {
    limit: CONCURRENCY,
    mayStart,
    work: (observation) => monitor.check(observation),
    notStarted: () => 'unchanged' as const,
  });
  if (!mayStart()) return;
  const records = await monitor.sweep();
  if (records === undefined) return;
  // A tenant removed since it went bad keeps its item; it is not counted once the listing says so.
  const existing =
    run.registeredIds === undefined
      ? undefined
      : new Set([...run.registeredIds, ...run.tenants.map((check) => check.tenant)]);
  const unhealthy = records.filter(
    (record) => record.state === 'unhealthy' && (existing?.has(record.tenant) ?? true),
  );
  log({
    level: unhealthy.length > 0 ? 'WARN' : 'INFO',
    message: `tenant health: ${unhealthy.length} unhealthy`,
    fields: {
      operation: HEALTH_OPERATION,
      unhealthy_tenants: unhealthy.length > 0 ? unhealthy.map((r) => r.tenant) : undefined,
    },
    metrics: [[HEALTH_METRICS.tenantsUnhealthy, unhealthy.length]],
  });
}
