import {
  GetSecretValueCommand,
  InternalServiceError,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../lambda/errors.js';
import {
  API_ENTRY_KEY_REREAD_MS,
  API_ENTRY_STAGE_VARIABLE,
  ApiEntryKey,
} from '../lambda/http/api-entry-key.js';

const KEY = `${'a'.repeat(20)}${'B'.repeat(20)}0123456789`;
const client = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
});
const secretsManager = mockClient(client);
afterEach(() => secretsManager.reset());

function eventWith(key: unknown): APIGatewayProxyEvent {
  return { stageVariables: { [API_ENTRY_STAGE_VARIABLE]: key } } as unknown as APIGatewayProxyEvent;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof BrokerError ? error.code : 'not a BrokerError';
  }
}

describe('Class: ApiEntryKey', () => {
  it('answers credentials_unavailable (retryable) while Secrets Manager fails, then reads again', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ $metadata: {}, message: 'busy' }))
      .resolves({ SecretString: KEY });
    const entry = ApiEntryKey.fromSecret({ client, secretId: 'entry' });

    // Act
    const first = await codeOf(entry.verify(eventWith(KEY)));
    const second = await codeOf(entry.verify(eventWith(KEY)));

    // Assess
    expect(first).toBe('credentials_unavailable');
    expect(second).toBeUndefined();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses to work with a key shorter than 32 characters (misconfigured)', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    const entry = ApiEntryKey.fromSecret({ client, secretId: 'entry' });

    expect(await codeOf(entry.verify(eventWith('short')))).toBe('misconfigured');
  });

  it('shares one read among the cold start and concurrent requests', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const entry = ApiEntryKey.fromSecret({ client, secretId: 'entry' });

    entry.prefetch();
    const codes = await Promise.all(
      [KEY, 'wrong', KEY].map((key) => codeOf(entry.verify(eventWith(key)))),
    );

    expect(codes).toEqual([undefined, 'access_denied', undefined]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reads a replaced key again on a mismatch, at most once per minute', async () => {
    // Prepare: the secret's value is replaced after the first read.
    const clock = { now: 1_000_000 };
    const reads: string[] = [];
    const keys = [KEY, `${KEY}-new`];
    const entry = new ApiEntryKey(
      async () => {
        const key = keys[Math.min(reads.length, 1)] ?? KEY;
        reads.push(key);
        return key;
      },
      () => clock.now,
    );
    await entry.verify(eventWith(KEY));

    // Act
    const soon = await codeOf(entry.verify(eventWith(`${KEY}-new`)));
    clock.now += API_ENTRY_KEY_REREAD_MS;
    const later = await codeOf(entry.verify(eventWith(`${KEY}-new`)));
    const oldKey = await codeOf(entry.verify(eventWith(KEY)));
    const wrong = await codeOf(entry.verify(eventWith('wrong')));

    // Assess
    expect([soon, later, oldKey, wrong]).toEqual([
      'access_denied',
      undefined,
      'access_denied',
      'access_denied',
    ]);
    expect(reads).toHaveLength(2);
  });
});
