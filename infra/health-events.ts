import { Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HEALTH_DETAIL_TYPES, HEALTH_EVENT_SOURCE } from '../lambda/health/health-event.js';

/** Where the broker's tenant health events go, and who hears of them. */
export interface BrokerHealthEventsOptions {
  /**
   * Put tenant health events (`Box Tenant Unhealthy` / `Box Tenant Recovered`) on a bus.
   * `false` leaves `BOX_EVENT_BUS` unset: no events, no `events:PutEvents`.
   * @default true
   */
  readonly enabled?: boolean | undefined;
  /**
   * The bus the events go to. The function may put events on this bus only.
   * @default - the account's default event bus in the stack's region
   */
  readonly eventBus?: IEventBus | undefined;
  /**
   * An SNS topic that gets every health event through an EventBridge rule on the bus (email to
   * the on-call, say). The topic's policy must let `events.amazonaws.com` publish (CDK adds that
   * statement to a topic defined in the same app) and, when encrypted, its key must allow it.
   * @default - no rule for a topic
   */
  readonly topic?: ITopic | undefined;
  /**
   * Any further targets of the same rule (a Lambda function posting to Slack, an API
   * destination, a queue …).
   * @default - none
   */
  readonly targets?: readonly IRuleTarget[] | undefined;
}

/** What the broker's function needs to know and to be allowed, and the rule (if any). */
export class BrokerHealthEvents extends Construct {
  /** The bus the events go to. */
  public readonly eventBus: IEventBus;
  /** `BOX_EVENT_BUS`: the default bus by name, any other by ARN (which also reaches another account). */
  public readonly eventBusEnvironmentValue: string;
  /** The rule routing the events to `topic` and `targets`; undefined when there are none. */
  public readonly rule: Rule | undefined;

  constructor(scope: Construct, id: string, options: BrokerHealthEventsOptions) {
    super(scope, id);
    const given = options.eventBus;
    this.eventBus = given ?? EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.eventBusEnvironmentValue = given === undefined ? 'default' : given.eventBusArn;
    const targets: IRuleTarget[] = [...(options.targets ?? [])];
    if (options.topic !== undefined) targets.unshift(new SnsTopic(options.topic));
    this.rule =
      targets.length === 0
        ? undefined
        : new Rule(this, 'Rule', {
            description:
              'Box token broker: tenant health events (a Box connection broke or recovered).',
            eventBus: this.eventBus,
            eventPattern: {
              source: [HEALTH_EVENT_SOURCE],
              detailType: Object.values(HEALTH_DETAIL_TYPES),
              // Only this account's brokers: a shared bus may carry other accounts' events.
              account: [Stack.of(this).account],
            },
            targets,
          });
  }

  /** `events:PutEvents` on this bus only. */
  public grantPut(grantee: IGrantable): void {
    this.eventBus.grantPutEventsTo(grantee);
  }
}
