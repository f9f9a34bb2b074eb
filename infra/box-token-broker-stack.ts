import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { BoxTokenBroker, type BoxTokenBrokerProps } from './box-token-broker.js';

/** Properties of {@link BoxTokenBrokerStack}. */
export interface BoxTokenBrokerStackProps extends StackProps {
  /** The broker's configuration (see {@link BoxTokenBrokerProps}). */
  readonly broker?: Omit<BoxTokenBrokerProps, 'alarmTopic'> | undefined;
  /**
   * ARN of an existing SNS topic for alarm notifications.
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string | undefined;
}

/** The deployable unit: one {@link BoxTokenBroker} and the outputs an operator needs next. */
export class BoxTokenBrokerStack extends Stack {
  public readonly broker: BoxTokenBroker;

  constructor(scope: Construct, id: string, props: BoxTokenBrokerStackProps = {}) {
    super(scope, id, props);
    const alarmTopic =
      props.alarmTopicArn === undefined
        ? undefined
        : Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    this.broker = new BoxTokenBroker(this, 'Broker', { ...props.broker, alarmTopic });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the broker API (every route needs a SigV4 signature).',
      value: this.broker.api.url,
    });
    new CfnOutput(this, 'TokenUrl', {
      description: 'POST (JSON body) or GET (query) here for a Box token.',
      value: this.broker.tokenUrl,
    });
    new CfnOutput(this, 'SecretArn', {
      description: 'The secret holding the Box app credentials.',
      value: this.broker.secret.secretArn,
    });
    new CfnOutput(this, 'SecretConsoleUrl', {
      description: 'Open this to enter clientId, clientSecret and enterpriseId (Retrieve > Edit).',
      value: this.broker.secretConsoleUrl,
    });
    new CfnOutput(this, 'FunctionName', {
      description: 'For direct invocation: aws lambda invoke --function-name ...',
      value: this.broker.function.functionName,
    });
  }
}
