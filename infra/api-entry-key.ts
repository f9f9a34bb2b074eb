import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { MIN_API_ENTRY_KEY_LENGTH } from '../lambda/http/api-entry-key.js';

/** Length of the generated key: letters and digits, about 285 bits. */
const API_ENTRY_KEY_LENGTH = 48;

/** The `api` entry's key: a secret generated at deploy, and the function's grant to read it. */
export interface ApiEntryKeySecret {
  readonly secret: Secret;
  /** `GetSecretValue` on this secret only. */
  readonly statement: PolicyStatement;
}

/**
 * The per-deployment key that proves an `api` event came through this broker's API (docs/api.md
 * "Entries"): Secrets Manager generates it in the account at deploy, so no template, cloud
 * assembly or repository ever holds it. The API stage gets it as a stage variable through a
 * CloudFormation dynamic reference; the function reads it from the secret at cold start.
 */
export function addApiEntryKey(scope: Construct): ApiEntryKeySecret {
  if (API_ENTRY_KEY_LENGTH < MIN_API_ENTRY_KEY_LENGTH) {
    throw new Error('the API entry key must be at least as long as the function requires');
  }
  const secret = new Secret(scope, 'ApiEntryKey', {
    description:
      'Box token broker: the key API Gateway passes to the function (stage variable ' +
      'brokerEntryKey) to prove a request came through the API. Generated; nobody types it.',
    generateSecretString: {
      passwordLength: API_ENTRY_KEY_LENGTH,
      // Stage variable values allow letters, digits and a few marks; letters and digits suffice.
      excludePunctuation: true,
      includeSpace: false,
    },
    // Generated, nobody's data: it goes with the stack, and a new stack generates a new one.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason:
      'The API entry key is resolved into the API stage at deploy time (a CloudFormation dynamic ' +
      'reference), so a rotation would not reach the stage until the next deploy and every ' +
      'request in between would be refused. docs/deploy.md describes replacing it by a deploy.',
  });
  const statement = new PolicyStatement({
    sid: 'ReadApiEntryKey',
    effect: Effect.ALLOW,
    actions: ['secretsmanager:GetSecretValue'],
    resources: [secret.secretArn],
  });
  return { secret, statement };
}
