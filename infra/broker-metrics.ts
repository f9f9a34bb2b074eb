import { Duration } from 'aws-cdk-lib';
import { Metric, SearchExpression } from 'aws-cdk-lib/aws-cloudwatch';
import { HEALTH_METRICS } from '../lambda/health/health-monitor.js';
import { SETUP_CHECK_METRICS } from '../lambda/setup/run-report.js';

/**
 * The broker's own CloudWatch metrics, as lambda/trace/request-logger.ts writes them in Embedded Metric
 * Format: every metric under the one `service` dimension, and `BoxErrors` also under
 * `service` + `box_error`.
 */
export const BROKER_METRIC_NAMES = {
  tokensIssued: 'TokensIssued',
  tokensRevoked: 'TokensRevoked',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
  accessDenied: 'AccessDenied',
  boxLatency: 'BoxLatency',
  boxErrors: 'BoxErrors',
  secretRereads: 'SecretRereads',
  secretFallbacks: 'SecretFallbacks',
  secretVersionAge: 'SecretVersionAge',
  staleTokensServed: 'StaleTokensServed',
  negativeCacheHits: 'NegativeCacheHits',
  serverErrors: 'ServerErrors',
  requestLatency: 'RequestLatency',
  canarySuccess: 'CanarySuccess',
  // Fleet state (contract v1.2): failed table/KMS calls, and items refused for their context.
  stateErrors: 'StateErrors',
  stateHits: 'StateHits',
  stateItemsRejected: 'StateItemsRejected',
  // The scheduled setup check's summary line (lambda/setup/run-report.ts).
  ...SETUP_CHECK_METRICS,
  // Tenant health events (lambda/health/health-monitor.ts).
  ...HEALTH_METRICS,
} as const;

export type BrokerMetricName = (typeof BROKER_METRIC_NAMES)[keyof typeof BROKER_METRIC_NAMES];

/** The `box_error` dimension: Box's OAuth error codes, which mean the app is misconfigured. */
export const BOX_CREDENTIAL_ERROR_CODES = [
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
] as const;

/** The `box_error` dimension: the broker's codes for a Box that is down, slow or garbled. */
export const BOX_OUTAGE_ERROR_CODES = [
  'box_unavailable',
  'box_timeout',
  'box_bad_response',
] as const;

/** The default period of the broker's metrics in alarms and on the dashboard. */
export const METRIC_PERIOD = Duration.minutes(5);

/** Builds {@link Metric}s of one broker deployment (its namespace and `service` dimension). */
export class BrokerMetrics {
  constructor(
    /** `POWERTOOLS_METRICS_NAMESPACE` of the function. */
    readonly namespace: string,
    /** `POWERTOOLS_SERVICE_NAME` of the function: the `service` dimension. */
    readonly serviceName: string,
  ) {}

  /** One broker metric under the `service` dimension. */
  metric(
    metricName: BrokerMetricName,
    statistic: string,
    options: { period?: Duration; label?: string } = {},
  ): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { service: this.serviceName },
      period: options.period ?? METRIC_PERIOD,
      statistic,
      ...(options.label === undefined ? {} : { label: options.label }),
    });
  }

  /** `BoxErrors` of one `box_error` code (Sum). */
  boxErrors(code: string, period: Duration = METRIC_PERIOD): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: BROKER_METRIC_NAMES.boxErrors,
      dimensionsMap: { service: this.serviceName, box_error: code },
      period,
      statistic: 'Sum',
    });
  }

  /**
   * `BoxErrors` of every `box_error` code that occurred, one line each: a CloudWatch SEARCH, so
   * codes the broker may add later show up without a redeploy.
   */
  boxErrorsByCode(period: Duration = METRIC_PERIOD): SearchExpression {
    const expression =
      `SEARCH('{${quote(this.namespace)},box_error,service} ` +
      `MetricName="${BROKER_METRIC_NAMES.boxErrors}" service=${quote(this.serviceName)}', ` +
      `'Sum', ${period.toSeconds()})`;
    return new SearchExpression({ expression, period, label: BOX_ERROR_LABEL });
  }
}

/** A CloudWatch dynamic label: each line of the SEARCH is named by its `box_error` code. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudWatch's label syntax, not JavaScript's.
const BOX_ERROR_LABEL = "${PROP('Dim.box_error')}";

/** A SEARCH term in double quotes, so names with `-`, `/` or spaces match exactly. */
function quote(term: string): string {
  return `"${term.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
