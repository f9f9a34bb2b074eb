import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountPrincipals,
  asArray,
  functionAssetDir,
  type PolicyStatementJson,
  propertiesOf,
  resourcePolicyStatements,
  resourcesOf,
  roleStatements,
  routes,
  type Synthesized,
  synth,
} from './infra-synth.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:box/ccg-AbCdEf';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const EXPECTED_ROUTES = ['GET /health', 'GET /token', 'POST /revoke', 'POST /token'];

/** Assertions every scenario must pass: the security floor. */
function assertSecurityFloor(get: () => Synthesized): void {
  it('requires AWS_IAM on every method and serves exactly the four routes', () => {
    const methods = routes(get().template);
    expect(methods.map((method) => method.route).sort()).toEqual(EXPECTED_ROUTES);
    for (const method of methods) expect(method.authorizationType).toBe('AWS_IAM');
  });

  it('runs nodejs24.x on arm64 with JSON logs, a timeout above the retry budget', () => {
    const [fn] = resourcesOf(get().template, 'AWS::Lambda::Function');
    const props = propertiesOf(fn ?? {});
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    const budgetMs = Number(env.BOX_RETRY_BUDGET_MS ?? 10_000);
    expect(Number(props.Timeout) * 1000).toBeGreaterThan(budgetMs);
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('turns on JSON access logging with the caller identity, and stage throttling', () => {
    const [stage] = resourcesOf(get().template, 'AWS::ApiGateway::Stage');
    const props = propertiesOf(stage ?? {});
    const access = props.AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(access.DestinationArn).toBeDefined();
    for (const variable of [
      '$context.identity.userArn',
      '$context.identity.accountId',
      '$context.requestId',
      '$context.status',
      '$context.responseLatency',
    ]) {
      expect(access.Format).toContain(variable);
    }
    const settings = props.MethodSettings as Record<string, unknown>[];
    const all = settings.find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
    expect(all?.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(all?.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it('lets the function role read its secrets and nothing but its logs, fleet state and health events besides', () => {
    const statements = roleStatements(get().template);
    // The fleet state table's statement is checked in test/infra-fleet-state.test.ts.
    const actions = statements
      .filter((s) => s.Sid !== 'FleetStateTable')
      .flatMap((s) => asArray(s.Action) as string[]);
    for (const action of actions) {
      expect(action).toMatch(
        /^(logs:(CreateLogStream|PutLogEvents)|secretsmanager:(GetSecretValue|ListSecrets)|kms:Decrypt|events:PutEvents)$/,
      );
    }
    // ListSecrets (names only, no resource-level permission) only when tenants are registered,
    // for the scheduled setup check to find them.
    const [fn] = resourcesOf(get().template, 'AWS::Lambda::Function');
    const env = (propertiesOf(fn ?? {}).Environment as { Variables: Record<string, unknown> })
      .Variables;
    const listing = statements.filter((s) =>
      (asArray(s.Action) as string[]).includes('secretsmanager:ListSecrets'),
    );
    expect(listing).toHaveLength(env.BOX_TENANT_SECRET_PREFIX === undefined ? 0 : 1);
    for (const statement of listing) {
      expect(statement.Action).toBe('secretsmanager:ListSecrets');
      expect(statement.Resource).toBe('*');
    }
    const secretStatements = statements.filter(
      (s) =>
        !listing.includes(s) &&
        (asArray(s.Action) as string[]).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.length).toBeGreaterThanOrEqual(1);
    for (const statement of secretStatements) {
      expect(statement.Action).toBe('secretsmanager:GetSecretValue');
      expect(asArray(statement.Resource)).toHaveLength(1);
    }
    for (const statement of statements) {
      if (!listing.includes(statement)) expect(statement.Resource).not.toBe('*');
    }
    const [role] = resourcesOf(get().template, 'AWS::IAM::Role').filter((r) =>
      JSON.stringify(r).includes('lambda.amazonaws.com'),
    );
    expect(propertiesOf(role ?? {}).ManagedPolicyArns).toBeUndefined();
  });

  it('does not create the account-wide API Gateway CloudWatch role', () => {
    get().template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('treats missing alarm data as not breaching, except for the canary', () => {
    const alarms = resourcesOf(get().template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const props = propertiesOf(alarm);
      expect(props.TreatMissingData).toBe(
        props.MetricName === 'CanarySuccess' ? 'breaching' : 'notBreaching',
      );
    }
  });

  it('outputs what the operator needs next', () => {
    const outputs = Object.keys(get().template.findOutputs('*')).sort();
    const [fn] = resourcesOf(get().template, 'AWS::Lambda::Function');
    const env = (propertiesOf(fn ?? {}).Environment as { Variables: Record<string, unknown> })
      .Variables;
    // A tenants-only broker has no default secret to show.
    const secretOutputs =
      env.BOX_CREDENTIALS_SECRET === undefined ? [] : ['SecretArn', 'SecretConsoleUrl'];
    // Fleet state (on by default): the table the operator CLI's suspend/resume/list use.
    const stateOutputs = env.BOX_STATE_TABLE === undefined ? [] : ['StateTableName'];
    expect(outputs).toEqual(
      [
        'ApiUrl',
        'DirectInvokeArn',
        'FunctionName',
        ...secretOutputs,
        ...stateOutputs,
        'TokenUrl',
      ].sort(),
    );
  });
}

function secretResource(statement: PolicyStatementJson | undefined): unknown {
  return asArray(statement?.Resource)[0];
}

function secretStatement(s: Synthesized): PolicyStatementJson | undefined {
  return roleStatements(s.template).find((statement) => statement.Sid === 'ReadBoxCredentials');
}

describe('Construct: BoxTokenBroker (default context)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('creates a retained secret whose value is the placeholder template', () => {
    const [secret] = Object.entries(s.template.findResources('AWS::SecretsManager::Secret')).filter(
      ([id]) => !id.includes('ApiEntryKey'),
    );
    expect(secret?.[1]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const generate = propertiesOf(secret?.[1] ?? {}).GenerateSecretString as Record<
      string,
      unknown
    >;
    expect(generate.GenerateStringKey).toBe('clientSecret');
    expect(JSON.parse(String(generate.SecretStringTemplate))).toEqual({
      clientId: 'REPLACE_WITH_BOX_CLIENT_ID',
      enterpriseId: 'REPLACE_WITH_BOX_ENTERPRISE_ID',
    });
    // No SecretString: CloudFormation generates the value once, so updates never overwrite it.
    expect(propertiesOf(secret?.[1] ?? {}).SecretString).toBeUndefined();
    expect(secretResource(secretStatement(s))).toEqual({ Ref: secret?.[0] });
  });

  it('admits only the deploying account, and denies everyone else', () => {
    const statements = resourcePolicyStatements(s.template);
    const allows = statements.filter((st) => st.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(accountPrincipals(allows[0])).toEqual(['<self>']);
    const deny = statements.find((st) => st.Effect === 'Deny');
    expect(deny?.Condition).toEqual({
      StringNotEquals: { 'aws:PrincipalAccount': [{ Ref: 'AWS::AccountId' }] },
    });
  });

  it('passes the secret ARN and the defaults, and no access policy', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 15,
      MemorySize: 256,
      Environment: {
        Variables: Match.objectEquals({
          BOX_CREDENTIALS_SECRET: { Ref: Match.stringLikeRegexp('Secret') },
          // The api entry's key (docs/api.md "The api entry key").
          BOX_API_ENTRY_SECRET: { Ref: Match.stringLikeRegexp('ApiEntryKey') },
          POWERTOOLS_SERVICE_NAME: 'box-token-broker',
          POWERTOOLS_METRICS_NAMESPACE: 'BoxTokenBroker',
          NODE_OPTIONS: '--enable-source-maps',
          // The canary schedule's interval, for the scheduled setup check's slicing.
          BOX_SETUP_CHECK_INTERVAL_SECONDS: '300',
          // Fleet state, on by default (test/infra-fleet-state.test.ts).
          BOX_STATE_TABLE: { Ref: Match.stringLikeRegexp('StateTable') },
          BOX_STATE_KMS_KEY: { 'Fn::GetAtt': [Match.stringLikeRegexp('StateKey'), 'Arn'] },
          // Tenant health events, on the account's default bus by default (docs/tenants.md).
          BOX_EVENT_BUS: 'default',
        }),
      },
      TracingConfig: Match.absent(),
    });
  });

  it('keeps the audit logs for a year', () => {
    for (const group of resourcesOf(s.template, 'AWS::Logs::LogGroup')) {
      expect(propertiesOf(group).RetentionInDays).toBe(365);
    }
  });

  it('alarms on Box rejecting the credentials from the broker metrics', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'BoxTokenBroker',
      MetricName: 'BoxErrors',
      Dimensions: [
        { Name: 'box_error', Value: 'invalid_grant' },
        { Name: 'service', Value: 'box-token-broker' },
      ],
    });
  });

  it('bundles one minified ESM handler with its source map', () => {
    const dir = functionAssetDir(s);
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toContain('createRequire');
    expect(existsSync(join(dir, 'access-policy.json'))).toBe(false);
  });
});

describe('Construct: BoxTokenBroker (secret imported by complete ARN with a KMS key)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ secretArn: SECRET_ARN, secretKmsKeyArn: KMS_KEY_ARN });
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('creates no credentials secret and grants GetSecretValue on exactly that ARN', () => {
    expect(credentialSecretIds(s)).toEqual([]);
    expect(secretResource(secretStatement(s))).toBe(SECRET_ARN);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BOX_CREDENTIALS_SECRET: SECRET_ARN }) },
    });
  });

  it('grants kms:Decrypt on the key only through Secrets Manager in the secret region', () => {
    const kms = roleStatements(s.template).filter((st) =>
      asArray(st.Action).includes('kms:Decrypt'),
    );
    expect(kms).toHaveLength(1);
    expect(kms[0]?.Resource).toBe(KMS_KEY_ARN);
    expect(kms[0]?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
    });
  });

  it('links the console to the secret in its own region', () => {
    const url = JSON.stringify(s.template.findOutputs('SecretConsoleUrl'));
    expect(url).toContain(
      'https://eu-west-1.console.aws.amazon.com/secretsmanager/secret?name=box/ccg',
    );
  });
});

describe('Construct: BoxTokenBroker (secret imported by name)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ secretName: 'box/ccg' });
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('matches exactly the six-character suffix Secrets Manager appends', () => {
    const resource = JSON.stringify(secretResource(secretStatement(s)));
    expect(resource).toContain(':secret:box/ccg-??????');
    expect(resource).not.toContain('*');
    expect(
      roleStatements(s.template).some((st) => asArray(st.Action).includes('kms:Decrypt')),
    ).toBe(false);
  });
});

describe('Construct: BoxTokenBroker (an organization)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ allowedOrganizationId: 'o-abcdefghij' });
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('admits the organization only, not the deploying account by default', () => {
    const statements = resourcePolicyStatements(s.template);
    const allows = statements.filter((st) => st.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]?.Principal).toEqual({ AWS: '*' });
    expect(allows[0]?.Condition).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' },
    });
    expect(statements.find((st) => st.Effect === 'Deny')?.Condition).toEqual({
      StringNotEquals: { 'aws:PrincipalOrgID': ['o-abcdefghij'] },
    });
  });
});

describe('Construct: BoxTokenBroker (a list of accounts, principals, tuning and a policy file)', () => {
  let s: Synthesized;
  const policyPath = join(tmpdir(), `box-token-broker-policy-${process.pid}.json`);
  beforeAll(() => {
    writeFileSync(
      policyPath,
      JSON.stringify(
        {
          version: 1,
          rules: [
            {
              id: 'etl',
              callers: ['arn:aws:iam::111122223333:role/etl-*', 'account:999988887777'],
              subjects: ['enterprise'],
            },
          ],
        },
        null,
        2,
      ),
    );
    s = synth({
      allowedAccountIds: '111122223333, 444455556666',
      allowedPrincipalArns: '["arn:aws:iam::777788889999:role/box-*"]',
      accessPolicyFile: policyPath,
      boxRetryBudgetMs: '20000',
      boxApiUrl: 'https://api.box.example',
      secretRereadIntervalSeconds: '30',
      negativeCacheSeconds: 60,
      memorySize: 512,
      reservedConcurrency: '10',
      throttleRateLimit: '25',
      throttleBurstLimit: 40,
      logRetentionDays: 90,
      tracing: 'true',
      apiGatewayCloudWatchRole: true,
      alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:ops',
    });
  });
  afterAll(() => {
    s?.dispose();
    rmSync(policyPath, { force: true });
  });

  it('admits exactly the listed accounts and principals', () => {
    const statements = resourcePolicyStatements(s.template);
    const allows = statements.filter((st) => st.Effect === 'Allow');
    expect(allows).toHaveLength(2);
    expect(accountPrincipals(allows.find((st) => st.Sid === 'AllowAdmittedAccounts'))).toEqual([
      '111122223333',
      '444455556666',
    ]);
    expect(allows.find((st) => st.Sid === 'AllowAdmittedPrincipals')?.Condition).toEqual({
      ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::777788889999:role/box-*'] },
    });
    expect(statements.find((st) => st.Effect === 'Deny')?.Condition).toEqual({
      StringNotEquals: { 'aws:PrincipalAccount': ['111122223333', '444455556666'] },
      ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::777788889999:role/box-*'] },
    });
  });

  it('warns about access-policy principals the resource policy does not admit', () => {
    const warnings = s.assembly
      .getStackByName('BoxTokenBroker')
      .messages.filter((m) => m.level === 'warning')
      .map((m) => String(m.entry.data));
    expect(warnings.some((w) => w.includes('account 999988887777'))).toBe(true);
    expect(warnings.some((w) => w.includes('role/etl-*'))).toBe(false);
  });

  it('ships the validated policy inside the bundle and points the function at it', () => {
    const [fn] = resourcesOf(s.template, 'AWS::Lambda::Function');
    const dir = functionAssetDir(s);
    const shipped = JSON.parse(readFileSync(join(dir, 'access-policy.json'), 'utf8'));
    expect(shipped.rules[0].id).toBe('etl');
    const env = (propertiesOf(fn ?? {}).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env.BOX_ACCESS_POLICY_FILE).toBe('/var/task/access-policy.json');
    expect(env.BOX_ACCESS_POLICY).toBeUndefined();
  });

  it('applies the tuning and derives the timeout from the retry budget', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 25,
      MemorySize: 512,
      ReservedConcurrentExecutions: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          BOX_RETRY_BUDGET_MS: '20000',
          BOX_API_URL: 'https://api.box.example',
          BOX_SECRET_REREAD_INTERVAL_SECONDS: '30',
          BOX_NEGATIVE_CACHE_SECONDS: '60',
        }),
      },
    });
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 25,
          ThrottlingBurstLimit: 40,
          LoggingLevel: 'ERROR',
        }),
      ],
    });
    for (const group of resourcesOf(s.template, 'AWS::Logs::LogGroup')) {
      expect(propertiesOf(group).RetentionInDays).toBe(90);
    }
  });

  it('creates the API Gateway CloudWatch role only because it was asked to', () => {
    s.template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('limits X-Ray, the one wildcard, to tracing', () => {
    const wildcard = roleStatements(s.template).filter((st) => st.Resource === '*');
    expect(wildcard.flatMap((st) => asArray(st.Action)).sort()).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('sends alarm and OK notifications to the topic', () => {
    for (const alarm of resourcesOf(s.template, 'AWS::CloudWatch::Alarm')) {
      expect(propertiesOf(alarm).AlarmActions).toEqual(['arn:aws:sns:us-east-1:111122223333:ops']);
      expect(propertiesOf(alarm).OKActions).toEqual(['arn:aws:sns:us-east-1:111122223333:ops']);
    }
  });
});

/** Secrets the stack creates, but the api entry key (generated; every stack has one). */
function credentialSecretIds(s: Synthesized): string[] {
  return Object.keys(s.template.findResources('AWS::SecretsManager::Secret')).filter(
    (id) => !id.includes('ApiEntryKey'),
  );
}

const TENANT_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':secretsmanager:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':secret:box-token-broker/tenants/*',
    ],
  ],
};

function tenantStatement(s: Synthesized): PolicyStatementJson | undefined {
  return roleStatements(s.template).find((st) => st.Sid === 'ReadTenantCredentials');
}

describe('Construct: BoxTokenBroker (default secret and tenants)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ tenantSecretPrefix: 'box-token-broker/tenants/' });
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('grants GetSecretValue on exactly secret:<prefix>* in this account and region', () => {
    const statement = tenantStatement(s);
    expect(statement?.Action).toBe('secretsmanager:GetSecretValue');
    expect(statement?.Resource).toEqual(TENANT_ARN);
    // Only secrets registered as tenants (tagged as `tenant add` tags them).
    expect(statement?.Condition).toEqual({
      Null: { 'aws:ResourceTag/box-token-broker:tenant': 'false' },
    });
    // Nothing wider anywhere: every secret grant is the default secret or the prefix.
    const grants = roleStatements(s.template)
      .filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'))
      .filter((st) => st.Sid !== 'ReadApiEntryKey')
      .flatMap((st) => asArray(st.Resource).map((r) => JSON.stringify(r)));
    expect(grants).toHaveLength(2);
    for (const grant of grants) {
      expect(grant.includes('"Ref":"BrokerSecret') || grant === JSON.stringify(TENANT_ARN)).toBe(
        true,
      );
    }
  });

  it('passes the prefix and the default secret to the function', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BOX_TENANT_SECRET_PREFIX: 'box-token-broker/tenants/',
          BOX_CREDENTIALS_SECRET: { Ref: Match.stringLikeRegexp('Secret') },
        }),
      },
    });
  });
});

describe('Construct: BoxTokenBroker (tenants only, customer-managed key)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({
      defaultSecret: 'false',
      tenantSecretPrefix: 'box-token-broker/tenants/',
      secretKmsKeyArn: KMS_KEY_ARN,
    });
  });
  afterAll(() => s?.dispose());
  assertSecurityFloor(() => s);

  it('has no default secret, no BOX_CREDENTIALS_SECRET and no secret outputs', () => {
    expect(credentialSecretIds(s)).toEqual([]);
    expect(secretStatement(s)).toBeUndefined();
    const [fn] = resourcesOf(s.template, 'AWS::Lambda::Function');
    const env = (propertiesOf(fn ?? {}).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env.BOX_CREDENTIALS_SECRET).toBeUndefined();
    expect(env.BOX_TENANT_SECRET_PREFIX).toBe('box-token-broker/tenants/');
    expect(Object.keys(s.template.findOutputs('*'))).not.toContain('SecretArn');
  });

  it("reads only the tenants' secrets and decrypts with the key only via Secrets Manager", () => {
    const secretGrants = roleStatements(s.template).filter(
      (st) =>
        asArray(st.Action).includes('secretsmanager:GetSecretValue') &&
        st.Sid !== 'ReadApiEntryKey',
    );
    expect(secretGrants).toHaveLength(1);
    expect(secretGrants[0]?.Resource).toEqual(TENANT_ARN);
    const kms = roleStatements(s.template).filter((st) =>
      asArray(st.Action).includes('kms:Decrypt'),
    );
    expect(kms).toHaveLength(1);
    expect(kms[0]?.Resource).toBe(KMS_KEY_ARN);
    expect(JSON.stringify(kms[0]?.Condition)).toContain('kms:ViaService');
  });
});

describe('Construct: BoxTokenBroker (upgrade from the single-construct release)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });
  afterAll(() => s?.dispose());

  it.each([
    ['AWS::ApiGateway::RestApi', 'BrokerApi8DF99423'],
    ['AWS::ApiGateway::Stage', 'BrokerApiDeploymentStageprod2782F4B6'],
    ['AWS::Lambda::Function', 'BrokerFunction6EF3CD61'],
    ['AWS::Logs::LogGroup', 'BrokerFunctionLogsF78F0073'],
    ['AWS::Logs::LogGroup', 'BrokerAccessLogs959E712A'],
    ['AWS::SecretsManager::Secret', 'BrokerSecret449037E1'],
  ])('keeps the logical ID of the %s %s, so CloudFormation updates it in place', (type, id) => {
    expect(Object.keys(s.template.findResources(type))).toContain(id);
  });
});
