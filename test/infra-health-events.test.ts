/**
 * Tenant health events in the template: `BOX_EVENT_BUS` wired to the account's default bus
 * unless a bus is given, `events:PutEvents` on that bus only, the optional rule to a topic (or
 * any target), the dashboard's unhealthy tenants; cdk-nag's AwsSolutions pack on every scenario.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { BoxTokenBroker, type BoxTokenBrokerProps } from '../infra/box-token-broker.js';
import { ContextError, readContext } from '../infra/context.js';
import { createApp } from '../infra/create-app.js';
import { functionVariables, propertiesOf, resourcesOf, STACK_NAME } from './infra-synth.js';

type Json = Record<string, unknown>;

const ACCOUNT = '111122223333';
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes one broker (no bundling) with cdk-nag as a validation plugin; fails on a finding. */
function synthBroker(props: (stack: Stack) => BoxTokenBrokerProps): Template {
  const outdir = mkdtempSync(join(tmpdir(), 'box-token-broker-health-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Health', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  new BoxTokenBroker(stack, 'Broker', props(stack));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations: unknown[] }[];
  };
  for (const plugin of report.pluginReports) expect(plugin.violations).toEqual([]);
  return Template.fromJSON(assembly.getStackByName('Health').template as Json);
}

/** Every statement of every IAM policy that allows an `events:` action. */
function eventStatements(template: Template): Json[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .flatMap((policy) => {
      const document = propertiesOf(policy).PolicyDocument as { Statement: Json[] };
      return document.Statement;
    })
    .filter((statement) => JSON.stringify(statement.Action).includes('events:'));
}

function dashboardText(template: Template): string {
  return JSON.stringify(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
}

describe('BoxTokenBroker: tenant health events', () => {
  it("puts events on the account's default bus by default: PutEvents on that bus only, no rule", () => {
    const template = synthBroker(() => ({}));

    expect(functionVariables(template).BOX_EVENT_BUS).toBe('default');
    const statements = eventStatements(template);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('events:PutEvents');
    expect(statements[0]?.Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:${ACCOUNT}:event-bus/default`],
      ],
    });
    expect(resourcesOf(template, 'AWS::Events::Rule').map(propertiesOf)).not.toContainEqual(
      expect.objectContaining({ EventPattern: expect.anything() }),
    );
    expect(dashboardText(template)).toContain('Unhealthy tenants');
    expect(dashboardText(template)).toContain('TenantsUnhealthy');
  });

  it('routes the events of a given bus to a topic through a rule matching only them', () => {
    let busArn: unknown;
    let topicRef: unknown;
    const template = synthBroker((stack) => {
      const eventBus = new EventBus(stack, 'VendorBus');
      const key = new Key(stack, 'TopicKey', { enableKeyRotation: true });
      const topic = new Topic(stack, 'OnCall', { enforceSSL: true, masterKey: key });
      busArn = stack.resolve(eventBus.eventBusArn);
      topicRef = stack.resolve(topic.topicArn);
      // EventBus declares optional members as `| undefined`, which exactOptionalPropertyTypes
      // does not equate with IEventBus's optional ones.
      return { healthEvents: { eventBus: eventBus as IEventBus, topic } };
    });

    expect(functionVariables(template).BOX_EVENT_BUS).toEqual(busArn);
    const statements = eventStatements(template);
    expect(statements.map((statement) => [statement.Action, statement.Resource])).toEqual([
      ['events:PutEvents', busArn],
    ]);
    const rules = resourcesOf(template, 'AWS::Events::Rule')
      .map(propertiesOf)
      .filter((rule) => rule.EventPattern !== undefined);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.EventBusName).toBeDefined();
    expect(rules[0]?.EventPattern).toEqual({
      source: ['box-token-broker'],
      'detail-type': ['Box Tenant Unhealthy', 'Box Tenant Recovered'],
      account: [ACCOUNT],
    });
    expect(rules[0]?.Targets).toEqual([expect.objectContaining({ Arn: topicRef })]);
  });

  it('turns off: no BOX_EVENT_BUS, no events permission, no widget', () => {
    const template = synthBroker(() => ({ healthEvents: { enabled: false } }));

    expect(functionVariables(template)).not.toHaveProperty('BOX_EVENT_BUS');
    expect(eventStatements(template)).toEqual([]);
    expect(dashboardText(template)).not.toContain('Unhealthy tenants');
  });
});

describe('Context: healthEvents, healthEventBusArn, healthEventTopicArn', () => {
  const read = (context: Record<string, unknown>) => readContext((key) => context[key]);

  it('reads a bus and a topic by ARN, and turns events off', () => {
    const settings = read({
      healthEventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/vendor',
      healthEventTopicArn: 'arn:aws:sns:eu-west-1:111122223333:box-oncall',
    });
    expect(settings.healthEventBusArn).toBe(
      'arn:aws:events:eu-west-1:111122223333:event-bus/vendor',
    );
    expect(settings.healthEventTopicArn).toBe('arn:aws:sns:eu-west-1:111122223333:box-oncall');
    expect(read({ healthEvents: 'false' }).broker.healthEvents).toEqual({ enabled: false });
  });

  it.each([
    [{ healthEventBusArn: 'vendor' }, 'healthEventBusArn'],
    [{ healthEventTopicArn: 'arn:aws:sqs:eu-west-1:111122223333:q' }, 'healthEventTopicArn'],
    [
      { healthEvents: 'false', healthEventTopicArn: 'arn:aws:sns:eu-west-1:111122223333:t' },
      'healthEvents',
    ],
  ])('refuses %j, naming %s', (context, key) => {
    expect(() => read(context)).toThrow(ContextError);
    expect(() => read(context)).toThrow(key);
  });

  it('wires the stack: the topic gets a rule on the given bus, PutEvents on that bus only', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'box-token-broker-health-ctx-'));
    outdirs.push(outdir);
    const app = createApp({
      outdir,
      context: {
        'aws:cdk:bundling-stacks': [],
        healthEventBusArn: 'arn:aws:events:us-east-1:111122223333:event-bus/vendor',
        healthEventTopicArn: 'arn:aws:sns:us-east-1:111122223333:box-oncall',
      },
    });
    const template = Template.fromJSON(app.synth().getStackByName(STACK_NAME).template as Json);
    const busArn = 'arn:aws:events:us-east-1:111122223333:event-bus/vendor';
    expect(functionVariables(template).BOX_EVENT_BUS).toBe(busArn);
    expect(eventStatements(template).map((s) => [s.Action, s.Resource])).toEqual([
      ['events:PutEvents', busArn],
    ]);
    const [rule] = resourcesOf(template, 'AWS::Events::Rule')
      .map(propertiesOf)
      .filter((props) => props.EventPattern !== undefined);
    expect(rule?.EventBusName).toBe('vendor');
    expect(rule?.Targets).toEqual([
      expect.objectContaining({ Arn: 'arn:aws:sns:us-east-1:111122223333:box-oncall' }),
    ]);
  });
});
