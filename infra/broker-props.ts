import type { Schedule } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { AccessPolicyDocument } from '../lambda/policy/document.js';
import type { BrokerTuning } from './broker-environment.js';
import type { BrokerHealthEventsOptions } from './health-events.js';

export type { BrokerTuning } from './broker-environment.js';
export type { BrokerHealthEventsOptions } from './health-events.js';

/** Who may call the API, and how much. */
export interface BrokerApiOptions {
  /**
   * Accounts whose principals may call the API.
   * @default - the deploying account, unless principals or an organization are given
   */
  readonly allowedAccountIds?: readonly string[] | undefined;
  /**
   * IAM role or user ARNs (wildcards allowed) that may call the API.
   * @default - none
   */
  readonly allowedPrincipalArns?: readonly string[] | undefined;
  /**
   * AWS Organizations ID whose principals may call the API (`aws:PrincipalOrgID`).
   * @default - none
   */
  readonly allowedOrganizationId?: string | undefined;
  /**
   * Stage-wide steady-state request rate (requests per second).
   * @default 50
   */
  readonly throttleRateLimit?: number | undefined;
  /**
   * Stage-wide burst (requests).
   * @default 100
   */
  readonly throttleBurstLimit?: number | undefined;
  /**
   * Name of the API stage (part of every URL).
   * @default 'prod'
   */
  readonly stageName?: string | undefined;
  /**
   * Create the account-wide API Gateway CloudWatch role (`AWS::ApiGateway::Account`) and turn on
   * execution logging (ERROR). The role is one per account and region: leave this off when the
   * account already has one or when another stack manages it.
   * @default false
   */
  readonly apiGatewayCloudWatchRole?: boolean | undefined;
}

/** Alarms, the canary, the dashboard and the names the metrics are written under. */
export interface BrokerMonitoringOptions {
  /**
   * SNS topic for alarm and OK notifications of every alarm.
   * @default - alarms without actions
   */
  readonly alarmTopic?: ITopic | undefined;
  /**
   * Run the scheduled canary: an EventBridge rule invokes the `schedule` alias, which obtains the
   * enterprise token and calls Box `GET /2.0/users/me` with it; an alarm fires when it fails or
   * does not run.
   * @default true
   */
  readonly canaryEnabled?: boolean | undefined;
  /**
   * How often the canary runs: a `rate(...)` schedule between 1 minute and 12 hours.
   * @default Schedule.rate(Duration.minutes(5))
   */
  readonly canarySchedule?: Schedule | undefined;
  /**
   * Create the CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean | undefined;
  /**
   * Alarm when the access policy denies at least this many requests in 5 minutes.
   * @default - no alarm (denials are the policy working; the dashboard shows them)
   */
  readonly accessDeniedAlarmThreshold?: number | undefined;
  /**
   * `POWERTOOLS_SERVICE_NAME`: the `service` dimension of the broker's metrics.
   * @default 'box-token-broker'
   */
  readonly serviceName?: string | undefined;
  /**
   * `POWERTOOLS_METRICS_NAMESPACE`: the namespace of the broker's metrics.
   * @default 'BoxTokenBroker'
   */
  readonly metricsNamespace?: string | undefined;
}

/** Properties of `BoxTokenBroker`. Every default is the secure one. */
export interface BoxTokenBrokerProps {
  /**
   * The default tenant's secret, holding `{"clientId","clientSecret","enterpriseId"}`. The
   * function may read exactly this secret (`GetSecretValue` only). Import one with
   * `Secret.fromSecretCompleteArn` (grant on that ARN) or `Secret.fromSecretNameV2` (grant on
   * `NAME-??????`, the random suffix Secrets Manager appends).
   * @default - a new secret with placeholder values, retained when the stack is deleted
   */
  readonly secret?: ISecret | undefined;
  /**
   * Serve a default tenant. `false` deploys a tenants-only broker: no secret is created,
   * `BOX_CREDENTIALS_SECRET` is unset, and `tenantSecretPrefix` is required.
   * @default true
   */
  readonly defaultSecret?: boolean | undefined;
  /**
   * The customer-managed KMS key that encrypts the imported secret and the tenants' secrets; the
   * function gets `kms:Decrypt` on it, only via Secrets Manager.
   * @default - the secret's own `encryptionKey`, else the AWS managed key `aws/secretsmanager`
   */
  readonly secretEncryptionKey?: IKey | undefined;
  /**
   * Name prefix of the tenants' secrets (`BOX_TENANT_SECRET_PREFIX`), e.g.
   * `box-token-broker/tenants/`: tenant `acme` is the secret `box-token-broker/tenants/acme`.
   * Secrets Manager name characters, ending with `/`. The function may read
   * `secret:<prefix>*` in the stack's account and region, nothing wider.
   * @default - no tenants
   */
  readonly tenantSecretPrefix?: string | undefined;
  /**
   * Read a secret under `tenantSecretPrefix` only when it carries the tag
   * `box-token-broker:tenant` (which `tenant add` and the onboarding page write), so creating a
   * secret under the prefix without that tag (`CreateSecret` alone) does not make it a tenant.
   * `false` drops the condition (for tenants created untagged before this release; tag them
   * instead: docs/tenants.md).
   * @default true
   */
  readonly requireTenantTag?: boolean | undefined;
  /**
   * Contract v1.3 customer onboarding: `GET /onboard` and `POST /onboard` become public methods
   * (authorisation `NONE`, admitted by the resource policy, throttled per method), every other
   * method stays `AWS_IAM`, and the function may create and tag secrets under
   * `tenantSecretPrefix` (only those). Needs `tenantSecretPrefix`. See docs/onboarding.md.
   * @default false
   */
  readonly onboarding?: boolean | undefined;
  /**
   * The access policy document, validated at synth. Exclusive with `accessPolicyFile`.
   * @default - the function's default policy: the enterprise token for any admitted caller
   */
  readonly accessPolicy?: AccessPolicyDocument | undefined;
  /**
   * Path of a JSON file holding the access policy, validated at synth and shipped in the bundle.
   * @default - the function's default policy: the enterprise token for any admitted caller
   */
  readonly accessPolicyFile?: string | undefined;
  /** Tuning of the function (see docs/configuration.md). @default - the function's defaults */
  readonly tuning?: BrokerTuning | undefined;
  /** Who may call the API, and how much. @default - the deploying account, 50 rps */
  readonly api?: BrokerApiOptions | undefined;
  /** Alarms, canary, dashboard. @default - all on, no alarm topic */
  readonly monitoring?: BrokerMonitoringOptions | undefined;
  /**
   * Tenant health events (`BOX_EVENT_BUS`, docs/tenants.md "Health events"): the bus, and an SNS
   * topic or other targets that get them through an EventBridge rule.
   * @default - events on the account's default bus; no rule
   */
  readonly healthEvents?: BrokerHealthEventsOptions | undefined;
  /**
   * X-Ray tracing of the API stage and the function. Off by default so that the function's role
   * holds nothing but its secrets and its logs (X-Ray writes cannot be scoped to a resource).
   * @default false
   */
  readonly tracing?: boolean | undefined;
  /**
   * Retention of the function's log and the API access log: the audit trail of who obtained
   * which token, hence a year.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays | undefined;
  /**
   * Function memory in MB. See BENCHMARKS.md for the measurement behind the default.
   * @default 256
   */
  readonly memorySize?: number | undefined;
  /**
   * Reserved concurrency of the function: caps the Box calls and Secrets Manager reads it can make.
   * @default - unreserved (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number | undefined;
  /**
   * Fleet state (contract v1.2, docs/fleet-state.md): a DynamoDB table and a customer-managed KMS
   * key shared by every execution environment, so a token minted in one serves all, concurrent
   * misses cost one Box grant, and revocations and suspensions reach the whole fleet. `false`
   * leaves each environment on its own (v1.1).
   * @default true
   */
  readonly fleetState?: boolean | undefined;
  /**
   * The handler module to bundle.
   * @default lambda/handler.ts of this repository
   */
  readonly entry?: string | undefined;
}
