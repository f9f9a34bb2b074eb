import { existsSync } from 'node:fs';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { loadConfig } from '../lambda/config.js';
import { MisconfiguredError } from '../lambda/errors.js';
import { AWS_IDENTIFIERS } from './aws-identifiers.js';
import { type BoxTokenBrokerProps, brokerEnvironment } from './box-token-broker.js';
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

/** What the app needs from context: the stack's name, the broker's props and the alarm topic. */
export interface AppSettings {
  stackName: string;
  broker: Omit<BoxTokenBrokerProps, 'alarmTopic'>;
  alarmTopicArn: string | undefined;
}

/**
 * Every context key the app reads, with what it sets. docs/deploy.md documents the same list.
 */
export const CONTEXT_KEYS = [
  'stackName',
  'secretArn',
  'secretName',
  'secretKmsKeyArn',
  'allowedAccountIds',
  'allowedPrincipalArns',
  'allowedOrganizationId',
  'accessPolicyFile',
  'boxApiUrl',
  'secretTtlSeconds',
  'tokenRefreshMarginSeconds',
  'boxHttpTimeoutMs',
  'boxRetryBudgetMs',
  'boxMaxAttempts',
  'tokenCacheMaxEntries',
  'secretRereadIntervalSeconds',
  'negativeCacheSeconds',
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

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

const DEFAULT_STACK_NAME = 'BoxTokenBroker';

const PATTERNS = AWS_IDENTIFIERS;

/** Which context key sets which environment variable, to name the key when the function's
 * own validation (lambda/config.ts) rejects a value. */
const ENV_TO_KEY: Record<string, ContextKey> = {
  BOX_API_URL: 'boxApiUrl',
  BOX_SECRET_TTL_SECONDS: 'secretTtlSeconds',
  BOX_TOKEN_REFRESH_MARGIN_SECONDS: 'tokenRefreshMarginSeconds',
  BOX_HTTP_TIMEOUT_MS: 'boxHttpTimeoutMs',
  BOX_RETRY_BUDGET_MS: 'boxRetryBudgetMs',
  BOX_MAX_ATTEMPTS: 'boxMaxAttempts',
  BOX_TOKEN_CACHE_MAX_ENTRIES: 'tokenCacheMaxEntries',
  BOX_SECRET_REREAD_INTERVAL_SECONDS: 'secretRereadIntervalSeconds',
  BOX_NEGATIVE_CACHE_SECONDS: 'negativeCacheSeconds',
};

/**
 * Reads and validates every context key. Values may come from `cdk.json` (typed JSON) or from
 * `-c key=value` (always strings), so numbers, booleans and lists accept both forms. Unknown
 * keys are not rejected: CDK keeps feature flags and lookups in the same context.
 *
 * @throws ContextError naming the first key whose value cannot be used
 */
export function readContext(get: ContextReader): AppSettings {
  const reader = new Reader(get);
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
  if (secretKmsKeyArn !== undefined && secretArn === undefined && secretName === undefined) {
    throw new ContextError(
      'secretKmsKeyArn',
      'needs secretArn or secretName: a secret this stack creates uses the AWS managed key.',
    );
  }
  const accessPolicyFile = reader.string('accessPolicyFile', /^.+$/, 'a file path');
  if (accessPolicyFile !== undefined && !existsSync(accessPolicyFile)) {
    throw new ContextError(
      'accessPolicyFile',
      `names a file that does not exist: ${accessPolicyFile}`,
    );
  }

  const tuning = {
    boxApiUrl: reader.string('boxApiUrl', /^\S+$/, 'a URL'),
    secretTtlSeconds: reader.integer('secretTtlSeconds', 0),
    tokenRefreshMarginSeconds: reader.integer('tokenRefreshMarginSeconds', 0),
    boxHttpTimeoutMs: reader.integer('boxHttpTimeoutMs', 0),
    boxRetryBudgetMs: reader.integer('boxRetryBudgetMs', 0),
    boxMaxAttempts: reader.integer('boxMaxAttempts', 0),
    tokenCacheMaxEntries: reader.integer('tokenCacheMaxEntries', 0),
    secretRereadIntervalSeconds: reader.integer('secretRereadIntervalSeconds', 0),
    negativeCacheSeconds: reader.integer('negativeCacheSeconds', 0),
  };
  checkTuning(tuning);

  const logRetentionDays = reader.integer('logRetentionDays', 1);
  if (logRetentionDays !== undefined && !isRetentionDays(logRetentionDays)) {
    throw new ContextError(
      'logRetentionDays',
      `must be one of the values CloudWatch Logs accepts: ${retentionValues().join(', ')}.`,
    );
  }
  const throttleRateLimit = reader.number('throttleRateLimit', 0.001, 10_000);
  const throttleBurstLimit = reader.integer('throttleBurstLimit', 1, 5000);

  const broker: Omit<BoxTokenBrokerProps, 'alarmTopic'> = stripUndefined({
    secretArn,
    secretName,
    secretKmsKeyArn,
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
    accessPolicyFile,
    ...tuning,
    logRetention: logRetentionDays as RetentionDays | undefined,
    throttleRateLimit,
    throttleBurstLimit,
    reservedConcurrency: reader.integer('reservedConcurrency', 1),
    memorySize: reader.integer('memorySize', 128, 10_240),
    tracing: reader.boolean('tracing'),
    apiGatewayCloudWatchRole: reader.boolean('apiGatewayCloudWatchRole'),
    accessDeniedAlarmThreshold: reader.integer('accessDeniedAlarmThreshold', 1),
    canaryEnabled: reader.boolean('canaryEnabled'),
    canarySchedule: canarySchedule(reader),
    dashboard: reader.boolean('dashboard'),
  });
  return {
    stackName:
      reader.string('stackName', PATTERNS.stackName, 'a CloudFormation stack name') ??
      DEFAULT_STACK_NAME,
    broker,
    alarmTopicArn: reader.string('alarmTopicArn', PATTERNS.topicArn, 'an SNS topic ARN'),
  };
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

/** Runs the function's own configuration check on the tuning values, naming the context key. */
function checkTuning(tuning: Parameters<typeof brokerEnvironment>[0]): void {
  const env = brokerEnvironment(tuning, {
    secretId: 'synth-check',
    serviceName: 'synth-check',
    metricsNamespace: 'synth-check',
  });
  try {
    loadConfig(env);
  } catch (error) {
    if (!(error instanceof MisconfiguredError)) throw error;
    const variable = Object.keys(ENV_TO_KEY).find((name) => error.message.includes(name));
    const key = variable === undefined ? undefined : ENV_TO_KEY[variable];
    if (key === undefined) throw error;
    throw new ContextError(key, `is invalid: ${error.message}`);
  }
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
