import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Alias, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CONFIG_DEFAULTS, loadConfig } from '../lambda/config.js';
import { ROUTES } from '../lambda/contract.js';
import { MisconfiguredError } from '../lambda/errors.js';
import { principalsNamed } from '../lambda/policy/access-policy.js';
import { ACCESS_POLICY_RUNTIME_PATH, loadAccessPolicy } from './access-policy-asset.js';
import { BrokerAlarms } from './alarms.js';
import { AWS_IDENTIFIERS } from './aws-identifiers.js';
import { BrokerApi } from './broker-api.js';
import { brokerEnvironment } from './broker-environment.js';
import { aliasAsFunction, BrokerFunction } from './broker-function.js';
import { BROKER_METRIC_NAMES, type BrokerMetricName, BrokerMetrics } from './broker-metrics.js';
import type { BoxTokenBrokerProps } from './broker-props.js';
import { acknowledgeTenantWildcard, brokerSecrets, expectShape } from './broker-secrets.js';
import {
  BrokerCanary,
  canaryInterval,
  DEFAULT_CANARY_SCHEDULE,
  grantTenantListing,
} from './canary.js';
import { ConfigError } from './config-error.js';
import { BrokerDashboard } from './dashboard.js';
import { type AdmittedCallers, unadmittedPrincipals } from './resource-policy.js';

export type {
  BoxTokenBrokerProps,
  BrokerApiOptions,
  BrokerMonitoringOptions,
  BrokerTuning,
} from './broker-props.js';

/** Headroom between the Box retry budget and the function timeout (secret read, response). */
const TIMEOUT_HEADROOM_MS = 5000;

/**
 * A Box token broker: the credentials secret, the function that trades them for Box tokens (one
 * alias per entry), the IAM-authorised REST API in front of it, its logs, its alarms, a
 * scheduled canary and a dashboard.
 */
export class BoxTokenBroker extends Construct {
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
    const stack = Stack.of(this);
    const monitoring = props.monitoring ?? {};
    const serviceName = monitoring.serviceName ?? CONFIG_DEFAULTS.serviceName;
    const metricsNamespace = monitoring.metricsNamespace ?? CONFIG_DEFAULTS.metricsNamespace;
    const retention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const tracing = props.tracing ?? false;

    // Every prop is checked before the (slower) bundling.
    const canaryEnabled = monitoring.canaryEnabled ?? true;
    const canarySchedule = monitoring.canarySchedule ?? DEFAULT_CANARY_SCHEDULE;
    const scheduleInterval = canaryEnabled ? canaryInterval(canarySchedule) : undefined;
    const accessDeniedThreshold = positiveInteger(
      'monitoring.accessDeniedAlarmThreshold',
      monitoring.accessDeniedAlarmThreshold,
    );
    const admitted = admittedCallers(props, stack.account);
    const secrets = brokerSecrets(this, props);
    this.secret = secrets.secret;
    this.secretConsoleUrl = secrets.consoleUrl;
    const shippedPolicy = loadAccessPolicy({
      accessPolicy: props.accessPolicy,
      accessPolicyFile: props.accessPolicyFile,
    });
    const environment = brokerEnvironment(props.tuning ?? {}, {
      secretId: secrets.secretId,
      tenantSecretPrefix: secrets.tenantSecretPrefix,
      accessPolicyFile: shippedPolicy === undefined ? undefined : ACCESS_POLICY_RUNTIME_PATH,
      // The scheduled setup check picks its slice of the tenants from the time and this.
      setupCheckIntervalSeconds: scheduleInterval?.toSeconds(),
      serviceName,
      metricsNamespace,
    });
    const config = this.checkedConfig(environment);

    // Both logs belong to the broker, not to the function or the API: they are the audit trail.
    this.functionLogGroup = new LogGroup(this, 'FunctionLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.functionParts = new BrokerFunction(this, 'Function', {
      environment,
      logGroup: this.functionLogGroup,
      secretStatements: secrets.statements,
      // Above the whole Box retry budget, so the broker answers 503/504 itself instead of the
      // platform killing it mid-retry.
      timeout: Duration.millis(config.boxRetryBudgetMs + TIMEOUT_HEADROOM_MS),
      accessPolicyJson: shippedPolicy?.json,
      memorySize: props.memorySize,
      reservedConcurrency: props.reservedConcurrency,
      tracing,
      entry: props.entry,
    });
    this.function = this.functionParts.function;
    this.directEntry = this.functionParts.directAlias;
    if (secrets.tenantSecretPrefix !== undefined) {
      acknowledgeTenantWildcard(this.functionParts.role, secrets.tenantSecretPrefix);
    }

    if (shippedPolicy !== undefined) {
      for (const finding of unadmittedPrincipals(admitted, principalsNamed(shippedPolicy.policy))) {
        Annotations.of(this).addWarningV2('box-token-broker:unadmitted-principal', finding);
      }
    }

    this.brokerApi = new BrokerApi(this, 'Api', {
      restApiName: `${stack.stackName}-${id}`,
      handler: aliasAsFunction(this.functionParts.apiAlias),
      admitted,
      accessLogGroup: this.accessLogGroup,
      tracing,
      ...props.api,
    });
    this.api = this.brokerApi.api;
    this.tokenUrl = this.api.urlForPath(ROUTES.token);

    this.canary = canaryEnabled
      ? new BrokerCanary(this, 'Canary', {
          function: aliasAsFunction(this.functionParts.scheduleAlias),
          schedule: canarySchedule,
        })
      : undefined;
    if (this.canary !== undefined && secrets.tenantSecretPrefix !== undefined) {
      grantTenantListing(this.functionParts.role);
    }

    this.metrics = new BrokerMetrics(metricsNamespace, serviceName);
    this.alarms = new BrokerAlarms(this, 'Alarms', {
      function: this.function,
      api: this.api,
      metrics: this.metrics,
      topic: monitoring.alarmTopic,
      canaryInterval: this.canary?.interval,
      tenantsRegistered: secrets.tenantSecretPrefix !== undefined,
      accessDeniedThreshold,
    });
    this.dashboard =
      (monitoring.dashboard ?? true)
        ? new BrokerDashboard(this, 'Dashboard', {
            // Dashboards are per account, not per region: the region keeps two deployments of
            // one stack apart. Only letters, digits, - and _ are allowed.
            dashboardName: `${`${stack.stackName}-${id}`.replace(/[^\w-]/g, '-')}-${stack.region}`,
            function: this.function,
            functionLogGroup: this.functionLogGroup,
            api: this.api,
            metrics: this.metrics,
            alarms: this.alarms.all,
            canary: this.canary !== undefined,
          }).dashboard
        : undefined;
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

  /** Canary runs: 1 = ok, 0 = failed (Minimum by default). */
  public metricCanarySuccess(props: MetricOptions = {}): Metric {
    return this.metric(BROKER_METRIC_NAMES.canarySuccess, { statistic: 'Minimum', ...props });
  }

  /** The function's own validation of its environment, so a bad value fails synth. */
  private checkedConfig(environment: Record<string, string>): ReturnType<typeof loadConfig> {
    try {
      return loadConfig(environment);
    } catch (error) {
      if (!(error instanceof MisconfiguredError)) throw error;
      throw new ConfigError(`BoxTokenBroker ${this.node.path}: ${error.message}`, { cause: error });
    }
  }
}

/** Who the resource policy admits: the configured callers, else the deploying account. */
function admittedCallers(props: BoxTokenBrokerProps, deployingAccount: string): AdmittedCallers {
  const api = props.api ?? {};
  const accountIds = [...(api.allowedAccountIds ?? [])];
  const principalArns = [...(api.allowedPrincipalArns ?? [])];
  const organizationId = api.allowedOrganizationId;
  for (const id of accountIds) expectShape('allowedAccountIds', id, AWS_IDENTIFIERS.accountId);
  for (const arn of principalArns) {
    expectShape('allowedPrincipalArns', arn, AWS_IDENTIFIERS.principalArn);
  }
  expectShape('allowedOrganizationId', organizationId, AWS_IDENTIFIERS.organizationId);
  if (accountIds.length === 0 && principalArns.length === 0 && organizationId === undefined) {
    accountIds.push(deployingAccount);
  }
  return { accountIds, principalArns, organizationId };
}

/** A count prop: undefined, or a whole number of at least 1. */
function positiveInteger(prop: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new ConfigError(`BoxTokenBroker prop ${prop}: ${value} is not a whole number >= 1.`);
  }
  return value;
}
