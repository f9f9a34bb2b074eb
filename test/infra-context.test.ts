import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../infra/config-checks.js';
import {
  CONTEXT_KEYS,
  ContextError,
  checkForMisspelledKeys,
  readContext,
} from '../infra/context.js';
import { createApp } from '../infra/create-app.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const read = (context: Record<string, unknown>) => readContext((key) => context[key]);

describe('Function: readContext', () => {
  it('returns the secure defaults when no key is set', () => {
    // Act
    const settings = read({});

    // Assess
    expect(settings).toEqual({
      stackName: 'BoxTokenBroker',
      broker: {},
      secretImport: {},
      alarmTopicArn: undefined,
    });
  });

  it('accepts -c strings and cdk.json JSON alike', () => {
    // Act
    const fromCli = read({
      allowedAccountIds: '111122223333, 444455556666',
      memorySize: '512',
      tracing: 'false',
      logRetentionDays: '30',
      throttleRateLimit: '12.5',
    });
    const fromJson = read({
      allowedAccountIds: ['111122223333', '444455556666'],
      memorySize: 512,
      tracing: false,
      logRetentionDays: 30,
      throttleRateLimit: 12.5,
    });

    // Assess
    expect(fromCli).toEqual(fromJson);
    expect(fromJson.broker).toEqual({
      api: { allowedAccountIds: ['111122223333', '444455556666'], throttleRateLimit: 12.5 },
      memorySize: 512,
      tracing: false,
      logRetention: RetentionDays.ONE_MONTH,
    });
  });

  it('reads the observability and resilience settings', () => {
    // Act
    const settings = read({
      canaryEnabled: 'false',
      canarySchedule: 'rate(15 minutes)',
      dashboard: false,
      accessDeniedAlarmThreshold: '10',
      secretRereadIntervalSeconds: 30,
      negativeCacheSeconds: '0',
    });

    // Assess
    const { canarySchedule, ...rest } = settings.broker.monitoring ?? {};
    expect(canarySchedule?.expressionString).toBe('rate(15 minutes)');
    expect(rest).toEqual({
      canaryEnabled: false,
      dashboard: false,
      accessDeniedAlarmThreshold: 10,
    });
    expect(settings.broker.tuning).toEqual({
      secretRereadIntervalSeconds: 30,
      negativeCacheSeconds: 0,
    });
  });

  it('documents every context key in docs/deploy.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const key of CONTEXT_KEYS) expect(doc, key).toContain(`| \`${key}\` |`);
  });

  it('reads a list given as a JSON array string', () => {
    const settings = read({ allowedPrincipalArns: '["arn:aws:iam::111122223333:role/etl-*"]' });
    expect(settings.broker.api?.allowedPrincipalArns).toEqual([
      'arn:aws:iam::111122223333:role/etl-*',
    ]);
  });

  it.each([
    [
      'secretArn',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:box-ccg',
      'complete secret ARN',
    ],
    ['secretArn', 'box-ccg', 'complete secret ARN'],
    ['secretName', 'has spaces', 'secret name'],
    ['secretKmsKeyArn', 'arn:aws:kms:us-east-1:111122223333:alias/box', 'needs'],
    ['allowedAccountIds', '12345', '12-digit'],
    ['allowedAccountIds', '[1]', '12-digit'],
    ['allowedAccountIds', '[', 'JSON array'],
    ['allowedPrincipalArns', 'arn:aws:sts::111122223333:assumed-role/x/y', 'role or user ARNs'],
    ['allowedOrganizationId', 'r-abcd', 'Organizations ID'],
    ['logRetentionDays', '31', 'CloudWatch Logs accepts'],
    ['throttleRateLimit', 'fast', 'number between'],
    ['throttleBurstLimit', '0', 'whole number'],
    ['reservedConcurrency', '-1', 'whole number'],
    ['memorySize', '64', 'between 128 and 10240'],
    ['tracing', 'yes', 'true or false'],
    ['apiGatewayCloudWatchRole', 1, 'true or false'],
    ['alarmTopicArn', 'ops', 'SNS topic ARN'],
    ['boxApiUrl', 'http://api.box.com', 'BOX_API_URL must use https'],
    ['boxRetryBudgetMs', '60000', 'BOX_RETRY_BUDGET_MS must be between'],
    ['boxMaxAttempts', '0', 'BOX_MAX_ATTEMPTS must be between'],
    ['accessPolicyFile', '/nonexistent/policy.json', 'does not exist'],
    ['stackName', '1-bad', 'stack name'],
    ['secretRereadIntervalSeconds', '3601', 'BOX_SECRET_REREAD_INTERVAL_SECONDS must be between'],
    ['negativeCacheSeconds', 301, 'BOX_NEGATIVE_CACHE_SECONDS must be between'],
    ['canarySchedule', 'cron(0/5 * * * ? *)', 'rate expression'],
    ['canarySchedule', 'rate(13 hours)', 'out of range'],
    ['canarySchedule', 'rate(5 fortnights)', 'rate expression'],
    ['canaryEnabled', 'yes', 'true or false'],
    ['dashboard', 'no', 'true or false'],
    ['accessDeniedAlarmThreshold', '0', 'whole number at least 1'],
    ['tenantSecretPrefix', 'box-token-broker/tenants', 'ending with "/"'],
    ['tenantSecretPrefix', 'box tenants/', 'ending with "/"'],
    ['defaultSecret', 'no', 'true or false'],
    ['defaultSecret', 'false', 'needs tenantSecretPrefix'],
  ])('throws naming %s when it is %j', (key, value, fragment) => {
    // Arrange: secretKmsKeyArn is checked for format first, so give it a valid ARN shape when the
    // point is the missing import.
    const context: Record<string, unknown> =
      key === 'secretKmsKeyArn'
        ? { secretKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abcd' }
        : { [key]: value };

    // Act
    let caught: unknown;
    try {
      read(context);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(ContextError);
    expect((caught as ContextError).key).toBe(key);
    expect((caught as Error).message).toContain(`Context key "${key}"`);
    expect((caught as Error).message).toContain(fragment);
  });

  it('throws when both secretArn and secretName are set', () => {
    expect(() =>
      read({
        secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:box-AbCdEf',
        secretName: 'box',
      }),
    ).toThrow(/Context key "secretName" cannot be combined with secretArn/);
  });

  it('rejects an alias as the KMS key even with an imported secret', () => {
    expect(() =>
      read({ secretName: 'box', secretKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:alias/box' }),
    ).toThrow(/Context key "secretKmsKeyArn" must be a KMS key ARN/);
  });
});

describe('Function: readContext (tenants)', () => {
  it('reads a tenants-only deployment', () => {
    const settings = read({ defaultSecret: 'false', tenantSecretPrefix: 'box/tenants/' });
    expect(settings.broker).toEqual({ defaultSecret: false, tenantSecretPrefix: 'box/tenants/' });
  });

  it('refuses defaultSecret=false together with an imported default secret', () => {
    expect(() =>
      read({ defaultSecret: false, tenantSecretPrefix: 'box/tenants/', secretName: 'box' }),
    ).toThrow(/Context key "defaultSecret" false cannot be combined with secretArn or secretName/);
  });

  it("accepts a KMS key for the tenants' secrets without an imported default secret", () => {
    const settings = read({
      tenantSecretPrefix: 'box/tenants/',
      secretKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
    });
    expect(settings.secretImport.secretKmsKeyArn).toBe(
      'arn:aws:kms:us-east-1:111122223333:key/abcd',
    );
  });
});

describe('Function: checkForMisspelledKeys', () => {
  it.each([
    ['secretTTLSeconds', 'secretTtlSeconds'],
    ['boxMaxAttempt', 'boxMaxAttempts'],
    ['tenantSecretPrefx', 'tenantSecretPrefix'],
    ['Dashboard', 'dashboard'],
  ])('fails on %s, naming %s', (typo, meant) => {
    expect(() => checkForMisspelledKeys([typo])).toThrow(ContextError);
    expect(() => checkForMisspelledKeys([typo])).toThrow(`did you mean "${meant}"`);
  });

  it("lets feature flags, lookups, the CLI's keys and unrelated keys through", () => {
    expect(() =>
      checkForMisspelledKeys([
        '@aws-cdk/core:checkSecretUsage',
        'aws:cdk:enable-path-metadata',
        'availability-zones:account=111122223333:region=us-east-1',
        'myOwnSetting',
        ...CONTEXT_KEYS,
      ]),
    ).not.toThrow();
  });

  it('fails synth on a misspelled key before anything is built', () => {
    expect(() => createApp({ context: { negativeCacheSecond: 5 } })).toThrow(
      /Context key "negativeCacheSecond" is not a setting of this app/,
    );
  });
});

describe('Function: createApp', () => {
  it('fails synth with a ConfigError naming the key when a context value is invalid', () => {
    // The error comes before any bundling, so this is cheap.
    expect(() => createApp({ context: { throttleBurstLimit: 'many' } })).toThrow(ConfigError);
    expect(() => createApp({ context: { throttleBurstLimit: 'many' } })).toThrow(
      /Context key "throttleBurstLimit"/,
    );
  });
});
