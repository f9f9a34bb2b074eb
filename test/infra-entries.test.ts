/**
 * One alias per entry (contract v1.1, "Entries"): API Gateway invokes `api`, the canary rule
 * `schedule`, direct callers `direct`; each alias's resource policy admits only its own source.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxTokenBrokerStack } from '../infra/box-token-broker-stack.js';
import { createApp } from '../infra/create-app.js';
import {
  asArray,
  type PolicyStatementJson,
  propertiesOf,
  resourcesOf,
  STACK_NAME,
} from './infra-synth.js';

type Json = Record<string, unknown>;

let template: Template;
let outdir: string;
let metrics: Json;

/** Logical ID of the alias with this name. */
function aliasId(name: string): string {
  const entry = Object.entries(template.findResources('AWS::Lambda::Alias')).find(
    ([, alias]) => propertiesOf(alias as Json).Name === name,
  );
  expect(entry, `alias ${name}`).toBeDefined();
  return entry?.[0] ?? '';
}

function permissions(): Json[] {
  return resourcesOf(template, 'AWS::Lambda::Permission').map(propertiesOf);
}

/** The statements of the inline policy of the role with this logical-ID prefix. */
function grantStatements(rolePrefix: string): PolicyStatementJson[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .map(propertiesOf)
    .filter((policy) => JSON.stringify(policy.Roles).includes(`"Ref":"${rolePrefix}`))
    .flatMap((policy) => (policy.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

beforeAll(() => {
  // The real app, plus two callers granted through the construct's helpers.
  outdir = mkdtempSync(join(tmpdir(), 'box-token-broker-entries-'));
  const app = createApp({ outdir, context: {}, nag: false });
  const stack = app.node.findChild(STACK_NAME) as BoxTokenBrokerStack;
  const direct = new Role(stack, 'DirectCaller', {
    assumedBy: new AccountPrincipal('111122223333'),
  });
  const apiCaller = new Role(stack, 'ApiCaller', {
    assumedBy: new AccountPrincipal('111122223333'),
  });
  stack.broker.grantInvoke(direct);
  stack.broker.grantCallApi(apiCaller);
  metrics = {
    issued: stack.resolve(stack.broker.metricTokensIssued().toMetricConfig()),
    denied: stack.resolve(
      stack.broker.metricAccessDenied({ statistic: 'Maximum' }).toMetricConfig(),
    ),
    boxErrors: stack.resolve(stack.broker.metricBoxErrors('invalid_client').toMetricConfig()),
  };
  const assembly = app.synth();
  template = Template.fromJSON(
    assembly.getStackByName(STACK_NAME).template as Record<string, unknown>,
  );
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('Construct: BoxTokenBroker entries', () => {
  it('publishes a version and points the api, schedule and direct aliases at it', () => {
    const aliases = resourcesOf(template, 'AWS::Lambda::Alias').map(propertiesOf);
    expect(aliases.map((alias) => alias.Name).sort()).toEqual(['api', 'direct', 'schedule']);
    const [version] = Object.keys(template.findResources('AWS::Lambda::Version'));
    for (const alias of aliases) {
      expect(alias.FunctionVersion).toEqual({ 'Fn::GetAtt': [version, 'Version'] });
    }
  });

  it('integrates every API method with the api alias', () => {
    const methods = resourcesOf(template, 'AWS::ApiGateway::Method').map(propertiesOf);
    expect(methods).toHaveLength(4);
    for (const method of methods) {
      const uri = JSON.stringify((method.Integration as Json).Uri);
      expect(uri).toContain(`{"Ref":"${aliasId('api')}"}`);
      expect(uri).not.toContain(aliasId('direct'));
      expect(uri).not.toContain(aliasId('schedule'));
    }
  });

  it('lets only API Gateway, from this API, invoke the api alias', () => {
    const [apiId] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
    const onApi = permissions().filter(
      (permission) => JSON.stringify(permission.FunctionName) === `{"Ref":"${aliasId('api')}"}`,
    );
    expect(onApi).toHaveLength(4);
    for (const permission of onApi) {
      expect(permission.Action).toBe('lambda:InvokeFunction');
      expect(permission.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(permission.SourceArn)).toContain(`{"Ref":"${apiId}"}`);
    }
  });

  it('targets the schedule alias from the canary rule, and lets only that rule invoke it', () => {
    const rules = Object.entries(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] ?? ['', {}];
    const targets = propertiesOf(rule as Json).Targets as Json[];
    expect(targets.map((target) => target.Arn)).toEqual([{ Ref: aliasId('schedule') }]);
    const onSchedule = permissions().filter(
      (permission) =>
        JSON.stringify(permission.FunctionName) === `{"Ref":"${aliasId('schedule')}"}`,
    );
    expect(onSchedule).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      }),
    ]);
  });

  it('gives no service a permission on the direct alias or the unqualified function', () => {
    const [functionId] = Object.keys(template.findResources('AWS::Lambda::Function'));
    for (const permission of permissions()) {
      const target = JSON.stringify(permission.FunctionName);
      expect(target).not.toContain(aliasId('direct'));
      expect(target).not.toContain(`"${functionId}"`);
    }
  });

  it('does not retry asynchronous invocations of the schedule and direct aliases', () => {
    const configs = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').map(propertiesOf);
    for (const alias of ['schedule', 'direct']) {
      const config = configs.find((c) => JSON.stringify(c.Qualifier).includes(aliasId(alias)));
      expect(config?.MaximumRetryAttempts, alias).toBe(0);
    }
  });

  it('grantInvoke grants lambda:InvokeFunction on exactly the direct alias', () => {
    const statements = grantStatements('DirectCaller');
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('lambda:InvokeFunction');
    expect(asArray(statements[0]?.Resource)).toEqual([{ Ref: aliasId('direct') }]);
    expect(JSON.stringify(statements)).not.toContain(':*');
  });

  it('grantCallApi grants execute-api:Invoke on each of the four methods of the stage', () => {
    const statements = grantStatements('ApiCaller');
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('execute-api:Invoke');
    const resources = asArray(statements[0]?.Resource).map((arn) => JSON.stringify(arn));
    expect(resources).toHaveLength(4);
    const [stageId] = Object.keys(template.findResources('AWS::ApiGateway::Stage'));
    for (const route of ['/GET/token', '/POST/token', '/POST/revoke', '/GET/health']) {
      expect(
        resources.some((arn) => arn.includes(`{"Ref":"${stageId}"},"${route}"`)),
        route,
      ).toBe(true);
    }
  });

  it('exposes the broker metrics as L2 constructs do', () => {
    const service = [{ name: 'service', value: 'box-token-broker' }];
    expect(metrics.issued).toMatchObject({
      metricStat: {
        namespace: 'BoxTokenBroker',
        metricName: 'TokensIssued',
        dimensions: service,
        statistic: 'Sum',
      },
    });
    expect(metrics.denied).toMatchObject({
      metricStat: { metricName: 'AccessDenied', dimensions: service, statistic: 'Maximum' },
    });
    expect(metrics.boxErrors).toMatchObject({
      metricStat: {
        metricName: 'BoxErrors',
        dimensions: expect.arrayContaining([{ name: 'box_error', value: 'invalid_client' }]),
      },
    });
  });
});

describe('Examples: direct callers name the direct entry', () => {
  const read = (path: string) =>
    JSON.parse(readFileSync(join(import.meta.dirname, '..', path), 'utf8')) as Json;

  it('invokes the direct alias from the Step Functions example', () => {
    const machine = read('examples/callers/get-box-token.asl.json') as {
      States: Record<string, { Parameters?: { FunctionName?: string } }>;
    };
    expect(machine.States.GetBoxToken?.Parameters?.FunctionName).toMatch(
      /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-]+:direct$/,
    );
  });

  it('grants lambda:InvokeFunction on the direct alias only in the caller policy example', () => {
    const policy = read('examples/callers/caller-policy-direct-invoke.json') as {
      Statement: { Action: string; Resource: string }[];
    };
    expect(policy.Statement.map((s) => s.Resource)).toEqual([
      expect.stringMatching(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-]+:direct$/),
    ]);
  });
});
