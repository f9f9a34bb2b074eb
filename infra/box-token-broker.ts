import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Annotations,
  Arn,
  ArnFormat,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { secretTemplate } from '../lambda/broker/secret-format.js';
import { CONFIG_DEFAULTS, loadConfig } from '../lambda/config.js';
import { ROUTES } from '../lambda/contract.js';
import { MisconfiguredError } from '../lambda/errors.js';
import { principalsNamed } from '../lambda/policy/access-policy.js';
import {
  ACCESS_POLICY_RUNTIME_PATH,
  accessPolicyBundlingHooks,
  loadAccessPolicy,
} from './access-policy-asset.js';
import { BrokerAlarms } from './alarms.js';
import { AWS_IDENTIFIERS } from './aws-identifiers.js';
import { BrokerMetrics } from './broker-metrics.js';
import { BROKER_BUNDLING } from './bundling.js';
import { BrokerCanary, canaryInterval, DEFAULT_CANARY_SCHEDULE } from './canary.js';
import { ConfigError } from './config-error.js';
import { BrokerDashboard } from './dashboard.js';
import {
  type AdmittedCallers,
  apiResourcePolicy,
  unadmittedPrincipals,
} from './resource-policy.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Tuning of the function; each maps to one environment variable of lambda/config.ts. */
export interface BrokerTuning {
  /**
   * Box API origin (`BOX_API_URL`); the token URL is this origin + `/oauth2/token`.
   * @default https://api.box.com (the variable is left unset)
   */
  readonly boxApiUrl?: string | undefined;
  /**
   * Seconds a read secret value is trusted (`BOX_SECRET_TTL_SECONDS`): how long a console edit
   * takes to reach warm functions.
   * @default 300
   */
  readonly secretTtlSeconds?: number | undefined;
  /**
   * A cached token is replaced once it has less life than this (`BOX_TOKEN_REFRESH_MARGIN_SECONDS`).
   * @default 300
   */
  readonly tokenRefreshMarginSeconds?: number | undefined;
  /**
   * Timeout of one HTTP attempt to Box (`BOX_HTTP_TIMEOUT_MS`).
   * @default 4000
   */
  readonly boxHttpTimeoutMs?: number | undefined;
  /**
   * Total time one Box operation may take, retries included (`BOX_RETRY_BUDGET_MS`). The function
   * timeout is this plus 5 s.
   * @default 10000
   */
  readonly boxRetryBudgetMs?: number | undefined;
  /**
   * Attempts per Box operation, first try included (`BOX_MAX_ATTEMPTS`).
   * @default 4
   */
  readonly boxMaxAttempts?: number | undefined;
  /**
   * Bound on cached tokens per execution environment (`BOX_TOKEN_CACHE_MAX_ENTRIES`).
   * @default 1000
   */
  readonly tokenCacheMaxEntries?: number | undefined;
  /**
   * Least seconds between forced secret re-reads (on Box `invalid_client`), between re-checks of
   * a current secret Box rejected, and how long a failed read is answered from memory
   * (`BOX_SECRET_REREAD_INTERVAL_SECONDS`, 0–3600).
   * @default 10
   */
  readonly secretRereadIntervalSeconds?: number | undefined;
  /**
   * Seconds a Box configuration error (`invalid_grant`, `unauthorized_client`) is answered from
   * memory, so a misconfigured app does not hammer Box (`BOX_NEGATIVE_CACHE_SECONDS`, 0–300).
   * @default 10
   */
  readonly negativeCacheSeconds?: number | undefined;
}

/** Properties of {@link BoxTokenBroker}. Every default is the secure one. */
export interface BoxTokenBrokerProps extends BrokerTuning {
  /**
   * Complete ARN (with the random `-xxxxxx` suffix) of an existing secret holding
   * `{"clientId","clientSecret","enterpriseId"}`. Exclusive with `secretName`.
   * @default - a new secret with placeholder values, retained when the stack is deleted
   */
  readonly secretArn?: string | undefined;
  /**
   * Name of an existing secret in the stack's account and region. IAM then has to match the
   * unknown suffix (`name-??????`). Exclusive with `secretArn`.
   * @default - a new secret with placeholder values, retained when the stack is deleted
   */
  readonly secretName?: string | undefined;
  /**
   * ARN of the customer-managed KMS key that encrypts an imported secret; the function gets
   * `kms:Decrypt` on it, only via Secrets Manager. Requires `secretArn` or `secretName`.
   * @default - the secret uses the AWS managed key `aws/secretsmanager`
   */
  readonly secretKmsKeyArn?: string | undefined;
  /**
   * The access policy document (v1 format), validated at synth. Exclusive with `accessPolicyFile`.
   * @default - the function's default policy: the enterprise token for any admitted caller
   */
  readonly accessPolicy?: object | undefined;
  /**
   * Path of a JSON file holding the access policy, validated at synth and shipped in the bundle.
   * @default - the function's default policy: the enterprise token for any admitted caller
   */
  readonly accessPolicyFile?: string | undefined;
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
   * X-Ray tracing of the API stage and the function. Off by default so that the function's role
   * holds nothing but its secret and its logs (X-Ray writes cannot be scoped to a resource).
   * @default false
   */
  readonly tracing?: boolean | undefined;
  /**
   * Retention of the function's log and the API access log. These are the audit trail of who
   * obtained which token, hence a year.
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
   * Create the account-wide API Gateway CloudWatch role (`AWS::ApiGateway::Account`) and turn on
   * execution logging (ERROR). The role is one per account and region: leave this off when the
   * account already has one or when another stack manages it.
   * @default false
   */
  readonly apiGatewayCloudWatchRole?: boolean | undefined;
  /**
   * SNS topic for alarm and OK notifications of every alarm.
   * @default - alarms without actions
   */
  readonly alarmTopic?: ITopic | undefined;
  /**
   * Run the scheduled canary: an EventBridge rule invokes the function, which obtains the
   * enterprise token and calls Box `GET /2.0/users/me` with it; an alarm fires when it fails or
   * does not run.
   * @default true
   */
  readonly canaryEnabled?: boolean | undefined;
  /**
   * How often the canary runs: a `rate(...)` schedule between 1 minute and 12 hours (the canary
   * alarm's period is the interval). Each run that finds no cached token costs one Box token call.
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
  /**
   * Name of the API stage (part of every URL).
   * @default 'prod'
   */
  readonly stageName?: string | undefined;
  /**
   * The handler module to bundle.
   * @default lambda/handler.ts of this repository
   */
  readonly entry?: string | undefined;
}

/** Headroom between the Box retry budget and the function timeout (secret read, response). */
const TIMEOUT_HEADROOM_MS = 5000;
/** Measured in BENCHMARKS.md (cold start and warm latency per memory size). */
const DEFAULT_MEMORY_MB = 256;
const DEFAULT_THROTTLE_RATE = 50;
const DEFAULT_THROTTLE_BURST = 100;

/**
 * The environment of the broker function (names from lambda/config.ts). Tuning values are set
 * only when given, so the function's own defaults stay the single source of truth.
 */
export function brokerEnvironment(
  tuning: BrokerTuning,
  names: { secretId: string; serviceName: string; metricsNamespace: string },
): Record<string, string> {
  const env: Record<string, string> = {
    BOX_CREDENTIALS_SECRET: names.secretId,
    POWERTOOLS_SERVICE_NAME: names.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: names.metricsNamespace,
    // Stack traces point into the TypeScript sources instead of the minified bundle.
    NODE_OPTIONS: '--enable-source-maps',
  };
  const optional: [string, string | number | undefined][] = [
    ['BOX_API_URL', tuning.boxApiUrl],
    ['BOX_SECRET_TTL_SECONDS', tuning.secretTtlSeconds],
    ['BOX_TOKEN_REFRESH_MARGIN_SECONDS', tuning.tokenRefreshMarginSeconds],
    ['BOX_HTTP_TIMEOUT_MS', tuning.boxHttpTimeoutMs],
    ['BOX_RETRY_BUDGET_MS', tuning.boxRetryBudgetMs],
    ['BOX_MAX_ATTEMPTS', tuning.boxMaxAttempts],
    ['BOX_TOKEN_CACHE_MAX_ENTRIES', tuning.tokenCacheMaxEntries],
    ['BOX_SECRET_REREAD_INTERVAL_SECONDS', tuning.secretRereadIntervalSeconds],
    ['BOX_NEGATIVE_CACHE_SECONDS', tuning.negativeCacheSeconds],
  ];
  for (const [name, value] of optional) {
    if (value !== undefined) env[name] = String(value);
  }
  return env;
}

/**
 * A Box token broker: the credentials secret, the function that trades them for Box tokens, the
 * IAM-authorised REST API in front of it, its logs, its alarms, a scheduled canary and a dashboard.
 */
export class BoxTokenBroker extends Construct {
  /** The function behind the API; also invocable directly (`aws lambda invoke`). */
  public readonly function: NodejsFunction;
  /** The REST API. Every method requires SigV4 (`AWS_IAM`). */
  public readonly api: RestApi;
  /** The secret with the Box app credentials (a `Secret` when this construct created it). */
  public readonly secret: ISecret | Secret;
  /** The function's JSON log: one line per request, the audit trail. */
  public readonly functionLogGroup: LogGroup;
  /** The API's JSON access log. */
  public readonly accessLogGroup: LogGroup;
  /** The alarms. */
  public readonly alarms: BrokerAlarms;
  /** The scheduled canary; undefined when `canaryEnabled` is false. */
  public readonly canary: BrokerCanary | undefined;
  /** The CloudWatch dashboard; undefined when `dashboard` is false. */
  public readonly dashboard: Dashboard | undefined;
  /** URL of `POST /token` / `GET /token`. */
  public readonly tokenUrl: string;
  /** Console page where the admin enters the secret's values. */
  public readonly secretConsoleUrl: string;

  constructor(scope: Construct, id: string, props: BoxTokenBrokerProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const serviceName = props.serviceName ?? CONFIG_DEFAULTS.serviceName;
    const metricsNamespace = props.metricsNamespace ?? CONFIG_DEFAULTS.metricsNamespace;
    const retention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const tracing = props.tracing ?? false;

    // Observability props are checked before the (slower) bundling, like every other prop.
    const canaryEnabled = props.canaryEnabled ?? true;
    const canarySchedule = props.canarySchedule ?? DEFAULT_CANARY_SCHEDULE;
    if (canaryEnabled) canaryInterval(canarySchedule);
    const accessDeniedThreshold = positiveInteger(
      'accessDeniedAlarmThreshold',
      props.accessDeniedAlarmThreshold,
    );

    const secret = this.credentialsSecret(props);
    this.secret = secret.secret;
    const admitted = admittedCallers(props, stack.account);
    this.secretConsoleUrl =
      `https://${secret.region}.console.aws.amazon.com/secretsmanager/secret` +
      `?name=${secret.secret.secretName}&region=${secret.region}`;

    const environment = brokerEnvironment(props, {
      secretId: secret.secretId,
      serviceName,
      metricsNamespace,
    });
    // The same validation the function runs at cold start, so a bad value fails synth.
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(environment);
    } catch (error) {
      if (error instanceof MisconfiguredError) {
        throw new ConfigError(`BoxTokenBroker ${this.node.path}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }

    const shippedPolicy = loadAccessPolicy({
      accessPolicy: props.accessPolicy,
      accessPolicyFile: props.accessPolicyFile,
    });
    if (shippedPolicy !== undefined) {
      environment.BOX_ACCESS_POLICY_FILE = ACCESS_POLICY_RUNTIME_PATH;
    }

    this.functionLogGroup = new LogGroup(this, 'FunctionLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy may create
    // and write any log group in the account; this one writes one log group.
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Box token broker: reads one secret, writes its own log group.',
    });
    this.functionLogGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadBoxCredentials',
        effect: Effect.ALLOW,
        // GetSecretValue also serves the AWSPREVIOUS stage; DescribeSecret is not needed.
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.policyArn],
      }),
    );
    if (props.secretKmsKeyArn !== undefined) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'DecryptBoxCredentials',
          effect: Effect.ALLOW,
          actions: ['kms:Decrypt'],
          resources: [props.secretKmsKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${secret.region}.amazonaws.com` },
          },
        }),
      );
    }

    const budgetMs = config.boxRetryBudgetMs;
    this.function = new NodejsFunction(this, 'Function', {
      description: 'Box token broker: trades Box CCG credentials for tokens for IAM callers.',
      entry: props.entry ?? join(REPO_ROOT, 'lambda', 'handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // See BENCHMARKS.md: memory buys CPU, which is what cold starts and TLS to Box spend.
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      // Above the whole Box retry budget, so the broker answers 503/504 itself instead of the
      // platform killing it mid-retry.
      timeout: Duration.millis(budgetMs + TIMEOUT_HEADROOM_MS),
      role,
      logGroup: this.functionLogGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      // Only the canary invokes it asynchronously, and a retried canary is just a late one.
      retryAttempts: 0,
      bundling: {
        // One definition with the benchmarks (infra/bundling.ts): ESM with a createRequire
        // banner, minified, source maps, the AWS SDK bundled (faster cold import, pinned version).
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: BROKER_BUNDLING.target,
        mainFields: [...BROKER_BUNDLING.mainFields],
        banner: BROKER_BUNDLING.banner,
        minify: BROKER_BUNDLING.minify,
        sourceMap: BROKER_BUNDLING.sourceMap,
        sourcesContent: BROKER_BUNDLING.sourcesContent,
        externalModules: [...BROKER_BUNDLING.externalModules],
        ...(shippedPolicy === undefined
          ? {}
          : { commandHooks: accessPolicyBundlingHooks(shippedPolicy.json) }),
      },
    });

    if (shippedPolicy !== undefined) {
      for (const finding of unadmittedPrincipals(admitted, principalsNamed(shippedPolicy.policy))) {
        Annotations.of(this).addWarningV2('box-token-broker:unadmitted-principal', finding);
      }
    }

    const cloudWatchRole = props.apiGatewayCloudWatchRole ?? false;
    this.api = new RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-${id}`,
      description: 'Box token broker (IAM-authorised).',
      // Callers are AWS workloads in regions, not browsers: no CloudFront edge in between.
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      policy: apiResourcePolicy(admitted),
      cloudWatchRole,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE,
        throttlingBurstLimit: props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST,
        tracingEnabled: tracing,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        // Execution logging needs the account-wide CloudWatch role; without it the stage would
        // fail to deploy in an account that has none.
        ...(cloudWatchRole
          ? { loggingLevel: MethodLoggingLevel.ERROR, dataTraceEnabled: false }
          : {}),
      },
    });
    // The stack outputs the URL under a stable name; RestApi's own `Endpoint` output would repeat it.
    this.api.node.tryRemoveChild('Endpoint');
    this.shapeGatewayErrors();

    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new LambdaIntegration(this.function, { allowTestInvoke: false });
    const token = this.api.root.addResource(ROUTES.token.slice(1));
    const methods = [
      token.addMethod('GET', integration, { requestValidator: validator }),
      // No body model on POST /token: an empty body is a valid request there, and the function's
      // own validation names the offending field in the contract's error format.
      token.addMethod('POST', integration, { requestValidator: validator }),
      this.api.root.addResource(ROUTES.revoke.slice(1)).addMethod('POST', integration, {
        requestValidator: validator,
        requestModels: { 'application/json': this.revokeModel() },
      }),
      this.api.root
        .addResource(ROUTES.health.slice(1))
        .addMethod('GET', integration, { requestValidator: validator }),
    ];
    for (const method of methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions::AwsSolutions-COG4',
        reason:
          'Callers are AWS workloads that sign with their IAM identity (AWS_IAM on every method); ' +
          'there are no end users and hence no Cognito user pool.',
      });
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason:
        'Every method requires a SigV4 signature and the resource policy admits only configured ' +
        'principals, so anonymous traffic never reaches the integration; stage throttling bounds ' +
        'the rest. A WAF web ACL can still be associated by the operator.',
    });
    if (cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide API Gateway logging role, created only on request, uses the ' +
          'service-role policy AWS documents for it; API Gateway needs it to write execution logs ' +
          'of any API in the account and region.',
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-wide API Gateway CloudWatch role, which this stack ' +
          'creates only when apiGatewayCloudWatchRole is set; the JSON access log records every ' +
          'request with the caller ARN, account, status and latency.',
      });
    }
    if (tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; ' +
          'granted only because tracing was turned on.',
      });
    }
    this.tokenUrl = this.api.urlForPath(ROUTES.token);

    this.canary = canaryEnabled
      ? new BrokerCanary(this, 'Canary', { function: this.function, schedule: canarySchedule })
      : undefined;

    const metrics = new BrokerMetrics(metricsNamespace, serviceName);
    this.alarms = new BrokerAlarms(this, 'Alarms', {
      function: this.function,
      api: this.api,
      metrics,
      topic: props.alarmTopic,
      canaryInterval: this.canary?.interval,
      accessDeniedThreshold,
    });
    this.dashboard =
      (props.dashboard ?? true)
        ? new BrokerDashboard(this, 'Dashboard', {
            // Dashboards are per account, not per region: the region keeps two deployments of
            // one stack apart. Only letters, digits, - and _ are allowed.
            dashboardName: `${`${stack.stackName}-${id}`.replace(/[^\w-]/g, '-')}-${stack.region}`,
            function: this.function,
            api: this.api,
            metrics,
            alarms: this.alarms.all,
            canary: this.canary !== undefined,
          }).dashboard
        : undefined;
  }

  /** The created or imported secret, the ID the function reads it by, and its IAM resource. */
  private credentialsSecret(props: BoxTokenBrokerProps): {
    // A union: under exactOptionalPropertyTypes, CDK's Secret class does not satisfy ISecret.
    secret: ISecret | Secret;
    secretId: string;
    policyArn: string;
    region: string;
  } {
    const stack = Stack.of(this);
    if (props.secretArn !== undefined && props.secretName !== undefined) {
      throw new ConfigError('Set only one of secretArn and secretName.');
    }
    expectShape('secretArn', [props.secretArn], AWS_IDENTIFIERS.secretCompleteArn);
    expectShape('secretName', [props.secretName], AWS_IDENTIFIERS.secretName);
    expectShape('secretKmsKeyArn', [props.secretKmsKeyArn], AWS_IDENTIFIERS.kmsKeyArn);
    if (props.secretArn !== undefined) {
      const secret = Secret.fromSecretCompleteArn(this, 'Secret', props.secretArn);
      const region = Token.isUnresolved(props.secretArn)
        ? stack.region
        : (Arn.split(props.secretArn, ArnFormat.COLON_RESOURCE_NAME).region ?? stack.region);
      return { secret, secretId: props.secretArn, policyArn: props.secretArn, region };
    }
    if (props.secretName !== undefined) {
      const secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);
      // Secrets Manager appends a random 6-character suffix to every secret ARN; a policy on the
      // bare name would match nothing. `??????` matches exactly that suffix, nothing longer.
      const policyArn = stack.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${props.secretName}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return { secret, secretId: props.secretName, policyArn, region: stack.region };
    }
    if (props.secretKmsKeyArn !== undefined) {
      throw new ConfigError(
        'secretKmsKeyArn applies to an imported secret (secretArn or secretName); a secret this ' +
          'stack creates uses the AWS managed key aws/secretsmanager.',
      );
    }
    const secret = new Secret(this, 'Secret', {
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
    return {
      secret,
      secretId: secret.secretArn,
      policyArn: secret.secretArn,
      region: stack.region,
    };
  }

  /** Gateway-generated errors in the contract's error body, so callers parse one format. */
  private shapeGatewayErrors(): void {
    const headers = {
      'Content-Type': "'application/json'",
      'Cache-Control': "'no-store'",
    };
    // $context.error.messageString is already a quoted JSON string.
    const body = (code: string) =>
      `{"error":"${code}","error_description":$context.error.messageString,"retryable":false,"request_id":"$context.requestId"}`;
    this.api.addGatewayResponse('BadRequestBody', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: headers,
      templates: { 'application/json': body('invalid_request') },
    });
    this.api.addGatewayResponse('AccessDenied', {
      type: ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: headers,
      templates: { 'application/json': body('access_denied') },
    });
  }

  /** JSON Schema of the `POST /revoke` body. */
  private revokeModel(): Model {
    return this.api.addModel('RevokeRequest', {
      contentType: 'application/json',
      modelName: 'RevokeRequest',
      schema: {
        type: JsonSchemaType.OBJECT,
        required: ['token'],
        additionalProperties: false,
        properties: { token: { type: JsonSchemaType.STRING, minLength: 1 } },
      },
    });
  }
}

/** Who the resource policy admits: the configured callers, else the deploying account. */
function admittedCallers(props: BoxTokenBrokerProps, deployingAccount: string): AdmittedCallers {
  const accountIds = [...(props.allowedAccountIds ?? [])];
  const principalArns = [...(props.allowedPrincipalArns ?? [])];
  const organizationId = props.allowedOrganizationId;
  expectShape('allowedAccountIds', accountIds, AWS_IDENTIFIERS.accountId);
  expectShape('allowedPrincipalArns', principalArns, AWS_IDENTIFIERS.principalArn);
  expectShape('allowedOrganizationId', [organizationId], AWS_IDENTIFIERS.organizationId);
  if (accountIds.length === 0 && principalArns.length === 0 && organizationId === undefined) {
    accountIds.push(deployingAccount);
  }
  return { accountIds, principalArns, organizationId };
}

/** A count prop: undefined, or a whole number of at least 1. */
function positiveInteger(prop: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new ConfigError(`BoxTokenBroker prop ${prop}: ${value} is not a whole number >= 1.`);
  }
  return value;
}

/** Rejects a prop value of the wrong shape; tokens (deploy-time values) are let through. */
function expectShape(prop: string, values: readonly (string | undefined)[], shape: RegExp): void {
  for (const value of values) {
    if (value !== undefined && !Token.isUnresolved(value) && !shape.test(value)) {
      throw new ConfigError(`BoxTokenBroker prop ${prop}: "${value}" does not match ${shape}.`);
    }
  }
}

/** Every field a caller can be told apart by, plus what to debug a 403 or 5XX with. */
function accessLogFormat(): AccessLogFormat {
  const fields = {
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTimeEpoch',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationStatus: '$context.integrationStatus',
    userArn: '$context.identity.userArn',
    accountId: '$context.identity.accountId',
    caller: '$context.identity.caller',
    principalOrgId: '$context.identity.principalOrgId',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    xrayTraceId: '$context.xrayTraceId',
  };
  const json = JSON.stringify(fields);
  // The error message may hold quotes; messageString is its JSON-quoted form.
  return AccessLogFormat.custom(
    `${json.slice(0, -1)},"errorMessage":$context.error.messageString}`,
  );
}
