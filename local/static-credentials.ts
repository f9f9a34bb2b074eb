import type { BoxCredentials, CredentialsSource } from '../lambda/broker/credentials.js';
import { parseSecretValue } from '../lambda/broker/credentials.js';

/**
 * Credentials given directly (BOX_CLIENT_ID / BOX_CLIENT_SECRET / BOX_ENTERPRISE_ID) for running
 * the broker on a laptop without Secrets Manager. Validated exactly like the secret's value.
 */
export class StaticCredentials implements CredentialsSource {
  private readonly credentials: BoxCredentials;

  constructor(value: { clientId: string; clientSecret: string; enterpriseId: string }) {
    this.credentials = parseSecretValue(JSON.stringify(value), 'static');
  }

  async get(): Promise<BoxCredentials> {
    return this.credentials;
  }

  async forceRefresh(): Promise<BoxCredentials> {
    return this.credentials;
  }

  async previous(): Promise<undefined> {
    return undefined;
  }
}
