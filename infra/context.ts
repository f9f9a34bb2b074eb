import { existsSync } from 'node:fs';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigVariableError, loadConfig } from '../lambda/config.js';
import {
  type BrokerTuning,
  brokerEnvironment,
  TUNING_VARIABLES,
  tuningKeyOf,
} from './broker-environment.js';
import type { BoxTokenBrokerProps, BrokerMonitoringOptions } from './broker-props.js';
import { canaryInterval } from './canary.js';
import { AWS_IDENTIFIERS, ConfigError } from './config-checks.js';
import {
  ContextError,
  type ContextReader,
  isRetentionDays,
  nonEmptyGroup,
  Reader,
  retentionValues,
  stripUndefined,
} from './context-reader.js';

export {
  CONTEXT_KEYS,
  ContextError,
  type ContextKey,
  type ContextReader,
  checkForMisspelledKeys,
} from './context-reader.js';

/** The broker's props the app reads from context: everything but the CDK objects. */
export type ContextBrokerProps = Omit<
  BoxTokenBrokerProps,
  'secret' | 'secretEncryptionKey' | 'monitoring' | 'healthEvents'
> & {
  readonly monitoring?: Omit<BrokerMonitoringOptions, 'alarmTopic'> | undefined;
  readonly healthEvents?: { readonly enabled?: boolean | undefined } | undefined;
};

/** What the app needs from context: the stack's name, the broker's props and what to import. */
export interface AppSettings {
  stackName: string;
  broker: ContextBrokerProps;
  /** The default secret to import (the stack turns these into an `ISecret` and an `IKey`). */
  secretImport: SecretImport;
  alarmTopicArn: string | undefined;
  /** Tenant health events: the bus (default: the account's default bus) and a topic for them. */
  healthEventBusArn: string | undefined;
  healthEventTopicArn: string | undefined;
}

/** Context keys that name an existing secret and its key; none = the stack creates one. */
export interface SecretImport {
  secretArn?: string | undefined;
  secretName?: string | undefined;
  secretKmsKeyArn?: string | undefined;
}

const DEFAULT_STACK_NAME = 'BoxTokenBroker';

const PATTERNS = AWS_IDENTIFIERS;

/**
 * Reads and validates every context key. Values may come from `cdk.json` (typed JSON) or from
 * `-c key=value` (always strings), so numbers, booleans and lists accept both forms. Unknown
 * keys are not rejected (CDK keeps feature flags and lookups in the same context), but a key
 * that looks like a misspelled one of ours is: see {@link checkForMisspelledKeys}.
 *
 * @throws ContextError naming the first key whose value cannot be used
 */
export function readContext(get: ContextReader): AppSettings {
  const reader = new Reader(get);
  const secretImport = readSecretImport(reader);
  const tenantSecretPrefix = reader.string(
    'tenantSecretPrefix',
    PATTERNS.tenantSecretPrefix,
    'a Secrets Manager name prefix ending with "/" (letters, digits and _+=.@-/), ' +
      'e.g. box-token-broker/tenants/',
  );
  const defaultSecret = reader.boolean('defaultSecret');
  const onboarding = reader.boolean('onboarding');
  if (onboarding === true && tenantSecretPrefix === undefined) {
    throw new ContextError(
      'onboarding',
      'true needs tenantSecretPrefix: the onboarding page stores each tenant under it.',
    );
  }
  if (onboarding === true && reader.boolean('fleetState') === false) {
    throw new ContextError(
      'onboarding',
      'true needs the fleet state table (invitations are stored there): drop fleetState=false.',
    );
  }
  if (defaultSecret === false) {
    if (tenantSecretPrefix === undefined) {
      throw new ContextError('defaultSecret', 'false needs tenantSecretPrefix: set both.');
    }
    if (secretImport.secretArn !== undefined || secretImport.secretName !== undefined) {
      throw new ContextError(
        'defaultSecret',
        'false cannot be combined with secretArn or secretName: set only one.',
      );
    }
  }
  if (
    secretImport.secretKmsKeyArn !== undefined &&
    secretImport.secretArn === undefined &&
    secretImport.secretName === undefined &&
    tenantSecretPrefix === undefined
  ) {
    throw new ContextError(
      'secretKmsKeyArn',
      'needs secretArn, secretName or tenantSecretPrefix: a secret this stack creates uses the ' +
        'AWS managed key.',
    );
  }
  const accessPolicyFile = reader.string('accessPolicyFile', /^.+$/, 'a file path');
  if (accessPolicyFile !== undefined && !existsSync(accessPolicyFile)) {
    throw new ContextError(
      'accessPolicyFile',
      `names a file that does not exist: ${accessPolicyFile}`,
    );
  }

  const tuning = readTuning(reader);
  const logRetentionDays = reader.integer('logRetentionDays', 1);
  if (logRetentionDays !== undefined && !isRetentionDays(logRetentionDays)) {
    throw new ContextError(
      'logRetentionDays',
      `must be one of the values CloudWatch Logs accepts: ${retentionValues().join(', ')}.`,
    );
  }

  const api = stripUndefined({
    allowedAccountIds: reader.list('allowedAccountIds', PATTERNS.accountId, '12-digit account IDs'),
    allowedPrincipalArns: reader.list(
      'allowedPrincipalArns',
      PATTERNS.principalArn,
      'IAM role or user ARNs (arn:aws:iam::ACCOUNT:role/NAME, wildcards * and ? allowed)',
    ),
    allowedOrganizationId: reader.string(
      'allowedOrganizationId',
      PATTERNS.organizationId,
      'an AWS Organizations ID (o-xxxxxxxxxx)',
    ),
    throttleRateLimit: reader.number('throttleRateLimit', 0.001, 10_000),
    throttleBurstLimit: reader.integer('throttleBurstLimit', 1, 5000),
    apiGatewayCloudWatchRole: reader.boolean('apiGatewayCloudWatchRole'),
  });
  const monitoring = stripUndefined({
    accessDeniedAlarmThreshold: reader.integer('accessDeniedAlarmThreshold', 1),
    canaryEnabled: reader.boolean('canaryEnabled'),
    canarySchedule: canarySchedule(reader),
    dashboard: reader.boolean('dashboard'),
  });
  const healthEvents = reader.boolean('healthEvents');
  const healthEventBusArn = reader.string(
    'healthEventBusArn',
    PATTERNS.eventBusArn,
    'an EventBridge bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)',
  );
  const healthEventTopicArn = reader.string(
    'healthEventTopicArn',
    PATTERNS.topicArn,
    'an SNS topic ARN',
  );
  if (healthEvents === false && (healthEventBusArn ?? healthEventTopicArn) !== undefined) {
    throw new ContextError(
      'healthEvents',
      'false cannot be combined with healthEventBusArn or healthEventTopicArn: set only one.',
    );
  }
  const broker: ContextBrokerProps = stripUndefined({
    defaultSecret,
    tenantSecretPrefix,
    requireTenantTag: reader.boolean('requireTenantTag'),
    onboarding,
    accessPolicyFile,
    tuning: nonEmptyGroup(tuning),
    api: nonEmptyGroup(api),
    monitoring: nonEmptyGroup(monitoring),
    logRetention: logRetentionDays as RetentionDays | undefined,
    reservedConcurrency: reader.integer('reservedConcurrency', 1),
    memorySize: reader.integer('memorySize', 128, 10_240),
    tracing: reader.boolean('tracing'),
    fleetState: reader.boolean('fleetState'),
    healthEvents: healthEvents === undefined ? undefined : { enabled: healthEvents },
  });
  return {
    stackName:
      reader.string('stackName', PATTERNS.stackName, 'a CloudFormation stack name') ??
      DEFAULT_STACK_NAME,
    broker,
    secretImport,
    alarmTopicArn: reader.string('alarmTopicArn', PATTERNS.topicArn, 'an SNS topic ARN'),
    healthEventBusArn,
    healthEventTopicArn,
  };
}

function readSecretImport(reader: Reader): SecretImport {
  const secretArn = reader.string(
    'secretArn',
    PATTERNS.secretCompleteArn,
    'a complete secret ARN, ' +
      'including the 6-character suffix (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf); ' +
      'for a name or partial ARN use secretName',
  );
  const secretName = reader.string('secretName', PATTERNS.secretName, 'a secret name');
  if (secretArn !== undefined && secretName !== undefined) {
    throw new ContextError('secretName', 'cannot be combined with secretArn: set only one.');
  }
  const secretKmsKeyArn = reader.string(
    'secretKmsKeyArn',
    PATTERNS.kmsKeyArn,
    'a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; aliases cannot be granted)',
  );
  return stripUndefined({ secretArn, secretName, secretKmsKeyArn });
}

/** The tuning keys of lambda/config-variables.ts's table, then the function's own check of their values. */
function readTuning(reader: Reader): BrokerTuning {
  const values: Record<string, string | number> = {};
  for (const { key, variable } of TUNING_VARIABLES) {
    const value =
      variable.kind === 'integer'
        ? reader.integer(key, 0)
        : variable.kind === 'tenant-list'
          ? reader.string(key, /^[a-z0-9,-]+$/, 'tenant IDs separated by commas, e.g. acme,globex')
          : reader.string(key, /^\S+$/, 'a URL without spaces');
    if (value !== undefined) values[key] = value;
  }
  const tuning: BrokerTuning = values;
  const env = brokerEnvironment(tuning, {
    secretId: 'synth-check',
    serviceName: 'synth-check',
    metricsNamespace: 'synth-check',
  });
  try {
    loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigVariableError)) throw error;
    const key = error.variables.map(tuningKeyOf).find((entry) => entry !== undefined);
    if (key === undefined) throw error;
    throw new ContextError(key, `is invalid: ${error.message}`);
  }
  return tuning;
}

/** `canarySchedule`: a rate expression, checked as the construct checks it. */
function canarySchedule(reader: Reader): Schedule | undefined {
  const expression = reader.string(
    'canarySchedule',
    /^rate\(.+\)$/,
    'a rate expression such as rate(5 minutes) or rate(1 hour)',
  );
  if (expression === undefined) return undefined;
  const schedule = Schedule.expression(expression);
  try {
    canaryInterval(schedule);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ContextError('canarySchedule', `is invalid: ${error.message}`);
  }
  return schedule;
}
