/**
 * Where a tenant that passed onboarding is stored: its secret `<prefix><tenant>`, created and
 * tagged by the same code as `tenant add` (lambda/setup/tenant-secret.ts). Local mode swaps in its
 * in-process store through this port.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Deadline } from '../deadline.js';
import { CredentialsUnavailableError, MisconfiguredError } from '../errors.js';
import type { SetupCredentials } from '../setup/setup-check-types.js';
import { createTenantSecret } from '../setup/tenant-secret.js';

export interface TenantToStore {
  tenantId: string;
  credentials: SetupCredentials;
  addedBy: string;
  lastCheck: string;
}

export interface TenantSecretWriter {
  /** Stores the tenant: `created`, or `exists` when a tenant of that ID is registered already. */
  create(tenant: TenantToStore, deadline: Deadline): Promise<'created' | 'exists'>;
}

/** Secrets Manager errors that mean the function may not do this: the deployment is wrong. */
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'KMSAccessDeniedException']);

export class SecretsManagerTenantSecrets implements TenantSecretWriter {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
  ) {}

  async create(tenant: TenantToStore, deadline: Deadline): Promise<'created' | 'exists'> {
    try {
      await createTenantSecret(
        this.client,
        { prefix: this.prefix, ...tenant },
        { abortSignal: deadline.signal },
      );
      return 'created';
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (name === 'ResourceExistsException') return 'exists';
      // Only the error's name reaches the caller; the cause stays for the log.
      if (DENIED.has(name)) {
        throw new MisconfiguredError(
          'The broker may not store tenants: its role needs secretsmanager:CreateSecret and TagResource under the tenant prefix.',
          { cause: error },
        );
      }
      throw new CredentialsUnavailableError(
        `Secrets Manager did not store the tenant (${name.slice(0, 64)}); nothing was stored, try again.`,
        { cause: error, retryAfterSeconds: 5 },
      );
    }
  }
}
