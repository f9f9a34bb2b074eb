import { describe, expect, it } from 'vitest';
import {
  CONFIG_DEFAULTS,
  type ConfigVariableError,
  loadConfig,
  loadTelemetryConfig,
} from '../lambda/config.js';
import { MisconfiguredError } from '../lambda/errors.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:box-AbCdEf';

type Env = Record<string, string | undefined>;

/** The smallest valid environment plus the given variables. */
function env(extra: Env = {}): Env {
  return { BOX_CREDENTIALS_SECRET: SECRET, ...extra };
}

/** The error loading the environment threw; fails the test when it loaded. */
function configError(vars: Env): MisconfiguredError {
  try {
    loadConfig(vars);
  } catch (error) {
    expect(error).toBeInstanceOf(MisconfiguredError);
    return error as MisconfiguredError;
  }
  throw new Error(`expected ${JSON.stringify(vars)} to be rejected`);
}

describe('Function: loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(env())).toEqual({
      credentialsSecretId: SECRET,
      boxApiUrl: 'https://api.box.com',
      secretTtlMs: 300_000,
      secretRereadIntervalMs: 10_000,
      refreshMarginSeconds: 300,
      tokenCacheMaxEntries: 1000,
      tenantCacheMaxEntries: 1000,
      tenantNotFoundMs: 30_000,
      backoffWindowMs: 5000,
      forcedRefreshMs: 10_000,
      boxAttemptTimeoutMs: 4000,
      boxRetryBudgetMs: 10_000,
      boxMaxAttempts: 4,
      negativeCacheMs: 10_000,
      setupChecksPerRun: 50,
      setupCheckConcurrency: 4,
      setupCheckIntervalMs: 300_000,
      accessPolicy: { kind: 'default' },
      metricsNamespace: 'BoxTokenBroker',
      serviceName: 'box-token-broker',
      metricsTenantAllowlist: [],
    });
    expect(CONFIG_DEFAULTS.boxApiUrl).toBe('https://api.box.com');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      BOX_CREDENTIALS_SECRET: ' box-broker ',
      BOX_API_URL: 'https://box.example.com:8443/',
      BOX_SECRET_TTL_SECONDS: '60',
      BOX_SECRET_REREAD_INTERVAL_SECONDS: '0',
      BOX_TOKEN_REFRESH_MARGIN_SECONDS: '120',
      BOX_TOKEN_CACHE_MAX_ENTRIES: '50',
      BOX_HTTP_TIMEOUT_MS: '2000',
      BOX_RETRY_BUDGET_MS: '2000',
      BOX_MAX_ATTEMPTS: '1',
      BOX_NEGATIVE_CACHE_SECONDS: '0',
      BOX_SETUP_CHECKS_PER_RUN: '20',
      BOX_SETUP_CHECK_CONCURRENCY: '2',
      BOX_SETUP_CHECK_INTERVAL_SECONDS: '600',
      BOX_TENANT_CACHE_MAX_ENTRIES: '7',
      BOX_TENANT_NOT_FOUND_SECONDS: '0',
      BOX_BACKOFF_WINDOW_MS: '0',
      BOX_FORCED_REFRESH_SECONDS: '30',
      BOX_ACCESS_POLICY: '{"version":1,"rules":[]}',
      POWERTOOLS_METRICS_NAMESPACE: 'Ns',
      POWERTOOLS_SERVICE_NAME: 'svc',
      BOX_METRICS_TENANT_ALLOWLIST: ' acme, globex ,acme',
    });
    expect(config).toEqual({
      credentialsSecretId: 'box-broker',
      boxApiUrl: 'https://box.example.com:8443',
      secretTtlMs: 60_000,
      secretRereadIntervalMs: 0,
      refreshMarginSeconds: 120,
      tokenCacheMaxEntries: 50,
      tenantCacheMaxEntries: 7,
      tenantNotFoundMs: 0,
      backoffWindowMs: 0,
      forcedRefreshMs: 30_000,
      boxAttemptTimeoutMs: 2000,
      boxRetryBudgetMs: 2000,
      boxMaxAttempts: 1,
      negativeCacheMs: 0,
      setupChecksPerRun: 20,
      setupCheckConcurrency: 2,
      setupCheckIntervalMs: 600_000,
      accessPolicy: { kind: 'inline', json: '{"version":1,"rules":[]}' },
      metricsNamespace: 'Ns',
      serviceName: 'svc',
      metricsTenantAllowlist: ['acme', 'globex'],
    });
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig(
      env({ BOX_API_URL: '', BOX_SECRET_TTL_SECONDS: '  ', BOX_ACCESS_POLICY: ' ' }),
    );
    expect(config.boxApiUrl).toBe('https://api.box.com');
    expect(config.secretTtlMs).toBe(300_000);
    expect(config.accessPolicy).toEqual({ kind: 'default' });
  });

  it('reads the policy file path', () => {
    expect(loadConfig(env({ BOX_ACCESS_POLICY_FILE: '/opt/policy.json' })).accessPolicy).toEqual({
      kind: 'file',
      path: '/opt/policy.json',
    });
  });

  it('refuses at cold start a default secret under the tenant prefix, by name or ARN, naming no value', () => {
    const prefix = 'box-token-broker/tenants/';
    for (const secret of [
      'box-token-broker/tenants/default',
      'box-token-broker/tenants/acme',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:box-token-broker/tenants/main-AbCdEf',
      'arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:box-token-broker/tenants/x',
    ]) {
      const error = configError({
        BOX_CREDENTIALS_SECRET: secret,
        BOX_TENANT_SECRET_PREFIX: prefix,
      });
      expect(error.message, secret).toContain('BOX_TENANT_SECRET_PREFIX');
      expect(error.message).not.toContain(prefix);
      expect(error.message).not.toContain('main-AbCdEf');
      expect(error.code).toBe('misconfigured');
    }
    // Beside the prefix (not under it) is fine, by name or ARN.
    for (const secret of [
      'box-token-broker/credentials',
      'box-token-broker/tenants',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:box-token-broker/credentials-AbCdEf',
    ]) {
      expect(
        loadConfig(env({ BOX_CREDENTIALS_SECRET: secret, BOX_TENANT_SECRET_PREFIX: prefix }))
          .credentialsSecretId,
      ).toBe(secret);
    }
  });

  it('throws naming BOX_CREDENTIALS_SECRET when it is missing or blank', () => {
    for (const value of [undefined, '', '   ']) {
      const error = configError({ BOX_CREDENTIALS_SECRET: value });
      expect(error.message).toContain('BOX_CREDENTIALS_SECRET');
      expect(error.code).toBe('misconfigured');
    }
  });

  it('throws naming both variables when both policy variables are set', () => {
    const error = configError(
      env({ BOX_ACCESS_POLICY: '{"version":1,"rules":[]}', BOX_ACCESS_POLICY_FILE: '/opt/p.json' }),
    );
    expect(error.message).toContain('BOX_ACCESS_POLICY');
    expect(error.message).toContain('BOX_ACCESS_POLICY_FILE');
    expect(error.message).not.toContain('/opt/p.json');
  });

  describe('integer variables', () => {
    const INTEGER_VARS: { name: string; min: number; max: number; extra?: Env }[] = [
      { name: 'BOX_SECRET_TTL_SECONDS', min: 0, max: 86_400 },
      { name: 'BOX_SECRET_REREAD_INTERVAL_SECONDS', min: 0, max: 3600 },
      { name: 'BOX_TOKEN_REFRESH_MARGIN_SECONDS', min: 0, max: 1800 },
      { name: 'BOX_TOKEN_CACHE_MAX_ENTRIES', min: 1, max: 1_000_000 },
      // The default budget (10 s) would be below a longer timeout: give the maximum budget.
      {
        name: 'BOX_HTTP_TIMEOUT_MS',
        min: 100,
        max: 25_000,
        extra: { BOX_RETRY_BUDGET_MS: '25000' },
      },
      { name: 'BOX_MAX_ATTEMPTS', min: 1, max: 10 },
      { name: 'BOX_NEGATIVE_CACHE_SECONDS', min: 0, max: 300 },
    ];
    const NOT_WHOLE = ['abc', '-1', '1.5', '1e3', '0x10', '10s', '1_000', 'Infinity', 'NaN'];

    for (const { name, min, max, extra = {} } of INTEGER_VARS) {
      it(`throws naming ${name}, not its value, when it is not a whole number`, () => {
        for (const value of NOT_WHOLE) {
          const error = configError(env({ ...extra, [name]: value }));
          expect(error.message).toContain(name);
          expect(error.message).not.toContain(value);
        }
      });

      it(`throws naming ${name} when it is out of range`, () => {
        const below = min > 0 ? [String(min - 1)] : [];
        for (const value of [...below, String(max + 1), '9'.repeat(30)]) {
          const error = configError(env({ ...extra, [name]: value }));
          expect(error.message).toContain(name);
        }
      });

      it(`accepts ${name} at its bounds`, () => {
        expect(() => loadConfig(env({ ...extra, [name]: String(min) }))).not.toThrow();
        expect(() => loadConfig(env({ ...extra, [name]: String(max) }))).not.toThrow();
      });
    }
  });

  describe('retry budget', () => {
    it('accepts a budget equal to the attempt timeout', () => {
      const config = loadConfig(env({ BOX_HTTP_TIMEOUT_MS: '3000', BOX_RETRY_BUDGET_MS: '3000' }));
      expect(config.boxRetryBudgetMs).toBe(3000);
    });

    it('throws naming BOX_RETRY_BUDGET_MS when it is below the attempt timeout', () => {
      const error = configError(env({ BOX_HTTP_TIMEOUT_MS: '3000', BOX_RETRY_BUDGET_MS: '2999' }));
      expect(error.message).toContain('BOX_RETRY_BUDGET_MS');
    });

    it('never yields a budget below the attempt timeout when only the timeout is set', () => {
      // Either the default budget stretches to the timeout or loading fails naming a variable;
      // a budget shorter than one attempt would cut every slow Box answer short.
      let config: ReturnType<typeof loadConfig> | undefined;
      try {
        config = loadConfig(env({ BOX_HTTP_TIMEOUT_MS: '12000' }));
      } catch (error) {
        expect(error).toBeInstanceOf(MisconfiguredError);
        expect((error as Error).message).toMatch(/BOX_RETRY_BUDGET_MS|BOX_HTTP_TIMEOUT_MS/);
      }
      if (config !== undefined) {
        expect(config.boxRetryBudgetMs).toBeGreaterThanOrEqual(config.boxAttemptTimeoutMs);
      }
    });

    it('accepts 25 s and throws above it, well under API Gateway’s 29 s', () => {
      expect(loadConfig(env({ BOX_RETRY_BUDGET_MS: '25000' })).boxRetryBudgetMs).toBe(25_000);
      const error = configError(env({ BOX_RETRY_BUDGET_MS: '25001' }));
      expect(error.message).toContain('BOX_RETRY_BUDGET_MS');
      expect(configError(env({ BOX_HTTP_TIMEOUT_MS: '25001' })).message).toContain(
        'BOX_HTTP_TIMEOUT_MS',
      );
    });

    it('throws naming BOX_RETRY_BUDGET_MS when it is not a whole number', () => {
      expect(configError(env({ BOX_RETRY_BUDGET_MS: '5s' })).message).toContain(
        'BOX_RETRY_BUDGET_MS',
      );
    });
  });

  describe('BOX_API_URL', () => {
    const GOOD: [string, string][] = [
      ['https://api.box.com', 'https://api.box.com'],
      ['https://api.box.com/', 'https://api.box.com'],
      ['https://box.example.com:8443', 'https://box.example.com:8443'],
      ['http://127.0.0.1:8788', 'http://127.0.0.1:8788'],
      ['http://localhost:8788/', 'http://localhost:8788'],
      ['http://[::1]:8788', 'http://[::1]:8788'],
    ];
    for (const [value, origin] of GOOD) {
      it(`accepts ${value} as ${origin}`, () => {
        expect(loadConfig(env({ BOX_API_URL: value })).boxApiUrl).toBe(origin);
      });
    }

    const BAD: [string, string][] = [
      ['plain http to a remote host', 'http://api.box.com'],
      ['http to a host that merely starts with localhost', 'http://localhost.evil.example'],
      ['http to another loopback-looking address', 'http://127.0.0.1.evil.example'],
      ['another scheme', 'ftp://api.box.com'],
      ['a path', 'https://api.box.com/2.0'],
      ['the token endpoint itself', 'https://api.box.com/oauth2/token'],
      ['a query', 'https://api.box.com/?x=1'],
      ['a fragment', 'https://api.box.com/#x'],
      ['not a URL', 'api.box.com'],
      ['garbage', '::::'],
    ];
    for (const [what, value] of BAD) {
      it(`throws naming BOX_API_URL, not its value, for ${what}`, () => {
        const error = configError(env({ BOX_API_URL: value }));
        expect(error.message).toContain('BOX_API_URL');
        expect(error.message).not.toContain(value);
      });
    }
  });
});

describe('Function: loadTelemetryConfig', () => {
  it('never throws and falls back to the defaults', () => {
    expect(loadTelemetryConfig({})).toEqual({
      metricsNamespace: 'BoxTokenBroker',
      serviceName: 'box-token-broker',
      metricsTenantAllowlist: [],
    });
    expect(loadTelemetryConfig({ BOX_CREDENTIALS_SECRET: undefined, BOX_API_URL: 'bad' })).toEqual({
      metricsNamespace: 'BoxTokenBroker',
      serviceName: 'box-token-broker',
      metricsTenantAllowlist: [],
    });
  });

  it('keeps the valid tenants of a bad allow-list (the function itself refuses it)', () => {
    const env = { BOX_METRICS_TENANT_ALLOWLIST: 'acme,Not_A_Tenant,globex' };
    expect(loadTelemetryConfig(env).metricsTenantAllowlist).toEqual(['acme', 'globex']);
    expect(() => loadConfig({ ...env, BOX_CREDENTIALS_SECRET: 'box' })).toThrow(
      /BOX_METRICS_TENANT_ALLOWLIST must list tenant IDs/,
    );
  });

  it('refuses an allow-list of more than 20 tenants', () => {
    const ids = Array.from({ length: 21 }, (_, i) => `t${i}`).join(',');
    expect(() =>
      loadConfig({ BOX_CREDENTIALS_SECRET: 'box', BOX_METRICS_TENANT_ALLOWLIST: ids }),
    ).toThrow(/at most 20 tenants/);
  });
});

describe('Function: loadConfig (tenants)', () => {
  it('accepts a tenant prefix alone (a tenants-only deployment)', () => {
    const config = loadConfig({ BOX_TENANT_SECRET_PREFIX: 'box-token-broker/tenants/' });
    expect(config.tenantSecretPrefix).toBe('box-token-broker/tenants/');
    expect(config.credentialsSecretId).toBeUndefined();
  });

  it('accepts both the default secret and a tenant prefix', () => {
    const config = loadConfig(env({ BOX_TENANT_SECRET_PREFIX: 'tenants/' }));
    expect(config).toMatchObject({ credentialsSecretId: SECRET, tenantSecretPrefix: 'tenants/' });
  });

  it('throws naming both variables when neither is set', () => {
    const error = configError({ BOX_CREDENTIALS_SECRET: ' ', BOX_TENANT_SECRET_PREFIX: '' });
    expect(error.message).toContain('BOX_CREDENTIALS_SECRET');
    expect(error.message).toContain('BOX_TENANT_SECRET_PREFIX');
  });

  it.each([
    'box-token-broker/tenants',
    'box-',
    '/tenants/',
    'tenants*/',
    'box tenants/',
    `${'a'.repeat(448)}/`,
  ])('throws naming BOX_TENANT_SECRET_PREFIX, not its value, for %j', (prefix) => {
    const error = configError(env({ BOX_TENANT_SECRET_PREFIX: prefix }));
    expect(error.message).toContain('BOX_TENANT_SECRET_PREFIX');
    expect(error.message).not.toContain(prefix);
  });
});

describe('Function: loadConfig (fleet state)', () => {
  it('is off without BOX_STATE_TABLE, whatever the other fleet variables say', () => {
    expect(loadConfig(env({ BOX_STATE_KMS_KEY: 'alias/box' })).fleetState).toBeUndefined();
  });

  it('reads the table, the key and the sync bound (default 5 s)', () => {
    expect(
      loadConfig(env({ BOX_STATE_TABLE: 'box-state', BOX_STATE_KMS_KEY: 'alias/box-state' }))
        .fleetState,
    ).toEqual({ table: 'box-state', kmsKeyId: 'alias/box-state', syncMs: 5000 });
    expect(
      loadConfig(
        env({
          BOX_STATE_TABLE: 'arn:aws:dynamodb:eu-west-1:111122223333:table/box-state',
          BOX_STATE_KMS_KEY:
            'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          BOX_STATE_SYNC_SECONDS: '60',
        }),
      ).fleetState?.syncMs,
    ).toBe(60_000);
  });

  it('requires the key with the table, naming the variable and no value', () => {
    const error = configError(env({ BOX_STATE_TABLE: 'box-state' }));
    expect((error as ConfigVariableError).variables).toEqual(['BOX_STATE_KMS_KEY']);
    expect(error.message).not.toContain('box-state');
  });

  it.each([
    ['BOX_STATE_TABLE', { BOX_STATE_TABLE: 'bad table!', BOX_STATE_KMS_KEY: 'alias/k' }],
    ['BOX_STATE_KMS_KEY', { BOX_STATE_TABLE: 'box-state', BOX_STATE_KMS_KEY: 'not a key' }],
    ['BOX_STATE_SYNC_SECONDS', { BOX_STATE_SYNC_SECONDS: '0' }],
    ['BOX_STATE_SYNC_SECONDS', { BOX_STATE_SYNC_SECONDS: '61' }],
  ])('refuses a bad %s', (name, vars) => {
    const error = configError(env(vars));
    expect((error as ConfigVariableError).variables).toEqual([name]);
  });
});
