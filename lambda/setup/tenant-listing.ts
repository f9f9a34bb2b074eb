/**
 * The tenants registered under the tenant prefix, as Secrets Manager lists them: one secret per
 * tenant, named `<prefix><tenantId>` (contract v1.1). Read fresh on every scheduled run, so a
 * tenant onboarded or removed since the last run is seen without a redeploy.
 */
import {
  ListSecretsCommand,
  type SecretListEntry,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DEFAULT_TENANT, TENANT_ID_PATTERN } from '../contract.js';
import type { Deadline } from '../deadline.js';

/** What the listing found. */
export interface TenantListing {
  /** Valid tenant IDs, sorted (code-unit order, the same in every run). */
  tenantIds: string[];
  /** Secrets under the prefix whose remainder is not a tenant ID (or is `default`): not checked. */
  ignored: number;
}

/** ListSecrets' largest page. */
const PAGE_SIZE = 100;

/** One tenant's secret as ListSecrets describes it. */
export interface TenantSecret {
  tenantId: string;
  secret: SecretListEntry;
}

/**
 * Every secret under `prefix` whose remainder is a tenant ID, all pages, in Secrets Manager's
 * order: the one listing the scheduled check and the operator CLI share. Secrets scheduled for
 * deletion are skipped (the broker no longer serves them); `default` and malformed remainders are
 * counted as ignored. Throws what Secrets Manager throws (the caller reports it).
 */
export async function listTenantSecrets(
  client: SecretsManagerClient,
  prefix: string,
  signal?: AbortSignal,
): Promise<{ tenants: TenantSecret[]; ignored: number }> {
  const tenants: TenantSecret[] = [];
  let ignored = 0;
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({
        // The name filter matches by prefix, but also at word starts inside a name: the exact
        // prefix is checked below.
        Filters: [{ Key: 'name', Values: [prefix] }],
        MaxResults: PAGE_SIZE,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    for (const secret of page.SecretList ?? []) {
      const name = secret.Name ?? '';
      if (!name.startsWith(prefix) || secret.DeletedDate !== undefined) continue;
      const tenantId = name.slice(prefix.length);
      if (tenantId === DEFAULT_TENANT || !TENANT_ID_PATTERN.test(tenantId)) ignored += 1;
      else tenants.push({ tenantId, secret });
    }
    nextToken = page.NextToken === '' ? undefined : page.NextToken;
  } while (nextToken !== undefined);
  return { tenants, ignored };
}

/** Every tenant under `prefix` for a scheduled run, inside its deadline. */
export async function listTenants(
  client: SecretsManagerClient,
  prefix: string,
  deadline: Deadline,
): Promise<TenantListing> {
  const { tenants, ignored } = await listTenantSecrets(client, prefix, deadline.signal);
  const ids = new Set(tenants.map(({ tenantId }) => tenantId));
  return { tenantIds: [...ids].sort(), ignored };
}
