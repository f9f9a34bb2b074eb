import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  BOX_OUTAGE_ERROR_CODES,
  BROKER_METRIC_NAMES,
  type BrokerMetrics,
  METRIC_PERIOD,
} from './broker-metrics.js';

export interface BrokerAlarmsProps {
  readonly function: IFunction;
  readonly api: RestApi;
  /** The broker's own metrics (namespace and `service` dimension of the function). */
  readonly metrics: BrokerMetrics;
  /**
   * Where alarm state changes go.
   * @default - no action; the alarms are visible in the CloudWatch console only
   */
  readonly topic?: ITopic | undefined;
  /**
   * The scheduled canary's interval: the canary alarm looks at periods of this length.
   * @default - no canary, no canary alarm
   */
  readonly canaryInterval?: Duration | undefined;
  /**
   * Whether tenants are registered under a prefix: adds the alarm on listing them. The
   * failing-tenant alarm comes with the canary (the default tenant is checked too).
   * @default false
   */
  readonly tenantsRegistered?: boolean | undefined;
  /**
   * Alarm when at least this many requests are denied by the access policy in 5 minutes.
   * @default - no alarm: denials are the policy working, shown on the dashboard
   */
  readonly accessDeniedThreshold?: number | undefined;
}

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
    evaluationPeriods: 1,
    description:
      'Box answered invalid_grant: wrong enterprise ID, the app is not (re-)authorised in the ' +
      'Admin Console, or a user subject the app may not act as.',
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

/**
 * How long the failing-tenant alarm remembers a failing report. A run checks one slice of the
 * tenants, so a failing tenant is reported once per pass over the slices (100 minutes for 1,000
 * tenants at the defaults); remembering 3 hours keeps the alarm in ALARM, without flapping, while
 * the tenant stays broken, for up to 1,800 tenants at the defaults.
 */
export const FAILING_TENANT_WINDOW = Duration.hours(3);

/**
 * The alarms an operator of the broker needs. Every alarm but the canary's treats missing data as
 * not breaching: an idle broker emits no datapoints and is healthy. A canary that does not report
 * is a failure.
 */
export class BrokerAlarms extends Construct {
  /** Unhandled function errors. Direct invocations that fail count too (their errors are thrown). */
  public readonly functionErrors: Alarm;
  /** Invocations refused because the function hit its concurrency limit. */
  public readonly functionThrottles: Alarm;
  /** 5XX answers from the API: Box trouble, misconfiguration or function failures. */
  public readonly api5xx: Alarm;
  /** p99 of the API's end-to-end latency. */
  public readonly apiLatencyP99: Alarm;
  /** Box down, slow or garbled after the retry budget (`box_unavailable`, `box_timeout`, `box_bad_response`). */
  public readonly boxUnavailable: Alarm;
  /** Box rejects the credentials, one alarm per OAuth error code (`box_error` dimension). */
  public readonly boxCredentialsRejected: Readonly<Record<string, Alarm>>;
  /** The current secret version is rejected by Box; the broker serves with `AWSPREVIOUS`. */
  public readonly secretFallback: Alarm;
  /** The scheduled canary failed or did not run; undefined without a canary. */
  public readonly canary: Alarm | undefined;
  /** A tenant's scheduled setup check failed; undefined without a canary. */
  public readonly tenantsFailing: Alarm | undefined;
  /** The scheduled setup check could not list the tenants; undefined without tenants or canary. */
  public readonly tenantListing: Alarm | undefined;
  /** Requests denied by the access policy; undefined unless a threshold was given. */
  public readonly accessDenied: Alarm | undefined;
  /** Every alarm above, for notifications and the dashboard. */
  public readonly all: readonly Alarm[];

  constructor(scope: Construct, id: string, props: BrokerAlarmsProps) {
    super(scope, id);
    const metrics = props.metrics;

    this.functionErrors = this.alarm('FunctionErrors', {
      metric: props.function.metricErrors({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 5,
      description:
        'The broker function failed 5 or more times in 5 minutes (direct invocations and the ' +
        'canary included).',
    });
    this.functionThrottles = this.alarm('FunctionThrottles', {
      metric: props.function.metricThrottles({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 1,
      description:
        'The broker function was throttled: raise its reserved concurrency or the account limit.',
    });
    this.api5xx = this.alarm('Api5xx', {
      metric: props.api.metricServerError({ period: METRIC_PERIOD, statistic: 'Sum' }),
      threshold: 5,
      description: 'The broker API answered 5XX 5 or more times in 5 minutes.',
    });
    this.apiLatencyP99 = this.alarm('ApiLatencyP99', {
      metric: props.api.metricLatency({ period: METRIC_PERIOD, statistic: 'p99' }),
      // Box answers in well under a second; 5 s means retries or a slow Box for 1 in 100 calls.
      threshold: 5000,
      evaluationPeriods: 3,
      description: 'The p99 latency of the broker API stayed above 5 s for 15 minutes.',
    });

    // A sum over the outage codes only: a caller asking for an item Box refuses also counts as
    // a BoxErrors datapoint (invalid_request), and that is the caller's problem, not an outage.
    const outage = Object.fromEntries(
      BOX_OUTAGE_ERROR_CODES.map((code, index) => [`e${index}`, metrics.boxErrors(code)]),
    );
    this.boxUnavailable = this.alarm('BoxUnavailable', {
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

    this.boxCredentialsRejected = Object.fromEntries(
      CREDENTIAL_ALARMS.map((spec) => [
        spec.code,
        this.alarm(spec.id, {
          metric: metrics.boxErrors(spec.code),
          threshold: 1,
          evaluationPeriods: spec.evaluationPeriods,
          description: spec.description,
        }),
      ]),
    );

    this.secretFallback = this.alarm('SecretFallback', {
      metric: metrics.metric(BROKER_METRIC_NAMES.secretFallbacks, 'Sum'),
      threshold: 1,
      description:
        'Current secret rejected by Box: the broker serves with the previous version ' +
        '(AWSPREVIOUS). Fix the value in Secrets Manager; the broker switches back by itself.',
    });

    this.canary =
      props.canaryInterval === undefined
        ? undefined
        : new Alarm(this, 'Canary', {
            metric: metrics.metric(BROKER_METRIC_NAMES.canarySuccess, 'Minimum', {
              period: props.canaryInterval,
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
            // Two intervals in a row, so one late or skipped run is not a page.
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            // A canary that does not report is a failure: the function, its schedule or its
            // permission is broken.
            treatMissingData: TreatMissingData.BREACHING,
            alarmDescription:
              'The scheduled canary failed or did not run for two intervals: a token from the ' +
              'broker did not work at Box GET /2.0/users/me. See the log lines with route "canary".',
          });

    const interval = props.canaryInterval;
    this.tenantsFailing =
      interval === undefined
        ? undefined
        : new Alarm(this, 'TenantsFailing', {
            metric: metrics.metric(BROKER_METRIC_NAMES.tenantsFailing, 'Maximum', {
              period: interval,
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            // Any report in the window: each tenant is reported only by the runs of its slice.
            evaluationPeriods: windowPeriods(interval),
            datapointsToAlarm: 1,
            // A run that did not happen found nothing; the canary alarm pages for missing runs.
            treatMissingData: TreatMissingData.NOT_BREACHING,
            alarmDescription:
              'A tenant failed its scheduled setup check in the last ' +
              `${FAILING_TENANT_WINDOW.toHours()} hours: its Box app is no longer set up as the ` +
              'broker needs (secret reset, app un-authorised, ...). The log lines with ' +
              'operation "setup_check" and outcome "fail" name the tenant, the failed step and ' +
              "Box's error; fix it as `box-token-broker tenant check ID` says.",
          });
    this.tenantListing =
      interval === undefined || props.tenantsRegistered !== true
        ? undefined
        : new Alarm(this, 'TenantListing', {
            metric: metrics.metric(BROKER_METRIC_NAMES.tenantListingFailures, 'Sum', {
              period: interval,
            }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            // Two runs in a row, so one throttled ListSecrets is not a page.
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            treatMissingData: TreatMissingData.NOT_BREACHING,
            alarmDescription:
              'The scheduled setup check could not list the tenants (ListSecrets) for two runs: ' +
              'no registered tenant is being checked. See listing_error in the log lines with ' +
              'operation "setup_check".',
          });

    this.accessDenied =
      props.accessDeniedThreshold === undefined
        ? undefined
        : this.alarm('AccessDenied', {
            metric: metrics.metric(BROKER_METRIC_NAMES.accessDenied, 'Sum'),
            threshold: props.accessDeniedThreshold,
            description:
              `The access policy denied ${props.accessDeniedThreshold} or more requests in 5 ` +
              'minutes: a caller asks for more than it may, or the policy is missing a rule.',
          });

    this.all = [
      this.functionErrors,
      this.functionThrottles,
      this.api5xx,
      this.apiLatencyP99,
      this.boxUnavailable,
      ...Object.values(this.boxCredentialsRejected),
      this.secretFallback,
      ...(this.canary === undefined ? [] : [this.canary]),
      ...(this.tenantsFailing === undefined ? [] : [this.tenantsFailing]),
      ...(this.tenantListing === undefined ? [] : [this.tenantListing]),
      ...(this.accessDenied === undefined ? [] : [this.accessDenied]),
    ];

    if (props.topic !== undefined) {
      const action = new SnsAction(props.topic);
      for (const alarm of this.all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  private alarm(
    id: string,
    options: {
      metric: IMetric;
      threshold: number;
      evaluationPeriods?: number;
      description: string;
    },
  ): Alarm {
    return new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
  }
}

/** Periods of `interval` in {@link FAILING_TENANT_WINDOW}; CloudWatch looks back one day at most. */
function windowPeriods(interval: Duration): number {
  const seconds = interval.toSeconds();
  return Math.max(
    1,
    Math.min(
      Math.ceil(FAILING_TENANT_WINDOW.toSeconds() / seconds),
      Math.floor(Duration.days(1).toSeconds() / seconds),
    ),
  );
}
