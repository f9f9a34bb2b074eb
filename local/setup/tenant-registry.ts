/**
 * The tenant registry as the operator CLI sees it: one Secrets Manager secret per tenant, named
 * `<prefix><tenantId>`, holding the same JSON as the default secret (contract v1.1). Tags name the
 * tenant, who added it, and the last setup-check result. Deletion always keeps a recovery window.
 */
import {
  DeleteSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { parseSecretValue } from '../../lambda/broker/credentials.js';
import { DEFAULT_TENANT, TENANT_ID_PATTERN } from '../../lambda/contract.js';
import { tenantSecretName } from '../../lambda/secret-format.js';
import type { SetupCredentials } from '../../lambda/setup/setup-check-types.js';
import { listTenantSecrets } from '../../lambda/setup/tenant-listing.js';
import { createTenantSecret, TENANT_TAGS } from '../../lambda/setup/tenant-secret.js';

export { TENANT_TAGS } from '../../lambda/setup/tenant-secret.js';

/** The default `BOX_TENANT_SECRET_PREFIX`. */
export const DEFAULT_TENANT_PREFIX = 'box-token-broker/tenants/';

/** Recovery window bounds of DeleteSecret (days). */
export const RECOVERY_DAYS = { min: 7, max: 30, default: 30 } as const;

/** Why a tenant ID is unusable, or undefined when it is fine. */
export function tenantIdProblem(id: string): string | undefined {
  if (id === DEFAULT_TENANT) return 'the tenant ID "default" is reserved for the default secret';
  if (!TENANT_ID_PATTERN.test(id)) {
    return 'a tenant ID is 1-64 characters: lower-case letters, digits and inner hyphens';
  }
  return undefined;
}

/** One registered tenant as `tenant list` shows it. */
export interface TenantEntry {
  tenantId: string;
  secretName: string;
  addedBy: string | null;
  /** e.g. `pass 2026-11-30T10:00:00.000Z`, or null when never checked. */
  lastCheck: string | null;
  createdAt: string | null;
}

/** Secrets Manager operations on the registry under one prefix. */
export class TenantRegistry {
  constructor(
    private readonly client: SecretsManagerClient,
    readonly prefix: string,
  ) {}

  secretName(tenantId: string): string {
    return tenantSecretName(this.prefix, tenantId);
  }

  /** Reads and validates a secret's credentials (tenant or any named secret). */
  async readCredentials(secretId: string): Promise<SetupCredentials> {
    const output = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const { clientId, clientSecret, enterpriseId } = parseSecretValue(
      output.SecretString,
      output.VersionId ?? 'unknown',
    );
    return { clientId, clientSecret, enterpriseId };
  }

  /** Creates the tenant's secret; fails (ResourceExistsException) if it exists. */
  async create(
    tenantId: string,
    credentials: SetupCredentials,
    addedBy: string,
    lastCheck: string,
  ): Promise<string | undefined> {
    return createTenantSecret(this.client, {
      prefix: this.prefix,
      tenantId,
      credentials,
      addedBy,
      lastCheck,
    });
  }

  /** Records a check result on the tenant's secret. */
  async recordCheck(tenantId: string, lastCheck: string): Promise<void> {
    await this.client.send(
      new TagResourceCommand({
        SecretId: this.secretName(tenantId),
        Tags: [{ Key: TENANT_TAGS.lastCheck, Value: lastCheck }],
      }),
    );
  }

  /** Every tenant under the prefix (all pages), sorted by ID. */
  async list(): Promise<TenantEntry[]> {
    const { tenants } = await listTenantSecrets(this.client, this.prefix);
    const entries = tenants.map(({ tenantId, secret }): TenantEntry => {
      const tag = (key: string) => secret.Tags?.find((t) => t.Key === key)?.Value ?? null;
      return {
        tenantId,
        secretName: secret.Name ?? tenantSecretName(this.prefix, tenantId),
        addedBy: tag(TENANT_TAGS.addedBy),
        lastCheck: tag(TENANT_TAGS.lastCheck),
        createdAt: secret.CreatedDate?.toISOString() ?? null,
      };
    });
    return entries.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  /** Schedules deletion with a recovery window (never ForceDeleteWithoutRecovery). */
  async remove(tenantId: string, recoveryDays: number): Promise<Date | undefined> {
    const output = await this.client.send(
      new DeleteSecretCommand({
        SecretId: this.secretName(tenantId),
        RecoveryWindowInDays: recoveryDays,
      }),
    );
    return output.DeletionDate;
  }
}
