import { Duration, Token, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ConfigError } from './config-checks.js';

/** How often the canary runs unless told otherwise. */
export const DEFAULT_CANARY_SCHEDULE = Schedule.rate(Duration.minutes(5));

/**
 * The canary's alarm looks at two intervals; CloudWatch evaluates at most one day of periods.
 * Between these bounds every rate is accepted.
 */
const MIN_INTERVAL = Duration.minutes(1);
const MAX_INTERVAL = Duration.hours(12);

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/**
 * The interval of a `rate(...)` schedule. Only rates are accepted: the canary alarm's period is
 * the interval, and a cron schedule has none.
 *
 * @throws ConfigError for a cron expression or an interval outside 1 minute to 12 hours
 */
export function canaryInterval(schedule: Schedule): Duration {
  const expression = schedule.expressionString;
  const match = Token.isUnresolved(expression) ? null : RATE.exec(expression);
  if (match === null) {
    throw new ConfigError(
      `canarySchedule must be a rate expression such as rate(5 minutes), not "${expression}": ` +
        'the canary alarm evaluates one period per interval.',
    );
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? '';
  const interval = unit.startsWith('minute')
    ? Duration.minutes(amount)
    : unit.startsWith('hour')
      ? Duration.hours(amount)
      : Duration.days(amount);
  if (
    interval.toSeconds() < MIN_INTERVAL.toSeconds() ||
    interval.toSeconds() > MAX_INTERVAL.toSeconds()
  ) {
    throw new ConfigError(
      `canarySchedule ${expression} is out of range: run the canary between every minute and ` +
        'every 12 hours.',
    );
  }
  return interval;
}

export interface BrokerCanaryProps {
  /** The broker function; the canary invokes it with a plain scheduled event. */
  readonly function: IFunction;
  /** A `rate(...)` schedule. */
  readonly schedule: Schedule;
}

/**
 * An EventBridge rule that invokes the broker's `schedule` alias: the function obtains the
 * enterprise token and calls Box's `GET /2.0/users/me` with it (lambda/app.ts), emitting
 * `CanarySuccess` and throwing on failure; then it runs the setup check for the default tenant
 * and this run's slice of the registered tenants (lambda/setup/scheduled-checks.ts), emitting
 * `TenantsChecked` / `TenantsFailing`. The invoke permission is scoped to this rule.
 */
export class BrokerCanary extends Construct {
  /** The schedule rule. */
  public readonly rule: Rule;
  /** How often it runs: the period of the canary alarm. */
  public readonly interval: Duration;

  constructor(scope: Construct, id: string, props: BrokerCanaryProps) {
    super(scope, id);
    this.interval = canaryInterval(props.schedule);
    this.rule = new Rule(this, 'Schedule', {
      description:
        'Box token broker canary: obtains a token and calls Box GET /2.0/users/me with it, ' +
        'then runs the setup check for the default tenant and a slice of the tenants.',
      schedule: props.schedule,
    });
    // No custom input: the function recognises EventBridge's own "Scheduled Event". A run that
    // cannot be delivered within one interval is dropped; the next one is due by then.
    this.rule.addTarget(
      new LambdaFunction(props.function, {
        maxEventAge: Duration.seconds(Math.max(60, this.interval.toSeconds())),
        retryAttempts: 2,
      }),
    );
  }
}

/**
 * Lets the scheduled setup check list the registered tenants: `secretsmanager:ListSecrets`, which
 * supports no resource-level permission (Resource `*`). It returns names and metadata, never a
 * secret value; reading a tenant's value stays limited to `secret:<prefix>*` (GetSecretValue).
 * Granted only with a tenant prefix and a schedule: nothing else needs to list.
 */
export function grantTenantListing(role: IRole): PolicyStatement {
  const statement = new PolicyStatement({
    sid: 'ListTenantSecrets',
    effect: Effect.ALLOW,
    actions: ['secretsmanager:ListSecrets'],
    resources: ['*'],
  });
  role.addToPrincipalPolicy(statement);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'secretsmanager:ListSecrets supports no resource-level permissions (Resource must be "*"); ' +
      'the scheduled setup check lists the names under the tenant prefix to find the tenants. ' +
      'It reveals names and metadata, no secret value: GetSecretValue stays on secret:<prefix>*.',
  });
  return statement;
}
