import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type BrokerMetrics, BROKER_METRIC_NAMES as M, METRIC_PERIOD } from './broker-metrics.js';
import { errorsByTenantQuery, issuanceByTenantQuery, tenantHealthQuery } from './log-insights.js';

export interface BrokerDashboardProps {
  /** Dashboard names are unique per account across regions. */
  readonly dashboardName: string;
  readonly function: IFunction;
  /** The function's log: the per-tenant views query it. */
  readonly functionLogGroup: ILogGroup;
  readonly api: RestApi;
  readonly metrics: BrokerMetrics;
  /** The alarms to show the state of. */
  readonly alarms: readonly Alarm[];
  /** Whether a canary runs; without one its widget would only ever be empty. */
  readonly canary: boolean;
  /** Whether tenant health events are on (`BOX_EVENT_BUS`): adds the unhealthy tenants row. */
  readonly healthEvents?: boolean | undefined;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the broker, read top to bottom: alarms; what callers get; what Box
 * does; the secret; the API and the function underneath; per tenant, from the log.
 */
export class BrokerDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: BrokerDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    const sum = (name: (typeof M)[keyof typeof M], label: string): IMetric =>
      m.metric(name, 'Sum', { label });
    const fn = props.function;
    const api = props.api;
    const period = METRIC_PERIOD;

    const graph = (title: string, left: IMetric[], right: IMetric[] = []): GraphWidget =>
      new GraphWidget({ title, left, right, width: WIDTH, height: HEIGHT, period });

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            `# Box token broker (service \`${m.serviceName}\`, namespace \`${m.namespace}\`)\n` +
            'Runbook: docs/operations.md. Per-request details: the function log, one JSON line ' +
            'per request.',
          width: 24,
          height: 2,
        }),
      ],
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 })],
      [
        graph('Tokens issued and revoked', [
          sum(M.tokensIssued, 'issued'),
          sum(M.tokensRevoked, 'revoked'),
        ]),
        graph('Token cache', [
          sum(M.cacheHits, 'hits'),
          sum(M.cacheMisses, 'misses'),
          sum(M.negativeCacheHits, 'negative cache hits'),
        ]),
        graph('Access denied by the policy', [sum(M.accessDenied, 'denied')]),
      ],
      [
        graph('Box latency (ms)', [
          m.metric(M.boxLatency, 'p50', { label: 'p50' }),
          m.metric(M.boxLatency, 'p99', { label: 'p99' }),
        ]),
        graph('Box errors by code', [m.boxErrorsByCode()]),
        graph('Stale tokens served (Box down)', [sum(M.staleTokensServed, 'served stale')]),
      ],
      [
        graph('Secret re-reads and fallbacks', [
          sum(M.secretRereads, 're-reads'),
          sum(M.secretFallbacks, 'fallbacks to AWSPREVIOUS'),
        ]),
        graph('Secret version age (s)', [
          m.metric(M.secretVersionAge, 'Maximum', { label: 'age of the version in use' }),
        ]),
        props.canary
          ? graph('Canary success (1 = ok)', [
              m.metric(M.canarySuccess, 'Minimum', { label: 'canary' }),
            ])
          : new TextWidget({
              markdown: 'No canary: `canaryEnabled` is false.',
              width: WIDTH,
              height: HEIGHT,
            }),
      ],
      [
        graph(
          'API requests and errors',
          [api.metricCount({ period, label: 'requests' })],
          [
            api.metricClientError({ period, label: '4XX' }),
            api.metricServerError({ period, label: '5XX' }),
          ],
        ),
        graph('API latency (ms)', [
          api.metricLatency({ period, statistic: 'p50', label: 'p50' }),
          api.metricLatency({ period, statistic: 'p99', label: 'p99' }),
          api.metricIntegrationLatency({ period, statistic: 'p99', label: 'integration p99' }),
        ]),
        graph('Broker request latency (ms)', [
          m.metric(M.requestLatency, 'p99', { label: 'request p99 (ms)' }),
        ]),
      ],
      [
        graph(
          'Function duration (ms)',
          [
            fn.metricDuration({ period, statistic: 'p50', label: 'p50' }),
            fn.metricDuration({ period, statistic: 'p99', label: 'p99' }),
          ],
          [fn.metricInvocations({ period, statistic: 'Sum', label: 'invocations' })],
        ),
        graph('Function errors and throttles', [
          fn.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
          fn.metricThrottles({ period, statistic: 'Sum', label: 'throttles' }),
          sum(M.serverErrors, 'broker 5xx answers'),
        ]),
        graph('Function concurrent executions', [
          fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum', label: 'max' }),
        ]),
      ],
      [
        new LogQueryWidget({
          title: 'Requests, tokens issued and errors by tenant (function log)',
          logGroupNames: [props.functionLogGroup.logGroupName],
          queryLines: issuanceByTenantQuery(),
          view: LogQueryVisualizationType.TABLE,
          width: 12,
          height: HEIGHT,
        }),
        new LogQueryWidget({
          title: 'Errors by tenant, code and operation (function log)',
          logGroupNames: [props.functionLogGroup.logGroupName],
          queryLines: errorsByTenantQuery(),
          view: LogQueryVisualizationType.TABLE,
          width: 12,
          height: HEIGHT,
        }),
      ],
    ];
    if (props.healthEvents === true) {
      rows.push([
        graph(
          'Unhealthy tenants',
          [m.metric(M.tenantsUnhealthy, 'Maximum', { label: 'unhealthy (fleet-wide)' })],
          [
            sum(M.healthEventsPublished, 'events published'),
            sum(M.healthEventFailures, 'PutEvents failures'),
          ],
        ),
        new LogQueryWidget({
          title: 'Tenant health: last transition per tenant, unhealthy first (function log)',
          logGroupNames: [props.functionLogGroup.logGroupName],
          queryLines: tenantHealthQuery(),
          view: LogQueryVisualizationType.TABLE,
          width: 16,
          height: HEIGHT,
        }),
      ]);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: rows,
    });
  }
}
