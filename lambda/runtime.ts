import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BoxOAuthClient } from './box/oauth-client.js';
import { abortableSleep } from './box/retry.js';
import { BoxUserProbe } from './box/user-probe.js';
import { Broker } from './broker/broker.js';
import { CredentialSelector } from './broker/credential-selection.js';
import {
  type CredentialsSource,
  MissingTenantCredentials,
  SecretsManagerCredentials,
} from './broker/credentials.js';
import { FleetLink } from './broker/fleet-link.js';
import { ForcedRefreshWindow } from './broker/forced-refresh.js';
import { NegativeCache } from './broker/negative-cache.js';
import { RefreshBackoff } from './broker/refresh-backoff.js';
import { TenantRegistry, type TenantUnits } from './broker/tenants.js';
import { TokenCache } from './broker/token-cache.js';
import { type BoxTokenApi, TokenMinter } from './broker/token-minter.js';
import { TokenSupply } from './broker/token-supply.js';
import type { CredentialHealthSignals, IssuedToken } from './broker/types.js';
import { type BrokerConfig, loadConfig } from './config.js';
import { DEFAULT_TENANT } from './contract.js';
import { BrokerError, TenantNotFoundError } from './errors.js';
import type { HealthEventPublisher } from './health/event-publisher.js';
import { TenantHealth } from './health/tenant-health.js';
import { Onboarding } from './onboard/onboarding.js';
import { SecretsManagerTenantSecrets, type TenantSecretWriter } from './onboard/tenant-secrets.js';
import { loadPolicy } from './policy/load-policy.js';
import { tenantSecretName } from './secret-format.js';
import { ScheduledSetupChecks } from './setup/scheduled-checks.js';
import { buildFleetState, type FleetState } from './state/fleet-state.js';
import type { InvitationStore, TenantHealthStore } from './state/ports.js';
import { TableInvitationStore } from './state/table-invitations.js';
import { TableTenantHealth } from './state/table-tenant-health.js';
import { MemoryTenantHealthStore } from './state/tenant-health-memory.js';
import type { LogEvent } from './trace/request-logger.js';

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
  /** The EventBridge client of the health events (tests: a mocked one). */
  eventBridge?: EventBridgeClient;
  /** Instead of EventBridge: where health events go (tests of what is put). */
  healthPublisher?: HealthEventPublisher;
  /**
   * The tenant health store, shared by the environments a test runs (treated as fleet-wide, so
   * live traffic reports too). Default: the fleet-state table, else this environment's memory.
   */
  healthStore?: TenantHealthStore;
  /** Where health log lines (and their metrics) go; the handler passes its logger. */
  log?: (event: LogEvent) => void;
  /**
   * Fleet state's stores (tests: in-memory twins or a test table), used when BOX_STATE_TABLE is
   * set; default: the table and key the configuration names.
   */
  fleetState?: FleetState;
  /** Fleet state's clients (tests: endpoints of their own); default: the standard chain. */
  stateClients?: { dynamodb?: DynamoDBClient; kms?: KMSClient };
  /** Waits between polls for another environment's token (tests advance a fake clock). */
  fleetSleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Onboarding invitations (instead of the fleet-state table's): tests. */
  invitations?: InvitationStore;
  /**
   * Where onboarding stores a tenant (instead of `<BOX_TENANT_SECRET_PREFIX><tenant>` in Secrets
   * Manager): local mode's in-process store.
   */
  tenantSecrets?: TenantSecretWriter;
}

/**
 * Remembered Box refusals of caller-chosen subjects per named tenant: fewer than the default
 * tenant's 256, so 1,000 tenants cannot hold a quarter million of them.
 */
const TENANT_NEGATIVE_CALLER_ENTRIES = 32;

/**
 * Builds the broker a configuration describes: every unit of lambda/broker is built here (a
 * named tenant's on its first request, by {@link TenantRegistry} with the recipe below). Throws a
 * BrokerError naming what is wrong.
 */
export function buildBroker(
  config: BrokerConfig,
  overrides: RuntimeOverrides = {},
  health?: CredentialHealthSignals,
): Broker {
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
  // Work a caller can force, bounded per token key (and per revoking caller) for every tenant.
  const forcedWindow = () =>
    new ForcedRefreshWindow({
      windowMs: config.forcedRefreshMs,
      maxKeys: config.tokenCacheMaxEntries,
      now,
    });
  const forced = forcedWindow();
  const unknownRevokes = forcedWindow();
  const fleet = buildFleetLink(config, overrides, now);
  /** One tenant's supply: its rotation state and negative cache over the shared cache. */
  const supplyOf = (
    tenant: string,
    credentials: CredentialsSource,
    negativeCallerEntries?: number,
  ): TokenSupply => {
    const negative = new NegativeCache({
      ttlMs: config.negativeCacheMs,
      now,
      ...(negativeCallerEntries === undefined ? {} : { maxCallerEntries: negativeCallerEntries }),
    });
    return new TokenSupply({
      tenant,
      selector: new CredentialSelector({
        source: credentials,
        recheckMs: config.secretRereadIntervalMs,
        now,
      }),
      minter: new TokenMinter(box, negative, now),
      cache,
      backoff,
      forced,
      unknownRevokes,
      fleet,
      verifyIntervalMs: config.secretRereadIntervalMs,
      health,
      now,
    });
  };
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
  // A named tenant's credentials: the override (local mode), else its secret `<prefix><tenant>`.
  const { tenantCredentials } = overrides;
  const prefix = config.tenantSecretPrefix;
  const credentialsOf =
    tenantCredentials !== undefined
      ? (tenant: string) => tenantCredentials(tenant) ?? new MissingTenantCredentials(tenant)
      : prefix !== undefined
        ? (tenant: string) => secretOf(tenantSecretName(prefix, tenant), tenant)
        : undefined;
  const newTenant =
    credentialsOf === undefined
      ? undefined
      : (tenant: string): TenantUnits => {
          const credentials = credentialsOf(tenant);
          return {
            credentials,
            supply: supplyOf(tenant, credentials, TENANT_NEGATIVE_CALLER_ENTRIES),
          };
        };
  const tenants = new TenantRegistry({
    defaultSupply:
      defaultCredentials === undefined ? undefined : supplyOf(DEFAULT_TENANT, defaultCredentials),
    newTenant,
    maxTenants: config.tenantCacheMaxEntries,
    notFoundMs: config.tenantNotFoundMs,
    secretTtlMs: config.secretTtlMs,
    now,
  });
  return new Broker({ policy: loadPolicy(config.accessPolicy), tenants, fleet, now });
}

/**
 * This environment's link to the fleet state, when BOX_STATE_TABLE names one (contract v1.2).
 * Its clients connect lazily: a cold start makes no call. A lease lasts one Box attempt's
 * timeout: a healthy mint fits in it, and a dead holder blocks the others no longer than that.
 */
function buildFleetLink(
  config: BrokerConfig,
  overrides: RuntimeOverrides,
  now: () => number,
): FleetLink | undefined {
  const settings = config.fleetState;
  if (settings === undefined) return undefined;
  const state = fleetStateOf(config, overrides, now) as FleetState;
  return new FleetLink({
    tokens: state.tokens,
    controls: state.controls,
    holder: randomUUID(),
    leaseMs: config.boxAttemptTimeoutMs,
    syncMs: settings.syncMs,
    refreshMarginMs: config.refreshMarginSeconds * 1000,
    now,
    sleep: overrides.fleetSleep ?? abortableSleep,
  });
}

/** The fleet state's stores when BOX_STATE_TABLE names a table: the override, else built. */
function fleetStateOf(
  config: BrokerConfig,
  overrides: RuntimeOverrides,
  now: () => number,
): FleetState | undefined {
  const settings = config.fleetState;
  if (settings === undefined) return undefined;
  return (
    overrides.fleetState ??
    buildFleetState({
      tableName: settings.table,
      kmsKeyId: settings.kmsKeyId,
      now,
      ...(overrides.stateClients?.dynamodb === undefined
        ? {}
        : { dynamodb: overrides.stateClients.dynamodb }),
      ...(overrides.stateClients?.kms === undefined ? {} : { kms: overrides.stateClients.kms }),
    })
  );
}

/** The canary's Box API probe, with the same Box origin and attempt timeout as the broker. */
export function buildProbe(config: BrokerConfig, overrides: RuntimeOverrides = {}): BoxUserProbe {
  return new BoxUserProbe({
    apiUrl: config.boxApiUrl,
    timeoutMs: config.boxAttemptTimeoutMs,
    ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
  });
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

/**
 * The tenant health events of a configuration with `BOX_EVENT_BUS`; undefined without one. With
 * the fleet state table each tenant's health is remembered there (fleet-wide, so live traffic
 * reports too); without it only the scheduled setup check judges (see TenantHealth).
 */
export function buildTenantHealth(
  config: BrokerConfig,
  overrides: RuntimeOverrides = {},
): TenantHealth | undefined {
  if (config.eventBus === undefined) return undefined;
  const fleetState = fleetStateOf(config, overrides, overrides.now ?? Date.now);
  const shared =
    overrides.healthStore ??
    (fleetState === undefined ? undefined : new TableTenantHealth(fleetState.table));
  return new TenantHealth({
    eventBus: config.eventBus,
    // The standard chain supplies region, credentials and AWS_ENDPOINT_URL_EVENTBRIDGE.
    client: overrides.eventBridge ?? new EventBridgeClient({}),
    store: shared ?? new MemoryTenantHealthStore(),
    fleetWide: shared !== undefined,
    log: overrides.log ?? (() => {}),
    ...(overrides.healthPublisher === undefined ? {} : { publisher: overrides.healthPublisher }),
    ...(config.fleetState === undefined ? {} : { knownHealthyMs: config.fleetState.syncMs }),
    ...(overrides.now === undefined ? {} : { now: overrides.now }),
  });
}

/**
 * Contract v1.3 onboarding, when the configuration allows it: tenants are stored under
 * `BOX_TENANT_SECRET_PREFIX` and invitations are read from the fleet-state table. Undefined
 * otherwise (`/onboard` is then not served).
 */
export function buildOnboarding(
  config: BrokerConfig,
  overrides: RuntimeOverrides = {},
): Onboarding | undefined {
  const prefix = config.tenantSecretPrefix;
  const table = fleetStateOf(config, overrides, overrides.now ?? Date.now)?.table;
  const invitations =
    overrides.invitations ??
    (table === undefined
      ? undefined
      : new TableInvitationStore({
          table,
          ...(overrides.now === undefined ? {} : { now: overrides.now }),
        }));
  if (prefix === undefined || invitations === undefined) return undefined;
  return new Onboarding({
    invitations,
    secrets:
      overrides.tenantSecrets ??
      new SecretsManagerTenantSecrets(
        overrides.secretsManager ?? new SecretsManagerClient({}),
        prefix,
      ),
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
  /**
   * The whole request's deadline for upstream work, Box and Secrets Manager alike
   * (`BOX_RETRY_BUDGET_MS`); absent when misconfigured.
   */
  requestBudgetMs?: number;
  /** Where the `api` entry's key is kept (`BOX_API_ENTRY_SECRET`); absent = no key check. */
  apiEntrySecret?: { client: SecretsManagerClient; secretId: string };
  /** Tenant health events; absent without `BOX_EVENT_BUS`. */
  health?: TenantHealth;
  /** Contract v1.3 onboarding; absent when the configuration does not turn it on. */
  onboarding?: Onboarding;
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
  // One Secrets Manager client for the broker and the scheduled checks; one fleet state (its
  // clients) for the broker and the health events.
  const fleetState = fleetStateOf(config, overrides, overrides.now ?? Date.now);
  const shared: RuntimeOverrides = {
    ...overrides,
    secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
    ...(fleetState === undefined ? {} : { fleetState }),
  };
  // Built even when the broker cannot be: a deployment this version cannot serve still has its
  // tenants checked on schedule.
  const setupChecks = buildSetupChecks(config, shared);
  const health = buildTenantHealth(config, shared);
  const healthParts = health === undefined ? {} : { health };
  const apiEntrySecret =
    config.apiEntrySecretId === undefined || shared.secretsManager === undefined
      ? {}
      : { apiEntrySecret: { client: shared.secretsManager, secretId: config.apiEntrySecretId } };
  const onboarding = buildOnboarding(config, shared);
  try {
    return {
      broker: buildBroker(config, shared, health?.signals),
      probe: buildProbe(config, shared),
      requestBudgetMs: config.boxRetryBudgetMs,
      setupChecks,
      ...apiEntrySecret,
      ...healthParts,
      ...(onboarding === undefined ? {} : { onboarding }),
    };
  } catch (error) {
    if (error instanceof BrokerError) {
      return { broker: error, setupChecks, ...apiEntrySecret, ...healthParts };
    }
    throw error;
  }
}
