/**
 * The tenant registry a deployment describes: the default tenant's supply (if it has one) and
 * how a named tenant's credentials and supply are found (an override in local mode, else the
 * secret `<prefix><tenant>`; none when the deployment has no tenants).
 */
import { TenantNotFoundError } from '../errors.js';
import type { CredentialsSource } from './credentials.js';
import { DEFAULT_TENANT_ID, TenantRegistry } from './tenant-registry.js';
import type { TokenSupply } from './token-supply.js';

/**
 * Remembered Box refusals of caller-chosen subjects per named tenant: fewer than the default
 * tenant's 256, so 1,000 tenants cannot hold a quarter million of them.
 */
const TENANT_NEGATIVE_CALLER_ENTRIES = 32;

export interface TenantFactoryOptions {
  /** The default tenant's credentials; undefined = a tenants-only deployment. */
  defaultCredentials: CredentialsSource | undefined;
  /** Named tenants' credentials instead of their secrets: undefined = no such tenant. */
  override: ((tenant: string) => CredentialsSource | undefined) | undefined;
  /** `BOX_TENANT_SECRET_PREFIX`; undefined (and no override) = the deployment has no tenants. */
  secretPrefix: string | undefined;
  /** The credentials read from the secret `secretId` of `tenant` (no I/O until used). */
  secretOf: (secretId: string, tenant: string) => CredentialsSource;
  /** The supply of one tenant's credentials. */
  supplyOf: (
    credentials: CredentialsSource,
    tenant: string,
    negativeCallerEntries?: number,
  ) => TokenSupply;
  maxTenants: number;
  notFoundMs: number;
  secretTtlMs: number;
  now: () => number;
}

/** Builds the registry of the default tenant and the named tenants. */
export function buildTenantRegistry(options: TenantFactoryOptions): TenantRegistry {
  const { defaultCredentials, supplyOf } = options;
  const tenantCredentials = tenantCredentialsOf(options);
  return new TenantRegistry({
    defaultSupply:
      defaultCredentials === undefined
        ? undefined
        : supplyOf(defaultCredentials, DEFAULT_TENANT_ID),
    build:
      tenantCredentials === undefined
        ? undefined
        : (tenant) => {
            const credentials = tenantCredentials(tenant);
            return {
              credentials,
              supply: supplyOf(credentials, tenant, TENANT_NEGATIVE_CALLER_ENTRIES),
            };
          },
    maxTenants: options.maxTenants,
    notFoundMs: options.notFoundMs,
    secretTtlMs: options.secretTtlMs,
    now: options.now,
  });
}

/**
 * Where a named tenant's credentials come from: the override (local mode), else its secret
 * `<prefix><tenant>`; undefined when the deployment has no tenants.
 */
function tenantCredentialsOf(
  options: TenantFactoryOptions,
): ((tenant: string) => CredentialsSource) | undefined {
  const { override, secretPrefix, secretOf } = options;
  if (override !== undefined) {
    return (tenant) => override(tenant) ?? new MissingTenantCredentials(tenant);
  }
  if (secretPrefix === undefined) return undefined;
  return (tenant) => secretOf(`${secretPrefix}${tenant}`, tenant);
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
