import {
  CONFIG_VARIABLES,
  type ConfigVariableName,
  EVENT_BUS_PATTERN,
  MAX_METRICS_TENANTS,
  STATE_KMS_KEY_PATTERN,
  STATE_TABLE_PATTERN,
  TENANT_SECRET_PREFIX_PATTERN,
} from './config-variables.js';
import { TENANT_ID_PATTERN } from './contract.js';
import { MisconfiguredError } from './errors.js';

export {
  CONFIG_VARIABLES,
  type ConfigVariable,
  type ConfigVariableDeploy,
  type ConfigVariableKind,
  type ConfigVariableName,
  EVENT_BUS_PATTERN,
  MAX_METRICS_TENANTS,
  TENANT_SECRET_PREFIX_PATTERN,
} from './config-variables.js';

/** The function's configuration, read and validated once at cold start. */
export interface BrokerConfig {
  /** `BOX_CREDENTIALS_SECRET`: the default tenant's secret; undefined = tenants only. */
  credentialsSecretId: string | undefined;
  /** `BOX_TENANT_SECRET_PREFIX`: name prefix of the tenants' secrets; undefined = no tenants. */
  tenantSecretPrefix: string | undefined;
  /** `BOX_API_URL`: Box API origin (no path, no trailing slash). */
  boxApiUrl: string;
  /** `BOX_SECRET_TTL_SECONDS`, in ms. */
  secretTtlMs: number;
  /** `BOX_SECRET_REREAD_INTERVAL_SECONDS`, in ms. */
  secretRereadIntervalMs: number;
  /** `BOX_TOKEN_REFRESH_MARGIN_SECONDS`. */
  refreshMarginSeconds: number;
  /** `BOX_TOKEN_CACHE_MAX_ENTRIES`: one bound over every tenant's tokens. */
  tokenCacheMaxEntries: number;
  /** `BOX_TENANT_CACHE_MAX_ENTRIES`: tenants held at once (LRU). */
  tenantCacheMaxEntries: number;
  /** `BOX_TENANT_NOT_FOUND_SECONDS`, in ms. */
  tenantNotFoundMs: number;
  /** `BOX_BACKOFF_WINDOW_MS`: 0 = no back-off window. */
  backoffWindowMs: number;
  /** `BOX_FORCED_REFRESH_SECONDS`, in ms: one forced Box grant per token key per window. */
  forcedRefreshMs: number;
  /** `BOX_HTTP_TIMEOUT_MS`. */
  boxAttemptTimeoutMs: number;
  /**
   * `BOX_RETRY_BUDGET_MS`: the whole request's deadline for its upstream work (Box calls, their
   * retries, Secrets Manager reads), not only Box retries; the variable keeps its v1 name.
   */
  boxRetryBudgetMs: number;
  /** `BOX_MAX_ATTEMPTS`: attempts per Box call (first try included), inside the deadline. */
  boxMaxAttempts: number;
  /** `BOX_NEGATIVE_CACHE_SECONDS`, in ms. */
  negativeCacheMs: number;
  /** `BOX_SETUP_CHECKS_PER_RUN`: registered tenants per scheduled setup check run. */
  setupChecksPerRun: number;
  /** `BOX_SETUP_CHECK_CONCURRENCY`: scheduled setup checks in flight at once. */
  setupCheckConcurrency: number;
  /** `BOX_SETUP_CHECK_INTERVAL_SECONDS`, in ms: the schedule's interval. */
  setupCheckIntervalMs: number;
  /** `BOX_ACCESS_POLICY` (inline JSON) or `BOX_ACCESS_POLICY_FILE` (path); neither = default. */
  accessPolicy: AccessPolicySource;
  /** `POWERTOOLS_METRICS_NAMESPACE`. */
  metricsNamespace: string;
  /** `POWERTOOLS_SERVICE_NAME`. */
  serviceName: string;
  /** `BOX_METRICS_TENANT_ALLOWLIST`: tenants whose metrics also carry a `tenant` dimension. */
  metricsTenantAllowlist: readonly string[];
  /** `BOX_API_ENTRY_SECRET`: the secret holding the `api` entry's key; undefined = no key check. */
  apiEntrySecretId: string | undefined;
  /** `BOX_EVENT_BUS`: where tenant health events go (name or ARN); undefined = no events. */
  eventBus: string | undefined;
  /** Fleet state (v1.2); undefined = every environment on its own (v1.1). */
  fleetState: FleetStateConfig | undefined;
}

/** Contract v1.2 fleet state: the shared table, its key and the sync bound. */
export interface FleetStateConfig {
  /** `BOX_STATE_TABLE`: table name or ARN. */
  table: string;
  /** `BOX_STATE_KMS_KEY`: key ID, ARN or alias. */
  kmsKeyId: string;
  /** `BOX_STATE_SYNC_SECONDS`, in ms. */
  syncMs: number;
}

/** Where the access policy comes from. */
export type AccessPolicySource =
  | { kind: 'default' }
  | { kind: 'inline'; json: string }
  | { kind: 'file'; path: string };

const V = CONFIG_VARIABLES;

/** The defaults of the table under the names code uses. */
export const CONFIG_DEFAULTS = {
  boxApiUrl: V.BOX_API_URL.default,
  secretTtlSeconds: V.BOX_SECRET_TTL_SECONDS.default,
  secretRereadIntervalSeconds: V.BOX_SECRET_REREAD_INTERVAL_SECONDS.default,
  refreshMarginSeconds: V.BOX_TOKEN_REFRESH_MARGIN_SECONDS.default,
  tokenCacheMaxEntries: V.BOX_TOKEN_CACHE_MAX_ENTRIES.default,
  tenantCacheMaxEntries: V.BOX_TENANT_CACHE_MAX_ENTRIES.default,
  tenantNotFoundSeconds: V.BOX_TENANT_NOT_FOUND_SECONDS.default,
  backoffWindowMs: V.BOX_BACKOFF_WINDOW_MS.default,
  forcedRefreshSeconds: V.BOX_FORCED_REFRESH_SECONDS.default,
  boxAttemptTimeoutMs: V.BOX_HTTP_TIMEOUT_MS.default,
  boxRetryBudgetMs: V.BOX_RETRY_BUDGET_MS.default,
  boxMaxAttempts: V.BOX_MAX_ATTEMPTS.default,
  negativeCacheSeconds: V.BOX_NEGATIVE_CACHE_SECONDS.default,
  setupChecksPerRun: V.BOX_SETUP_CHECKS_PER_RUN.default,
  setupCheckConcurrency: V.BOX_SETUP_CHECK_CONCURRENCY.default,
  setupCheckIntervalSeconds: V.BOX_SETUP_CHECK_INTERVAL_SECONDS.default,
  metricsNamespace: V.POWERTOOLS_METRICS_NAMESPACE.default,
  serviceName: V.POWERTOOLS_SERVICE_NAME.default,
  stateSyncSeconds: V.BOX_STATE_SYNC_SECONDS.default,
} as const;

/** A configuration error that names the variables at fault (never their values). */
export class ConfigVariableError extends MisconfiguredError {
  readonly variables: readonly ConfigVariableName[];

  constructor(variables: readonly ConfigVariableName[], message: string) {
    super(message);
    this.name = 'ConfigVariableError';
    this.variables = variables;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the broker's configuration from the environment. Every failure is a
 * {@link ConfigVariableError} that names the variable, never its value.
 */
export function loadConfig(env: Env = process.env): BrokerConfig {
  const timeoutMs = integer(env, 'BOX_HTTP_TIMEOUT_MS');
  // The default budget grows with a longer attempt timeout so one attempt always fits.
  const budgetMs = integer(env, 'BOX_RETRY_BUDGET_MS', {
    min: timeoutMs,
    fallback: Math.max(V.BOX_RETRY_BUDGET_MS.default, timeoutMs),
  });
  const credentialsSecretId = nonEmpty(env, 'BOX_CREDENTIALS_SECRET');
  const tenantSecretPrefix = secretPrefix(env, 'BOX_TENANT_SECRET_PREFIX');
  if (credentialsSecretId === undefined && tenantSecretPrefix === undefined) {
    throw new ConfigVariableError(
      ['BOX_CREDENTIALS_SECRET', 'BOX_TENANT_SECRET_PREFIX'],
      'Environment variable BOX_CREDENTIALS_SECRET is not set, nor is BOX_TENANT_SECRET_PREFIX: ' +
        'set at least one of them.',
    );
  }
  if (
    credentialsSecretId !== undefined &&
    tenantSecretPrefix !== undefined &&
    isUnderTenantPrefix(credentialsSecretId, tenantSecretPrefix)
  ) {
    throw new ConfigVariableError(
      ['BOX_CREDENTIALS_SECRET', 'BOX_TENANT_SECRET_PREFIX'],
      'Environment variable BOX_CREDENTIALS_SECRET names a secret under BOX_TENANT_SECRET_PREFIX: ' +
        'a tenant ID could then reach the default credentials (and a policy rule with a tenants ' +
        'glob would admit callers to them). Keep the default secret outside the tenant prefix.',
    );
  }
  return {
    credentialsSecretId,
    tenantSecretPrefix,
    boxApiUrl: origin(env, 'BOX_API_URL'),
    secretTtlMs: integer(env, 'BOX_SECRET_TTL_SECONDS') * 1000,
    secretRereadIntervalMs: integer(env, 'BOX_SECRET_REREAD_INTERVAL_SECONDS') * 1000,
    refreshMarginSeconds: integer(env, 'BOX_TOKEN_REFRESH_MARGIN_SECONDS'),
    tokenCacheMaxEntries: integer(env, 'BOX_TOKEN_CACHE_MAX_ENTRIES'),
    tenantCacheMaxEntries: integer(env, 'BOX_TENANT_CACHE_MAX_ENTRIES'),
    tenantNotFoundMs: integer(env, 'BOX_TENANT_NOT_FOUND_SECONDS') * 1000,
    backoffWindowMs: integer(env, 'BOX_BACKOFF_WINDOW_MS'),
    forcedRefreshMs: integer(env, 'BOX_FORCED_REFRESH_SECONDS') * 1000,
    boxAttemptTimeoutMs: timeoutMs,
    boxRetryBudgetMs: budgetMs,
    boxMaxAttempts: integer(env, 'BOX_MAX_ATTEMPTS'),
    negativeCacheMs: integer(env, 'BOX_NEGATIVE_CACHE_SECONDS') * 1000,
    setupChecksPerRun: integer(env, 'BOX_SETUP_CHECKS_PER_RUN'),
    setupCheckConcurrency: integer(env, 'BOX_SETUP_CHECK_CONCURRENCY'),
    setupCheckIntervalMs: integer(env, 'BOX_SETUP_CHECK_INTERVAL_SECONDS') * 1000,
    accessPolicy: accessPolicySource(env),
    ...loadTelemetryConfig(env),
    metricsTenantAllowlist: tenantList(env, 'BOX_METRICS_TENANT_ALLOWLIST'),
    apiEntrySecretId: nonEmpty(env, 'BOX_API_ENTRY_SECRET'),
    eventBus: eventBus(env, 'BOX_EVENT_BUS'),
    fleetState: fleetState(env),
  };
}

/** `BOX_STATE_TABLE` with its key and sync bound; the key is required with the table. */
function fleetState(env: Env): FleetStateConfig | undefined {
  const syncMs = integer(env, 'BOX_STATE_SYNC_SECONDS') * 1000;
  const table = nonEmpty(env, 'BOX_STATE_TABLE');
  if (table === undefined) return undefined;
  if (!STATE_TABLE_PATTERN.test(table)) {
    throw new ConfigVariableError(
      ['BOX_STATE_TABLE'],
      'Environment variable BOX_STATE_TABLE must be a DynamoDB table name or table ARN.',
    );
  }
  const kmsKeyId = nonEmpty(env, 'BOX_STATE_KMS_KEY');
  if (kmsKeyId === undefined) {
    throw new ConfigVariableError(
      ['BOX_STATE_KMS_KEY'],
      'Environment variable BOX_STATE_TABLE is set but BOX_STATE_KMS_KEY is not: fleet state ' +
        'stores tokens only encrypted, so set the KMS key too (or unset BOX_STATE_TABLE).',
    );
  }
  if (!STATE_KMS_KEY_PATTERN.test(kmsKeyId)) {
    throw new ConfigVariableError(
      ['BOX_STATE_KMS_KEY'],
      'Environment variable BOX_STATE_KMS_KEY must be a KMS key ID, key ARN or alias.',
    );
  }
  return { table, kmsKeyId, syncMs };
}

const SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/;

/**
 * The name a secret ID names: the ID itself, or the name part of a secret ARN (Secrets Manager
 * appends `-` and six characters to it, which does not change what it starts with).
 */
export function secretNameOf(secretId: string): string {
  return SECRET_ARN.exec(secretId)?.[1] ?? secretId;
}

/**
 * Whether the secret `secretId` (a name or an ARN) lies under the tenant prefix: then some tenant
 * ID resolves to it, or a `<prefix>*` grant reaches it. The default secret must never.
 */
export function isUnderTenantPrefix(secretId: string, tenantSecretPrefix: string): boolean {
  return secretNameOf(secretId).startsWith(tenantSecretPrefix);
}

/** Telemetry settings: never fail, so even a misconfigured function logs and counts. */
export function loadTelemetryConfig(
  env: Env = process.env,
): Pick<BrokerConfig, 'metricsNamespace' | 'serviceName' | 'metricsTenantAllowlist'> {
  return {
    metricsNamespace:
      nonEmpty(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? V.POWERTOOLS_METRICS_NAMESPACE.default,
    serviceName: nonEmpty(env, 'POWERTOOLS_SERVICE_NAME') ?? V.POWERTOOLS_SERVICE_NAME.default,
    // Never fails here: the broker's own loadConfig refuses a bad list with a clear 500.
    metricsTenantAllowlist: tenantIds(env, 'BOX_METRICS_TENANT_ALLOWLIST')
      .filter((id) => TENANT_ID_PATTERN.test(id))
      .slice(0, MAX_METRICS_TENANTS),
  };
}

function tenantIds(env: Env, name: 'BOX_METRICS_TENANT_ALLOWLIST'): string[] {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return [];
  return [...new Set(raw.split(',').map((id) => id.trim()))].filter((id) => id !== '');
}

/** A comma-separated list of tenant IDs, each valid, at most MAX_METRICS_TENANTS of them. */
function tenantList(env: Env, name: 'BOX_METRICS_TENANT_ALLOWLIST'): readonly string[] {
  const ids = tenantIds(env, name);
  if (ids.some((id) => !TENANT_ID_PATTERN.test(id))) {
    throw new ConfigVariableError(
      [name],
      `Environment variable ${name} must list tenant IDs separated by commas.`,
    );
  }
  if (ids.length > MAX_METRICS_TENANTS) {
    throw new ConfigVariableError(
      [name],
      `Environment variable ${name} may name at most ${MAX_METRICS_TENANTS} tenants.`,
    );
  }
  return ids;
}

function nonEmpty(env: Env, name: ConfigVariableName): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

type IntegerName = {
  [N in ConfigVariableName]: (typeof V)[N]['kind'] extends 'integer' ? N : never;
}[ConfigVariableName];

/** An `integer` variable within the table's bounds (or a tighter `min`), else its default. */
function integer(
  env: Env,
  name: IntegerName,
  override: { min?: number; fallback?: number } = {},
): number {
  const variable = V[name];
  const raw = nonEmpty(env, name);
  if (raw === undefined) return override.fallback ?? variable.default;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigVariableError([name], `Environment variable ${name} must be a whole number.`);
  }
  const value = Number(raw);
  const min = override.min ?? variable.min;
  if (value < min || value > variable.max) {
    throw new ConfigVariableError(
      [name],
      `Environment variable ${name} must be between ${min} and ${variable.max}.`,
    );
  }
  return value;
}

/**
 * `BOX_API_URL` as the function reads it: an origin, https unless the host is loopback. The
 * operator CLI applies the same rule before it sends a client secret anywhere.
 */
export function boxApiOrigin(env: Env): string {
  return origin(env, 'BOX_API_URL');
}

function origin(env: Env, name: 'BOX_API_URL'): string {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return V[name].default;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigVariableError([name], `Environment variable ${name} must be an absolute URL.`);
  }
  // Plain http is only for a local Box simulator; a token endpoint elsewhere must be TLS.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigVariableError(
      [name],
      `Environment variable ${name} must use https (http is allowed only for a loopback host).`,
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new ConfigVariableError(
      [name],
      `Environment variable ${name} must be an origin such as https://api.box.com, without a path.`,
    );
  }
  return url.origin;
}

function secretPrefix(env: Env, name: 'BOX_TENANT_SECRET_PREFIX'): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined || TENANT_SECRET_PREFIX_PATTERN.test(raw)) return raw;
  throw new ConfigVariableError(
    [name],
    `Environment variable ${name} must be a Secrets Manager name prefix ending with "/" ` +
      '(letters, digits and _+=.@-/).',
  );
}

function accessPolicySource(env: Env): AccessPolicySource {
  const inline = nonEmpty(env, 'BOX_ACCESS_POLICY');
  const file = nonEmpty(env, 'BOX_ACCESS_POLICY_FILE');
  if (inline !== undefined && file !== undefined) {
    throw new ConfigVariableError(
      ['BOX_ACCESS_POLICY', 'BOX_ACCESS_POLICY_FILE'],
      'Set only one of the environment variables BOX_ACCESS_POLICY and BOX_ACCESS_POLICY_FILE.',
    );
  }
  if (inline !== undefined) return { kind: 'inline', json: inline };
  if (file !== undefined) return { kind: 'file', path: file };
  return { kind: 'default' };
}

function eventBus(env: Env, name: 'BOX_EVENT_BUS'): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined || EVENT_BUS_PATTERN.test(raw)) return raw;
  throw new ConfigVariableError(
    [name],
    `Environment variable ${name} must be an EventBridge bus name or ARN ` +
      '(arn:aws:events:REGION:ACCOUNT:event-bus/NAME).',
  );
}
