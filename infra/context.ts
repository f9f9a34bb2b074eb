import { existsSync } from 'node:fs';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigVariableError, loadConfig } from '../lambda/config.js';
import { AWS_IDENTIFIERS } from './aws-identifiers.js';
import {
  type BrokerTuning,
  brokerEnvironment,
  TUNING_VARIABLES,
  type TuningKey,
  tuningKeyOf,
} from './broker-environment.js';
import type { BoxTokenBrokerProps, BrokerMonitoringOptions } from './broker-props.js';
import { canaryInterval } from './canary.js';
import { ConfigError } from './config-error.js';

/** A context value that cannot be used; the message names the key. */
export class ContextError extends ConfigError {
  readonly key: string;

  constructor(key: string, message: string) {
    super(`Context key "${key}" ${message}`);
    this.name = 'ContextError';
    this.key = key;
  }
}

/** The broker's props the app reads from context: everything but the CDK objects. */
export type ContextBrokerProps = Omit<
  BoxTokenBrokerProps,
  'secret' | 'secretEncryptionKey' | 'monitoring'
> & { readonly monitoring?: Omit<BrokerMonitoringOptions, 'alarmTopic'> | undefined };

/** What the app needs from context: the stack's name, the broker's props and what to import. */
export interface AppSettings {
  stackName: string;
  broker: ContextBrokerProps;
  /** The default secret to import (the stack turns these into an `ISecret` and an `IKey`). */
  secretImport: SecretImport;
  alarmTopicArn: string | undefined;
}

/** Context keys that name an existing secret and its key; none = the stack creates one. */
export interface SecretImport {
  secretArn?: string | undefined;
  secretName?: string | undefined;
  secretKmsKeyArn?: string | undefined;
}

/** Context keys the app reads besides the tuning (whose keys come from lambda/config.ts). */
const APP_CONTEXT_KEYS = [
  'stackName',
  'secretArn',
  'secretName',
  'secretKmsKeyArn',
  'defaultSecret',
  'tenantSecretPrefix',
  'allowedAccountIds',
  'allowedPrincipalArns',
  'allowedOrganizationId',
  'accessPolicyFile',
  'logRetentionDays',
  'throttleRateLimit',
  'throttleBurstLimit',
  'reservedConcurrency',
  'memorySize',
  'tracing',
  'apiGatewayCloudWatchRole',
  'alarmTopicArn',
  'accessDeniedAlarmThreshold',
  'canaryEnabled',
  'canarySchedule',
  'dashboard',
] as const;

/** A context key of this app. A name that is not one is a compile error wherever it is read. */
export type ContextKey = (typeof APP_CONTEXT_KEYS)[number] | TuningKey;

/** Every context key the app reads. docs/deploy.md documents the same list (a test checks). */
export const CONTEXT_KEYS: readonly ContextKey[] = [
  ...APP_CONTEXT_KEYS,
  ...TUNING_VARIABLES.map((entry) => entry.key),
];

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

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
  const broker: ContextBrokerProps = stripUndefined({
    defaultSecret,
    tenantSecretPrefix,
    accessPolicyFile,
    tuning: nonEmptyGroup(tuning),
    api: nonEmptyGroup(api),
    monitoring: nonEmptyGroup(monitoring),
    logRetention: logRetentionDays as RetentionDays | undefined,
    reservedConcurrency: reader.integer('reservedConcurrency', 1),
    memorySize: reader.integer('memorySize', 128, 10_240),
    tracing: reader.boolean('tracing'),
  });
  return {
    stackName:
      reader.string('stackName', PATTERNS.stackName, 'a CloudFormation stack name') ??
      DEFAULT_STACK_NAME,
    broker,
    secretImport,
    alarmTopicArn: reader.string('alarmTopicArn', PATTERNS.topicArn, 'an SNS topic ARN'),
  };
}

/**
 * Fails on a context key that is not ours but nearly is (another case, or one or two letters
 * off): `-c secretTTLSeconds=60` would otherwise be ignored without a word. Keys with `:` or
 * `@` (feature flags, lookups, the CLI's own) are never ours and never checked.
 */
export function checkForMisspelledKeys(keys: readonly string[]): void {
  const known = new Set<string>(CONTEXT_KEYS);
  for (const key of keys) {
    if (known.has(key) || /[:@/]/.test(key)) continue;
    const near = CONTEXT_KEYS.find(
      (candidate) =>
        candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2,
    );
    if (near !== undefined) {
      throw new ContextError(key, `is not a setting of this app; did you mean "${near}"?`);
    }
  }
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

/** The tuning keys of lambda/config.ts's table, then the function's own check of their values. */
function readTuning(reader: Reader): BrokerTuning {
  const values: Record<string, string | number> = {};
  for (const { key, variable } of TUNING_VARIABLES) {
    const value =
      variable.kind === 'integer'
        ? reader.integer(key, 0)
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

class Reader {
  constructor(private readonly get: ContextReader) {}

  private raw(key: ContextKey): unknown {
    const value = this.get(key);
    return value === null || value === '' ? undefined : value;
  }

  string(key: ContextKey, pattern: RegExp, what: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value.trim())) {
      throw new ContextError(key, `must be ${what}.`);
    }
    return value.trim();
  }

  number(key: ContextKey, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Number(value.trim())
          : Number.NaN;
    if (!Number.isFinite(number) || number < min || number > max) {
      throw new ContextError(key, `must be a number between ${min} and ${max}.`);
    }
    return number;
  }

  integer(key: ContextKey, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const text =
      typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      throw new ContextError(key, `must be a whole number ${range}.`);
    }
    return Number(text);
  }

  boolean(key: ContextKey): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new ContextError(key, 'must be true or false.');
  }

  /** A JSON array, a JSON array in a string, or a comma-separated string. */
  list(key: ContextKey, pattern: RegExp, what: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    let items: unknown;
    if (Array.isArray(value)) {
      items = value;
    } else if (typeof value === 'string' && value.trim().startsWith('[')) {
      try {
        items = JSON.parse(value);
      } catch {
        throw new ContextError(key, 'is not a valid JSON array.');
      }
    } else if (typeof value === 'string') {
      items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }
    if (!Array.isArray(items) || items.length === 0) {
      throw new ContextError(
        key,
        `must be a non-empty list (comma-separated or a JSON array) of ${what}.`,
      );
    }
    const strings: string[] = [];
    for (const item of items) {
      if (typeof item !== 'string' || !pattern.test(item.trim())) {
        throw new ContextError(key, `must list only ${what}; "${String(item)}" is not one.`);
      }
      strings.push(item.trim());
    }
    return [...new Set(strings)];
  }
}

function retentionValues(): number[] {
  return Object.values(RetentionDays).filter((value): value is number => typeof value === 'number');
}

function isRetentionDays(days: number): days is RetentionDays {
  return retentionValues().includes(days);
}

/** `exactOptionalPropertyTypes`-friendly: drops keys whose value is undefined. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

/** A group of props, or undefined when it holds nothing (so `{}` never appears in settings). */
function nonEmptyGroup<T extends object>(group: T): T | undefined {
  return Object.keys(group).length === 0 ? undefined : group;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
