import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Deadline } from '../deadline.js';
import {
  BrokerError,
  CredentialsUnavailableError,
  MisconfiguredError,
  TenantNotFoundError,
  toBrokerError,
} from '../errors.js';
import { type BoxSecretValue, readSecretValue, type SecretValueProblem } from '../secret-format.js';
import { SharedFlight, untilDeadline } from './shared-flight.js';

/** Box app credentials as read from one version of the secret. */
export interface BoxCredentials extends BoxSecretValue {
  /** Secrets Manager `VersionId` of the value; part of every token cache key. */
  versionId: string;
  /** When this version was created (Secrets Manager `CreatedDate`), for the age metric. */
  createdAtMs?: number;
}

/**
 * Where the broker's Box credentials come from. Every read runs inside the request's deadline:
 * the request stops waiting when it passes (504 `box_timeout`).
 */
export interface CredentialsSource {
  /** The credentials, from memory while fresh, else read again. */
  get(deadline: Deadline): Promise<BoxCredentials>;
  /**
   * Reads again now, unless a forced read happened less than the re-read interval ago (then the
   * current value). For when Box says the client credentials are invalid.
   */
  forceRefresh(deadline: Deadline): Promise<BoxCredentials>;
  /**
   * The version before the current one (`AWSPREVIOUS`), kept for a TTL; undefined when there is
   * none. The last known good credentials when Box rejects a freshly saved value.
   */
  previous(deadline: Deadline): Promise<BoxCredentials | undefined>;
}

/** The one way to compare credentials: same version and same client ID and secret. */
export function sameCredentials(a: BoxCredentials, b: BoxCredentials): boolean {
  return (
    a.versionId === b.versionId && a.clientId === b.clientId && a.clientSecret === b.clientSecret
  );
}

export interface SecretsManagerCredentialsOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** How long a read value is trusted before the next read. */
  ttlMs: number;
  /** Minimum gap between forced re-reads, so a bad secret cannot hammer Secrets Manager. */
  rereadIntervalMs: number;
  /**
   * The answer when the secret does not exist (`ResourceNotFoundException`) or is scheduled for
   * deletion (`InvalidRequestException`). A tenant's secret answers `tenant_not_found`; the
   * default secret's absence is a misconfiguration (the default).
   */
  missing?: (cause: unknown) => BrokerError;
  now?: () => number;
}

/** Secrets Manager's answers for a secret that does not exist or is being deleted. */
const MISSING_SECRET_ERRORS = new Set(['ResourceNotFoundException', 'InvalidRequestException']);

const PLACEHOLDER_HINT =
  'Open the secret in the AWS Secrets Manager console and enter the Box app values.';

/**
 * Credentials read from AWS Secrets Manager and kept for a TTL, so a console edit takes effect
 * without a redeploy. Concurrent reads share one `GetSecretValue` call; a request whose deadline
 * passes stops waiting for it, and the shared call is aborted only when no request waits any more.
 */
export class SecretsManagerCredentials implements CredentialsSource {
  private current: BoxCredentials | undefined;
  private readAtMs = Number.NEGATIVE_INFINITY;
  private forcedAtMs = Number.NEGATIVE_INFINITY;
  private readonly currentRead = new SharedFlight<BoxCredentials>();
  /** A failed read, answered again until the re-read interval passes: no storm on a bad secret. */
  private failure: { error: BrokerError; untilMs: number } | undefined;
  private previousValue: { value: BoxCredentials | undefined; readAtMs: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SecretsManagerCredentialsOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(deadline: Deadline): Promise<BoxCredentials> {
    const current = this.current;
    if (current !== undefined && this.now() - this.readAtMs < this.options.ttlMs) {
      return current;
    }
    try {
      return await this.read(deadline);
    } catch (error) {
      // Secrets Manager throttled or failed: the value read before is still the best we know.
      if (current !== undefined && error instanceof BrokerError && error.retryable) return current;
      throw error;
    }
  }

  async forceRefresh(deadline: Deadline): Promise<BoxCredentials> {
    const now = this.now();
    if (this.current !== undefined && now - this.forcedAtMs < this.options.rereadIntervalMs) {
      return this.current;
    }
    this.forcedAtMs = now;
    return this.read(deadline);
  }

  async previous(deadline: Deadline): Promise<BoxCredentials | undefined> {
    const cached = this.previousValue;
    if (cached !== undefined && this.now() - cached.readAtMs < this.options.ttlMs) {
      return cached.value;
    }
    let value: BoxCredentials | undefined;
    try {
      // Not shared with other requests: this request's deadline may abort the call itself.
      value = await untilDeadline(
        this.fetchVersion('AWSPREVIOUS', deadline.signal),
        deadline,
        'Secrets Manager',
      );
    } catch (error) {
      // No previous version, an unusable one, or no answer: there is simply no fallback now.
      if (!(error instanceof BrokerError) || deadline.signal.aborted) throw error;
      value = undefined;
    }
    this.previousValue = { value, readAtMs: this.now() };
    return value;
  }

  private read(deadline: Deadline): Promise<BoxCredentials> {
    const failure = this.failure;
    if (failure !== undefined && this.now() < failure.untilMs) return Promise.reject(failure.error);
    return this.currentRead.run(deadline, 'Secrets Manager', (signal) =>
      this.fetchVersion('AWSCURRENT', signal).then(
        (credentials) => {
          this.current = credentials;
          this.readAtMs = this.now();
          this.failure = undefined;
          return credentials;
        },
        (error: unknown) => {
          // An abort means every waiter gave up, not that the secret is bad: nothing to remember.
          if (error instanceof BrokerError && !signal.aborted) {
            this.failure = { error, untilMs: this.now() + this.options.rereadIntervalMs };
          }
          throw error;
        },
      ),
    );
  }

  private async fetchVersion(
    stage: 'AWSCURRENT' | 'AWSPREVIOUS',
    abortSignal: AbortSignal,
  ): Promise<BoxCredentials> {
    let output: {
      SecretString?: string | undefined;
      VersionId?: string | undefined;
      CreatedDate?: Date | undefined;
    };
    try {
      output = await this.options.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: stage }),
        { abortSignal },
      );
    } catch (error) {
      const missing = this.options.missing;
      if (
        missing !== undefined &&
        error instanceof Error &&
        MISSING_SECRET_ERRORS.has(error.name)
      ) {
        throw missing(error);
      }
      throw secretsManagerFailure(error);
    }
    const credentials = parseSecretValue(output.SecretString, output.VersionId ?? 'unknown');
    if (output.CreatedDate instanceof Date) credentials.createdAtMs = output.CreatedDate.getTime();
    return credentials;
  }
}

/**
 * Validates a secret's value. Errors name the key at fault and never echo a value.
 */
export function parseSecretValue(
  secretString: string | undefined,
  versionId: string,
): BoxCredentials {
  const reading = readSecretValue(secretString);
  if (!reading.ok) throw new MisconfiguredError(secretProblemMessage(reading.problem));
  return { ...reading.credentials, versionId };
}

/** What an operator reads in the `misconfigured` answer: the key at fault and what to store. */
function secretProblemMessage(problem: SecretValueProblem): string {
  switch (problem.kind) {
    case 'not_string':
      return (
        'The Box credentials secret has no string value (binary secrets are not supported). ' +
        'Store the JSON {"clientId", "clientSecret", "enterpriseId"}.'
      );
    case 'not_json':
      return (
        'The Box credentials secret is not valid JSON. ' +
        'Store the JSON {"clientId", "clientSecret", "enterpriseId"} (use the console\'s Plaintext tab to check).'
      );
    case 'not_object':
      return 'The Box credentials secret must be a JSON object with clientId, clientSecret and enterpriseId.';
    case 'missing_key':
      return `The Box credentials secret lacks the key "${problem.key}" (a non-empty string is required).`;
    case 'placeholder':
      return `The Box credentials secret still holds the placeholder for "${problem.key}". ${PLACEHOLDER_HINT}`;
    case 'enterprise_id_not_digits':
      return 'The Box credentials secret\'s "enterpriseId" must be digits only (Admin Console > Account & Billing).';
  }
}

/** What each Secrets Manager error means for the operator. */
const SECRETS_MANAGER_HINTS: Record<string, string> = {
  ResourceNotFoundException:
    'the secret named by BOX_CREDENTIALS_SECRET does not exist in this account and region, or has no current value',
  AccessDeniedException:
    "the function's role may not read the secret (secretsmanager:GetSecretValue) or use its KMS key",
  DecryptionFailure:
    "Secrets Manager cannot decrypt the secret with its KMS key: check the key policy and the function role's kms:Decrypt",
  InvalidRequestException: 'the secret is scheduled for deletion or disabled; restore it',
  InvalidParameterException: 'BOX_CREDENTIALS_SECRET is not a valid secret name or ARN',
};

/** Errors worth retrying later: Secrets Manager or the network, not the deployment. */
const TRANSIENT_ERROR_NAMES = new Set([
  'InternalServiceError',
  'ThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  'ServiceUnavailable',
]);

/**
 * Reduces a Secrets Manager failure to its error name (never its message, which can carry the
 * ARN) plus what to fix.
 */
function secretsManagerFailure(error: unknown): BrokerError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const hint = SECRETS_MANAGER_HINTS[name];
  if (hint !== undefined) {
    return new MisconfiguredError(`Cannot read the Box credentials secret (${name}): ${hint}.`, {
      cause: error,
    });
  }
  if (TRANSIENT_ERROR_NAMES.has(name) || isNetworkError(error)) {
    return new CredentialsUnavailableError(
      `Secrets Manager did not return the Box credentials (${name}); retry later.`,
      { cause: error, retryAfterSeconds: 1 },
    );
  }
  if (isServiceException(error)) {
    return new MisconfiguredError(`Cannot read the Box credentials secret (${name}).`, {
      cause: error,
    });
  }
  // Not an AWS answer at all: a bug, answered as a generic server_error.
  return toBrokerError(error);
}

function isServiceException(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE)/.test(code);
}

/**
 * The credentials of a named tenant that does not exist (local mode knows its tenants up front):
 * every read answers `tenant_not_found`.
 */
export class MissingTenantCredentials implements CredentialsSource {
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
