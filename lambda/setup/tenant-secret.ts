/**
 * Storing a tenant: one Secrets Manager secret `<prefix><tenantId>` holding the same JSON as the
 * default secret (contract v1.1), tagged with the tenant, who added it and the last setup-check
 * result. `tenant add` (the operator CLI) and the onboarding page (contract v1.3) store tenants
 * through this one function, so both write exactly the same secret and tags.
 */
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TENANT_SECRET_TAG, tenantSecretName } from '../secret-format.js';
import type { SetupCheckResult, SetupCredentials } from './setup-check-types.js';

/** Tag keys written on a tenant secret. */
export const TENANT_TAGS = {
  tenant: TENANT_SECRET_TAG,
  addedBy: 'box-token-broker:added-by',
  lastCheck: 'box-token-broker:last-check',
} as const;

/** What a new tenant secret is made of. */
export interface NewTenantSecret {
  prefix: string;
  tenantId: string;
  credentials: SetupCredentials;
  /** Who added the tenant (free text, sanitised into a tag value). */
  addedBy: string;
  /** The setup check that allowed it: see {@link lastCheckTag}. */
  lastCheck: string;
}

/**
 * Creates the tenant's secret with its tags in one call; rejects with Secrets Manager's
 * `ResourceExistsException` when it exists. Resolves to the new secret's ARN.
 */
export async function createTenantSecret(
  client: SecretsManagerClient,
  secret: NewTenantSecret,
  options: { abortSignal?: AbortSignal } = {},
): Promise<string | undefined> {
  const { prefix, tenantId, credentials } = secret;
  const output = await client.send(
    new CreateSecretCommand({
      Name: tenantSecretName(prefix, tenantId),
      Description: `Box app credentials of box-token-broker tenant ${tenantId}`,
      SecretString: JSON.stringify({
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        enterpriseId: credentials.enterpriseId,
      }),
      Tags: [
        { Key: TENANT_TAGS.tenant, Value: tenantId },
        { Key: TENANT_TAGS.addedBy, Value: tagValue(secret.addedBy) },
        { Key: TENANT_TAGS.lastCheck, Value: secret.lastCheck },
      ],
    }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
  return output.ARN;
}

/** The tag value recording a check: `<outcome> <ISO time>[ <failed steps>]`. */
export function lastCheckTag(result: SetupCheckResult): string {
  const failed = result.failedSteps.length === 0 ? '' : ` ${result.failedSteps.join(',')}`;
  return `${result.outcome} ${result.checkedAt}${failed}`.slice(0, 256);
}

/** Secrets Manager tag values: up to 256 characters of a limited set. */
export function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}
