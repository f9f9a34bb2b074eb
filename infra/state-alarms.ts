import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { BROKER_METRIC_NAMES, type BrokerMetrics } from './broker-metrics.js';
import { thresholdAlarm } from './threshold-alarm.js';

/**
 * Failed state calls in three 5-minute periods running before this alarm fires: one throttled
 * burst or a cold client's slow first call is noise, a quarter hour of failures is an outage.
 */
const STATE_ERRORS_PER_PERIOD = 10;

/**
 * The alarm on `StateErrors`: the fleet state table or key is failing (throttled, denied,
 * unreachable, slow, KMS error). The broker keeps serving from memory and Box (v1.1), so this is
 * about cost and the reach of revocations, not availability (docs/operations.md runbook).
 */
export function stateErrorsAlarm(scope: Construct, metrics: BrokerMetrics): Alarm {
  return thresholdAlarm(scope, 'StateErrors', {
    metric: metrics.metric(BROKER_METRIC_NAMES.stateErrors, 'Sum'),
    threshold: STATE_ERRORS_PER_PERIOD,
    evaluationPeriods: 3,
    description:
      'Fleet state calls (DynamoDB table or KMS key) failed 10 or more times in each of 3 ' +
      '5-minute periods. The broker still serves (each environment on its own, as without fleet ' +
      'state), but Box calls rise and revocations and suspensions may reach environments late. ' +
      'See docs/operations.md "Fleet state errors".',
  });
}
