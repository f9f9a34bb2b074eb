import { createHash } from 'node:crypto';
import { BoxClient } from 'box-node-sdk';
import { BaseUrls, BoxRetryStrategy, NetworkSession } from 'box-node-sdk/networking';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerAuth } from '../client/box-sdk-auth.js';
import { BrokerClient } from '../client/broker-client.js';
import {
  type BoxSimulator,
  type BoxSimulatorOptions,
  CLIENT_CREDENTIALS_GRANT,
  startBoxSimulator,
} from '../local/box-simulator/index.js';
import {
  credentialsOf,
  type SignedBroker,
  startSignedBroker,
  TEST_KEYS,
} from './support/signed-broker.js';
import { startStubBroker } from './support/stub-broker.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const SIM_CLIENT = { clientId: 'sdk-test-client', clientSecret: 'sdk-test-secret' };
const SERVICE_ACCOUNT_ID = '31000001';

interface Setup {
  simulator: BoxSimulator;
  signed: SignedBroker;
  /** One fake clock for Box's token expiry and the client's cache. */
  clock: { now: number };
  /** A BoxClient pointed at the simulator, authenticated by the broker. */
  box(options?: { revokeOnUnauthorized?: boolean; maxAttempts?: number }): {
    client: BoxClient;
    auth: BrokerAuth;
  };
  usersMeCalls(): number;
  /** JSON bodies of the client's POST /token calls to the broker, in order. */
  tokenRequests: Record<string, unknown>[];
}

let open: Setup | undefined;

afterEach(async () => {
  await open?.signed.close();
  await open?.simulator.close();
  open = undefined;
});

/**
 * A Box simulator on a fake clock, the local broker (SigV4 emulation on) using it as Box, and
 * BoxClients whose BrokerAuth shares the fake clock.
 */
async function setUp(simulatorOptions: BoxSimulatorOptions = {}): Promise<Setup> {
  const clock = { now: Date.now() };
  const simulator = await startBoxSimulator({
    credentials: [SIM_CLIENT],
    now: () => clock.now,
    ...simulatorOptions,
  });
  const signed = await startSignedBroker({
    env: {
      BOX_CLIENT_ID: SIM_CLIENT.clientId,
      BOX_CLIENT_SECRET: SIM_CLIENT.clientSecret,
      BOX_ENTERPRISE_ID: simulator.enterpriseId,
      BOX_API_URL: simulator.url,
    },
  });
  const tokenRequests: Record<string, unknown>[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    if (String(input).endsWith('/token') && typeof init?.body === 'string') {
      tokenRequests.push(JSON.parse(init.body) as Record<string, unknown>);
    }
    return fetch(input, init);
  };
  open = {
    simulator,
    signed,
    clock,
    tokenRequests,
    box: (options = {}) => {
      const auth = new BrokerAuth({
        client: new BrokerClient({
          url: signed.url,
          credentials: credentialsOf(TEST_KEYS.etl),
          now: () => clock.now,
          fetch: recordingFetch,
        }),
        ...(options.revokeOnUnauthorized === undefined
          ? {}
          : { revokeOnUnauthorized: options.revokeOnUnauthorized }),
      });
      const networkSession = new NetworkSession({
        baseUrls: new BaseUrls({ baseUrl: simulator.url }),
        // No backoff sleeps in tests: the SDK retries a 401 at once after refreshToken.
        retryStrategy: new BoxRetryStrategy({
          retryBaseInterval: 0,
          maxAttempts: options.maxAttempts ?? 5,
        }),
      });
      return { client: new BoxClient({ auth, networkSession }), auth };
    },
    usersMeCalls: () => simulator.requests.filter((r) => r.path === '/2.0/users/me').length,
  };
  return open;
}

describe('Class: BrokerAuth', () => {
  it('lets BoxClient call GET /2.0/users/me with a broker-issued token', async () => {
    // Prepare
    const setup = await setUp();
    const { client } = setup.box();

    // Act
    const me = await client.users.getUserMe();

    // Assess
    expect(me.id).toBe(SERVICE_ACCOUNT_ID);
    expect(setup.simulator.tokenCallCount(CLIENT_CREDENTIALS_GRANT)).toBe(1);
    expect(setup.simulator.requests.find((r) => r.path === '/2.0/users/me')?.hasAuthorization).toBe(
      true,
    );
  });

  it('reuses its token across calls, then gets a new one from the broker after expiry', async () => {
    // Prepare: Box tokens live 120 s, less than the broker's refresh margin, so the broker
    // mints on every request and only the client's cache can explain a reused token.
    const setup = await setUp({ tokenLifetimeSeconds: 120 });
    const { client, auth } = setup.box();
    await client.users.getUserMe();
    const first = (await auth.retrieveToken()).accessToken ?? '';
    await client.users.getUserMe();
    expect(setup.simulator.tokenCallCount(CLIENT_CREDENTIALS_GRANT)).toBe(1);

    // Act: past Box's expiry on both clocks.
    setup.clock.now += 121_000;
    const me = await client.users.getUserMe();

    // Assess: a fresh token was fetched before the call, so Box never answered 401.
    expect(me.id).toBe(SERVICE_ACCOUNT_ID);
    const second = (await auth.retrieveToken()).accessToken ?? '';
    expect(second).not.toBe(first);
    expect(setup.simulator.isTokenActive(first)).toBe(false);
    expect(setup.simulator.isTokenActive(second)).toBe(true);
    expect(setup.usersMeCalls()).toBe(3);
  });

  it('refreshes after a 401 from Box: names the dead token (dead_token_sha256) and retries', async () => {
    // Prepare
    const setup = await setUp();
    const { client, auth } = setup.box();
    await client.users.getUserMe();
    const first = (await auth.retrieveToken()).accessToken ?? '';
    setup.simulator.revokeAllTokens();

    // Act
    const me = await client.users.getUserMe();

    // Assess: one 401, one token request naming the dead token, one successful retry. (A v1.0
    // broker refuses the field; the client then revokes the token and asks without it.)
    expect(me.id).toBe(SERVICE_ACCOUNT_ID);
    expect(setup.usersMeCalls()).toBe(3);
    expect(setup.tokenRequests[1]).toEqual({ dead_token_sha256: sha256(first) });
    expect(JSON.stringify(setup.tokenRequests)).not.toContain(first);
    const second = (await auth.retrieveToken()).accessToken ?? '';
    expect(second).not.toBe(first);
    expect(setup.simulator.isTokenActive(second)).toBe(true);
  });

  it('also revokes the refused token at Box when revokeOnUnauthorized is on', async () => {
    const setup = await setUp();
    const { client, auth } = setup.box({ revokeOnUnauthorized: true });
    await client.users.getUserMe();
    const first = (await auth.retrieveToken()).accessToken ?? '';
    setup.simulator.revokeAllTokens();

    const me = await client.users.getUserMe();

    expect(me.id).toBe(SERVICE_ACCOUNT_ID);
    expect(setup.simulator.revokeCallCount()).toBeGreaterThanOrEqual(1);
    expect(setup.tokenRequests[1]).toEqual({ dead_token_sha256: sha256(first) });
  });

  it('asks for its tenant, on plain and downscoped tokens', async () => {
    const stub = await startStubBroker();
    try {
      const auth = new BrokerAuth({
        url: stub.url,
        credentials: credentialsOf(TEST_KEYS.etl),
        tenant: 'acme',
        subject: 'user:42',
      });
      await auth.retrieveToken();
      await auth.downscopeToken(['item_preview'], 'https://api.box.com/2.0/folders/777');
      await auth.refreshToken();
      expect(stub.requests.map((r) => r.body)).toEqual([
        { tenant: 'acme', box_subject_type: 'user', box_subject_id: '42' },
        {
          tenant: 'acme',
          box_subject_type: 'user',
          box_subject_id: '42',
          scope: 'item_preview',
          resource: 'https://api.box.com/2.0/folders/777',
        },
        {
          tenant: 'acme',
          box_subject_type: 'user',
          box_subject_id: '42',
          dead_token_sha256: sha256('token-1'),
        },
      ]);
    } finally {
      await stub.close();
    }
  });

  it('downscopes through the broker, so its access policy applies', async () => {
    const setup = await setUp();
    const { auth } = setup.box();

    const token = await auth.downscopeToken(
      ['item_preview'],
      'https://api.box.com/2.0/folders/777',
    );

    expect(token.issuedTokenType).toBe('urn:ietf:params:oauth:token-type:access_token');
    const issued = setup.simulator.issuedTokens().find((t) => t.accessToken === token.accessToken);
    expect(issued).toMatchObject({ kind: 'downscoped', scopes: ['item_preview'] });
  });

  it('revokes its token at Box through the broker', async () => {
    const setup = await setUp();
    const { auth } = setup.box();
    const token = (await auth.retrieveToken()).accessToken ?? '';

    await auth.revokeToken();

    expect(setup.simulator.isTokenActive(token)).toBe(false);
    expect(await auth.retrieveAuthorizationHeader()).not.toBe(`Bearer ${token}`);
  });

  it("revokes an acme token in acme, so the broker drops it from acme's cache", async () => {
    // Prepare: the local broker with tenant acme (its own simulated Box app).
    const signed = await startSignedBroker({
      env: {
        BOX_LOCAL_TENANTS: 'acme',
        BOX_ACCESS_POLICY: JSON.stringify({
          version: 1,
          rules: [
            {
              id: 'etl',
              callers: ['account:111122223333'],
              tenants: ['*'],
              subjects: ['enterprise'],
            },
          ],
        }),
      },
    });
    try {
      const options = { url: signed.url, credentials: credentialsOf(TEST_KEYS.etl) };
      const auth = new BrokerAuth({ ...options, tenant: 'acme' });
      const token = (await auth.retrieveToken()).accessToken ?? '';

      // Act
      await auth.revokeToken();

      // Assess: a new client for acme is not handed the revoked token by the broker.
      const next = await new BrokerClient(options).getToken({ tenant: 'acme' });
      expect(next.access_token).not.toBe(token);
      expect(signed.broker.simulator?.isTokenActive(token)).toBe(false);
    } finally {
      await signed.close();
    }
  });
});
