import { Duration, Token } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { CONFIG_DEFAULTS, loadConfig } from '../lambda/config.js';
import { MisconfiguredError } from '../lambda/errors.js';
import {
  ACCESS_POLICY_RUNTIME_PATH,
  loadAccessPolicy,
  type ShippedAccessPolicy,
} from './access-policy-asset.js';
import { brokerEnvironment } from './broker-environment.js';
import type { BoxTokenBrokerProps } from './broker-props.js';
import type { BrokerSecrets } from './broker-secrets.js';
import { canaryInterval, DEFAULT_CANARY_SCHEDULE } from './canary.js';
import { AWS_IDENTIFIERS, ConfigError, expectShape } from './config-checks.js';
import type { AdmittedCallers } from './resource-policy.js';

/** Headroom between the Box retry budget and the function timeout (secret read, response). */
const TIMEOUT_HEADROOM_MS = 5000;

/** The broker's props with their defaults applied, checked before anything is built. */
export interface BrokerSettings {
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly retention: RetentionDays;
  readonly tracing: boolean;
  /** The canary's schedule; undefined when `monitoring.canaryEnabled` is false. */
  readonly canarySchedule: Schedule | undefined;
  /** The canary's interval; undefined without a canary. */
  readonly canaryInterval: Duration | undefined;
  readonly accessDeniedThreshold: number | undefined;
  /** Who the API's resource policy admits. */
  readonly admitted: AdmittedCallers;
}

/**
 * Applies the defaults to the props that need no construct and checks them, so a bad value
 * fails synth before the (slower) bundling.
 *
 * @throws ConfigError naming the first prop whose value cannot be used
 */
export function brokerSettings(
  props: BoxTokenBrokerProps,
  deployingAccount: string,
): BrokerSettings {
  const monitoring = props.monitoring ?? {};
  const canaryEnabled = monitoring.canaryEnabled ?? true;
  const canarySchedule = canaryEnabled
    ? (monitoring.canarySchedule ?? DEFAULT_CANARY_SCHEDULE)
    : undefined;
  return {
    serviceName: monitoring.serviceName ?? CONFIG_DEFAULTS.serviceName,
    metricsNamespace: monitoring.metricsNamespace ?? CONFIG_DEFAULTS.metricsNamespace,
    retention: props.logRetention ?? RetentionDays.ONE_YEAR,
    tracing: props.tracing ?? false,
    canarySchedule,
    canaryInterval: canarySchedule === undefined ? undefined : canaryInterval(canarySchedule),
    accessDeniedThreshold: positiveInteger(
      'monitoring.accessDeniedAlarmThreshold',
      monitoring.accessDeniedAlarmThreshold,
    ),
    admitted: admittedCallers(props, deployingAccount),
  };
}

/** What the function runs with: its environment, its shipped access policy and its timeout. */
export interface BrokerRuntime {
  readonly environment: Record<string, string>;
  /** The access policy bundled with the function; undefined for the function's default. */
  readonly shippedPolicy: ShippedAccessPolicy | undefined;
  readonly timeout: Duration;
}

/**
 * The function's environment, checked by the function's own configuration parser so a bad value
 * fails synth, and the timeout derived from it.
 *
 * @throws ConfigError naming `broker`'s path and the variable that cannot be used
 */
export function brokerRuntime(
  broker: IConstruct,
  props: BoxTokenBrokerProps,
  settings: BrokerSettings,
  secrets: BrokerSecrets,
  apiEntrySecretId?: string,
  fleetState?: { table: string; kmsKey: string },
  eventBus?: string,
): BrokerRuntime {
  const shippedPolicy = loadAccessPolicy({
    accessPolicy: props.accessPolicy,
    accessPolicyFile: props.accessPolicyFile,
  });
  const environment = brokerEnvironment(props.tuning ?? {}, {
    secretId: secrets.secretId,
    tenantSecretPrefix: secrets.tenantSecretPrefix,
    apiEntrySecretId,
    fleetState,
    eventBus,
    accessPolicyFile: shippedPolicy === undefined ? undefined : ACCESS_POLICY_RUNTIME_PATH,
    // The scheduled setup check picks its slice of the tenants from the time and this.
    setupCheckIntervalSeconds: settings.canaryInterval?.toSeconds(),
    serviceName: settings.serviceName,
    metricsNamespace: settings.metricsNamespace,
  });
  const config = checkedConfig(broker, environment);
  return {
    environment,
    shippedPolicy,
    // Above the whole Box retry budget, so the broker answers 503/504 itself instead of the
    // platform killing it mid-retry.
    timeout: Duration.millis(config.boxRetryBudgetMs + TIMEOUT_HEADROOM_MS),
  };
}

/** The function's own validation of its environment, so a bad value fails synth. */
function checkedConfig(
  broker: IConstruct,
  environment: Record<string, string>,
): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(withTokensResolved(environment));
  } catch (error) {
    if (!(error instanceof MisconfiguredError)) throw error;
    throw new ConfigError(`BoxTokenBroker ${broker.node.path}: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * The environment with the names CloudFormation decides at deploy time (the table's name, the
 * key's ARN, the event bus's ARN) replaced by valid stand-ins, so the function's parser checks everything else.
 */
function withTokensResolved(environment: Record<string, string>): Record<string, string> {
  const stand = {
    BOX_STATE_TABLE: 'synth-check-table',
    BOX_STATE_KMS_KEY: 'alias/synth-check',
    // A bus defined in the app is known by its ARN only at deploy time: its shape is CDK's.
    BOX_EVENT_BUS: 'default',
  };
  const checked = { ...environment };
  for (const [name, value] of Object.entries(stand)) {
    const current = checked[name];
    if (current !== undefined && Token.isUnresolved(current)) checked[name] = value;
  }
  return checked;
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
