import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerClient } from '../client/broker-client.js';
import { BrokerClientError } from '../client/errors.js';
import { getBoxToken } from '../client/get-box-token.js';
import { ERROR_CODES, type ErrorCode } from '../lambda/contract.js';
import { TOKEN_EXCHANGE_GRANT } from '../local/box-simulator/index.js';
import {
  credentialsOf,
  type SignedBroker,
  startSignedBroker,
  TEST_KEYS,
} from './support/signed-broker.js';
import { type StubBroker, startStubBroker, tokenBody } from './support/stub-broker.js';

/** Runs `call`, expecting a BrokerClientError, and returns it. */
async function failure(call: () => Promise<unknown>): Promise<BrokerClientError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof BrokerClientError) return error;
    throw error;
  }
  throw new Error('expected a BrokerClientError');
}

describe('Class: BrokerClient (local server, SigV4 emulation on)', () => {
  let signed: SignedBroker;
  let clock: { now: number };
  let sleeps: number[];

  beforeAll(async () => {
    signed = await startSignedBroker({
      // One short Box attempt so fault answers come back at once.
      env: { BOX_MAX_ATTEMPTS: '1', BOX_HTTP_TIMEOUT_MS: '200', BOX_RETRY_BUDGET_MS: '200' },
    });
  });
  afterAll(async () => {
    await signed.close();
  });
  afterEach(() => {
    signed.broker.simulator?.setCredentials([
      { clientId: 'local-client-id', clientSecret: 'local-client-secret' },
    ]);
  });

  function client(options: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) {
    clock = { now: Date.UTC(2026, 0, 15, 9, 0, 0) };
    sleeps = [];
    return new BrokerClient({
      url: signed.url,
      credentials: credentialsOf(TEST_KEYS.etl),
      now: () => clock.now,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      maxAttempts: 1,
      ...options,
    });
  }

  const brokerCalls = () => signed.logLines.length;

  it('obtains a Box token the simulator accepts', async () => {
    // Act
    const token = await client().getToken();

    // Assess
    expect(token).toMatchObject({
      token_type: 'bearer',
      box_subject_type: 'enterprise',
      box_subject_id: '1234567',
      restricted_to: [],
    });
    expect(token.expires_in).toBeGreaterThan(3000);
    expect(signed.broker.simulator?.isTokenActive(token.access_token)).toBe(true);
  });

  it('serves the cached token without asking the broker, with a decreasing expires_in', async () => {
    // Prepare
    const broker = client();
    const first = await broker.getToken({ scope: 'item_preview' });
    const calls = brokerCalls();

    // Act
    clock.now += 600_000;
    const second = await broker.getToken({ scope: ['item_preview'] });

    // Assess
    expect(second.access_token).toBe(first.access_token);
    expect(second.expires_in).toBe(first.expires_in - 600);
    expect(brokerCalls()).toBe(calls);
  });

  it('asks the broker again once the token is within the refresh margin of expiry', async () => {
    const broker = client({ refreshMarginSeconds: 60 });
    const first = await broker.getToken();
    const calls = brokerCalls();

    clock.now += (first.expires_in - 61) * 1000;
    await broker.getToken();
    expect(brokerCalls()).toBe(calls);

    clock.now += 2000;
    await broker.getToken();
    expect(brokerCalls()).toBe(calls + 1);
  });

  it('asks the broker when the cached token has less life than min_ttl', async () => {
    const broker = client();
    const first = await broker.getToken();
    const calls = brokerCalls();
    clock.now += 1_000_000;

    await broker.getToken({ minTtl: first.expires_in - 500 });

    expect(brokerCalls()).toBe(calls + 1);
  });

  it('shares one broker call among concurrent requests for the same token', async () => {
    const broker = client();
    const calls = brokerCalls();

    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => broker.getToken({ scope: 'item_download item_preview' })),
    );

    expect(new Set(tokens.map((t) => t.access_token)).size).toBe(1);
    expect(brokerCalls()).toBe(calls + 1);
  });

  it('revokes a token through the broker and forgets it', async () => {
    const broker = client();
    const token = await broker.getToken({ scope: 'item_rename' });

    await broker.revoke(token.access_token);

    expect(signed.broker.simulator?.isTokenActive(token.access_token)).toBe(false);
    const next = await broker.getToken({ scope: 'item_rename' });
    expect(next.access_token).not.toBe(token.access_token);
  });

  it('reads the broker health', async () => {
    await expect(client().health()).resolves.toMatchObject({ status: 'ok' });
  });

  it('throws invalid_request (400, not retryable) for a malformed subject ID', async () => {
    const error = await failure(() => client().getToken({ subject: 'user:abc' }));
    expect(error).toMatchObject({ code: 'invalid_request', status: 400, retryable: false });
    expect(error.requestId).toMatch(/\S/);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it('throws invalid_scope (400) for a scope Box does not define', async () => {
    const error = await failure(() => client().getToken({ scope: 'not_a_box_scope' }));
    expect(error).toMatchObject({ code: 'invalid_scope', status: 400, retryable: false });
  });

  it('throws access_denied (403) when the access policy refuses the caller', async () => {
    const vendor = client({ credentials: credentialsOf(TEST_KEYS.vendor) });
    const error = await failure(() => vendor.getToken({ subject: { type: 'user', id: '42' } }));
    expect(error).toMatchObject({ code: 'access_denied', status: 403, retryable: false });
  });

  it('throws box_credentials_rejected (502, not retryable) when Box refuses the client', async () => {
    signed.broker.simulator?.setCredentials([{ clientId: 'rotated', clientSecret: 'elsewhere' }]);
    const error = await failure(() => client().getToken({ subject: 'user:42' }));
    expect(error).toMatchObject({
      code: 'box_credentials_rejected',
      status: 502,
      retryable: false,
    });
    expect(error.message).toContain('invalid_client');
  });

  it('throws box_bad_response (502, retryable, Retry-After) for a broken Box answer', async () => {
    const broker = client();
    await broker.getToken();
    signed.broker.simulator?.injectFault({
      kind: 'malformed',
      body: 'not_json',
      grantType: TOKEN_EXCHANGE_GRANT,
    });
    const error = await failure(() => broker.getToken({ scope: 'item_share' }));
    expect(error).toMatchObject({
      code: 'box_bad_response',
      status: 502,
      retryable: true,
      retryAfterSeconds: 1,
    });
  });

  it("throws box_unavailable (503, retryable) with Box's Retry-After", async () => {
    const broker = client();
    await broker.getToken();
    signed.broker.simulator?.injectFault({
      kind: 'rate_limit',
      retryAfter: 7,
      grantType: TOKEN_EXCHANGE_GRANT,
    });
    const error = await failure(() => broker.getToken({ scope: 'item_upload' }));
    expect(error).toMatchObject({
      code: 'box_unavailable',
      status: 503,
      retryable: true,
      retryAfterSeconds: 7,
    });
  });

  it('throws box_timeout (504, retryable) when Box does not answer', async () => {
    const broker = client();
    await broker.getToken();
    signed.broker.simulator?.injectFault({ kind: 'hang', grantType: TOKEN_EXCHANGE_GRANT });
    const error = await failure(() => broker.getToken({ scope: 'item_delete' }));
    expect(error).toMatchObject({ code: 'box_timeout', status: 504, retryable: true });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('retries a retryable answer after its Retry-After, and succeeds', async () => {
    const broker = client({ maxAttempts: 2 });
    await broker.getToken();
    signed.broker.simulator?.injectFault({
      kind: 'malformed',
      body: 'zero_expires_in',
      grantType: TOKEN_EXCHANGE_GRANT,
    });

    const token = await broker.getToken({ scope: 'base_preview' });

    expect(token.restricted_to).toEqual([{ scope: 'base_preview' }]);
    expect(sleeps).toEqual([1000]);
  });

  it('throws not_authorized (403 from the gateway) for a wrong secret key, without retrying', async () => {
    const broker = client({
      maxAttempts: 3,
      credentials: { accessKeyId: TEST_KEYS.etl.accessKeyId, secretAccessKey: 'wrong' },
    });
    const error = await failure(() => broker.getToken());
    expect(error).toMatchObject({ code: 'not_authorized', status: 403, retryable: false });
    expect(error.message).toContain('The request signature we calculated does not match');
    expect(sleeps).toEqual([]);
  });

  it('calls a loopback broker unsigned when the credential provider fails, and says so once', async () => {
    // Prepare: IAM emulation is on here, so the unsigned call is refused like API Gateway would.
    const warnings: string[] = [];
    const broker = client({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      warn: (message) => warnings.push(message),
    });

    // Act
    const first = await failure(() => broker.getToken());
    const second = await failure(() => broker.health());

    // Assess
    expect(first).toMatchObject({ code: 'not_authorized', status: 403 });
    expect(second).toMatchObject({ code: 'not_authorized', status: 403 });
    expect(first.message).toContain('Missing Authentication Token');
    expect(warnings).toEqual([expect.stringContaining('unsigned')]);
  });

  it('throws aws_credentials_unavailable for a remote broker when the credential provider fails', async () => {
    const broker = new BrokerClient({
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      fetch: async () => {
        throw new Error('must not be called');
      },
    });
    const error = await failure(() => broker.getToken());
    expect(error).toMatchObject({ code: 'aws_credentials_unavailable', retryable: false });
  });

  it('throws misconfigured (500) when the broker configuration is invalid', async () => {
    const broken = await startSignedBroker({ env: { BOX_HTTP_TIMEOUT_MS: 'soon' } });
    try {
      const broker = new BrokerClient({
        url: broken.url,
        credentials: credentialsOf(TEST_KEYS.etl),
      });
      const error = await failure(() => broker.getToken());
      expect(error).toMatchObject({ code: 'misconfigured', status: 500, retryable: false });
      expect(error.message).toContain('BOX_HTTP_TIMEOUT_MS');
    } finally {
      await broken.close();
    }
  });
});

describe('Class: BrokerClient (answers of every kind)', () => {
  let server: Server;
  let url: string;
  const answers: { status: number; headers?: Record<string, string>; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((_request, response) => {
      const next = answers.shift() ?? { status: 500, body: '{"message":"no answer queued"}' };
      response.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      response.end(next.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = (options: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) =>
    new BrokerClient({
      url,
      credentials: credentialsOf(TEST_KEYS.etl),
      maxAttempts: 1,
      sleep: async () => undefined,
      ...options,
    });

  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it.each(codes)(
    'surfaces the contract error %s with its status, retryable and Retry-After',
    async (code) => {
      // Prepare
      const { status, retryable } = ERROR_CODES[code];
      answers.push({
        status,
        headers: retryable
          ? { 'Retry-After': '3', 'X-Request-Id': 'req-1' }
          : { 'X-Request-Id': 'req-1' },
        body: JSON.stringify({
          error: code,
          error_description: `described ${code}`,
          retryable,
          request_id: 'req-1',
        }),
      });

      // Act
      const error = await failure(() => client().getToken());

      // Assess
      expect(error).toBeInstanceOf(BrokerClientError);
      expect(error).toMatchObject({
        code,
        status,
        retryable,
        requestId: 'req-1',
        message: `described ${code}`,
        retryAfterSeconds: retryable ? 3 : undefined,
      });
    },
  );

  it.each([
    [429, '{"message":"Too Many Requests"}', 'throttled', true],
    [502, '{"message":"Internal server error"}', 'gateway_error', true],
    [504, '{"message":"Endpoint request timed out"}', 'gateway_error', true],
    [
      403,
      '{"message":"User: anonymous is not authorized to perform: execute-api:Invoke"}',
      'not_authorized',
      false,
    ],
    [503, '<html>Service Unavailable</html>', 'unexpected_response', true],
    [200, '<html>captive portal</html>', 'unexpected_response', false],
    [200, '{"token_type":"bearer","expires_in":10}', 'unexpected_response', false],
  ] as const)('maps HTTP %i %s to %s (retryable %s)', async (status, body, code, retryable) => {
    answers.push({ status, body });
    const error = await failure(() => client().getToken());
    expect(error).toMatchObject({ code, retryable, status });
  });

  it('does not wait for a Retry-After longer than maxRetryDelaySeconds', async () => {
    const waits: number[] = [];
    answers.push({
      status: 503,
      headers: { 'Retry-After': '30' },
      body: JSON.stringify({
        error: 'box_unavailable',
        error_description: 'x',
        retryable: true,
        request_id: 'r',
      }),
    });
    const error = await failure(() =>
      client({ maxAttempts: 3, sleep: async (ms) => void waits.push(ms) }).getToken(),
    );
    expect(error).toMatchObject({ code: 'box_unavailable', retryAfterSeconds: 30 });
    expect(waits).toEqual([]);
  });

  it('throws network_error (retryable) when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(() => client({ url: `http://127.0.0.1:${port}` }).getToken());
    expect(error).toMatchObject({ code: 'network_error', retryable: true });
  });

  it('throws invalid_argument for plain http to a remote host and for a bad subject', () => {
    expect(() => client({ url: 'http://broker.example.com/prod' })).toThrow(BrokerClientError);
    expect(() => client({ url: 'https://broker.example.com/prod' })).toThrow(/region/);
    expect(
      client({ url: 'https://abc123.execute-api.eu-central-1.amazonaws.com/prod/token' }).region,
    ).toBe('eu-central-1');
    expect(
      client({ url: 'https://abc123.execute-api.eu-central-1.amazonaws.com/prod/token' }).url,
    ).toBe('https://abc123.execute-api.eu-central-1.amazonaws.com/prod');
  });
});

describe('Function: getBoxToken', () => {
  let signed: SignedBroker;

  beforeAll(async () => {
    signed = await startSignedBroker();
  });
  afterAll(async () => {
    await signed.close();
  });

  it('returns a token in one call and reuses its cache on the next', async () => {
    const credentials = credentialsOf(TEST_KEYS.etl);
    const first = await getBoxToken({ url: signed.url, credentials });
    const calls = signed.logLines.length;
    const second = await getBoxToken({ url: signed.url, credentials });
    expect(second.access_token).toBe(first.access_token);
    expect(signed.logLines.length).toBe(calls);
  });

  it('throws invalid_argument without a URL', async () => {
    const previous = process.env.BOX_TOKEN_BROKER_URL;
    delete process.env.BOX_TOKEN_BROKER_URL;
    try {
      const error = await failure(() => getBoxToken({}));
      expect(error.code).toBe('invalid_argument');
    } finally {
      if (previous !== undefined) process.env.BOX_TOKEN_BROKER_URL = previous;
    }
  });
});

describe('Class: BrokerClient revoke (local server with tenant acme)', () => {
  let signed: SignedBroker;

  beforeAll(async () => {
    signed = await startSignedBroker({
      env: {
        BOX_LOCAL_TENANTS: 'acme',
        BOX_ACCESS_POLICY: JSON.stringify({
          version: 1,
          rules: [
            {
              id: 'etl',
              callers: ['arn:aws:iam::111122223333:role/etl-*'],
              tenants: ['*'],
              subjects: ['enterprise'],
            },
          ],
        }),
      },
    });
  });
  afterAll(async () => {
    await signed.close();
  });

  const client = () =>
    new BrokerClient({
      url: signed.url,
      credentials: credentialsOf(TEST_KEYS.etl),
      maxAttempts: 1,
    });

  it("revokes an acme token in acme: the broker drops it from acme's cache", async () => {
    // Prepare
    const broker = client();
    const token = await broker.getToken({ tenant: 'acme' });

    // Act
    await broker.revoke(token.access_token);

    // Assess: another client (no cache of its own) is not handed the revoked token.
    const next = await client().getToken({ tenant: 'acme' });
    expect(next.access_token).not.toBe(token.access_token);
    expect(signed.broker.simulator?.isTokenActive(token.access_token)).toBe(false);
  });

  it('remembers the tenant of a token the cache has since replaced', async () => {
    // Prepare: naming the first token dead makes the client cache a second one in its place.
    const broker = client();
    const first = await broker.getToken({ tenant: 'acme', scope: 'item_preview' });
    const second = await broker.getToken({
      tenant: 'acme',
      scope: 'item_preview',
      deadToken: first.access_token,
    });

    // Act
    await broker.revoke(first.access_token);

    // Assess: the broker logged the revoke under acme.
    const revokes = signed.logLines
      .map((line) => JSON.parse(line) as { operation?: string; tenant?: string })
      .filter((line) => line.operation === 'revoke');
    expect(second.access_token).not.toBe(first.access_token);
    expect(revokes.at(-1)).toMatchObject({ tenant: 'acme' });
  });

  it('revokes in the tenant named by the option, for a token it did not get itself', async () => {
    const token = await client().getToken({ tenant: 'acme', scope: 'item_upload' });

    await client().revoke(token.access_token, { tenant: 'acme' });

    const next = await client().getToken({ tenant: 'acme', scope: 'item_upload' });
    expect(next.access_token).not.toBe(token.access_token);
  });
});

describe('Class: BrokerClient (caller side of contract v1.1, against a recording stub)', () => {
  let stub: StubBroker;
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  let defaultAnswer: StubBroker['answer'];

  beforeAll(async () => {
    stub = await startStubBroker();
    defaultAnswer = stub.answer;
  });
  afterAll(async () => {
    await stub.close();
  });
  afterEach(() => {
    stub.requests.length = 0;
    stub.answer = defaultAnswer;
  });

  function client(options: Partial<ConstructorParameters<typeof BrokerClient>[0]> = {}) {
    return new BrokerClient({
      url: stub.url,
      credentials: credentialsOf(TEST_KEYS.etl),
      maxAttempts: 1,
      ...options,
    });
  }

  it('sends the SHA-256 of a dead token, never the token, and does not serve it from its cache', async () => {
    // Prepare
    const broker = client();
    const dead = (await broker.getToken()).access_token;

    // Act
    const fresh = await broker.getToken({ deadToken: dead });
    const again = await broker.getToken();

    // Assess
    expect(stub.requests.map((r) => r.body)).toEqual([{}, { dead_token_sha256: sha256(dead) }]);
    expect(JSON.stringify(stub.requests)).not.toContain(`"${dead}"`);
    expect(fresh.access_token).not.toBe(dead);
    expect(again.access_token).toBe(fresh.access_token);
  });

  it('serves a cached token that is not the dead one without asking the broker', async () => {
    const broker = client();
    const alive = (await broker.getToken()).access_token;
    const other = await broker.getToken({ deadToken: 'some-other-token' });
    expect(other.access_token).toBe(alive);
    expect(stub.requests).toHaveLength(1);
  });

  it('against a v1.0 broker that refuses the field, revokes the dead token and asks again without it', async () => {
    // Prepare: v1.0's answer to an unknown field.
    stub.answer = (request, index) => {
      if (request.path.endsWith('/revoke')) return { status: 200, body: { revoked: true } };
      if (request.body?.dead_token_sha256 !== undefined) {
        return {
          status: 400,
          body: {
            error: 'invalid_request',
            error_description:
              'Unknown field "dead_token_sha256"; allowed: box_subject_type, box_subject_id, scope, resource, box_shared_link, min_ttl.',
            retryable: false,
            request_id: 'r1',
          },
        };
      }
      return { status: 200, body: tokenBody(`token-${index}`) };
    };
    const broker = client();
    const dead = (await broker.getToken()).access_token;

    // Act
    const fresh = await broker.getToken({ deadToken: dead });

    // Assess
    expect(stub.requests.map((r) => [r.path, r.body])).toEqual([
      ['/prod/token', {}],
      ['/prod/token', { dead_token_sha256: sha256(dead) }],
      ['/prod/revoke', { token: dead }],
      ['/prod/token', {}],
    ]);
    expect(fresh.access_token).not.toBe(dead);
  });

  it('sends the tenant and keeps one cache entry per tenant', async () => {
    const broker = client();

    const acme = await broker.getToken({ tenant: 'acme' });
    const standard = await broker.getToken();
    const acmeAgain = await broker.getToken({ tenant: 'acme' });
    const globex = await broker.getToken({ tenant: 'globex-2' });

    expect(stub.requests.map((r) => r.body)).toEqual([
      { tenant: 'acme' },
      {},
      { tenant: 'globex-2' },
    ]);
    expect(acme).toMatchObject({ tenant: 'acme' });
    expect(acmeAgain.access_token).toBe(acme.access_token);
    expect(new Set([acme, standard, globex].map((t) => t.access_token)).size).toBe(3);
  });

  it('sends the tenant a token came from on POST /revoke, or the one the option names', async () => {
    const broker = client();
    const acme = await broker.getToken({ tenant: 'acme' });
    const standard = await broker.getToken();

    await broker.revoke(acme.access_token);
    await broker.revoke(standard.access_token);
    await broker.revoke('token-from-elsewhere', { tenant: 'globex-2' });
    const refused = await failure(() => broker.revoke('t', { tenant: 'Not A Tenant' }));

    expect(stub.requests.slice(2).map((r) => [r.path, r.body])).toEqual([
      ['/prod/revoke', { token: acme.access_token, tenant: 'acme' }],
      ['/prod/revoke', { token: standard.access_token }],
      ['/prod/revoke', { token: 'token-from-elsewhere', tenant: 'globex-2' }],
    ]);
    expect(refused.code).toBe('invalid_argument');
  });

  it('refuses a tenant ID outside the contract pattern before any call', async () => {
    const broker = client();
    for (const tenant of ['', 'Acme', '-acme', 'acme-', 'a_b', 'a'.repeat(65), 'acme/../x']) {
      const error = await failure(() => broker.getToken({ tenant }));
      expect(error, tenant).toMatchObject({ code: 'invalid_argument' });
    }
    await expect(broker.getToken({ tenant: 'a'.repeat(64) })).resolves.toBeDefined();
    expect(stub.requests).toHaveLength(1);
  });

  it('reports its version in User-Agent on signed calls', async () => {
    await client().getToken();
    expect(stub.requests[0]?.headers['user-agent']).toMatch(
      /^box-token-broker-client\/\d+\.\d+\.\d+ node\/\d+/,
    );
    expect(stub.requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=/);
  });

  it('sends unsigned calls (no Authorization) to a loopback broker when no credentials exist', async () => {
    const warnings: string[] = [];
    const broker = client({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      warn: (message) => warnings.push(message),
    });

    const token = await broker.getToken();

    expect(token.access_token).toBe('token-1');
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
    expect(stub.requests[0]?.headers['user-agent']).toMatch(/^box-token-broker-client\//);
    expect(warnings).toHaveLength(1);
  });
});
