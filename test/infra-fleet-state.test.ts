/**
 * Fleet state in the template: the table, the key, and the least-privilege grants between them
 * and the function's role (docs/fleet-state.md "Permissions").
 */
import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContext } from '../infra/context.js';
import { BrokerFleetState } from '../infra/fleet-state.js';
import {
  functionVariables,
  type PolicyStatementJson,
  propertiesOf,
  resourcesOf,
  roleStatements,
  type Synthesized,
  synth,
} from './infra-synth.js';

type Json = Record<string, unknown>;

describe('Fleet state: on by default', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth();
  });
  afterAll(() => synthesized?.dispose());

  it('creates an on-demand table with pk/sk, TTL on ttl and point-in-time recovery, retained', () => {
    synthesized.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it('creates a rotated key that the account administers but only the function may use, only with the broker’s context', () => {
    const [key] = resourcesOf(synthesized.template, 'AWS::KMS::Key');
    const props = propertiesOf(key ?? {});
    expect(props.EnableKeyRotation).toBe(true);
    expect(key?.DeletionPolicy).toBe('Retain');
    const statements = (props.KeyPolicy as Json).Statement as PolicyStatementJson[];
    const actionsOf = (s: PolicyStatementJson) => [s.Action].flat();
    // Nobody but the function's role may Encrypt or Decrypt; nobody gets kms:*.
    const users = statements.filter((s) =>
      actionsOf(s).some((a) => /^kms:(\*|Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/.test(a)),
    );
    expect(users).toHaveLength(1);
    expect(users[0]?.Principal).toEqual({
      AWS: { 'Fn::GetAtt': [expect.stringMatching(/^BrokerFunctionRole/), 'Arn'] },
    });
    expect(actionsOf(users[0] as PolicyStatementJson).sort()).toEqual([
      'kms:Decrypt',
      'kms:Encrypt',
    ]);
    expect(users[0]?.Condition).toEqual({
      StringEquals: { 'kms:EncryptionContext:app': 'box-token-broker' },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['app', 'tenant', 'key'] },
    });
    // A grant would hand Decrypt to anyone without a policy change: nobody may create one.
    const granting = (a: string) => new RegExp(`^${a.replace('*', '.*')}$`).test('kms:CreateGrant');
    expect(statements.filter((s) => actionsOf(s).some(granting))).toEqual([]);
  });

  it('lets the function use only its item families of the table, and names the table and key in its environment', () => {
    const table = roleStatements(synthesized.template).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
    );
    expect(table).toHaveLength(1);
    expect([table[0]?.Action].flat().sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(table[0]?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^BrokerStateTable/), 'Arn'],
    });
    expect(table[0]?.Condition).toEqual({
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': ['token#*', 'lease#*', 'fleet#*', 'health#*', 'invite#*'],
      },
    });
    // No KMS use in the role's own policies beyond Secrets Manager's: the key policy is the grant.
    for (const statement of roleStatements(synthesized.template)) {
      const kms = [statement.Action].flat().filter((a) => /^kms:(Encrypt|Decrypt|\*)/.test(a));
      if (kms.length === 0) continue;
      expect(kms).toEqual(['kms:Decrypt']);
      expect(statement.Condition?.StringEquals).toHaveProperty('kms:ViaService');
    }
    const variables = functionVariables(synthesized.template);
    expect(variables.BOX_STATE_TABLE).toEqual({ Ref: expect.stringMatching(/^BrokerStateTable/) });
    expect(variables.BOX_STATE_KMS_KEY).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^BrokerStateKey/), 'Arn'],
    });
  });

  it('alarms on StateErrors', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StateErrors',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('docs/operations.md'),
    });
  });
});

describe('Fleet state: turned off', () => {
  it('reads fleetState from the context, as cdk.json JSON or a -c string', () => {
    const context: Record<string, unknown> = { fleetState: 'false' };
    expect(readContext((key) => context[key]).broker.fleetState).toBe(false);
    context.fleetState = true;
    expect(readContext((key) => context[key]).broker.fleetState).toBe(true);
  });

  it('creates no table, no key, no grant and no variable with fleetState=false', () => {
    const synthesized = synth({ fleetState: 'false' });
    try {
      synthesized.template.resourceCountIs('AWS::DynamoDB::Table', 0);
      synthesized.template.resourceCountIs('AWS::KMS::Key', 0);
      expect(
        roleStatements(synthesized.template).filter((s) =>
          [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
        ),
      ).toEqual([]);
      const variables = functionVariables(synthesized.template);
      expect(variables.BOX_STATE_TABLE).toBeUndefined();
      expect(variables.BOX_STATE_KMS_KEY).toBeUndefined();
      expect(
        resourcesOf(synthesized.template, 'AWS::CloudWatch::Alarm').filter(
          (alarm) => propertiesOf(alarm).MetricName === 'StateErrors',
        ),
      ).toEqual([]);
    } finally {
      synthesized.dispose();
    }
  });
});

describe('Fleet state: the operator CLI’s permissions', () => {
  it('documents exactly the statement grantTenantAdmin adds, which covers every tenant command', () => {
    // Arrange: the statement as docs/fleet-state.md shows it, and as the construct grants it.
    const doc = readFileSync(new URL('../docs/fleet-state.md', import.meta.url), 'utf8');
    const block = /## Permissions[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
    const documented = JSON.parse(block ?? '{}') as PolicyStatementJson & { Condition: Json };
    const stack = new Stack();
    const state = new BrokerFleetState(stack, 'State');
    const role = new Role(stack, 'Operator', { assumedBy: new AccountRootPrincipal() });

    // Act
    state.grantTenantAdmin(role);
    const [policy] = resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy');
    const [granted] = (propertiesOf(policy ?? {}).PolicyDocument as Json)
      .Statement as PolicyStatementJson[];

    // Assess: `tenant invite --revoke` marks an invitation spent (UpdateItem), `resume` deletes.
    expect([documented.Action].flat().sort()).toEqual([granted?.Action].flat().sort());
    expect([documented.Action].flat()).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']),
    );
    expect(documented.Condition).toEqual(granted?.Condition);
  });
});
