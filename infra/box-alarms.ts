import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import {
  BOX_OUTAGE_ERROR_CODES,
  BROKER_METRIC_NAMES,
  type BrokerMetrics,
  METRIC_PERIOD,
} from './broker-metrics.js';
import { thresholdAlarm } from './threshold-alarm.js';

/** Box's credential errors, with what each one means for the operator (the runbook's words). */
const CREDENTIAL_ALARMS = [
  {
    code: 'invalid_client',
    id: 'BoxInvalidClient',
    // During a rotation Box answers invalid_client once per warm function until the new value is
    // read; that is recovered from at once. Only a rejection that persists is worth a page.
    evaluationPeriods: 3,
    description:
      'Box kept answering invalid_client for 15 minutes: the client ID/secret in the secret is ' +
      'wrong (reset in Box but not saved in AWS?). Copy both from the Box Developer Console.',
  },
  {
    code: 'invalid_grant',
    id: 'BoxInvalidGrant',
    // Box answers a reset secret invalid_grant too (its CCG guide documents it; docs/box.md), so
    // a rotation blips here as it does under invalid_client: only a persisting one pages.
    evaluationPeriods: 3,
    description:
      'Box kept answering invalid_grant to the enterprise grant for 15 minutes: a wrong or reset ' +
      'client secret, a wrong enterprise ID, or the app is not (re-)authorised in the Admin Console.',
  },
  {
    code: 'unauthorized_client',
    id: 'BoxUnauthorizedClient',
    evaluationPeriods: 1,
    description:
      'Box answered unauthorized_client: the app is not a Client Credentials Grant app, lacks ' +
      'the access level, or is not authorised by the enterprise admin.',
  },
] as const;

/** The alarms on Box and the credentials the broker presents to it. */
export interface BoxAlarms {
  /** Box down, slow or garbled after the retry budget. */
  readonly boxUnavailable: Alarm;
  /** Box rejects the credentials, one alarm per OAuth error code. */
  readonly boxCredentialsRejected: Readonly<Record<string, Alarm>>;
  /** The current secret version is rejected by Box; the broker serves with `AWSPREVIOUS`. */
  readonly secretFallback: Alarm;
}

/** Adds the {@link BoxAlarms} to `scope` (the broker's `Alarms` construct). */
export function boxAlarms(scope: Construct, metrics: BrokerMetrics): BoxAlarms {
  // A sum over the outage codes only: a caller asking for an item Box refuses also counts as
  // a BoxErrors datapoint (invalid_request), and that is the caller's problem, not an outage.
  const outage = Object.fromEntries(
    BOX_OUTAGE_ERROR_CODES.map((code, index) => [`e${index}`, metrics.boxErrors(code)]),
  );
  const boxUnavailable = thresholdAlarm(scope, 'BoxUnavailable', {
    metric: new MathExpression({
      expression: Object.keys(outage)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics: outage,
      period: METRIC_PERIOD,
      label: 'Box outage errors',
    }),
    threshold: 5,
    description:
      'Box failed 5 or more requests in 5 minutes after the retry budget (429, 5xx, timeouts or ' +
      'malformed answers): see status.box.com. Callers get 503/504 with Retry-After, or a ' +
      'still-valid cached token.',
  });

  const boxCredentialsRejected = Object.fromEntries(
    CREDENTIAL_ALARMS.map((spec) => [
      spec.code,
      thresholdAlarm(scope, spec.id, {
        metric: metrics.boxErrors(spec.code),
        threshold: 1,
        evaluationPeriods: spec.evaluationPeriods,
        description: spec.description,
      }),
    ]),
  );

  const secretFallback = thresholdAlarm(scope, 'SecretFallback', {
    metric: metrics.metric(BROKER_METRIC_NAMES.secretFallbacks, 'Sum'),
    threshold: 1,
    description:
      'Current secret rejected by Box: the broker serves with the previous version ' +
      '(AWSPREVIOUS). Fix the value in Secrets Manager; the broker switches back by itself.',
  });

  return { boxUnavailable, boxCredentialsRejected, secretFallback };
}
