import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { TUNING_VARIABLES, type TuningKey } from './broker-environment.js';
import { ConfigError } from './config-checks.js';

/** A context value that cannot be used; the message names the key. */
export class ContextError extends ConfigError {
  readonly key: string;

  constructor(key: string, message: string) {
    super(`Context key "${key}" ${message}`);
    this.name = 'ContextError';
    this.key = key;
  }
}

/** Context keys the app reads besides the tuning (whose keys come from lambda/config-variables.ts). */
const APP_CONTEXT_KEYS = [
  'stackName',
  'secretArn',
  'secretName',
  'secretKmsKeyArn',
  'defaultSecret',
  'tenantSecretPrefix',
  'requireTenantTag',
  'onboarding',
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
  'healthEvents',
  'healthEventBusArn',
  'healthEventTopicArn',
  'fleetState',
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

/** Reads typed values of context keys; every failure names the key. */
export class Reader {
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

export function retentionValues(): number[] {
  return Object.values(RetentionDays).filter((value): value is number => typeof value === 'number');
}

export function isRetentionDays(days: number): days is RetentionDays {
  return retentionValues().includes(days);
}

/** `exactOptionalPropertyTypes`-friendly: drops keys whose value is undefined. */
export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

/** A group of props, or undefined when it holds nothing (so `{}` never appears in settings). */
export function nonEmptyGroup<T extends object>(group: T): T | undefined {
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
