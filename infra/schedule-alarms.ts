import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { BROKER_METRIC_NAMES, type BrokerMetrics } from './broker-metrics.js';

/**
 * How long the failing-tenant alarm remembers a failing report. A run checks one slice of the
 * tenants, so a failing tenant is reported once per pass over the slices (100 minutes for 1,000
 * tenants at the defaults); remembering 3 hours keeps the alarm in ALARM, without flapping, while
 * the tenant stays broken, for up to 1,800 tenants at the defaults.
 */
export const FAILING_TENANT_WINDOW = Duration.hours(3);

/** The alarms on the scheduled runs: the canary and the setup check of the tenants. */
export interface ScheduleAlarms {
  /** The scheduled canary failed or did not run. */
  readonly canary: Alarm;
  /** A tenant's scheduled setup check failed. */
  readonly tenantsFailing: Alarm;
  /** The scheduled setup check could not list the tenants; undefined without tenants. */
  readonly tenantListing: Alarm | undefined;
}

/**
 * Adds the {@link ScheduleAlarms} to `scope` (the broker's `Alarms` construct); each looks at
 * periods of the canary's `interval`. Unlike the others, the canary's alarm treats missing data
 * as breaching: a canary that does not report is a failure.
 */
export function scheduleAlarms(
  scope: Construct,
  metrics: BrokerMetrics,
  interval: Duration,
  tenantsRegistered: boolean,
): ScheduleAlarms {
  const canary = new Alarm(scope, 'Canary', {
    metric: metrics.metric(BROKER_METRIC_NAMES.canarySuccess, 'Minimum', { period: interval }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
    // Two intervals in a row, so one late or skipped run is not a page.
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    // A canary that does not report is a failure: the function, its schedule or its
    // permission is broken.
    treatMissingData: TreatMissingData.BREACHING,
    alarmDescription:
      'The scheduled canary failed or did not run for two intervals: a token from the ' +
      'broker did not work at Box GET /2.0/users/me. See the log lines with route "canary".',
  });

  const tenantsFailing = new Alarm(scope, 'TenantsFailing', {
    metric: metrics.metric(BROKER_METRIC_NAMES.tenantsFailing, 'Maximum', { period: interval }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // Any report in the window: each tenant is reported only by the runs of its slice.
    evaluationPeriods: windowPeriods(interval),
    datapointsToAlarm: 1,
    // A run that did not happen found nothing; the canary alarm pages for missing runs.
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription:
      'A tenant failed its scheduled setup check in the last ' +
      `${FAILING_TENANT_WINDOW.toHours()} hours: its Box app is no longer set up as the ` +
      'broker needs (secret reset, app un-authorised, ...). The log lines with ' +
      'operation "setup_check" and outcome "fail" name the tenant, the failed step and ' +
      "Box's error; fix it as `box-token-broker tenant check ID` says.",
  });

  const tenantListing = tenantsRegistered
    ? new Alarm(scope, 'TenantListing', {
        metric: metrics.metric(BROKER_METRIC_NAMES.tenantListingFailures, 'Sum', {
          period: interval,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Two runs in a row, so one throttled ListSecrets is not a page.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription:
          'The scheduled setup check could not list the tenants (ListSecrets) for two runs: ' +
          'no registered tenant is being checked. See listing_error in the log lines with ' +
          'operation "setup_check".',
      })
    : undefined;

  return { canary, tenantsFailing, tenantListing };
}

/** Periods of `interval` in {@link FAILING_TENANT_WINDOW}; CloudWatch looks back one day at most. */
function windowPeriods(interval: Duration): number {
  const seconds = interval.toSeconds();
  return Math.max(
    1,
    Math.min(
      Math.ceil(FAILING_TENANT_WINDOW.toSeconds() / seconds),
      Math.floor(Duration.days(1).toSeconds() / seconds),
    ),
  );
}
