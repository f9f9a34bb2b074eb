/**
 * The declaration of every environment variable of the function (read by lambda/config.ts only;
 * infra and docs derive from it). Data, no process.env.
 */
/** How a variable's text is parsed. */
export type ConfigVariableKind =
  | 'integer'
  | 'origin'
  | 'secret-prefix'
  | 'tenant-list'
  | 'table-name'
  | 'kms-key'
  | 'text';

/**
 * How a deployment sets a variable: a `tuning` entry is the construct prop `tuning.<name>` and
 * the CDK context key `<name>`; any other variable is derived by the construct from `props` (and
 * from the listed context keys); empty lists = the construct never sets it, unless `always` says
 * the construct sets it in every deployment (from resources it creates itself).
 */
export type ConfigVariableDeploy =
  | { readonly tuning: string }
  | {
      readonly props: readonly string[];
      readonly contextKeys: readonly string[];
      readonly always?: true;
    };

/** One environment variable of the function: its type, bounds, default and meaning. */
export interface ConfigVariable {
  readonly kind: ConfigVariableKind;
  /** Applies when the variable is unset or blank; absent = no default. */
  readonly default?: number | string;
  /** Inclusive bounds of an `integer`. */
  readonly min?: number;
  readonly max?: number;
  /** Unit of an `integer`. */
  readonly unit?: 'seconds' | 'milliseconds' | 'entries' | 'attempts' | 'tenants';
  /** One sentence for docs/configuration.md. */
  readonly doc: string;
  readonly deploy: ConfigVariableDeploy;
}

/** API Gateway cuts a request at 29 s; the whole Box budget must end well before. */
const MAX_RETRY_BUDGET_MS = 25_000;

/**
 * Every environment variable the function reads, declared once. loadConfig parses with it, the
 * construct builds the function's environment and the CDK context keys from it
 * (infra/broker-environment.ts, infra/context.ts), and docs/configuration.md is generated from it
 * (`npm run docs:config`); test/config-table.test.ts checks that they agree.
 */
export const CONFIG_VARIABLES = {
  BOX_CREDENTIALS_SECRET: {
    kind: 'text',
    doc: 'ARN or name of the default tenant’s secret. At least one of this and BOX_TENANT_SECRET_PREFIX must be set.',
    deploy: {
      props: ['secret', 'defaultSecret'],
      contextKeys: ['secretArn', 'secretName', 'defaultSecret'],
    },
  },
  BOX_TENANT_SECRET_PREFIX: {
    kind: 'secret-prefix',
    doc: 'Name prefix of the tenants’ secrets: tenant `acme` is the secret `<prefix>acme`. Secrets Manager name characters, ending with `/`.',
    deploy: { props: ['tenantSecretPrefix'], contextKeys: ['tenantSecretPrefix'] },
  },
  BOX_TENANT_CACHE_MAX_ENTRIES: {
    kind: 'integer',
    default: 1000,
    min: 1,
    max: 100_000,
    unit: 'entries',
    doc: 'Bound on tenants held per execution environment (their credentials and rotation state; least recently used go first). Their tokens share the one BOX_TOKEN_CACHE_MAX_ENTRIES cache.',
    deploy: { tuning: 'tenantCacheMaxEntries' },
  },
  BOX_TENANT_NOT_FOUND_SECONDS: {
    kind: 'integer',
    default: 30,
    min: 0,
    max: 3600,
    unit: 'seconds',
    doc: 'How long a tenant without a secret is answered `404 tenant_not_found` from memory (so a typo cannot hammer Secrets Manager); a tenant added meanwhile is served after at most this long.',
    deploy: { tuning: 'tenantNotFoundSeconds' },
  },
  BOX_API_URL: {
    kind: 'origin',
    default: 'https://api.box.com',
    doc: 'Box API origin; the token URL is origin + `/oauth2/token`. `http` only for a loopback host.',
    deploy: { tuning: 'boxApiUrl' },
  },
  BOX_SECRET_TTL_SECONDS: {
    kind: 'integer',
    default: 300,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    doc: 'How long a read secret value is used before it is read again.',
    deploy: { tuning: 'secretTtlSeconds' },
  },
  BOX_SECRET_REREAD_INTERVAL_SECONDS: {
    kind: 'integer',
    default: 10,
    min: 0,
    max: 3600,
    unit: 'seconds',
    doc: 'Least time between forced re-reads (on Box `invalid_client` or `invalid_grant` to the enterprise grant) and between re-checks of a rejected current secret; how long a failed read is answered from memory.',
    deploy: { tuning: 'secretRereadIntervalSeconds' },
  },
  BOX_TOKEN_REFRESH_MARGIN_SECONDS: {
    kind: 'integer',
    default: 300,
    min: 0,
    // Box tokens live about an hour; a margin near that would refresh on every request.
    max: 1800,
    unit: 'seconds',
    doc: 'A cached token with less life than this is refreshed.',
    deploy: { tuning: 'tokenRefreshMarginSeconds' },
  },
  BOX_TOKEN_CACHE_MAX_ENTRIES: {
    kind: 'integer',
    default: 1000,
    min: 1,
    max: 1_000_000,
    unit: 'entries',
    doc: 'Bound on cached tokens per execution environment (least recently used go first).',
    deploy: { tuning: 'tokenCacheMaxEntries' },
  },
  BOX_HTTP_TIMEOUT_MS: {
    kind: 'integer',
    default: 4000,
    min: 100,
    max: MAX_RETRY_BUDGET_MS,
    unit: 'milliseconds',
    doc: 'Timeout of one HTTP attempt to Box (the request’s deadline may cut it shorter).',
    deploy: { tuning: 'boxHttpTimeoutMs' },
  },
  BOX_RETRY_BUDGET_MS: {
    kind: 'integer',
    default: 10_000,
    min: 100,
    max: MAX_RETRY_BUDGET_MS,
    unit: 'milliseconds',
    doc: 'The whole request’s deadline for upstream work: every Box call it makes (grant, then exchange; a retry after a re-read), their retries and waits, and its Secrets Manager reads share it; cut to the function’s remaining time minus 500 ms when that is less. At least BOX_HTTP_TIMEOUT_MS (the default grows to it), at most 25000 (under API Gateway’s 29 s). The function timeout is this + 5 s. Despite its name it bounds the whole request, so a Secrets Manager read that outlasts it also answers 504 `box_timeout`.',
    deploy: { tuning: 'boxRetryBudgetMs' },
  },
  BOX_MAX_ATTEMPTS: {
    kind: 'integer',
    default: 4,
    min: 1,
    max: 10,
    unit: 'attempts',
    doc: 'Attempts per Box call, first try included (the deadline may allow fewer).',
    deploy: { tuning: 'boxMaxAttempts' },
  },
  BOX_NEGATIVE_CACHE_SECONDS: {
    kind: 'integer',
    default: 10,
    min: 0,
    max: 300,
    unit: 'seconds',
    doc: 'How long a Box configuration error (`invalid_grant`, `unauthorized_client`) is answered from memory.',
    deploy: { tuning: 'negativeCacheSeconds' },
  },
  BOX_SETUP_CHECKS_PER_RUN: {
    kind: 'integer',
    default: 50,
    min: 1,
    max: 500,
    unit: 'tenants',
    doc: 'Registered tenants one scheduled setup check run checks (the default tenant comes on top). Runs walk the tenants in slices of this size: every tenant is checked every ceil(tenants / this) schedule intervals, so once a day up to this × runs per day (14,400 at the defaults).',
    deploy: { tuning: 'setupChecksPerRun' },
  },
  BOX_SETUP_CHECK_CONCURRENCY: {
    kind: 'integer',
    default: 4,
    min: 1,
    max: 16,
    unit: 'tenants',
    doc: 'Setup checks a scheduled run has in flight at once.',
    deploy: { tuning: 'setupCheckConcurrency' },
  },
  BOX_SETUP_CHECK_INTERVAL_SECONDS: {
    kind: 'integer',
    default: 300,
    min: 60,
    max: 43_200,
    unit: 'seconds',
    doc: 'The interval of the schedule that invokes the `schedule` alias: scheduled setup check runs choose their slice of the tenants from the time and this. The construct sets it from the canary schedule.',
    deploy: { props: ['monitoring.canarySchedule'], contextKeys: ['canarySchedule'] },
  },
  BOX_BACKOFF_WINDOW_MS: {
    kind: 'integer',
    default: 5000,
    min: 0,
    max: 60_000,
    unit: 'milliseconds',
    doc: 'After Box was unavailable or timed out for a token, how long that token is served from the still-valid cached one or refused fast (503) without asking Box again; 0 = off.',
    deploy: { tuning: 'backoffWindowMs' },
  },
  BOX_ACCESS_POLICY: {
    kind: 'text',
    doc: 'The access policy, inline JSON (exclusive with BOX_ACCESS_POLICY_FILE; neither = the default policy). The construct never sets it: Lambda’s environment is capped at 4 KB.',
    deploy: { props: [], contextKeys: [] },
  },
  BOX_ACCESS_POLICY_FILE: {
    kind: 'text',
    doc: 'Path of the access policy file; the construct ships the policy in the bundle and sets this.',
    deploy: { props: ['accessPolicy', 'accessPolicyFile'], contextKeys: ['accessPolicyFile'] },
  },
  POWERTOOLS_SERVICE_NAME: {
    kind: 'text',
    default: 'box-token-broker',
    doc: '`service` log field and metric dimension.',
    deploy: { props: ['monitoring.serviceName'], contextKeys: [] },
  },
  POWERTOOLS_METRICS_NAMESPACE: {
    kind: 'text',
    default: 'BoxTokenBroker',
    doc: 'CloudWatch namespace of the metrics.',
    deploy: { props: ['monitoring.metricsNamespace'], contextKeys: [] },
  },
  BOX_API_ENTRY_SECRET: {
    kind: 'text',
    doc: 'ARN or name of the secret holding the API entry key: an `api` event is trusted only when its `brokerEntryKey` stage variable equals it (docs/api.md “Entries”). Unset = the `api` alias is trusted on its resource policy alone (v1.1). The construct creates the secret and the stage variable.',
    deploy: { props: [], contextKeys: [], always: true },
  },
  BOX_METRICS_TENANT_ALLOWLIST: {
    kind: 'tenant-list',
    doc: 'Comma-separated tenant IDs (at most 20; `default` allowed) whose TokensIssued and BoxErrors are also emitted with a `tenant` dimension. Empty = no per-tenant metrics (per-tenant views come from the logs).',
    deploy: { tuning: 'metricsTenantAllowlist' },
  },
  BOX_FORCED_REFRESH_SECONDS: {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 300,
    unit: 'seconds',
    doc: 'Work a caller can force is bounded: `dead_token_sha256` and `min_ttl` make at most one Box grant per token key per this window. Inside it, a request the current token cannot serve gets `503 box_unavailable` (retryable, with `Retry-After`), never the dead token; an impossible `min_ttl` is answered `400` from the lifetime Box last granted.',
    deploy: { tuning: 'forcedRefreshSeconds' },
  },
  BOX_EVENT_BUS: {
    kind: 'text',
    doc: 'Name or ARN of the EventBridge bus that gets the tenant health events (`Box Tenant Unhealthy` / `Box Tenant Recovered`, source `box-token-broker`; docs/tenants.md “Health events”). Unset = no events. The construct sets it to the account’s default bus unless `healthEvents.eventBus` names another, and grants `events:PutEvents` on that bus only.',
    deploy: { props: ['healthEvents.eventBus'], contextKeys: [], always: true },
  },
  BOX_STATE_TABLE: {
    kind: 'table-name',
    doc: 'Fleet state (contract v1.2): name or ARN of the DynamoDB table (keys `pk`/`sk`, TTL attribute `ttl`) that every execution environment shares for encrypted tokens, single-flight leases, revocations, dead tokens and suspensions (docs/fleet-state.md). Needs BOX_STATE_KMS_KEY. Unset = each environment on its own (v1.1). The construct creates the table unless context `fleetState` is false.',
    deploy: { props: ['fleetState'], contextKeys: ['fleetState'] },
  },
  BOX_STATE_KMS_KEY: {
    kind: 'kms-key',
    doc: 'Fleet state: ID, ARN or alias of the customer-managed KMS key that encrypts the shared tokens (with an encryption context binding each to its tenant and cache key). Required with BOX_STATE_TABLE, ignored without it. The construct creates the key.',
    deploy: { props: ['fleetState'], contextKeys: ['fleetState'] },
  },
  BOX_STATE_SYNC_SECONDS: {
    kind: 'integer',
    default: 5,
    min: 1,
    max: 60,
    unit: 'seconds',
    doc: 'Fleet state: how stale an environment’s view of revocations, dead tokens and suspensions may be. After this long no environment serves a revoked or dead token or a suspended tenant; an environment reads them from the table at most once per this interval, never on every request. With health events, also how long an environment trusts a tenant it read healthy (a Box grant then skips the health read).',
    deploy: { tuning: 'stateSyncSeconds' },
  },
} as const satisfies Record<string, ConfigVariable>;

/** The name of an environment variable the function reads. */
export type ConfigVariableName = keyof typeof CONFIG_VARIABLES;

/**
 * Secrets Manager name characters, ending with `/`, short enough to leave room for a 64-character
 * tenant ID in a 512-character name. The trailing `/` keeps the IAM grant `<prefix>*` inside one
 * path: without it `box-` would also match `box-ccg`, any secret that merely starts alike.
 */
export const TENANT_SECRET_PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-][A-Za-z0-9_+=.@/-]{0,446}\/$/;

/**
 * An EventBridge bus name (letters, digits and `._-/`, at most 256) or its ARN. A partner bus
 * name (`aws.partner/…`) is a name too; the broker puts events on it only if allowed to.
 */
export const EVENT_BUS_PATTERN =
  /^(?:arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[A-Za-z0-9._\-/]{1,256}$/;

/** Most tenants BOX_METRICS_TENANT_ALLOWLIST may name: each adds custom metrics to the bill. */
export const MAX_METRICS_TENANTS = 20;

/** A DynamoDB table name (3–255 of `[A-Za-z0-9_.-]`) or a table ARN. */
export const STATE_TABLE_PATTERN =
  /^(?:[A-Za-z0-9_.-]{3,255}|arn:[a-z-]+:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

/** A KMS key ID, key ARN, alias name or alias ARN (what `KeyId` accepts). */
export const STATE_KMS_KEY_PATTERN =
  /^(?:[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250}|arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:(?:key\/[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250}))$/;
