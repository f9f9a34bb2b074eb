/**
 * Local mode's tenant secrets when Box is simulated: an in-process stand-in for the secrets
 * `<prefix><tenant>` that the onboarding page writes and the broker reads. A tenant stored here
 * is served at once (`?tenant=ID`), like a secret created in Secrets Manager; it lives as long as
 * the process. Simulated tenants of BOX_LOCAL_TENANTS start in it.
 */
import type { CredentialsSource } from '../lambda/broker/credentials.js';
import type { TenantSecretWriter, TenantToStore } from '../lambda/onboard/tenant-secrets.js';
import { StaticCredentials } from './static-credentials.js';

export class LocalTenantSecrets implements TenantSecretWriter {
  private readonly tenants = new Map<string, CredentialsSource>();
  /** Who added each tenant and its last check, as the tags of a real secret would say. */
  private readonly tags = new Map<string, { addedBy: string; lastCheck: string }>();

  /** Registers a tenant known at start (BOX_LOCAL_TENANTS). */
  seed(tenantId: string, credentials: TenantToStore['credentials']): void {
    this.tenants.set(tenantId, new StaticCredentials(credentials));
  }

  async create(tenant: TenantToStore): Promise<'created' | 'exists'> {
    if (this.tenants.has(tenant.tenantId)) return 'exists';
    this.tenants.set(tenant.tenantId, new StaticCredentials(tenant.credentials));
    this.tags.set(tenant.tenantId, { addedBy: tenant.addedBy, lastCheck: tenant.lastCheck });
    return 'created';
  }

  /** The broker's view: the tenant's credentials, or undefined for no such tenant. */
  credentialsOf(tenantId: string): CredentialsSource | undefined {
    return this.tenants.get(tenantId);
  }

  /** What an onboarded tenant's tags would say (tests, the local walk-through). */
  tagsOf(tenantId: string): { addedBy: string; lastCheck: string } | undefined {
    return this.tags.get(tenantId);
  }

  has(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }
}
