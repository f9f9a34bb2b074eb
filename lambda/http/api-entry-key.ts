/**
 * The `api` entry's proof of origin. The alias's resource policy admits only API Gateway, but an
 * identity policy in the function's account can still allow `lambda:InvokeFunction` on it
 * (`function:*`, `function:NAME*`, the managed `AWSLambdaRole`), and Lambda allows a same-account
 * call when either policy does. Whoever holds such a grant could send an event claiming any IAM
 * caller. So the deployment gives its API stage a random key as a stage variable (API Gateway puts
 * stage variables into every proxy event), keeps the same key in a secret the function reads at cold
 * start, and the function trusts an `api` event only when the two match (compared in constant
 * time). Invoking the alias is then not enough: the forger must also read the key (the secret, or
 * the stage's configuration). docs/api.md "Entries" says what this does and does not protect.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  AccessDeniedError,
  type BrokerError,
  CredentialsUnavailableError,
  MisconfiguredError,
} from '../errors.js';
import type { RequestTrace } from '../trace/request-trace.js';

/** The stage variable that carries the key (stage variable names are `[A-Za-z0-9_]+`). */
export const API_ENTRY_STAGE_VARIABLE = 'brokerEntryKey';

/** A stage variable value is at most 2048 characters; anything longer is not ours. */
const MAX_PRESENTED_LENGTH = 2048;

/** The shortest key the function accepts: a guessable key would protect nothing. */
export const MIN_API_ENTRY_KEY_LENGTH = 32;

/** How long reading the key may take when the cold start's read has not finished. */
const LOAD_TIMEOUT_MS = 3000;

/** Why an `api` event was refused, for the operator's log line (never for the caller). */
export type EntryKeyRefusal = 'api_entry_key_missing' | 'api_entry_key_mismatch';

/** Where the deployment keeps the key: `BOX_API_ENTRY_SECRET`, read with the function's client. */
export interface ApiEntrySecret {
  client: SecretsManagerClient;
  secretId: string;
}

/** Reads the key; rejects with a {@link BrokerError} saying what went wrong. */
export type ApiEntryKeyLoader = (signal: AbortSignal) => Promise<string>;

/**
 * Least time between re-reads of the key that a mismatching event may cause: after the key is
 * replaced (docs/deploy.md), environments pick up the new one within this long of the first event
 * carrying it, while a forger's wrong keys cost at most one Secrets Manager read per interval.
 */
export const API_ENTRY_KEY_REREAD_MS = 60_000;

/**
 * Checks the key of each `api` event against the deployment's. The key is read once per execution
 * environment (started at cold start by {@link prefetch}) and again, at most once per
 * {@link API_ENTRY_KEY_REREAD_MS}, when an event carries another value; a failed read is retried
 * by the next request, never cached.
 */
export class ApiEntryKey {
  readonly #load: ApiEntryKeyLoader;
  readonly #now: () => number;
  #read: Promise<{ digest: Buffer; readAtMs: number }> | undefined;

  constructor(load: ApiEntryKeyLoader, now: () => number = Date.now) {
    this.#load = load;
    this.#now = now;
  }

  /** The key kept in the secret `secretId` (its `SecretString`), read with `client`. */
  static fromSecret(source: ApiEntrySecret, now?: () => number): ApiEntryKey {
    return new ApiEntryKey(apiEntryKeyFromSecret(source.client, source.secretId), now);
  }

  /** Starts reading the key now (cold start), so the first request rarely waits for it. */
  prefetch(): void {
    // A failure here is reported by the request that next needs the key.
    this.#expected().catch(() => undefined);
  }

  /**
   * Resolves when `event` carries the deployment's key; otherwise rejects with `403
   * access_denied` (and notes why in `trace`). A key that cannot be read rejects with the read's
   * error (`credentials_unavailable`, retryable, or `misconfigured`).
   */
  async verify(event: APIGatewayProxyEvent, trace?: RequestTrace): Promise<void> {
    const presented = presentedKey(event);
    let expected = await this.#expected();
    if (presented !== undefined && !sameKey(presented, expected.digest)) {
      // Perhaps the key was replaced since this environment read it.
      if (this.#now() - expected.readAtMs >= API_ENTRY_KEY_REREAD_MS) {
        if (this.#read !== undefined && (await this.#read) === expected) this.#read = undefined;
        expected = await this.#expected();
      }
    }
    const refusal =
      presented === undefined
        ? 'api_entry_key_missing'
        : sameKey(presented, expected.digest)
          ? undefined
          : 'api_entry_key_mismatch';
    if (refusal === undefined) return;
    if (trace !== undefined) {
      trace.decision = 'deny';
      trace.reason = refusal;
    }
    throw new AccessDeniedError(
      'This entry answers only the broker’s own API; invoke the function’s direct entry instead.',
    );
  }

  #expected(): Promise<{ digest: Buffer; readAtMs: number }> {
    if (this.#read === undefined) {
      const reading = this.#load(AbortSignal.timeout(LOAD_TIMEOUT_MS)).then((key) => ({
        digest: checkedDigest(key),
        readAtMs: this.#now(),
      }));
      this.#read = reading;
      reading.catch(() => {
        // Forget a failed read so the next request tries again.
        if (this.#read === reading) this.#read = undefined;
      });
    }
    return this.#read;
  }
}

/** The key as API Gateway put it into the event, if it did; only a string counts. */
function presentedKey(event: APIGatewayProxyEvent): string | undefined {
  const variables: unknown = event.stageVariables;
  if (typeof variables !== 'object' || variables === null) return undefined;
  // Own property only: an inherited `brokerEntryKey` is not something API Gateway sent.
  if (!Object.hasOwn(variables, API_ENTRY_STAGE_VARIABLE)) return undefined;
  const value: unknown = (variables as Record<string, unknown>)[API_ENTRY_STAGE_VARIABLE];
  if (typeof value !== 'string' || value === '' || value.length > MAX_PRESENTED_LENGTH) {
    return undefined;
  }
  return value;
}

/** Equal digests of equal length: the comparison takes the same time wherever they differ. */
function sameKey(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(digestOf(presented), expected);
}

function digestOf(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function checkedDigest(key: string): Buffer {
  if (key.length < MIN_API_ENTRY_KEY_LENGTH) {
    throw new MisconfiguredError(
      `The API entry key (secret BOX_API_ENTRY_SECRET) must be at least ${MIN_API_ENTRY_KEY_LENGTH} characters.`,
    );
  }
  return digestOf(key);
}

/** AWS error names that mean the deployment is wrong, not that Secrets Manager is busy. */
const CONFIGURATION_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** The key from the secret `secretId` (its `SecretString`, AWSCURRENT). */
export function apiEntryKeyFromSecret(
  client: SecretsManagerClient,
  secretId: string,
): ApiEntryKeyLoader {
  return async (signal) => {
    let secretString: string | undefined;
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }), {
        abortSignal: signal,
      });
      secretString = answer.SecretString;
    } catch (error) {
      throw readFailure(error);
    }
    if (secretString === undefined || secretString === '') {
      throw new MisconfiguredError(
        'The API entry key secret (BOX_API_ENTRY_SECRET) has no string value.',
      );
    }
    return secretString;
  };
}

/** An AWS failure reduced to its error name, as every AWS error that reaches a caller is. */
function readFailure(error: unknown): BrokerError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  if (CONFIGURATION_ERRORS.has(name)) {
    return new MisconfiguredError(
      `The API entry key secret (BOX_API_ENTRY_SECRET) cannot be read: ${name}.`,
      { cause: error },
    );
  }
  return new CredentialsUnavailableError(
    `Secrets Manager did not return the API entry key (${name}); try again.`,
    { cause: error },
  );
}
