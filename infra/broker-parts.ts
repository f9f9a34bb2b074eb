import { Annotations, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { principalsNamed } from '../lambda/policy/access-policy.js';
import type { ApiEntryKeySecret } from './api-entry-key.js';
import { BrokerApi } from './broker-api.js';
import { aliasAsFunction, BrokerFunction } from './broker-function.js';
import type { BoxTokenBrokerProps } from './broker-props.js';
import { acknowledgeTenantWildcard, type BrokerSecrets } from './broker-secrets.js';
import type { BrokerRuntime, BrokerSettings } from './broker-settings.js';
import { unadmittedPrincipals } from './resource-policy.js';

/**
 * A log the broker keeps when the stack is deleted. Both logs belong to the broker, not to the
 * function or the API: they are the audit trail.
 */
export function addAuditLog(broker: Construct, id: string, retention: RetentionDays): LogGroup {
  return new LogGroup(broker, id, { retention, removalPolicy: RemovalPolicy.RETAIN });
}

/** What the broker's function is built from, besides the props. */
export interface FunctionInputs {
  readonly settings: BrokerSettings;
  readonly runtime: BrokerRuntime;
  readonly secrets: BrokerSecrets;
  /** The `api` entry's key, which the function reads at cold start. */
  readonly entryKey: ApiEntryKeySecret;
  readonly logGroup: LogGroup;
}

/**
 * Adds the function to `broker` as its child `Function`, with the cdk-nag acknowledgement its
 * tenant secrets need and a synth warning for each principal the shipped access policy names but
 * the API does not admit.
 */
export function addBrokerFunction(
  broker: Construct,
  props: BoxTokenBrokerProps,
  inputs: FunctionInputs,
): BrokerFunction {
  const { settings, runtime, secrets } = inputs;
  const parts = new BrokerFunction(broker, 'Function', {
    environment: runtime.environment,
    logGroup: inputs.logGroup,
    secretStatements: [...secrets.statements, inputs.entryKey.statement],
    timeout: runtime.timeout,
    accessPolicyJson: runtime.shippedPolicy?.json,
    memorySize: props.memorySize,
    reservedConcurrency: props.reservedConcurrency,
    tracing: settings.tracing,
    entry: props.entry,
  });
  if (secrets.tenantSecretPrefix !== undefined) {
    acknowledgeTenantWildcard(parts.role, secrets.tenantSecretPrefix);
  }
  if (runtime.shippedPolicy !== undefined) {
    const named = principalsNamed(runtime.shippedPolicy.policy);
    for (const finding of unadmittedPrincipals(settings.admitted, named)) {
      Annotations.of(broker).addWarningV2('box-token-broker:unadmitted-principal', finding);
    }
  }
  return parts;
}

/** Adds the REST API to `broker` as its child `Api`, in front of the function's `api` alias. */
export function addBrokerApi(
  broker: Construct,
  props: BoxTokenBrokerProps,
  inputs: {
    settings: BrokerSettings;
    functionParts: BrokerFunction;
    accessLogGroup: LogGroup;
    entryKey: ISecret | Secret;
  },
): BrokerApi {
  return new BrokerApi(broker, 'Api', {
    restApiName: `${Stack.of(broker).stackName}-${broker.node.id}`,
    handler: aliasAsFunction(inputs.functionParts.apiAlias),
    admitted: inputs.settings.admitted,
    accessLogGroup: inputs.accessLogGroup,
    tracing: inputs.settings.tracing,
    entryKey: inputs.entryKey,
    onboarding: props.onboarding,
    ...props.api,
  });
}
