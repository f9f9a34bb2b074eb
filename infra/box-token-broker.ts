import { Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Alias, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { ROUTES } from '../lambda/contract.js';
import type { BrokerAlarms } from './alarms.js';
import { addApiEntryKey } from './api-entry-key.js';
import type { BrokerApi } from './broker-api.js';
import type { BrokerFunction } from './broker-function.js';
import {
  BROKER_METRIC_NAMES,
  type BrokerMetricName,
  type BrokerMetrics,
} from './broker-metrics.js';
import { addBrokerMonitoring } from './broker-monitoring.js';
import { addAuditLog, addBrokerApi, addBrokerFunction } from './broker-parts.js';
import type { BoxTokenBrokerProps } from './broker-props.js';
import { brokerSecrets } from './broker-secrets.js';
import { brokerRuntime, brokerSettings } from './broker-settings.js';
import type { BrokerCanary } from './canary.js';
import { BrokerFleetState } from './fleet-state.js';
import { BrokerHealthEvents } from './health-events.js';

export type {
  BoxTokenBrokerProps,
  BrokerApiOptions,
  BrokerHealthEventsOptions,
  BrokerMonitoringOptions,
  BrokerTuning,
} from './broker-props.js';

/**
 * What other constructs may use of a broker: the grants and the metrics, and nothing of how it is
 * built (as aws-cdk-lib's `IFunction` is to `Function`). Depend on this in your own constructs.
 */
export interface IBoxTokenBroker extends IConstruct {
  /** Lets `grantee` invoke the broker directly (`lambda:InvokeFunction` on the `direct` alias). */
  grantInvoke(grantee: IGrantable): Grant;
  /** Lets `grantee` call every route of the API (`execute-api:Invoke` on each method). */
  grantCallApi(grantee: IGrantable): Grant;
  /** One of the broker's own metrics (Embedded Metric Format, `service` dimension). */
  metric(metricName: BrokerMetricName, props?: MetricOptions): Metric;
  /** Tokens handed to callers (Sum over 5 minutes by default). */
  metricTokensIssued(props?: MetricOptions): Metric;
  /** Requests the access policy denied. */
  metricAccessDenied(props?: MetricOptions): Metric;
  /** Box errors of one `box_error` code (e.g. `invalid_client`, `box_timeout`). */
  metricBoxErrors(code: string, props?: MetricOptions): Metric;
  /** Token cache hits. */
  metricCacheHits(props?: MetricOptions): Metric;
  /** Token cache misses (each one a Box call). */
  metricCacheMisses(props?: MetricOptions): Metric;
  /** Latency of Box calls in ms (p99 by default). */
  metricBoxLatency(props?: MetricOptions): Metric;
  /** Broker request latency in ms (p99 by default). */
  metricRequestLatency(props?: MetricOptions): Metric;
  /** Fallbacks to the `AWSPREVIOUS` secret version. */
  metricSecretFallbacks(props?: MetricOptions): Metric;
  /** Tenants whose scheduled setup check failed, per run (Maximum by default). */
  metricTenantsFailing(props?: MetricOptions): Metric;
  /** Tenants the scheduled setup check decided (Sum by default). */
  metricTenantsChecked(props?: MetricOptions): Metric;
  /** Unhealthy tenants, fleet-wide, as the scheduled run counts them (Maximum by default). */
  metricTenantsUnhealthy(props?: MetricOptions): Metric;
  /** Health events PutEvents did not take (each is retried on the tenant's next check). */
  metricHealthEventFailures(props?: MetricOptions): Metric;
  /** Canary runs: 1 = ok, 0 = failed (Minimum by default). */
  metricCanarySuccess(props?: MetricOptions): Metric;
  /** Fleet state calls that failed (the broker degraded to v1.1 for them). */
  metricStateErrors(props?: MetricOptions): Metric;
}

/**
 * A Box token broker: the credentials secret, the function that trades them for Box tokens (one
 * alias per entry), the IAM-authorised REST API in front of it, its logs, its alarms, a
 * scheduled canary and a dashboard. The constructor only composes: the props are checked in
 * broker-settings.ts, the parts are added in broker-parts.ts and broker-monitoring.ts, each as a
 * direct child of the broker so the logical IDs stay put.
 */
export class BoxTokenBroker extends Construct implements IBoxTokenBroker {
  /** The function (`$LATEST`). Callers use its aliases: see {@link grantInvoke}. */
  public readonly function: IFunction;
  /** The function, its role and its entry aliases. */
  public readonly functionParts: BrokerFunction;
  /** The direct callers' entry (`…:function:NAME:direct`). */
  public readonly directEntry: Alias;
  /** The REST API. Every method requires SigV4 (`AWS_IAM`). */
  public readonly api: RestApi;
  /** The default tenant's secret; undefined for a tenants-only broker. */
  public readonly secret: ISecret | Secret | undefined;
  /** The function's JSON log: one line per request, the audit trail. */
  public readonly functionLogGroup: LogGroup;
  /** The API's JSON access log. */
  public readonly accessLogGroup: LogGroup;
  /** The alarms. */
  public readonly alarms: BrokerAlarms;
  /**
   * Fleet state (contract v1.2): the shared table and its key; undefined when `fleetState` is
   * false. Grant operators the `tenant suspend/resume/list` rights with `grantTenantAdmin`.
   */
  public readonly fleetState: BrokerFleetState | undefined;
  /** Where tenant health events go; undefined when `healthEvents.enabled` is false. */
  public readonly healthEvents: BrokerHealthEvents | undefined;
  /** The scheduled canary; undefined when `monitoring.canaryEnabled` is false. */
  public readonly canary: BrokerCanary | undefined;
  /** The CloudWatch dashboard; undefined when `monitoring.dashboard` is false. */
  public readonly dashboard: Dashboard | undefined;
  /** URL of `POST /token` / `GET /token`. */
  public readonly tokenUrl: string;
  /** Console page where the admin enters the default secret's values. */
  public readonly secretConsoleUrl: string | undefined;
  private readonly brokerApi: BrokerApi;
  private readonly metrics: BrokerMetrics;

  constructor(scope: Construct, id: string, props: BoxTokenBrokerProps = {}) {
    super(scope, id);
    // Every prop is checked before the (slower) bundling.
    const settings = brokerSettings(props, Stack.of(this).account);
    const secrets = brokerSecrets(this, props);
    this.secret = secrets.secret;
    this.secretConsoleUrl = secrets.consoleUrl;
    const entryKey = addApiEntryKey(this);
    this.fleetState = props.fleetState === false ? undefined : new BrokerFleetState(this, 'State');
    this.healthEvents =
      props.healthEvents?.enabled === false
        ? undefined
        : new BrokerHealthEvents(this, 'HealthEvents', props.healthEvents ?? {});
    const runtime = brokerRuntime(
      this,
      props,
      settings,
      secrets,
      entryKey.secret.secretArn,
      this.fleetState?.environmentNames(),
      this.healthEvents?.eventBusEnvironmentValue,
    );

    this.functionLogGroup = addAuditLog(this, 'FunctionLogs', settings.retention);
    this.accessLogGroup = addAuditLog(this, 'AccessLogs', settings.retention);
    this.functionParts = addBrokerFunction(this, props, {
      settings,
      runtime,
      secrets,
      entryKey,
      logGroup: this.functionLogGroup,
    });
    this.function = this.functionParts.function;
    this.fleetState?.grantFunction(this.functionParts.role);
    this.healthEvents?.grantPut(this.functionParts.role);
    this.directEntry = this.functionParts.directAlias;
    this.brokerApi = addBrokerApi(this, props, {
      settings,
      functionParts: this.functionParts,
      accessLogGroup: this.accessLogGroup,
      entryKey: entryKey.secret,
    });
    this.api = this.brokerApi.api;
    this.tokenUrl = this.api.urlForPath(ROUTES.token);

    const monitoring = addBrokerMonitoring(this, settings, props.monitoring ?? {}, {
      functionParts: this.functionParts,
      api: this.api,
      functionLogGroup: this.functionLogGroup,
      tenantsRegistered: secrets.tenantSecretPrefix !== undefined,
      fleetState: this.fleetState !== undefined,
      healthEvents: this.healthEvents !== undefined,
    });
    this.metrics = monitoring.metrics;
    this.canary = monitoring.canary;
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * Lets `grantee` invoke the broker directly: `lambda:InvokeFunction` on the `direct` alias
   * only. Never on `:*` and never on the `api` or `schedule` alias: the handler trusts what
   * arrives there to come from API Gateway and the canary.
   */
  public grantInvoke(grantee: IGrantable): Grant {
    return this.functionParts.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` call every route of the API (`execute-api:Invoke` on each method). The API's
   * resource policy must admit it too (`api.allowedAccountIds` / `allowedPrincipalArns` /
   * `allowedOrganizationId`).
   */
  public grantCallApi(grantee: IGrantable): Grant {
    return this.brokerApi.grantCallApi(grantee);
  }

  /** One of the broker's own metrics (Embedded Metric Format, `service` dimension). */
  public metric(metricName: BrokerMetricName, props: MetricOptions = {}): Metric {
    return this.metrics.metric(metricName, props.statistic ?? 'Sum', {}).with(props);
  }

  /** Tokens handed to callers (Sum over 5 minutes by default). */
  public metricTokensIssued(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.tokensIssued, props);
  }

  /** Requests the access policy denied. */
  public metricAccessDenied(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.accessDenied, props);
  }

  /** Box errors of one `box_error` code (e.g. `invalid_client`, `box_timeout`). */
  public metricBoxErrors(code: string, props: MetricOptions = {}): Metric {
    return this.metrics.boxErrors(code).with(props);
  }

  /** Token cache hits. */
  public metricCacheHits(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.cacheHits, props);
  }

  /** Token cache misses (each one a Box call). */
  public metricCacheMisses(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.cacheMisses, props);
  }

  /** Latency of Box calls in ms (p99 by default). */
  public metricBoxLatency(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.boxLatency, { statistic: 'p99', ...props });
  }

  /** Broker request latency in ms (p99 by default). */
  public metricRequestLatency(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.requestLatency, { statistic: 'p99', ...props });
  }

  /** Fallbacks to the `AWSPREVIOUS` secret version. */
  public metricSecretFallbacks(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.secretFallbacks, props);
  }

  /** Tenants whose scheduled setup check failed, per run (Maximum by default). */
  public metricTenantsFailing(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.tenantsFailing, { statistic: 'Maximum', ...props });
  }

  /** Tenants the scheduled setup check decided (Sum by default). */
  public metricTenantsChecked(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.tenantsChecked, props);
  }

  /** Unhealthy tenants, fleet-wide, as the scheduled run counts them (Maximum by default). */
  public metricTenantsUnhealthy(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.tenantsUnhealthy, { statistic: 'Maximum', ...props });
  }

  /** Health events PutEvents did not take (each is retried on the tenant's next check). */
  public metricHealthEventFailures(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.healthEventFailures, props);
  }

  /** Canary runs: 1 = ok, 0 = failed (Minimum by default). */
  public metricCanarySuccess(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.canarySuccess, { statistic: 'Minimum', ...props });
  }

  /** Fleet state calls that failed (Sum by default): the table or the key, slow or refusing. */
  public metricStateErrors(props?: MetricOptions): Metric {
    return this.metric(BROKER_METRIC_NAMES.stateErrors, props);
  }
}
