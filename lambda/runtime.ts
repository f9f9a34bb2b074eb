import { readFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BoxOAuthClient } from './box/oauth-client.js';
import { BoxUserProbe } from './box/user-probe.js';
import { Broker } from './broker/broker.js';
import { CredentialSelector } from './broker/credential-selection.js';
import { type CredentialsSource, SecretsManagerCredentials } from './broker/credentials.js';
import { NegativeCache } from './broker/negative-cache.js';
import type { BoxTokenApi } from './broker/ports.js';
import { RefreshBackoff } from './broker/refresh-backoff.js';
import { TenantRegistry, type TenantUnits } from './broker/tenant-registry.js';
import { TokenCache } from './broker/token-cache.js';
import { type IssuedToken, TokenMinter } from './broker/token-minter.js';
import { TokenSupply } from './broker/token-supply.js';
import { type AccessPolicySource, type BrokerConfig, loadConfig } from './config.js';
import { BrokerError, MisconfiguredError, TenantNotFoundError } from './errors.js';
import {
  type CompiledPolicy,
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  PolicyValidationError,
  parsePolicyJson,
} from './policy/access-policy.js';
import { ScheduledSetupChecks } from './setup/scheduled-checks.js';

/** What a deployment may swap out: tests and the local server inject fakes here. */
export interface RuntimeOverrides {
  /** The default tenant's credentials (instead of BOX_CREDENTIALS_SECRET in Secrets Manager). */
  credentials?: CredentialsSource;
  /**
   * Named tenants' credentials (instead of `<BOX_TENANT_SECRET_PREFIX><tenant>` in Secrets
   * Manager): undefined = no such tenant. Local mode serves its simulated tenants with this.
   */
  tenantCredentials?: (tenant: string) => CredentialsSource | undefined;
  secretsManager?: SecretsManagerClient;
  box?: BoxTokenApi;
  fetch?: typeof fetch;
  /** Waits between Box retries (tests skip the real wait); rejects when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Overrides BOX_BACKOFF_WINDOW_MS (tests). */
  backoffWindowMs?: number;
}

/** The units that serve one secret: one set per tenant. */
export interface SupplyOptions {
  credentials: CredentialsSource;
  box: BoxTokenApi;
  tokenCacheMaxEntries: number;
  refreshMarginMs: number;
  negativeCacheMs: number;
  /** While falling back to `AWSPREVIOUS`, how often the current version is tried again. */
  fallbackRecheckMs: number;
  backoffWindowMs: number;
  now: () => number;
  /** The tenant served (first part of its cache keys). @default 'default' */
  tenant?: string;
  /** A token cache shared by every tenant; absent = one of `tokenCacheMaxEntries` of its own. */
  cache?: TokenCache<IssuedToken>;
  /** A back-off map shared by every tenant; absent = its own. */
  backoff?: RefreshBackoff;
  /** Most remembered Box refusals of caller-chosen subjects. @default 256 */
  negativeCallerEntries?: number;
}

/** Composes the token supply of one secret: cache, rotation, back-off, minting. */
export function buildSupply(options: SupplyOptions): TokenSupply {
  const cache =
    options.cache ??
    new TokenCache<IssuedToken>({
      maxEntries: options.tokenCacheMaxEntries,
      refreshMarginMs: options.refreshMarginMs,
      now: options.now,
    });
  let supply: TokenSupply | undefined;
  const selector = new CredentialSelector({
    source: options.credentials,
    recheckMs: options.fallbackRecheckMs,
    // A newly proven version makes every token of another version suspect: drop this tenant's.
    onSwitch: (versionId) => supply?.dropOtherVersions(versionId),
    now: options.now,
  });
  const negative = new NegativeCache({
    ttlMs: options.negativeCacheMs,
    now: options.now,
    ...(options.negativeCallerEntries === undefined
      ? {}
      : { maxCallerEntries: options.negativeCallerEntries }),
  });
  supply = new TokenSupply({
    cache,
    selector,
    minter: new TokenMinter(options.box, negative, options.now),
    backoff:
      options.backoff ??
      new RefreshBackoff({
        windowMs: options.backoffWindowMs,
        maxKeys: options.tokenCacheMaxEntries,
        now: options.now,
      }),
    verifyIntervalMs: options.fallbackRecheckMs,
    now: options.now,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
  });
  return supply;
}

/**
 * Remembered Box refusals of caller-chosen subjects per named tenant: fewer than the default
 * tenant's 256, so 1,000 tenants cannot hold a quarter million of them.
 */
const TENANT_NEGATIVE_CALLER_ENTRIES = 32;

/** Builds the broker a configuration describes. Throws a BrokerError naming what is wrong. */
export function buildBroker(config: BrokerConfig, overrides: RuntimeOverrides = {}): Broker {
  const now = overrides.now ?? Date.now;
  const box =
    overrides.box ??
    new BoxOAuthClient({
      apiUrl: config.boxApiUrl,
      attemptTimeoutMs: config.boxAttemptTimeoutMs,
      maxAttempts: config.boxMaxAttempts,
      now,
      ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
      ...(overrides.sleep === undefined ? {} : { sleep: overrides.sleep }),
    });
  // One token cache and one back-off map for every tenant (bounded once; see TenantRegistry).
  const cache = new TokenCache<IssuedToken>({
    maxEntries: config.tokenCacheMaxEntries,
    refreshMarginMs: config.refreshMarginSeconds * 1000,
    now,
  });
  const backoff = new RefreshBackoff({
    windowMs: overrides.backoffWindowMs ?? config.backoffWindowMs,
    maxKeys: config.tokenCacheMaxEntries,
    now,
  });
  const supplyOf = (credentials: CredentialsSource, tenant: string, callerEntries?: number) =>
    buildSupply({
      credentials,
      box,
      tokenCacheMaxEntries: config.tokenCacheMaxEntries,
      refreshMarginMs: config.refreshMarginSeconds * 1000,
      negativeCacheMs: config.negativeCacheMs,
      fallbackRecheckMs: config.secretRereadIntervalMs,
      backoffWindowMs: overrides.backoffWindowMs ?? config.backoffWindowMs,
      now,
      tenant,
      cache,
      backoff,
      ...(callerEntries === undefined ? {} : { negativeCallerEntries: callerEntries }),
    });
  // The clients are built only when needed: a local run with static credentials needs no AWS.
  let client: SecretsManagerClient | undefined;
  const secretsManager = () => {
    // The standard chain supplies region, credentials and AWS_ENDPOINT_URL_SECRETS_MANAGER.
    client ??= overrides.secretsManager ?? new SecretsManagerClient({});
    return client;
  };
  const secretOf = (secretId: string, tenant?: string) =>
    new SecretsManagerCredentials({
      client: secretsManager(),
      secretId,
      ttlMs: config.secretTtlMs,
      rereadIntervalMs: config.secretRereadIntervalMs,
      now,
      ...(tenant === undefined
        ? {}
        : { missing: (cause: unknown) => new TenantNotFoundError(tenant, { cause }) }),
    });

  const defaultCredentials =
    overrides.credentials ??
    (config.credentialsSecretId === undefined ? undefined : secretOf(config.credentialsSecretId));
  const tenantCredentials = tenantCredentialsOf(config, overrides, secretOf);
  const tenants = new TenantRegistry({
    defaultSupply:
      defaultCredentials === undefined ? undefined : supplyOf(defaultCredentials, 'default'),
    build:
      tenantCredentials === undefined
        ? undefined
        : (tenant): TenantUnits => {
            const credentials = tenantCredentials(tenant);
            return {
              credentials,
              supply: supplyOf(credentials, tenant, TENANT_NEGATIVE_CALLER_ENTRIES),
            };
          },
    maxTenants: config.tenantCacheMaxEntries,
    notFoundMs: config.tenantNotFoundMs,
    secretTtlMs: config.secretTtlMs,
    now,
  });
  return new Broker({ policy: loadPolicy(config.accessPolicy), tenants, now });
}

/**
 * Where a named tenant's credentials come from: the override (local mode), else its secret
 * `<prefix><tenant>`; undefined when the deployment has no tenants.
 */
function tenantCredentialsOf(
  config: BrokerConfig,
  overrides: RuntimeOverrides,
  secretOf: (secretId: string, tenant: string) => CredentialsSource,
): ((tenant: string) => CredentialsSource) | undefined {
  const override = overrides.tenantCredentials;
  if (override !== undefined) {
    return (tenant) => override(tenant) ?? new MissingTenantCredentials(tenant);
  }
  const prefix = config.tenantSecretPrefix;
  if (prefix === undefined) return undefined;
  return (tenant) => secretOf(`${prefix}${tenant}`, tenant);
}

/** The credentials of a tenant that does not exist: every read answers `tenant_not_found`. */
class MissingTenantCredentials implements CredentialsSource {
  constructor(private readonly tenant: string) {}

  get(): Promise<never> {
    return Promise.reject(new TenantNotFoundError(this.tenant));
  }

  forceRefresh(): Promise<never> {
    return this.get();
  }

  async previous(): Promise<undefined> {
    return undefined;
  }
}

/** The canary's Box API probe, with the same Box origin and attempt timeout as the broker. */
export function buildProbe(config: BrokerConfig, overrides: RuntimeOverrides = {}): BoxUserProbe {
  return new BoxUserProbe({
    apiUrl: config.boxApiUrl,
    timeoutMs: config.boxAttemptTimeoutMs,
    ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
  });
}

/** Compiles the configured access policy once, at cold start. */
export function loadPolicy(source: AccessPolicySource): CompiledPolicy {
  try {
    switch (source.kind) {
      case 'default':
        return compilePolicy(DEFAULT_POLICY_DOCUMENT);
      case 'inline':
        return parsePolicyJson(source.json);
      case 'file':
        return parsePolicyJson(readPolicyFile(source.path));
    }
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      // Callers see where and what kind of error; the values (which can be other principals'
      // ARNs) stay in the cause, which reaches the operator's log line only.
      const variable = source.kind === 'file' ? 'BOX_ACCESS_POLICY_FILE' : 'BOX_ACCESS_POLICY';
      throw new MisconfiguredError(
        `The access policy in ${variable} is invalid: ${error.describeForCallers()}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new MisconfiguredError(
      `Cannot read the access policy file named by BOX_ACCESS_POLICY_FILE (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      { cause: error },
    );
  }
}

/**
 * The scheduled setup checks of a configuration: the default tenant and the registered tenants,
 * with the secret client the broker uses. One tenant's check may take two Box attempt timeouts
 * (the grant, then `GET /2.0/users/me`).
 */
export function buildSetupChecks(
  config: BrokerConfig,
  overrides: RuntimeOverrides = {},
): ScheduledSetupChecks {
  return new ScheduledSetupChecks({
    client: overrides.secretsManager ?? new SecretsManagerClient({}),
    defaultSecretId: config.credentialsSecretId,
    tenantSecretPrefix: config.tenantSecretPrefix,
    perRun: config.setupChecksPerRun,
    concurrency: config.setupCheckConcurrency,
    intervalMs: config.setupCheckIntervalMs,
    perCheckMs: 2 * config.boxAttemptTimeoutMs,
    boxApiUrl: config.boxApiUrl,
    ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
    ...(overrides.now === undefined ? {} : { now: overrides.now }),
  });
}

/** The broker and its canary probe, or the error that kept them from being built. */
export interface Runtime {
  broker: Broker | BrokerError;
  probe?: BoxUserProbe;
  /** The scheduled setup checks; absent when the configuration could not be read. */
  setupChecks?: ScheduledSetupChecks;
  /** The time one request may spend upstream (`BOX_RETRY_BUDGET_MS`); absent when misconfigured. */
  requestBudgetMs?: number;
}

/**
 * Reads the configuration and builds everything once (cold start). A configuration error does
 * not crash the runtime: it becomes the answer to every request, naming what to fix.
 */
export function buildRuntime(
  env: Readonly<Record<string, string | undefined>>,
  overrides: RuntimeOverrides = {},
): Runtime {
  let config: BrokerConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof BrokerError) return { broker: error };
    throw error;
  }
  // One Secrets Manager client for the broker and the scheduled checks.
  const shared: RuntimeOverrides = {
    ...overrides,
    secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
  };
  // Built even when the broker cannot be: a deployment this version cannot serve still has its
  // tenants checked on schedule.
  const setupChecks = buildSetupChecks(config, shared);
  try {
    return {
      broker: buildBroker(config, shared),
      probe: buildProbe(config, shared),
      requestBudgetMs: config.boxRetryBudgetMs,
      setupChecks,
    };
  } catch (error) {
    if (error instanceof BrokerError) return { broker: error, setupChecks };
    throw error;
  }
}
