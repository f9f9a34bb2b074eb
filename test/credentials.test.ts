import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSecretValue, SecretsManagerCredentials } from '../lambda/broker/credentials.js';
import { noDeadline } from '../lambda/deadline.js';
import { BrokerError, CredentialsUnavailableError, MisconfiguredError } from '../lambda/errors.js';

const D = noDeadline();

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:box-broker-AbCdEf';
const CLIENT_SECRET = 'sEcReT-value-that-must-never-leak-9f8e7d';
const GOOD_VALUE = {
  clientId: 'clientid0123456789abcdef',
  clientSecret: CLIENT_SECRET,
  enterpriseId: '987654',
};
const TTL_MS = 300_000;
const REREAD_MS = 10_000;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

const smMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-used' },
});

let current = T0;
const clock = {
  now: () => current,
  advance: (ms: number) => {
    current += ms;
  },
};

function source(): SecretsManagerCredentials {
  return new SecretsManagerCredentials({
    client,
    secretId: SECRET_ARN,
    ttlMs: TTL_MS,
    rereadIntervalMs: REREAD_MS,
    now: clock.now,
  });
}

function secretResponse(value: unknown, versionId = 'v1') {
  return { SecretString: JSON.stringify(value), VersionId: versionId, ARN: SECRET_ARN };
}

/** A promise the test settles by hand, to hold a call in flight. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** The error a call rejected with; fails the test when it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected a rejection');
}

/** Asserts an error says nothing a caller must not see. */
function expectNoLeak(error: BrokerError): void {
  expect(error.message).not.toContain(CLIENT_SECRET);
  expect(error.message).not.toContain('arn:aws');
  expect(error.message).not.toContain('111122223333');
}

function serviceError(name: string, fault: 'client' | 'server' = 'client') {
  return new SecretsManagerServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: fault === 'client' ? 400 : 500 },
    message: `User: arn:aws:sts::111122223333:assumed-role/broker/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: ${SECRET_ARN}`,
  });
}

beforeEach(() => {
  smMock.reset();
  current = T0;
});

afterEach(() => {
  smMock.reset();
});

describe('Class: SecretsManagerCredentials', () => {
  describe('Method: get', () => {
    it('reads the secret by the configured id and returns its values and version', async () => {
      smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE, 'ver-1'));
      const credentials = await source().get(D);
      expect(credentials).toEqual({ ...GOOD_VALUE, versionId: 'ver-1' });
      expect(smMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ARN,
        VersionStage: 'AWSCURRENT',
      });
    });

    it('makes one GetSecretValue call per TTL', async () => {
      // Prepare
      smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE));
      const credentials = source();
      // Act
      await credentials.get(D);
      for (let i = 0; i < 100; i += 1) await credentials.get(D);
      clock.advance(TTL_MS - 1);
      await credentials.get(D);
      // Assess
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      clock.advance(1);
      await credentials.get(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('picks up a console edit (new value and version) after the TTL', async () => {
      smMock
        .on(GetSecretValueCommand)
        .resolvesOnce(secretResponse(GOOD_VALUE, 'v1'))
        .resolves(secretResponse({ ...GOOD_VALUE, clientSecret: 'rotated' }, 'v2'));
      const credentials = source();
      expect((await credentials.get(D)).versionId).toBe('v1');
      clock.advance(TTL_MS);
      const next = await credentials.get(D);
      expect(next.versionId).toBe('v2');
      expect(next.clientSecret).toBe('rotated');
    });

    it('shares one call between concurrent get() calls', async () => {
      const gate = deferred<ReturnType<typeof secretResponse>>();
      smMock.on(GetSecretValueCommand).callsFake(() => gate.promise);
      const credentials = source();
      const calls = Array.from({ length: 20 }, () => credentials.get(D));
      gate.resolve(secretResponse(GOOD_VALUE));
      const results = await Promise.all(calls);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(new Set(results.map((r) => r.versionId))).toEqual(new Set(['v1']));
    });

    it('answers a failed read again without a call until the re-read interval passes', async () => {
      // Prepare
      smMock
        .on(GetSecretValueCommand)
        .rejectsOnce(serviceError('ThrottlingException'))
        .resolves(secretResponse(GOOD_VALUE));
      const credentials = source();
      // Act + Assess: a bad secret cannot make every request hammer Secrets Manager …
      const first = await rejectionOf(credentials.get(D));
      clock.advance(REREAD_MS - 1);
      expect(await rejectionOf(credentials.get(D))).toBe(first);
      expect(await rejectionOf(credentials.forceRefresh(D))).toBe(first);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      // … and the failure is not kept once the interval has passed.
      clock.advance(1);
      await expect(credentials.get(D)).resolves.toMatchObject({ versionId: 'v1' });
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('keeps the creation date of the version', async () => {
      smMock
        .on(GetSecretValueCommand)
        .resolves({ ...secretResponse(GOOD_VALUE), CreatedDate: new Date(T0 - 60_000) });
      expect((await source().get(D)).createdAtMs).toBe(T0 - 60_000);
    });

    it('uses "unknown" as the version when Secrets Manager sends none', async () => {
      smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(GOOD_VALUE) });
      expect((await source().get(D)).versionId).toBe('unknown');
    });
  });

  describe('Method: forceRefresh', () => {
    it('reads again at once even when the value is fresh', async () => {
      smMock
        .on(GetSecretValueCommand)
        .resolvesOnce(secretResponse(GOOD_VALUE, 'v1'))
        .resolves(secretResponse(GOOD_VALUE, 'v2'));
      const credentials = source();
      await credentials.get(D);
      expect((await credentials.forceRefresh(D)).versionId).toBe('v2');
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('returns the current value without a call within the re-read interval', async () => {
      smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE));
      const credentials = source();
      await credentials.get(D);
      await credentials.forceRefresh(D);
      clock.advance(REREAD_MS - 1);
      for (let i = 0; i < 10; i += 1) await credentials.forceRefresh(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      clock.advance(1);
      await credentials.forceRefresh(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    });

    it('reads when nothing was read yet', async () => {
      smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE));
      await expect(source().forceRefresh(D)).resolves.toMatchObject({ versionId: 'v1' });
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });

    it('restarts the TTL after a forced read', async () => {
      smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE));
      const credentials = source();
      await credentials.get(D);
      clock.advance(TTL_MS - 1000);
      await credentials.forceRefresh(D);
      clock.advance(TTL_MS - 1);
      await credentials.get(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });
  });

  describe('Method: previous', () => {
    it('reads the AWSPREVIOUS version and keeps it for the TTL', async () => {
      smMock
        .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
        .resolves(secretResponse({ ...GOOD_VALUE, clientSecret: 'old-secret' }, 'v0'));
      const credentials = source();
      const previous = await credentials.previous(D);
      expect(previous).toMatchObject({ clientSecret: 'old-secret', versionId: 'v0' });
      clock.advance(TTL_MS - 1);
      await credentials.previous(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(smMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ARN,
        VersionStage: 'AWSPREVIOUS',
      });
      clock.advance(1);
      await credentials.previous(D);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('does not touch the current credentials', async () => {
      smMock
        .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
        .resolves(secretResponse(GOOD_VALUE, 'v0'));
      const credentials = source();
      await credentials.previous(D);
      expect(
        smMock.commandCalls(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }),
      ).toHaveLength(0);
    });

    for (const [what, fault] of [
      [
        'there is no previous version',
        () =>
          new ResourceNotFoundException({
            $metadata: {},
            message: `Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS ${SECRET_ARN}`,
          }),
      ],
      ['Secrets Manager throttles', () => serviceError('ThrottlingException')],
    ] as const) {
      it(`returns undefined, and remembers it for the TTL, when ${what}`, async () => {
        smMock.on(GetSecretValueCommand).rejects(fault());
        const credentials = source();
        await expect(credentials.previous(D)).resolves.toBeUndefined();
        await expect(credentials.previous(D)).resolves.toBeUndefined();
        expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      });
    }

    it('returns undefined when the previous version is malformed', async () => {
      smMock.on(GetSecretValueCommand).resolves(secretResponse({ clientId: 'x' }, 'v0'));
      await expect(source().previous(D)).resolves.toBeUndefined();
    });
  });

  describe('Method: get (malformed secret values)', () => {
    const cases: { name: string; secretString: string | undefined; mentions: string[] }[] = [
      { name: 'a binary secret (no SecretString)', secretString: undefined, mentions: ['binary'] },
      { name: 'a value that is not JSON', secretString: `{${CLIENT_SECRET}`, mentions: ['JSON'] },
      { name: 'a JSON array', secretString: JSON.stringify([CLIENT_SECRET]), mentions: ['object'] },
      { name: 'a JSON string', secretString: JSON.stringify(CLIENT_SECRET), mentions: ['object'] },
      { name: 'JSON null', secretString: 'null', mentions: ['object'] },
      { name: 'an empty string', secretString: '', mentions: ['JSON'] },
      ...(['clientId', 'clientSecret', 'enterpriseId'] as const).flatMap((key) => [
        {
          name: `a value missing ${key}`,
          secretString: JSON.stringify({ ...GOOD_VALUE, [key]: undefined }),
          mentions: [key],
        },
        {
          name: `an empty ${key}`,
          secretString: JSON.stringify({ ...GOOD_VALUE, [key]: '' }),
          mentions: [key],
        },
        {
          name: `a blank ${key}`,
          secretString: JSON.stringify({ ...GOOD_VALUE, [key]: '   ' }),
          mentions: [key],
        },
        {
          name: `a non-string ${key}`,
          secretString: JSON.stringify({ ...GOOD_VALUE, [key]: 12345 }),
          mentions: [key],
        },
        {
          name: `the placeholder in ${key}`,
          secretString: JSON.stringify({
            ...GOOD_VALUE,
            [key]: `REPLACE_WITH_${key.toUpperCase()}`,
          }),
          mentions: [key, 'placeholder'],
        },
      ]),
      {
        name: 'a non-digit enterpriseId',
        secretString: JSON.stringify({ ...GOOD_VALUE, enterpriseId: 'ent-987654' }),
        mentions: ['enterpriseId', 'digits'],
      },
    ];

    for (const { name, secretString, mentions } of cases) {
      it(`throws misconfigured naming the problem, never the value, for ${name}`, async () => {
        // Prepare
        smMock.on(GetSecretValueCommand).resolves({
          ARN: SECRET_ARN,
          VersionId: 'v1',
          ...(secretString === undefined
            ? { SecretBinary: new TextEncoder().encode(CLIENT_SECRET) }
            : { SecretString: secretString }),
        });
        // Act
        const error = await rejectionOf(source().get(D));
        // Assess
        expect(error).toBeInstanceOf(MisconfiguredError);
        expect(error.code).toBe('misconfigured');
        expect(error.status).toBe(500);
        expect(error.retryable).toBe(false);
        for (const word of mentions) expect(error.message).toContain(word);
        expectNoLeak(error);
        expect(error.message).not.toContain(GOOD_VALUE.clientId);
        expect(error.message).not.toContain('ent-987654');
        if (secretString !== undefined && secretString.length > 4) {
          expect(error.message).not.toContain(secretString);
        }
      });
    }

    it('names only the missing key when the others are fine', async () => {
      smMock
        .on(GetSecretValueCommand)
        .resolves(secretResponse({ clientId: 'id', clientSecret: CLIENT_SECRET }));
      const error = await rejectionOf(source().get(D));
      expect(error.message).toContain('"enterpriseId"');
      expect(error.message).not.toContain('"clientId"');
    });

    it('answers a malformed new version as misconfigured, naming the key', async () => {
      smMock
        .on(GetSecretValueCommand)
        .resolvesOnce(secretResponse(GOOD_VALUE, 'v1'))
        .resolves(secretResponse({ clientId: 'x' }, 'v2'));
      const credentials = source();
      await credentials.get(D);
      clock.advance(TTL_MS);
      await expect(credentials.get(D)).rejects.toBeInstanceOf(MisconfiguredError);
    });
  });

  describe('Method: get (AWS errors)', () => {
    const misconfigurations: { name: string; error: () => Error }[] = [
      {
        name: 'ResourceNotFoundException',
        error: () =>
          new ResourceNotFoundException({
            $metadata: {},
            message: `Secrets Manager can't find the specified secret ${SECRET_ARN}.`,
          }),
      },
      {
        name: 'DecryptionFailure',
        error: () =>
          new DecryptionFailure({
            $metadata: {},
            message: `Access to KMS is not allowed for ${SECRET_ARN}`,
          }),
      },
      {
        name: 'InvalidRequestException',
        error: () =>
          new InvalidRequestException({
            $metadata: {},
            message: `You can't perform this operation on ${SECRET_ARN} because it was marked for deletion.`,
          }),
      },
      {
        name: 'InvalidParameterException',
        error: () =>
          new InvalidParameterException({
            $metadata: {},
            message: `Invalid name ${SECRET_ARN}`,
          }),
      },
      { name: 'AccessDeniedException', error: () => serviceError('AccessDeniedException') },
      { name: 'SomethingNewException', error: () => serviceError('SomethingNewException') },
    ];

    for (const { name, error } of misconfigurations) {
      it(`throws misconfigured naming ${name} and not the ARN`, async () => {
        smMock.on(GetSecretValueCommand).rejects(error());
        const thrown = await rejectionOf(source().get(D));
        expect(thrown).toBeInstanceOf(MisconfiguredError);
        expect(thrown.code).toBe('misconfigured');
        expect(thrown.retryable).toBe(false);
        expect(thrown.message).toContain(name);
        expectNoLeak(thrown);
        expect(thrown.message).not.toContain('not authorized');
        // The original stays attached for the log.
        expect((thrown.cause as Error).name).toBe(name);
      });
    }

    const transient: { name: string; error: () => Error }[] = [
      { name: 'ThrottlingException', error: () => serviceError('ThrottlingException') },
      {
        name: 'InternalServiceError',
        error: () =>
          new InternalServiceError({
            $metadata: { httpStatusCode: 500 },
            message: `An error occurred on the server side for ${SECRET_ARN}.`,
          }),
      },
    ];

    for (const { name, error } of transient) {
      it(`throws retryable credentials_unavailable for ${name}`, async () => {
        smMock.on(GetSecretValueCommand).rejects(error());
        const thrown = await rejectionOf(source().get(D));
        expect(thrown).toBeInstanceOf(CredentialsUnavailableError);
        expect(thrown.code).toBe('credentials_unavailable');
        expect(thrown.status).toBe(503);
        expect(thrown.retryable).toBe(true);
        expect(thrown.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(thrown.message).toContain(name);
        expectNoLeak(thrown);
      });
    }

    it('throws retryable credentials_unavailable for a network failure', async () => {
      const network = Object.assign(new Error(`connect ECONNREFUSED ${SECRET_ARN}`), {
        code: 'ECONNREFUSED',
      });
      smMock.on(GetSecretValueCommand).rejects(network);
      const thrown = await rejectionOf(source().get(D));
      expect(thrown.code).toBe('credentials_unavailable');
      expectNoLeak(thrown);
    });

    it('throws a generic server_error for a failure that is not an AWS answer', async () => {
      smMock.on(GetSecretValueCommand).callsFake(() => Promise.reject(SECRET_ARN));
      const thrown = await rejectionOf(source().get(D));
      expect(thrown.code).toBe('server_error');
      expectNoLeak(thrown);
    });
  });
});

describe('Function: parseSecretValue', () => {
  it('trims the values and keeps the version', () => {
    const value = JSON.stringify({
      clientId: ' id ',
      clientSecret: ` ${CLIENT_SECRET}\n`,
      enterpriseId: ' 42 ',
    });
    expect(parseSecretValue(value, 'v9')).toEqual({
      clientId: 'id',
      clientSecret: CLIENT_SECRET,
      enterpriseId: '42',
      versionId: 'v9',
    });
  });

  it('ignores extra keys', () => {
    const value = JSON.stringify({ ...GOOD_VALUE, note: 'rotated by ops' });
    expect(parseSecretValue(value, 'v1')).toEqual({ ...GOOD_VALUE, versionId: 'v1' });
  });
});

describe('Deadlines (one per request)', () => {
  /** A deadline the test fires by hand. */
  function manualDeadline() {
    const controller = new AbortController();
    return {
      deadline: { signal: controller.signal, atMs: T0 + 1000 },
      expire: () => controller.abort(new DOMException('deadline', 'TimeoutError')),
    };
  }

  /** The abort signal the SDK send of call `index` got. */
  const sentSignal = (index: number) =>
    (smMock.commandCalls(GetSecretValueCommand)[index]?.args as unknown[] | undefined)?.[1] as
      | { abortSignal?: AbortSignal }
      | undefined;

  it('lets a request stop waiting for a shared read at its deadline while the read goes on for the others', async () => {
    const gate = deferred<ReturnType<typeof secretResponse>>();
    smMock.on(GetSecretValueCommand).callsFake(() => gate.promise);
    const credentials = source();
    const short = manualDeadline();
    const long = manualDeadline();
    const impatient = rejectionOf(credentials.get(short.deadline));
    const patient = credentials.get(long.deadline);
    short.expire();
    const error = await impatient;
    expect(error.code).toBe('box_timeout');
    expect(error.message).toContain('Secrets Manager');
    gate.resolve(secretResponse(GOOD_VALUE, 'v7'));
    await expect(patient).resolves.toMatchObject({ versionId: 'v7' });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    // The shared call was not aborted by the impatient request.
    expect(sentSignal(0)?.abortSignal?.aborted).toBe(false);
  });

  it('aborts the shared read once every waiter gave up, so the next request reads afresh', async () => {
    smMock.on(GetSecretValueCommand).callsFakeOnce(
      () => new Promise(() => undefined), // hangs
    );
    const credentials = source();
    const only = manualDeadline();
    const waiting = rejectionOf(credentials.get(only.deadline));
    only.expire();
    expect((await waiting).code).toBe('box_timeout');
    expect(sentSignal(0)?.abortSignal?.aborted).toBe(true);
    smMock.on(GetSecretValueCommand).resolves(secretResponse(GOOD_VALUE, 'v8'));
    await expect(credentials.get(D)).resolves.toMatchObject({ versionId: 'v8' });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('passes the request deadline as the abort signal of a previous-version read', async () => {
    smMock
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .resolves(secretResponse(GOOD_VALUE, 'v0'));
    const { deadline } = manualDeadline();
    await source().previous(deadline);
    expect(sentSignal(0)?.abortSignal).toBe(deadline.signal);
  });
});
