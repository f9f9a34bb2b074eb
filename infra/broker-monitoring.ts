import { Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BrokerAlarms } from './alarms.js';
import { aliasAsFunction, type BrokerFunction } from './broker-function.js';
import { BrokerMetrics } from './broker-metrics.js';
import type { BrokerMonitoringOptions } from './broker-props.js';
import type { BrokerSettings } from './broker-settings.js';
import { BrokerCanary, grantTenantListing } from './canary.js';
import { BrokerDashboard } from './dashboard.js';

/** What {@link addBrokerMonitoring} watches. */
export interface MonitoredBroker {
  readonly functionParts: BrokerFunction;
  readonly api: RestApi;
  readonly functionLogGroup: ILogGroup;
  /** Whether tenants are registered under a prefix (the canary then lists them). */
  readonly tenantsRegistered: boolean;
  /** Whether fleet state is on (adds the StateErrors alarm). */
  readonly fleetState: boolean;
  /** Whether tenant health events are on. */
  readonly healthEvents?: boolean | undefined;
}

/** The broker's monitoring parts. */
export interface BrokerMonitoringParts {
  readonly metrics: BrokerMetrics;
  /** Undefined when `monitoring.canaryEnabled` is false. */
  readonly canary: BrokerCanary | undefined;
  readonly alarms: BrokerAlarms;
  /** Undefined when `monitoring.dashboard` is false. */
  readonly dashboard: Dashboard | undefined;
}

/**
 * Adds the canary, the alarms and the dashboard to `broker` as its children `Canary`, `Alarms`
 * and `Dashboard` (their paths, and so their logical IDs, are the broker's own).
 */
export function addBrokerMonitoring(
  broker: Construct,
  settings: BrokerSettings,
  options: BrokerMonitoringOptions,
  watched: MonitoredBroker,
): BrokerMonitoringParts {
  const fn = watched.functionParts.function;
  const canary =
    settings.canarySchedule === undefined
      ? undefined
      : new BrokerCanary(broker, 'Canary', {
          function: aliasAsFunction(watched.functionParts.scheduleAlias),
          schedule: settings.canarySchedule,
        });
  if (canary !== undefined && watched.tenantsRegistered) {
    grantTenantListing(watched.functionParts.role);
  }

  const metrics = new BrokerMetrics(settings.metricsNamespace, settings.serviceName);
  const alarms = new BrokerAlarms(broker, 'Alarms', {
    function: fn,
    api: watched.api,
    metrics,
    topic: options.alarmTopic,
    canaryInterval: canary?.interval,
    tenantsRegistered: watched.tenantsRegistered,
    accessDeniedThreshold: settings.accessDeniedThreshold,
    fleetState: watched.fleetState,
  });
  const dashboard =
    (options.dashboard ?? true)
      ? new BrokerDashboard(broker, 'Dashboard', {
          dashboardName: dashboardName(broker),
          function: fn,
          functionLogGroup: watched.functionLogGroup,
          api: watched.api,
          metrics,
          alarms: alarms.all,
          canary: canary !== undefined,
          healthEvents: watched.healthEvents,
        }).dashboard
      : undefined;
  return { metrics, canary, alarms, dashboard };
}

/**
 * Dashboards are per account, not per region: the region keeps two deployments of one stack
 * apart. Only letters, digits, - and _ are allowed.
 */
function dashboardName(broker: Construct): string {
  const stack = Stack.of(broker);
  return `${`${stack.stackName}-${broker.node.id}`.replace(/[^\w-]/g, '-')}-${stack.region}`;
}
