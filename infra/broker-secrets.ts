import { Arn, ArnFormat, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import { secretTemplate, TENANT_SECRET_TAG } from '../lambda/secret-format.js';
import type { BoxTokenBrokerProps } from './broker-props.js';
import { AWS_IDENTIFIERS, ConfigError, expectShape } from './config-checks.js';
import { checkDefaultSecretPlacement } from './default-secret-placement.js';

/** The broker's secrets as the function and its role see them. */
export interface BrokerSecrets {
  /** The default tenant's secret; undefined for a tenants-only broker. */
  // A union: under exactOptionalPropertyTypes, CDK's Secret class does not satisfy ISecret.
  readonly secret: ISecret | Secret | undefined;
  /** `BOX_CREDENTIALS_SECRET`: the ID the function reads the default secret by. */
  readonly secretId: string | undefined;
  /** `BOX_TENANT_SECRET_PREFIX`. */
  readonly tenantSecretPrefix: string | undefined;
  /** `GetSecretValue` on exactly these secrets, and `kms:Decrypt` via Secrets Manager. */
  readonly statements: readonly PolicyStatement[];
  /** The console page where the admin enters the default secret's values. */
  readonly consoleUrl: string | undefined;
}

/**
 * Resolves the default secret (the given one, a new one, or none) and the tenants' prefix into
 * the function's environment and the narrowest statements that let it read them. The created
 * secret is a child of `scope` named `Secret`, as it always was, so its logical ID never changes.
 */
export function brokerSecrets(scope: Construct, props: BoxTokenBrokerProps): BrokerSecrets {
  const stack = Stack.of(scope);
  const prefix = props.tenantSecretPrefix;
  expectShape('tenantSecretPrefix', prefix, AWS_IDENTIFIERS.tenantSecretPrefix);
  const serveDefault = props.defaultSecret ?? true;
  if (!serveDefault && props.secret !== undefined) {
    throw new ConfigError('BoxTokenBroker: set secret or defaultSecret: false, not both.');
  }
  if (!serveDefault && prefix === undefined) {
    throw new ConfigError(
      'BoxTokenBroker: defaultSecret: false needs tenantSecretPrefix; a broker without a ' +
        'default secret and without tenants has nothing to serve.',
    );
  }
  if (props.onboarding === true && prefix === undefined) {
    throw new ConfigError(
      'BoxTokenBroker: onboarding needs tenantSecretPrefix; the onboarding page stores each tenant under it.',
    );
  }
  if (props.onboarding === true && props.fleetState === false) {
    throw new ConfigError(
      'BoxTokenBroker: onboarding needs the fleet state table (invitations are stored there); drop fleetState: false.',
    );
  }
  const key = props.secretEncryptionKey ?? props.secret?.encryptionKey;
  if (
    props.secretEncryptionKey !== undefined &&
    props.secret === undefined &&
    prefix === undefined
  ) {
    throw new ConfigError(
      'BoxTokenBroker prop secretEncryptionKey applies to an imported secret or to the tenants’ ' +
        'secrets; a secret this stack creates uses the AWS managed key aws/secretsmanager.',
    );
  }

  const secret = serveDefault ? (props.secret ?? createSecret(scope)) : undefined;
  const statements: PolicyStatement[] = [];
  let region = stack.region;
  let secretId: string | undefined;
  if (secret !== undefined) {
    // A secret imported by name has no complete ARN; Secrets Manager appends a random
    // 6-character suffix to every secret ARN, so a grant on the bare name would match nothing.
    // `??????` matches exactly that suffix, nothing longer.
    const policyArn = secret.secretFullArn ?? `${secret.secretArn}-??????`;
    secretId = secret.secretFullArn ?? secret.secretName;
    // A secret created here gets a generated name without `/`: never under a prefix.
    if (prefix !== undefined && props.secret !== undefined) {
      checkDefaultSecretPlacement(scope, secret.secretName, prefix);
    }
    if (!Token.isUnresolved(secret.secretArn)) {
      region = Arn.split(secret.secretArn, ArnFormat.COLON_RESOURCE_NAME).region ?? region;
    }
    statements.push(
      new PolicyStatement({
        sid: 'ReadBoxCredentials',
        effect: Effect.ALLOW,
        // GetSecretValue also serves the AWSPREVIOUS stage; DescribeSecret is not needed.
        actions: ['secretsmanager:GetSecretValue'],
        resources: [policyArn],
      }),
    );
  }
  if (prefix !== undefined) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadTenantCredentials',
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [tenantSecretsArn(stack, prefix)],
        // Only secrets registered as tenants: CreateSecret under the prefix is not enough.
        ...(props.requireTenantTag === false ? {} : { conditions: tenantTagCondition() }),
      }),
    );
    if (props.onboarding === true) statements.push(storeOnboardedTenants(stack, prefix));
  }
  if (key !== undefined) {
    statements.push(
      new PolicyStatement({
        sid: 'DecryptBoxCredentials',
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
        },
      }),
    );
  }
  return {
    secret,
    secretId,
    tenantSecretPrefix: prefix,
    statements,
    consoleUrl:
      secret === undefined
        ? undefined
        : `https://${region}.console.aws.amazon.com/secretsmanager/secret` +
          `?name=${secret.secretName}&region=${region}`,
  };
}

/**
 * `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:<prefix>*`: every tenant's secret in the
 * stack's account and region, whatever its random suffix, and nothing outside the prefix.
 */
export function tenantSecretsArn(stack: Stack, prefix: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Onboarding (contract v1.3) stores a tenant that passed the setup check: `CreateSecret` with its
 * tags (which also needs `TagResource`), under the prefix only, and only with the tenant tag in
 * the request, so whatever the function creates is a tagged tenant. Nothing else: it cannot
 * read, change, delete or untag a secret it did not just create (GetSecretValue stays on the
 * tagged tenants' statement).
 */
export function storeOnboardedTenants(stack: Stack, prefix: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'StoreOnboardedTenants',
    effect: Effect.ALLOW,
    actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
    resources: [tenantSecretsArn(stack, prefix)],
    conditions: { Null: { [`aws:RequestTag/${TENANT_SECRET_TAG}`]: 'false' } },
  });
}

/** The tenant tag must be present on the secret (its value is the tenant ID; IAM cannot compare
 * a tag with the secret's name, so presence is what is checked). */
export function tenantTagCondition(): Record<string, Record<string, string>> {
  return { Null: { [`aws:ResourceTag/${TENANT_SECRET_TAG}`]: 'false' } };
}

/**
 * cdk-nag flags every `*` in a resource (IAM5). The tenants' grant needs exactly one: tenants are
 * onboarded by creating a secret, without a redeploy, so their names (and Secrets Manager's random
 * suffixes) are unknown at synth. The prefix bounds it to the tenants' own path.
 */
export function acknowledgeTenantWildcard(role: IConstruct, prefix: string): void {
  Validations.of(role).acknowledge({
    id:
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:' +
      `<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
    reason:
      `GetSecretValue on secret:${prefix}* in this account and region only: each tenant is one ` +
      'secret under the tenants’ prefix, created or deleted at run time to onboard or offboard a ' +
      'customer without a redeploy, so neither its name nor its random ARN suffix is known at ' +
      'synth. The prefix ends with "/" so no secret outside the tenants’ path matches. With ' +
      'onboarding on, CreateSecret and TagResource on the same path, and only with the tenant ' +
      'tag in the request: the page stores the tenant it was invited for.',
  });
}

/** The default secret with placeholder values, for the admin to fill in the console. */
function createSecret(scope: Construct): Secret {
  const secret = new Secret(scope, 'Secret', {
    description:
      'Box Platform app (Client Credentials Grant) credentials for the Box token broker. ' +
      'Replace clientId, clientSecret and enterpriseId with the values from the Box Developer Console.',
    generateSecretString: {
      secretStringTemplate: JSON.stringify(secretTemplate()),
      generateStringKey: 'clientSecret',
      excludePunctuation: true,
      passwordLength: 32,
    },
    // The value is the admin's, typed in the console: deleting the stack must not destroy it.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason:
      'A Box client secret can only be rotated in the Box Developer Console; the admin then ' +
      'pastes the new value here and the broker picks it up within its secret TTL (and at once ' +
      'when Box rejects the old one). Secrets Manager has no rotation function for Box.',
  });
  return secret;
}
