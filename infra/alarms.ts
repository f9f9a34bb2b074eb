import type { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { boxAlarms } from './box-alarms.js';
import type { BrokerMetrics } from './broker-metrics.js';
import { scheduleAlarms } from './schedule-alarms.js';
import { stateErrorsAlarm } from './state-alarms.js';
import { accessDeniedAlarm, trafficAlarms } from './traffic-alarms.js';

export { FAILING_TENANT_WINDOW } from './schedule-alarms.js';

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
  /**
   * Whether fleet state is on: adds the alarm on `StateErrors`.
   * @default false
   */
  readonly fleetState?: boolean | undefined;
}

/**
 * The alarms an operator of the broker needs, in groups: the function and the API
 * (traffic-alarms.ts), Box and the credentials (box-alarms.ts), the scheduled runs
 * (schedule-alarms.ts). Every alarm but the canary's treats missing data as not breaching: an
 * idle broker emits no datapoints and is healthy. A canary that does not report is a failure.
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
  /** The fleet state table or key failing (the broker degrades); undefined without fleet state. */
  public readonly stateErrors: Alarm | undefined;
  /** Every alarm above, for notifications and the dashboard. */
  public readonly all: readonly Alarm[];

  constructor(scope: Construct, id: string, props: BrokerAlarmsProps) {
    super(scope, id);
    // Every group adds its alarms to this construct, so their IDs (and logical IDs) stay flat.
    const traffic = trafficAlarms(this, props.function, props.api);
    this.functionErrors = traffic.functionErrors;
    this.functionThrottles = traffic.functionThrottles;
    this.api5xx = traffic.api5xx;
    this.apiLatencyP99 = traffic.apiLatencyP99;

    const box = boxAlarms(this, props.metrics);
    this.boxUnavailable = box.boxUnavailable;
    this.boxCredentialsRejected = box.boxCredentialsRejected;
    this.secretFallback = box.secretFallback;

    const schedule =
      props.canaryInterval === undefined
        ? undefined
        : scheduleAlarms(
            this,
            props.metrics,
            props.canaryInterval,
            props.tenantsRegistered === true,
          );
    this.canary = schedule?.canary;
    this.tenantsFailing = schedule?.tenantsFailing;
    this.tenantListing = schedule?.tenantListing;

    this.accessDenied = accessDeniedAlarm(this, props.metrics, props.accessDeniedThreshold);
    this.stateErrors =
      props.fleetState === true ? stateErrorsAlarm(this, props.metrics) : undefined;

    this.all = [
      this.functionErrors,
      this.functionThrottles,
      this.api5xx,
      this.apiLatencyP99,
      this.boxUnavailable,
      ...Object.values(this.boxCredentialsRejected),
      this.secretFallback,
      ...[
        this.canary,
        this.tenantsFailing,
        this.tenantListing,
        this.accessDenied,
        this.stateErrors,
      ].filter((alarm): alarm is Alarm => alarm !== undefined),
    ];
    if (props.topic !== undefined) notify(this.all, props.topic);
  }
}

/** Sends every state change of `alarms` (into ALARM and back to OK) to `topic`. */
function notify(alarms: readonly Alarm[], topic: ITopic): void {
  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
