import { MisconfiguredError } from './errors.js';

/** The function's configuration, read and validated once at cold start. */
export interface BrokerConfig {
  /** `BOX_CREDENTIALS_SECRET`: ARN or name of the Secrets Manager secret. */
  credentialsSecretId: string;
  /** `BOX_API_URL`: Box API origin (no path, no trailing slash). */
  boxApiUrl: string;
  /** `BOX_SECRET_TTL_SECONDS`: how long a read secret value is trusted. */
  secretTtlMs: number;
  /** `BOX_SECRET_REREAD_INTERVAL_SECONDS`: minimum gap between forced re-reads. */
  secretRereadIntervalMs: number;
  /** `BOX_TOKEN_REFRESH_MARGIN_SECONDS`: a cached token is replaced once it has less life. */
  refreshMarginSeconds: number;
  /** `BOX_TOKEN_CACHE_MAX_ENTRIES`: bound on cached tokens per execution environment. */
  tokenCacheMaxEntries: number;
  /** `BOX_HTTP_TIMEOUT_MS`: timeout of one HTTP attempt to Box. */
  boxAttemptTimeoutMs: number;
  /** `BOX_RETRY_BUDGET_MS`: the whole request's budget for Box and Secrets Manager calls. */
  boxRetryBudgetMs: number;
  /** `BOX_MAX_ATTEMPTS`: attempts per Box call (first try included), inside the deadline. */
  boxMaxAttempts: number;
  /** `BOX_NEGATIVE_CACHE_SECONDS`: how long a Box configuration error is answered from memory. */
  negativeCacheMs: number;
  /** `BOX_ACCESS_POLICY` (inline JSON) or `BOX_ACCESS_POLICY_FILE` (path); neither = default. */
  accessPolicy: AccessPolicySource;
  /** `POWERTOOLS_METRICS_NAMESPACE`: CloudWatch namespace of the broker's metrics. */
  metricsNamespace: string;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` dimension and log field. */
  serviceName: string;
}

/** Where the access policy comes from. */
export type AccessPolicySource =
  | { kind: 'default' }
  | { kind: 'inline'; json: string }
  | { kind: 'file'; path: string };

/** API Gateway cuts a request at 29 s; the whole Box budget must end well before. */
const MAX_RETRY_BUDGET_MS = 25_000;

export const CONFIG_DEFAULTS = {
  boxApiUrl: 'https://api.box.com',
  secretTtlSeconds: 300,
  secretRereadIntervalSeconds: 10,
  refreshMarginSeconds: 300,
  tokenCacheMaxEntries: 1000,
  boxAttemptTimeoutMs: 4000,
  boxRetryBudgetMs: 10_000,
  boxMaxAttempts: 4,
  negativeCacheSeconds: 10,
  metricsNamespace: 'BoxTokenBroker',
  serviceName: 'box-token-broker',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the broker's configuration from the environment. Every failure is a
 * {@link MisconfiguredError} that names the variable, never its value.
 */
export function loadConfig(env: Env = process.env): BrokerConfig {
  const secretTtlSeconds = intVar(env, 'BOX_SECRET_TTL_SECONDS', CONFIG_DEFAULTS.secretTtlSeconds, {
    min: 0,
    max: 86_400,
  });
  const boxAttemptTimeoutMs = intVar(
    env,
    'BOX_HTTP_TIMEOUT_MS',
    CONFIG_DEFAULTS.boxAttemptTimeoutMs,
    { min: 100, max: MAX_RETRY_BUDGET_MS },
  );
  // The default budget grows with a longer attempt timeout so one attempt always fits.
  const boxRetryBudgetMs = intVar(
    env,
    'BOX_RETRY_BUDGET_MS',
    Math.max(CONFIG_DEFAULTS.boxRetryBudgetMs, boxAttemptTimeoutMs),
    {
      min: boxAttemptTimeoutMs,
      max: MAX_RETRY_BUDGET_MS,
    },
  );
  return {
    credentialsSecretId: requiredVar(env, 'BOX_CREDENTIALS_SECRET'),
    boxApiUrl: originVar(env, 'BOX_API_URL', CONFIG_DEFAULTS.boxApiUrl),
    secretTtlMs: secretTtlSeconds * 1000,
    secretRereadIntervalMs:
      intVar(
        env,
        'BOX_SECRET_REREAD_INTERVAL_SECONDS',
        CONFIG_DEFAULTS.secretRereadIntervalSeconds,
        { min: 0, max: 3600 },
      ) * 1000,
    refreshMarginSeconds: intVar(
      env,
      'BOX_TOKEN_REFRESH_MARGIN_SECONDS',
      CONFIG_DEFAULTS.refreshMarginSeconds,
      // Box tokens live about an hour; a margin near that would refresh on every request.
      { min: 0, max: 1800 },
    ),
    tokenCacheMaxEntries: intVar(
      env,
      'BOX_TOKEN_CACHE_MAX_ENTRIES',
      CONFIG_DEFAULTS.tokenCacheMaxEntries,
      { min: 1, max: 1_000_000 },
    ),
    boxAttemptTimeoutMs,
    boxRetryBudgetMs,
    boxMaxAttempts: intVar(env, 'BOX_MAX_ATTEMPTS', CONFIG_DEFAULTS.boxMaxAttempts, {
      min: 1,
      max: 10,
    }),
    negativeCacheMs:
      intVar(env, 'BOX_NEGATIVE_CACHE_SECONDS', CONFIG_DEFAULTS.negativeCacheSeconds, {
        min: 0,
        max: 300,
      }) * 1000,
    accessPolicy: accessPolicySource(env),
    ...loadTelemetryConfig(env),
  };
}

/** Telemetry settings: never fail, so even a misconfigured function logs and counts. */
export function loadTelemetryConfig(
  env: Env = process.env,
): Pick<BrokerConfig, 'metricsNamespace' | 'serviceName'> {
  return {
    metricsNamespace:
      nonEmpty(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? CONFIG_DEFAULTS.metricsNamespace,
    serviceName: nonEmpty(env, 'POWERTOOLS_SERVICE_NAME') ?? CONFIG_DEFAULTS.serviceName,
  };
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function requiredVar(env: Env, name: string): string {
  const value = nonEmpty(env, name);
  if (value === undefined) {
    throw new MisconfiguredError(`Environment variable ${name} is not set.`);
  }
  return value;
}

function intVar(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new MisconfiguredError(`Environment variable ${name} must be a whole number.`);
  }
  const value = Number(raw);
  if (value < range.min || value > range.max) {
    throw new MisconfiguredError(
      `Environment variable ${name} must be between ${range.min} and ${range.max}.`,
    );
  }
  return value;
}

function originVar(env: Env, name: string, fallback: string): string {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MisconfiguredError(`Environment variable ${name} must be an absolute URL.`);
  }
  // Plain http is only for a local Box simulator; a token endpoint elsewhere must be TLS.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new MisconfiguredError(
      `Environment variable ${name} must use https (http is allowed only for a loopback host).`,
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new MisconfiguredError(
      `Environment variable ${name} must be an origin such as https://api.box.com, without a path.`,
    );
  }
  return url.origin;
}

function accessPolicySource(env: Env): AccessPolicySource {
  const inline = nonEmpty(env, 'BOX_ACCESS_POLICY');
  const file = nonEmpty(env, 'BOX_ACCESS_POLICY_FILE');
  if (inline !== undefined && file !== undefined) {
    throw new MisconfiguredError(
      'Set only one of the environment variables BOX_ACCESS_POLICY and BOX_ACCESS_POLICY_FILE.',
    );
  }
  if (inline !== undefined) return { kind: 'inline', json: inline };
  if (file !== undefined) return { kind: 'file', path: file };
  return { kind: 'default' };
}
