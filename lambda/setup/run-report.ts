/**
 * The scheduled setup check's log lines: one per tenant that failed (or could not be decided),
 * then one summary line carrying the run's metrics (`TenantsChecked`, `TenantsFailing`,
 * `TenantsInconclusive`, `TenantsNotReached`). Per-tenant detail stays in the lines, never in
 * metric dimensions: a dimension per tenant would be a metric per tenant.
 */
import type { LogEvent } from '../trace/request-logger.js';
import type { SetupCheckRun, TenantCheck } from './scheduled-checks.js';

/** The metrics of the summary line, by name. */
export const SETUP_CHECK_METRICS = {
  tenantsChecked: 'TenantsChecked',
  tenantsFailing: 'TenantsFailing',
  tenantsInconclusive: 'TenantsInconclusive',
  tenantsNotReached: 'TenantsNotReached',
  tenantListingFailures: 'TenantListingFailures',
} as const;

/** The run's counts (also the scheduled invocation's result). */
export interface SetupRunSummary {
  /** Tenants whose check ran to a verdict (pass, fail or inconclusive). */
  checked: number;
  failing: number;
  inconclusive: number;
  /** Tenants of this run the deadline left unchecked. */
  notReached: number;
  /** Registered tenants (undefined without a prefix or when the listing failed). */
  registered: number | undefined;
}

/** The `operation` field of every line the scheduled check writes (Logs Insights filters on it). */
export const SETUP_CHECK_OPERATION = 'setup_check';

export function summarize(run: SetupCheckRun): SetupRunSummary {
  const count = (outcome: TenantCheck['outcome']) =>
    run.tenants.filter((tenant) => tenant.outcome === outcome).length;
  const failing = count('fail');
  const inconclusive = count('inconclusive');
  return {
    checked: count('pass') + failing + inconclusive,
    failing,
    inconclusive,
    notReached: count('not_reached'),
    registered: run.registered,
  };
}

/** The lines of one run, tenant lines first, the summary last. */
export function runLogEvents(run: SetupCheckRun, requestId: string): LogEvent[] {
  const events: LogEvent[] = [];
  for (const tenant of run.tenants) {
    if (tenant.outcome !== 'fail' && tenant.outcome !== 'inconclusive') continue;
    const steps = tenant.failedSteps.join(',');
    events.push({
      level: tenant.outcome === 'fail' ? 'ERROR' : 'WARN',
      message:
        tenant.outcome === 'fail'
          ? `setup check failed for tenant ${tenant.tenant}: ${steps}`
          : `setup check inconclusive for tenant ${tenant.tenant}`,
      fields: {
        request_id: requestId,
        operation: SETUP_CHECK_OPERATION,
        tenant: tenant.tenant,
        outcome: tenant.outcome,
        failed_steps: tenant.failedSteps.length > 0 ? tenant.failedSteps : undefined,
        box_error: tenant.boxError,
        box_status: tenant.boxStatus,
        reason: tenant.reason,
        duration_ms: tenant.durationMs,
      },
    });
  }
  const summary = summarize(run);
  const stoppedEarly = summary.notReached > 0;
  const metrics: [string, number][] = [
    [SETUP_CHECK_METRICS.tenantsChecked, summary.checked],
    [SETUP_CHECK_METRICS.tenantsFailing, summary.failing],
    [SETUP_CHECK_METRICS.tenantsInconclusive, summary.inconclusive],
    [SETUP_CHECK_METRICS.tenantsNotReached, summary.notReached],
  ];
  if (run.listingError !== undefined) {
    metrics.push([SETUP_CHECK_METRICS.tenantListingFailures, 1]);
  }
  const failingIds = run.tenants.filter((t) => t.outcome === 'fail').map((t) => t.tenant);
  events.push({
    level: run.listingError !== undefined || summary.failing > 0 ? 'ERROR' : 'INFO',
    message: [
      `setup check: ${summary.checked} checked, ${summary.failing} failing`,
      ...(stoppedEarly ? [`stopped early, ${summary.notReached} not reached`] : []),
      ...(run.listingError === undefined ? [] : [`listing tenants failed: ${run.listingError}`]),
    ].join('; '),
    fields: {
      request_id: requestId,
      operation: SETUP_CHECK_OPERATION,
      tenants_registered: run.registered,
      tenants_ignored: run.ignored > 0 ? run.ignored : undefined,
      slice: run.slices > 0 ? `${run.slice + 1}/${run.slices}` : undefined,
      cycle_minutes: run.slices > 0 ? Math.round(run.cycleMs / 60_000) : undefined,
      failing_tenants: failingIds.length > 0 ? failingIds : undefined,
      stopped_early: stoppedEarly,
      listing_error: run.listingError,
    },
    metrics,
  });
  return events;
}
