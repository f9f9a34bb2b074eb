import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, Validations } from 'aws-cdk-lib';
import {
  type Grant,
  type IGrantable,
  type PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import {
  type Alias,
  ApplicationLogLevel,
  Architecture,
  type IFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accessPolicyBundlingHooks } from './access-policy-asset.js';
import { BROKER_BUNDLING } from './bundling.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The alias names of the function's entries. The handler tells where an event came from by the
 * qualifier of `context.invokedFunctionArn` (contract v1.1, "Entries"): `:api` is API Gateway,
 * `:schedule` the canary, anything else (this `direct` alias, the unqualified function, a
 * version) a direct invocation, whatever the event looks like.
 */
export const ENTRY_ALIASES = { api: 'api', schedule: 'schedule', direct: 'direct' } as const;

/** Measured in BENCHMARKS.md (cold start and warm latency per memory size). */
const DEFAULT_MEMORY_MB = 256;

export interface BrokerFunctionProps {
  readonly environment: Record<string, string>;
  /** The function's JSON log group (owned by the broker: the audit trail outlives the function). */
  readonly logGroup: LogGroup;
  /** What the function may read: its secrets and their key. */
  readonly secretStatements: readonly PolicyStatement[];
  /** Above the whole Box retry budget, so the broker answers 503/504 itself. */
  readonly timeout: Duration;
  /** The access policy to ship inside the bundle (minified JSON). */
  readonly accessPolicyJson?: string | undefined;
  readonly memorySize?: number | undefined;
  readonly reservedConcurrency?: number | undefined;
  readonly tracing: boolean;
  readonly entry?: string | undefined;
}

/**
 * The broker function, its role, and one alias per entry (`api`, `schedule`, `direct`) on the
 * current version. All three aliases point at the same version, so they share its warm execution
 * environments and with them the token cache; each alias's resource policy admits only its own
 * source (API Gateway, the canary rule, the principals granted with {@link grantInvoke}).
 */
export class BrokerFunction extends Construct {
  /** The function (`$LATEST`); invoke it through an alias. */
  public readonly function: NodejsFunction;
  /** The function's role: its log group and its secrets, nothing else. */
  public readonly role: Role;
  /** API Gateway's entry: only `apigateway.amazonaws.com` from this API may invoke it. */
  public readonly apiAlias: Alias;
  /** The canary's entry: only `events.amazonaws.com` from the canary rule may invoke it. */
  public readonly scheduleAlias: Alias;
  /** The direct callers' entry: whoever {@link grantInvoke} names. */
  public readonly directAlias: Alias;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);
    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy may create
    // and write any log group in the account; this one writes one log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Box token broker: reads its secrets, writes its own log group.',
    });
    props.logGroup.grantWrite(this.role);
    for (const statement of props.secretStatements) this.role.addToPrincipalPolicy(statement);
    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; ' +
          'granted only because tracing was turned on.',
      });
    }

    // `Default` keeps the logical ID of the function it replaces (Broker/Function), so an
    // upgrade updates the function in place instead of creating a new one.
    this.function = new NodejsFunction(this, 'Default', {
      description: 'Box token broker: trades Box CCG credentials for tokens for IAM callers.',
      entry: props.entry ?? join(REPO_ROOT, 'lambda', 'handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // See BENCHMARKS.md: memory buys CPU, which is what cold starts and TLS to Box spend.
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout,
      role: this.role,
      logGroup: props.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: props.environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      // Asynchronous invocations (the canary, a direct `--invocation-type Event`) are not
      // retried: a retried canary is just a late one.
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
        ...(props.accessPolicyJson === undefined
          ? {}
          : { commandHooks: accessPolicyBundlingHooks(props.accessPolicyJson) }),
      },
    });

    // addAlias publishes the current version (a new one whenever code or configuration change)
    // and points the alias at it. Async retry settings are per qualifier: the function's own
    // apply to $LATEST only, so the schedule and direct aliases repeat them.
    this.apiAlias = this.function.addAlias(ENTRY_ALIASES.api);
    this.scheduleAlias = this.function.addAlias(ENTRY_ALIASES.schedule, { retryAttempts: 0 });
    this.directAlias = this.function.addAlias(ENTRY_ALIASES.direct, { retryAttempts: 0 });
  }

  /**
   * Lets `grantee` invoke the direct entry: `lambda:InvokeFunction` on the `direct` alias's ARN
   * only (never `:*`, never the `api` or `schedule` alias, whose callers the handler trusts to be
   * API Gateway and the canary).
   */
  public grantInvoke(grantee: IGrantable): Grant {
    return this.directAlias.grantInvoke(grantee);
  }
}

/**
 * An alias where CDK's APIs ask for an `IFunction`. `Alias` implements it, but declares `role` as
 * `IRole | undefined`, which `exactOptionalPropertyTypes` does not equate with an optional `role`.
 */
export function aliasAsFunction(alias: Alias): IFunction {
  return alias as IFunction;
}
