import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  Effect,
  type IGrantable,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ENCRYPTION_CONTEXT_APP, ENCRYPTION_CONTEXT_KEYS } from '../lambda/state/token-sealer.js';

/**
 * The partition-key prefixes of the table's item families (lambda/state/ports.ts). The function's
 * grant is limited to them with `dynamodb:LeadingKeys`.
 */
export const STATE_PARTITION_PREFIXES = ['token#', 'lease#', 'fleet#', 'health#', 'invite#'];

/** What the function does with the table: single items and one-partition queries. */
const FUNCTION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
];

/**
 * What the key's account may do with it: manage it, never use it (no Encrypt/Decrypt), and never
 * hand its use to anyone: no `kms:CreateGrant` (a grant gives Decrypt without a policy change).
 */
const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * Contract v1.2 fleet state: the table every execution environment shares and the key that
 * encrypts the tokens in it (docs/fleet-state.md).
 *
 * - The table: on demand (traffic follows the function's), TTL on `ttl`, point-in-time recovery
 *   on, and retained when the stack is deleted: it holds the suspensions an operator set (and
 *   onboarding invitations), which a redeploy must not forget. Its tokens are useless without the
 *   key, and expire within the hour anyway.
 * - The key: customer-managed, rotated yearly, retained. Its policy lets the account administer it
 *   but use it for nothing; only the function's role may `Encrypt`/`Decrypt`, and only with the
 *   broker's encryption context (`app` = `box-token-broker`, no keys but `app`, `tenant`, `key`).
 *   Every `Decrypt` is in CloudTrail with the tenant it was for.
 */
export class BrokerFleetState extends Construct {
  /** The table (`BOX_STATE_TABLE`); grant on it with {@link grantTenantAdmin} or `table.grant…`. */
  public readonly table: Table;
  /** The key (`BOX_STATE_KMS_KEY`). */
  public readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key = new Key(this, 'Key', {
      description: 'Box token broker: encrypts the tokens shared through the fleet state table.',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Our own policy (no default `kms:*` for the account): see the class comment.
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AccountAdministersTheKeyButCannotUseIt',
            effect: Effect.ALLOW,
            principals: [new AccountRootPrincipal()],
            actions: KEY_ADMIN_ACTIONS,
            resources: ['*'],
          }),
        ],
      }),
    });
  }

  /** The function's `BOX_STATE_TABLE` and `BOX_STATE_KMS_KEY`. */
  public environmentNames(): { table: string; kmsKey: string } {
    return { table: this.table.tableName, kmsKey: this.key.keyArn };
  }

  /**
   * Lets the function's role use the table (its item families only) and the key (the broker's
   * encryption context only). The key grant is in the key's policy, naming the role: the role's
   * own policy holds no KMS statement, so no other key policy can be widened into it.
   */
  public grantFunction(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'FleetStateTable',
        actions: FUNCTION_TABLE_ACTIONS,
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': STATE_PARTITION_PREFIXES.map((prefix) => `${prefix}*`),
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'BrokerFunctionSealsTokens',
        effect: Effect.ALLOW,
        principals: [role],
        actions: ['kms:Encrypt', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            [`kms:EncryptionContext:${ENCRYPTION_CONTEXT_APP.name}`]: ENCRYPTION_CONTEXT_APP.value,
          },
          'ForAllValues:StringEquals': {
            'kms:EncryptionContextKeys': [...ENCRYPTION_CONTEXT_KEYS],
          },
        },
      }),
    );
  }

  /**
   * Lets an operator (the `box-token-broker tenant …` CLI) suspend, resume and list tenants,
   * invite and health: the `fleet#`, `health#` and `invite#` items, never the tokens or leases,
   * and no use of the key.
   */
  public grantTenantAdmin(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: FUNCTION_TABLE_ACTIONS,
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': ['fleet#*', 'health#*', 'invite#*'],
          },
        },
      }),
    );
  }
}
