import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BROKER_METRIC_NAMES, type BrokerMetrics, METRIC_PERIOD } from './broker-metrics.js';
import { thresholdAlarm } from './threshold-alarm.js';

/** The alarms on the function and the API themselves: failures, throttles, 5XX, latency. */
export interface TrafficAlarms {
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly api5xx: Alarm;
  readonly apiLatencyP99: Alarm;
}

/** Adds the {@link TrafficAlarms} to `scope` (the broker's `Alarms` construct). */
export function trafficAlarms(scope: Construct, fn: IFunction, api: RestApi): TrafficAlarms {
  return {
    functionErrors: thresholdAlarm(scope, 'FunctionErrors', {
      metric: fn.metricErrors({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 5,
      description:
        'The broker function failed 5 or more times in 5 minutes (direct invocations and the ' +
        'canary included).',
    }),
    functionThrottles: thresholdAlarm(scope, 'FunctionThrottles', {
      metric: fn.metricThrottles({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 1,
      description:
        'The broker function was throttled: raise its reserved concurrency or the account limit.',
    }),
    api5xx: thresholdAlarm(scope, 'Api5xx', {
      metric: api.metricServerError({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 5,
      description: 'The broker API answered 5XX 5 or more times in 5 minutes.',
    }),
    apiLatencyP99: thresholdAlarm(scope, 'ApiLatencyP99', {
      metric: api.metricLatency({ period: METRIC_PERIOD, statistic: 'p99' }),
      // Box answers in well under a second; 5 s means retries or a slow Box for 1 in 100 calls.
      threshold: 5000,
      evaluationPeriods: 3,
      description: 'The p99 latency of the broker API stayed above 5 s for 15 minutes.',
    }),
  };
}

/**
 * The alarm on requests the access policy denied, or undefined without a `threshold`: denials
 * are the policy working, so by default they are only shown on the dashboard.
 */
export function accessDeniedAlarm(
  scope: Construct,
  metrics: BrokerMetrics,
  threshold: number | undefined,
): Alarm | undefined {
  if (threshold === undefined) return undefined;
  return thresholdAlarm(scope, 'AccessDenied', {
    metric: metrics.metric(BROKER_METRIC_NAMES.accessDenied, 'Sum'),
    threshold,
    description:
      `The access policy denied ${threshold} or more requests in 5 ` +
      'minutes: a caller asks for more than it may, or the policy is missing a rule.',
  });
}
