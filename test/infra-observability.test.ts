import { App, Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxTokenBroker } from '../infra/box-token-broker.js';
import { canaryInterval } from '../infra/canary.js';
import { ConfigError } from '../infra/config-checks.js';
import { LOG_FIELDS } from '../infra/log-insights.js';
import { RequestLogger } from '../lambda/trace/request-logger.js';
import { startTrace } from '../lambda/trace/request-trace.js';
import { propertiesOf, resourcesOf, type Synthesized, synth } from './infra-synth.js';

type Json = Record<string, unknown>;

const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:ops';
const SERVICE = { Name: 'service', Value: 'box-token-broker' };
const NAMESPACE = 'BoxTokenBroker';

/** The one resource of a type, by logical ID, with its properties. */
function single(template: Template, type: string): { id: string; props: Json } {
  const entries = Object.entries(template.findResources(type));
  expect(entries, type).toHaveLength(1);
  const [id, resource] = entries[0] ?? ['', {}];
  return { id, props: propertiesOf(resource as Json) };
}

function functionId(template: Template): string {
  return single(template, 'AWS::Lambda::Function').id;
}

function scheduleAliasId(template: Template): string {
  const [id] = Object.entries(template.findResources('AWS::Lambda::Alias')).find(
    ([, alias]) => propertiesOf(alias as Json).Name === 'schedule',
  ) ?? [''];
  return id;
}

/** Alarms on one metric (single-metric alarms), optionally with exactly these dimensions. */
function alarmsOn(template: Template, metricName: string, dimensions?: Json[]): Json[] {
  return resourcesOf(template, 'AWS::CloudWatch::Alarm')
    .map(propertiesOf)
    .filter(
      (props) =>
        props.MetricName === metricName &&
        (dimensions === undefined ||
          JSON.stringify(props.Dimensions) === JSON.stringify(dimensions)),
    );
}

/** One metric line of a dashboard graph. */
interface DashboardMetric {
  title: string;
  namespace?: string;
  metricName?: string;
  dimensions: Record<string, string>;
  stat?: string;
  expression?: string;
}

/**
 * The dashboard body as JSON, with every CloudFormation token (they all sit inside JSON strings)
 * replaced by "<token>".
 */
function dashboardBody(template: Template): { widgets: Json[] } {
  const body = single(template, 'AWS::CloudWatch::Dashboard').props.DashboardBody as
    | string
    | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  return JSON.parse(text) as { widgets: Json[] };
}

function dashboardMetrics(template: Template): DashboardMetric[] {
  const lines: DashboardMetric[] = [];
  for (const widget of dashboardBody(template).widgets) {
    const props = (widget.properties ?? {}) as Json;
    const title = String(props.title ?? '');
    for (const series of [
      ...((props.metrics as unknown[][] | undefined) ?? []),
      ...((props.right as unknown[][] | undefined) ?? []),
    ]) {
      const last = series[series.length - 1];
      const options = (typeof last === 'object' && last !== null ? last : {}) as Json;
      const names = series.filter((part): part is string => typeof part === 'string');
      const [namespace, metricName, ...dims] = names;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < dims.length; i += 2) dimensions[dims[i] ?? ''] = dims[i + 1] ?? '';
      lines.push({
        title,
        ...(namespace === undefined ? {} : { namespace }),
        ...(metricName === undefined ? {} : { metricName }),
        dimensions,
        ...(typeof options.stat === 'string' ? { stat: options.stat } : {}),
        ...(typeof options.expression === 'string' ? { expression: options.expression } : {}),
      });
    }
  }
  return lines;
}

describe('Construct: BoxTokenBroker observability (default context)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });
  afterAll(() => s?.dispose());

  it('schedules the canary every 5 minutes with a plain scheduled event to the schedule alias', () => {
    const rule = single(s.template, 'AWS::Events::Rule').props;
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventPattern).toBeUndefined();
    const targets = rule.Targets as Json[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ Ref: scheduleAliasId(s.template) });
    // No Input: the schedule alias is the entry; the event's shape proves nothing.
    expect(targets[0]?.Input).toBeUndefined();
    expect(targets[0]?.InputPath).toBeUndefined();
    expect(targets[0]?.InputTransformer).toBeUndefined();
  });

  it('lets EventBridge invoke the schedule alias only from the canary rule', () => {
    const ruleId = single(s.template, 'AWS::Events::Rule').id;
    const fromEvents = resourcesOf(s.template, 'AWS::Lambda::Permission')
      .map(propertiesOf)
      .filter((p) => p.Principal === 'events.amazonaws.com');
    expect(fromEvents).toHaveLength(1);
    expect(fromEvents[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: scheduleAliasId(s.template) },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    // Every invoke permission names its source: no service may invoke it from anywhere.
    for (const permission of resourcesOf(s.template, 'AWS::Lambda::Permission')) {
      expect(propertiesOf(permission).SourceArn).toBeDefined();
    }
  });

  it('does not retry a failed asynchronous (canary) invocation', () => {
    const configs = resourcesOf(s.template, 'AWS::Lambda::EventInvokeConfig').map(propertiesOf);
    const canary = configs.find((c) =>
      JSON.stringify(c.Qualifier).includes(scheduleAliasId(s.template)),
    );
    expect(canary).toMatchObject({
      FunctionName: { Ref: functionId(s.template) },
      MaximumRetryAttempts: 0,
    });
  });

  it('alarms when the canary fails or does not run for two intervals', () => {
    const [canary, ...others] = alarmsOn(s.template, 'CanarySuccess', [SERVICE]);
    expect(others).toHaveLength(0);
    expect(canary).toMatchObject({
      Namespace: NAMESPACE,
      Statistic: 'Minimum',
      Period: 300,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms when Box rejects the current secret (fallback to AWSPREVIOUS)', () => {
    const [fallback] = alarmsOn(s.template, 'SecretFallbacks', [SERVICE]);
    expect(fallback).toMatchObject({
      Namespace: NAMESPACE,
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expect(String(fallback?.AlarmDescription)).toContain('Current secret rejected by Box');
  });

  it.each([
    ['invalid_client', 3],
    ['invalid_grant', 3],
    ['unauthorized_client', 1],
  ])('alarms on Box error %s by its box_error dimension', (code, periods) => {
    const [alarm, ...others] = alarmsOn(s.template, 'BoxErrors', [
      { Name: 'box_error', Value: code },
      SERVICE,
    ]);
    expect(others).toHaveLength(0);
    expect(alarm).toMatchObject({
      Namespace: NAMESPACE,
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: periods,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on Box outages: the sum of box_unavailable, box_timeout and box_bad_response', () => {
    const outage = resourcesOf(s.template, 'AWS::CloudWatch::Alarm')
      .map(propertiesOf)
      .find((p) => Array.isArray(p.Metrics));
    const metrics = (outage?.Metrics ?? []) as Json[];
    const stats = metrics
      .map((m) => m.MetricStat as { Metric: Json; Stat: string } | undefined)
      .filter((stat) => stat !== undefined);
    expect(stats.map((stat) => stat.Metric.Dimensions)).toEqual(
      ['box_unavailable', 'box_timeout', 'box_bad_response'].map((code) => [
        { Name: 'box_error', Value: code },
        SERVICE,
      ]),
    );
    for (const stat of stats) {
      expect(stat.Metric).toMatchObject({ Namespace: NAMESPACE, MetricName: 'BoxErrors' });
      expect(stat.Stat).toBe('Sum');
    }
    const expression = metrics.find((m) => m.ReturnData === true);
    expect(expression?.Expression).toBe('FILL(e0, 0) + FILL(e1, 0) + FILL(e2, 0)');
    expect(outage).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('keeps the function and API alarms', () => {
    expect(alarmsOn(s.template, 'Errors')[0]).toMatchObject({ Namespace: 'AWS/Lambda' });
    expect(alarmsOn(s.template, 'Throttles')[0]).toMatchObject({ Namespace: 'AWS/Lambda' });
    expect(alarmsOn(s.template, '5XXError')[0]).toMatchObject({ Namespace: 'AWS/ApiGateway' });
    expect(alarmsOn(s.template, 'Latency')[0]).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
    });
  });

  it('has no access-denied alarm and no alarm actions unless asked', () => {
    expect(alarmsOn(s.template, 'AccessDenied')).toEqual([]);
    for (const alarm of resourcesOf(s.template, 'AWS::CloudWatch::Alarm')) {
      expect(propertiesOf(alarm).AlarmActions).toBeUndefined();
    }
  });

  it('builds a dashboard with the broker, API and function metrics', () => {
    const lines = dashboardMetrics(s.template);
    const broker = (metricName: string, stat: string) =>
      lines.filter(
        (line) =>
          line.namespace === NAMESPACE &&
          line.metricName === metricName &&
          line.stat === stat &&
          line.dimensions.service === 'box-token-broker',
      );
    for (const [metricName, stat] of [
      ['TokensIssued', 'Sum'],
      ['CacheHits', 'Sum'],
      ['CacheMisses', 'Sum'],
      ['BoxLatency', 'p50'],
      ['BoxLatency', 'p99'],
      ['AccessDenied', 'Sum'],
      ['SecretRereads', 'Sum'],
      ['SecretFallbacks', 'Sum'],
      ['SecretVersionAge', 'Maximum'],
      ['StaleTokensServed', 'Sum'],
      ['CanarySuccess', 'Minimum'],
    ] as const) {
      expect(broker(metricName, stat), `${metricName} ${stat}`).toHaveLength(1);
    }
    const aws = (namespace: string, metricName: string) =>
      lines.filter((line) => line.namespace === namespace && line.metricName === metricName);
    for (const metricName of ['4XXError', '5XXError', 'Latency']) {
      expect(aws('AWS/ApiGateway', metricName).length, metricName).toBeGreaterThan(0);
    }
    for (const metricName of ['Duration', 'Errors', 'Throttles', 'ConcurrentExecutions']) {
      expect(aws('AWS/Lambda', metricName).length, metricName).toBeGreaterThan(0);
    }
  });

  it('graphs Box errors of every code with a SEARCH on the box_error dimension', () => {
    const search = dashboardMetrics(s.template).find((line) =>
      line.expression?.startsWith('SEARCH('),
    );
    expect(search?.title).toBe('Box errors by code');
    expect(search?.expression).toBe(
      `SEARCH('{"BoxTokenBroker",box_error,service} MetricName="BoxErrors" ` +
        `service="box-token-broker"', 'Sum', 300)`,
    );
  });

  it('names the dashboard after the stack, the construct and the region', () => {
    expect(single(s.template, 'AWS::CloudWatch::Dashboard').props.DashboardName).toEqual({
      'Fn::Join': ['', ['BoxTokenBroker-Broker-', { Ref: 'AWS::Region' }]],
    });
  });

  it('shows issuance and errors by tenant from the function log (Logs Insights)', () => {
    const queries = dashboardBody(s.template).widgets.filter((w) => w.type === 'log');
    // The third: each tenant's last health transition (tenant health events are on by default).
    expect(queries).toHaveLength(3);
    const [issued, errors, health] = queries.map((w) => (w.properties ?? {}) as Json);
    expect(String(health?.query)).toBe(
      "SOURCE '<token>' | fields tenant\n" +
        '| filter operation = "tenant_health" and ispresent(health)\n' +
        '| stats latest(health) as state, latest(reason) as why, latest(since) as since_when by tenant\n' +
        '| sort state desc\n' +
        '| limit 100',
    );
    // The log group is a token ("<token>") in the body: the query runs on the function's log.
    expect(String(issued?.query)).toBe(
      'SOURCE \'<token>\' | fields coalesce(tenant, "default") as tenant_id\n' +
        '| filter ispresent(status)\n' +
        '| stats count(*) as requests, sum(TokensIssued) as issued, count(error) as errors by tenant_id\n' +
        '| sort errors desc\n' +
        '| limit 50',
    );
    expect(String(errors?.query)).toBe(
      'SOURCE \'<token>\' | fields coalesce(tenant, "default") as tenant_id\n' +
        '| filter ispresent(error)\n' +
        '| stats count(*) as errors by tenant_id, error, operation\n' +
        '| sort errors desc\n' +
        '| limit 50',
    );
    const body = JSON.stringify(single(s.template, 'AWS::CloudWatch::Dashboard').props);
    const logGroups = Object.keys(s.template.findResources('AWS::Logs::LogGroup'));
    const functionLogs = logGroups.find((id) => id.includes('FunctionLogs')) ?? '<none>';
    const accessLogs = logGroups.find((id) => id.includes('AccessLogs')) ?? '<none>';
    expect(body).toContain(`{"Ref":"${functionLogs}"}`);
    expect(body).not.toContain(`{"Ref":"${accessLogs}"}`);
  });

  it('shows the state of every alarm on the dashboard', () => {
    const alarmWidget = dashboardBody(s.template).widgets.find((w) => w.type === 'alarm');
    const shown = (alarmWidget?.properties as { alarms: string[] } | undefined)?.alarms ?? [];
    expect(shown).toHaveLength(resourcesOf(s.template, 'AWS::CloudWatch::Alarm').length);
  });
});

describe('Construct: BoxTokenBroker observability (topic, access-denied alarm, hourly canary)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({
      alarmTopicArn: TOPIC_ARN,
      accessDeniedAlarmThreshold: '3',
      canarySchedule: 'rate(1 hour)',
    });
  });
  afterAll(() => s?.dispose());

  it('runs the canary on the given schedule and alarms per interval', () => {
    expect(single(s.template, 'AWS::Events::Rule').props.ScheduleExpression).toBe('rate(1 hour)');
    expect(alarmsOn(s.template, 'CanarySuccess')[0]).toMatchObject({
      Period: 3600,
      EvaluationPeriods: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on access denials at the given threshold', () => {
    const [denied] = alarmsOn(s.template, 'AccessDenied', [SERVICE]);
    expect(denied).toMatchObject({
      Namespace: NAMESPACE,
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  it('sends every alarm, canary and credential alarms included, to the topic', () => {
    const alarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm').map(propertiesOf);
    expect(alarms.some((a) => a.MetricName === 'CanarySuccess')).toBe(true);
    expect(alarms.some((a) => a.MetricName === 'SecretFallbacks')).toBe(true);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([TOPIC_ARN]);
      expect(alarm.OKActions).toEqual([TOPIC_ARN]);
    }
  });
});

describe('Construct: BoxTokenBroker observability (canary and dashboard turned off)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ canaryEnabled: 'false', dashboard: false });
  });
  afterAll(() => s?.dispose());

  it('has no schedule rule and no EventBridge invoke permission', () => {
    s.template.resourceCountIs('AWS::Events::Rule', 0);
    const principals = resourcesOf(s.template, 'AWS::Lambda::Permission').map(
      (p) => propertiesOf(p).Principal,
    );
    expect(principals).not.toContain('events.amazonaws.com');
  });

  it('has no canary alarm, so no alarm breaches on missing data', () => {
    expect(alarmsOn(s.template, 'CanarySuccess')).toEqual([]);
    for (const alarm of resourcesOf(s.template, 'AWS::CloudWatch::Alarm')) {
      expect(propertiesOf(alarm).TreatMissingData).toBe('notBreaching');
    }
  });

  it('has no dashboard', () => {
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('Function: canaryInterval', () => {
  it.each([
    [Schedule.rate(Duration.minutes(1)), 60],
    [Schedule.rate(Duration.minutes(5)), 300],
    [Schedule.expression('rate(2 hours)'), 7200],
    [Schedule.rate(Duration.hours(12)), 43_200],
  ])('reads the interval of %s', (schedule, seconds) => {
    expect(canaryInterval(schedule).toSeconds()).toBe(seconds);
  });

  it.each([
    [Schedule.cron({ minute: '0/5' }), 'must be a rate expression'],
    [Schedule.rate(Duration.hours(13)), 'out of range'],
    [Schedule.rate(Duration.days(1)), 'out of range'],
    [Schedule.expression('rate(0 minutes)'), 'out of range'],
  ])('throws a ConfigError for %s', (schedule, fragment) => {
    expect(() => canaryInterval(schedule)).toThrow(ConfigError);
    expect(() => canaryInterval(schedule)).toThrow(fragment);
  });
});

describe('Construct: BoxTokenBroker observability props', () => {
  it('throws a ConfigError for a cron canary schedule, before bundling', () => {
    const stack = new Stack(new App(), 'PropsCheck');
    expect(
      () =>
        new BoxTokenBroker(stack, 'Broker', {
          monitoring: { canarySchedule: Schedule.cron({ minute: '0' }) },
        }),
    ).toThrow(/canarySchedule must be a rate expression/);
  });

  it.each([0, 2.5, -1])('throws a ConfigError for accessDeniedAlarmThreshold %s', (threshold) => {
    const stack = new Stack(new App(), 'PropsCheck');
    expect(
      () =>
        new BoxTokenBroker(stack, 'Broker', {
          monitoring: { accessDeniedAlarmThreshold: threshold },
        }),
    ).toThrow(ConfigError);
  });
});

describe('Table: LOG_FIELDS', () => {
  it('names fields the function really writes on a failed request', () => {
    // Arrange
    const lines: string[] = [];
    const logger = new RequestLogger({ namespace: 'N', service: 's', sink: (l) => lines.push(l) });
    const trace = startTrace('r1', 'api', 'POST /token', { kind: 'direct' }, 0);
    trace.operation = 'token';
    trace.status = 403;
    trace.errorCode = 'access_denied';

    // Act
    logger.write(trace);

    // Assess: tenant is contract v1.1's and not yet written; the query counts its absence as default.
    const record = JSON.parse(lines[0] ?? '{}') as Json;
    expect(record[LOG_FIELDS.status]).toBe(403);
    expect(record[LOG_FIELDS.errorCode]).toBe('access_denied');
    expect(record[LOG_FIELDS.operation]).toBe('token');
  });
});
