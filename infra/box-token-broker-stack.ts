import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { BoxTokenBroker } from './box-token-broker.js';
import { AWS_IDENTIFIERS, ConfigError, expectShape } from './config-checks.js';
import type { ContextBrokerProps, SecretImport } from './context.js';

/** Properties of {@link BoxTokenBrokerStack}: what context can say, as plain values. */
export interface BoxTokenBrokerStackProps extends StackProps {
  /** The broker's configuration (see `BoxTokenBrokerProps`), without the CDK objects. */
  readonly broker?: ContextBrokerProps | undefined;
  /**
   * The existing default secret (by complete ARN or by name) and its customer-managed key.
   * @default - the construct creates the secret
   */
  readonly secretImport?: SecretImport | undefined;
  /**
   * ARN of an existing SNS topic for alarm notifications.
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string | undefined;
  /**
   * ARN of the EventBridge bus for tenant health events.
   * @default - the account's default bus
   */
  readonly healthEventBusArn?: string | undefined;
  /**
   * ARN of an SNS topic that gets the tenant health events through an EventBridge rule.
   * @default - no rule
   */
  readonly healthEventTopicArn?: string | undefined;
}

/**
 * The deployable unit: turns ARNs and names into CDK objects (`ISecret`, `IKey`, `ITopic`), adds
 * one {@link BoxTokenBroker} and the outputs an operator needs next.
 */
export class BoxTokenBrokerStack extends Stack {
  public readonly broker: BoxTokenBroker;

  constructor(scope: Construct, id: string, props: BoxTokenBrokerStackProps = {}) {
    super(scope, id, props);
    const imported = props.secretImport ?? {};
    const alarmTopic =
      props.alarmTopicArn === undefined
        ? undefined
        : Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    const broker = props.broker ?? {};
    const eventBus =
      props.healthEventBusArn === undefined
        ? undefined
        : EventBus.fromEventBusArn(this, 'HealthEventBus', props.healthEventBusArn);
    const topic =
      props.healthEventTopicArn === undefined
        ? undefined
        : Topic.fromTopicArn(this, 'HealthEventTopic', props.healthEventTopicArn);
    this.broker = new BoxTokenBroker(this, 'Broker', {
      ...broker,
      ...this.secretProps(imported),
      monitoring: { ...broker.monitoring, alarmTopic },
      healthEvents: { ...broker.healthEvents, eventBus, topic },
    });
    const rule = this.broker.healthEvents?.rule;
    if (rule !== undefined && topic !== undefined) {
      // An environment-agnostic stack cannot compare its region with the topic's ARN; the
      // docs (deploy.md, healthEventTopicArn) say the topic must be in the stack's region.
      Annotations.of(rule).acknowledgeWarning(
        '@aws-cdk/aws-events:ruleUnresolvedEnvironment',
        'healthEventTopicArn names a topic in the region and account the stack deploys to.',
      );
    }

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the broker API (every route needs a SigV4 signature).',
      value: this.broker.api.url,
    });
    new CfnOutput(this, 'TokenUrl', {
      description: 'POST (JSON body) or GET (query) here for a Box token.',
      value: this.broker.tokenUrl,
    });
    if (this.broker.secret !== undefined) {
      new CfnOutput(this, 'SecretArn', {
        description: 'The secret holding the default tenant’s Box app credentials.',
        value: this.broker.secret.secretArn,
      });
    }
    if (this.broker.secretConsoleUrl !== undefined) {
      new CfnOutput(this, 'SecretConsoleUrl', {
        description:
          'Open this to enter clientId, clientSecret and enterpriseId (Retrieve > Edit).',
        value: this.broker.secretConsoleUrl,
      });
    }
    new CfnOutput(this, 'FunctionName', {
      description: 'The broker function; direct callers invoke its "direct" alias.',
      value: this.broker.function.functionName,
    });
    new CfnOutput(this, 'DirectInvokeArn', {
      description: 'For direct invocation: aws lambda invoke --function-name <this ARN> ...',
      value: this.broker.directEntry.functionArn,
    });
    if (this.broker.fleetState !== undefined) {
      new CfnOutput(this, 'StateTableName', {
        description:
          'Fleet state table: export as BOX_STATE_TABLE for `box-token-broker tenant suspend|resume|list`.',
        value: this.broker.fleetState.table.tableName,
      });
    }
  }

  /** The imported default secret and key as CDK objects; nothing when the construct creates it. */
  private secretProps(imported: SecretImport): {
    secret?: ReturnType<typeof Secret.fromSecretCompleteArn>;
    secretEncryptionKey?: ReturnType<typeof Key.fromKeyArn>;
  } {
    if (imported.secretArn !== undefined && imported.secretName !== undefined) {
      throw new ConfigError('Set only one of secretArn and secretName.');
    }
    expectShape('secretArn', imported.secretArn, AWS_IDENTIFIERS.secretCompleteArn);
    expectShape('secretName', imported.secretName, AWS_IDENTIFIERS.secretName);
    expectShape('secretKmsKeyArn', imported.secretKmsKeyArn, AWS_IDENTIFIERS.kmsKeyArn);
    const secret =
      imported.secretArn !== undefined
        ? Secret.fromSecretCompleteArn(this, 'ImportedSecret', imported.secretArn)
        : imported.secretName !== undefined
          ? Secret.fromSecretNameV2(this, 'ImportedSecret', imported.secretName)
          : undefined;
    const key =
      imported.secretKmsKeyArn === undefined
        ? undefined
        : Key.fromKeyArn(this, 'SecretKey', imported.secretKmsKeyArn);
    return {
      ...(secret === undefined ? {} : { secret }),
      ...(key === undefined ? {} : { secretEncryptionKey: key }),
    };
  }
}
