/**
 * The tenants registered under the tenant prefix, as Secrets Manager lists them: one secret per
 * tenant, named `<prefix><tenantId>` (contract v1.1). Read fresh on every scheduled run, so a
 * tenant onboarded or removed since the last run is seen without a redeploy.
 */
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TENANT_ID_PATTERN } from '../contract.js';
import type { Deadline } from '../deadline.js';

/** The tenant ID that names the deployment's default secret; never a registered tenant. */
export const DEFAULT_TENANT_ID = 'default';

/** What the listing found. */
export interface TenantListing {
  /** Valid tenant IDs, sorted (code-unit order, the same in every run). */
  tenantIds: string[];
  /** Secrets under the prefix whose remainder is not a tenant ID (or is `default`): not checked. */
  ignored: number;
}

/** ListSecrets' largest page. */
const PAGE_SIZE = 100;

/**
 * Every tenant under `prefix`, all pages. Secrets scheduled for deletion are skipped (the broker
 * no longer serves them). Throws what Secrets Manager throws (the caller reports it).
 */
export async function listTenants(
  client: SecretsManagerClient,
  prefix: string,
  deadline: Deadline,
): Promise<TenantListing> {
  const ids = new Set<string>();
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
      { abortSignal: deadline.signal },
    );
    for (const secret of page.SecretList ?? []) {
      const name = secret.Name ?? '';
      if (!name.startsWith(prefix) || secret.DeletedDate !== undefined) continue;
      const tenantId = name.slice(prefix.length);
      if (tenantId === DEFAULT_TENANT_ID || !TENANT_ID_PATTERN.test(tenantId)) ignored += 1;
      else ids.add(tenantId);
    }
    nextToken = page.NextToken === '' ? undefined : page.NextToken;
  } while (nextToken !== undefined);
  return { tenantIds: [...ids].sort(), ignored };
}
