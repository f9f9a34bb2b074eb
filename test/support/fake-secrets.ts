/**
 * Secrets Manager holding several secrets (a default secret and tenants' secrets), answered by
 * secret ID and version stage with the SDK's real exception classes: a secret that does not exist
 * is `ResourceNotFoundException`, one scheduled for deletion `InvalidRequestException`.
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
  InvalidRequestException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';

export interface SecretVersion {
  versionId: string;
  secretString: string;
}

interface StoredSecret {
  current: SecretVersion;
  previous?: SecretVersion | undefined;
  scheduledForDeletion: boolean;
}

export class FakeSecrets {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly calls = new Map<string, number>();
  private readonly served = new Set<string>();

  /** Answers every GetSecretValue of `stub` from this store. */
  install(stub: AwsClientStub<SecretsManagerClient>): void {
    stub
      .on(GetSecretValueCommand)
      .callsFake((input: GetSecretValueCommandInput) => this.get(input));
  }

  /** Creates or rotates a secret (the new value becomes AWSCURRENT, the old one AWSPREVIOUS). */
  put(secretId: string, version: SecretVersion, previous?: SecretVersion): void {
    const before = this.secrets.get(secretId);
    this.remember(version);
    if (previous !== undefined) this.remember(previous);
    this.secrets.set(secretId, {
      current: version,
      previous: previous ?? before?.current,
      scheduledForDeletion: false,
    });
  }

  /** Deletes a secret at once (`--force-delete-without-recovery`). */
  delete(secretId: string): void {
    this.secrets.delete(secretId);
  }

  /** Schedules a secret for deletion (the console's default): reads fail with InvalidRequest. */
  scheduleDeletion(secretId: string): void {
    const secret = this.secrets.get(secretId);
    if (secret !== undefined) secret.scheduledForDeletion = true;
  }

  /** GetSecretValue calls for `secretId` (every stage). */
  callsFor(secretId: string): number {
    return this.calls.get(secretId) ?? 0;
  }

  /** GetSecretValue calls in all. */
  totalCalls(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  /** Every client secret the store ever served: none may appear in a log line. */
  clientSecretsServed(): string[] {
    return [...this.served];
  }

  private get(input: GetSecretValueCommandInput): Promise<GetSecretValueCommandOutput> {
    const id = input.SecretId ?? '';
    this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
    const secret = this.secrets.get(id);
    if (secret === undefined) {
      return Promise.reject(
        new ResourceNotFoundException({
          $metadata: {},
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
    }
    if (secret.scheduledForDeletion) {
      return Promise.reject(
        new InvalidRequestException({
          $metadata: {},
          message:
            'You can’t perform this operation on the secret because it was marked for deletion.',
        }),
      );
    }
    const version = input.VersionStage === 'AWSPREVIOUS' ? secret.previous : secret.current;
    if (version === undefined) {
      return Promise.reject(
        new ResourceNotFoundException({
          $metadata: {},
          message: "Secrets Manager can't find the specified secret value for staging label",
        }),
      );
    }
    return Promise.resolve({
      $metadata: {},
      VersionId: version.versionId,
      SecretString: version.secretString,
    });
  }

  private remember(version: SecretVersion): void {
    let secret: unknown;
    try {
      secret = (JSON.parse(version.secretString) as { clientSecret?: unknown }).clientSecret;
    } catch {
      return; // a deliberately broken value holds no client secret
    }
    if (typeof secret === 'string') this.served.add(secret);
  }
}
