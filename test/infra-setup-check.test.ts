/**
 * The scheduled setup check in the template: the schedule that runs it (and tells the function
 * its interval), the failing-tenant alarm, and ListSecrets only when tenants are registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asArray,
  functionVariables,
  type PolicyStatementJson,
  propertiesOf,
  resourcesOf,
  type Synthesized,
  synth,
} from './infra-synth.js';

type Json = Record<string, unknown>;

function statements(s: Synthesized): PolicyStatementJson[] {
  return resourcesOf(s.template, 'AWS::IAM::Policy')
    .map(propertiesOf)
    .filter((policy) => JSON.stringify(policy.Roles).includes('BrokerFunctionRole'))
    .flatMap((policy) => (policy.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

function listSecrets(s: Synthesized): PolicyStatementJson[] {
  return statements(s).filter((st) => asArray(st.Action).includes('secretsmanager:ListSecrets'));
}

function alarm(s: Synthesized, metricName: string): Json | undefined {
  return resourcesOf(s.template, 'AWS::CloudWatch::Alarm')
    .map(propertiesOf)
    .find((props) => props.MetricName === metricName);
}

describe('Construct: BoxTokenBroker scheduled setup check (tenants, hourly schedule, topic)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({
      tenantSecretPrefix: 'box-token-broker/tenants/',
      canarySchedule: 'rate(1 hour)',
      alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:ops',
      setupChecksPerRun: 25,
    });
  });
  afterAll(() => s?.dispose());

  it('runs on the canary schedule and tells the function its interval and slice size', () => {
    const [rule] = resourcesOf(s.template, 'AWS::Events::Rule').map(propertiesOf);
    expect(rule?.ScheduleExpression).toBe('rate(1 hour)');
    expect(functionVariables(s.template)).toMatchObject({
      BOX_SETUP_CHECK_INTERVAL_SECONDS: '3600',
      BOX_SETUP_CHECKS_PER_RUN: '25',
    });
  });

  it('grants ListSecrets (Resource "*", the only way IAM allows it) and reads values only under the prefix', () => {
    const listing = listSecrets(s);
    expect(listing).toHaveLength(1);
    expect(listing[0]?.Action).toBe('secretsmanager:ListSecrets');
    expect(listing[0]?.Resource).toBe('*');
    const reads = statements(s).filter((st) =>
      asArray(st.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(reads)).toContain('secret:box-token-broker/tenants/*');
    // ListSecrets is never bundled with an action that reads values.
    for (const statement of listing) expect(asArray(statement.Action)).toHaveLength(1);
  });

  it('alarms when any tenant fails, remembering 3 hours, missing data not breaching, to the topic', () => {
    const props = alarm(s, 'TenantsFailing');
    expect(props).toMatchObject({
      Namespace: 'BoxTokenBroker',
      Dimensions: [{ Name: 'service', Value: 'box-token-broker' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(props?.AlarmActions)).toContain('arn:aws:sns:us-east-1:111122223333:ops');
    expect(JSON.stringify(props?.OKActions)).toContain('arn:aws:sns:us-east-1:111122223333:ops');
    expect(String(props?.AlarmDescription)).toContain('setup_check');
  });

  it('alarms when the tenants cannot be listed for two runs', () => {
    expect(alarm(s, 'TenantListingFailures')).toMatchObject({
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('Construct: BoxTokenBroker scheduled setup check (default context: no tenants)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });
  afterAll(() => s?.dispose());

  it('grants no ListSecrets without a tenant prefix', () => {
    expect(listSecrets(s)).toEqual([]);
    expect(JSON.stringify(statements(s))).not.toContain('ListSecrets');
  });

  it('still alarms on a failing default tenant, over 36 five-minute intervals', () => {
    expect(alarm(s, 'TenantsFailing')).toMatchObject({ Period: 300, EvaluationPeriods: 36 });
    expect(alarm(s, 'TenantListingFailures')).toBeUndefined();
    expect(functionVariables(s.template).BOX_SETUP_CHECK_INTERVAL_SECONDS).toBe('300');
  });
});

describe('Construct: BoxTokenBroker scheduled setup check (tenants, canary off)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ tenantSecretPrefix: 'box-token-broker/tenants/', canaryEnabled: false });
  });
  afterAll(() => s?.dispose());

  it('has no schedule, no setup-check alarm and no ListSecrets', () => {
    expect(resourcesOf(s.template, 'AWS::Events::Rule')).toEqual([]);
    expect(alarm(s, 'TenantsFailing')).toBeUndefined();
    expect(listSecrets(s)).toEqual([]);
    expect(functionVariables(s.template).BOX_SETUP_CHECK_INTERVAL_SECONDS).toBeUndefined();
  });
});
