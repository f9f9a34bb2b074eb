import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** What differs between the broker's "at least N in a period" alarms. */
export interface ThresholdAlarmOptions {
  readonly metric: IMetric;
  readonly threshold: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** What the alarm means for the operator and what to do (the runbook's words). */
  readonly description: string;
}

/**
 * An alarm on `metric >= threshold`. Missing data is not breaching: an idle broker emits no
 * datapoints and is healthy.
 */
export function thresholdAlarm(
  scope: Construct,
  id: string,
  options: ThresholdAlarmOptions,
): Alarm {
  return new Alarm(scope, id, {
    metric: options.metric,
    threshold: options.threshold,
    evaluationPeriods: options.evaluationPeriods ?? 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: options.description,
  });
}
