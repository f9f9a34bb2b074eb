import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  BOX_ERROR_DESCRIPTIONS,
  type BoxSimulator,
  type BoxSimulatorOptions,
  CLIENT_CREDENTIALS_GRANT,
  SIMULATOR_DEFAULTS,
  startBoxSimulator,
  TOKEN_EXCHANGE_GRANT,
} from '../local/box-simulator/index.js';

const ENTERPRISE = '424242';
const CLIENT = { clientId: 'sim-test-client', clientSecret: 'sim-test-secret-Zq9' };

let sim: BoxSimulator;
let clock: number;

async function start(options: BoxSimulatorOptions = {}): Promise<BoxSimulator> {
  await sim?.close();
  sim = await startBoxSimulator({
    enterpriseId: ENTERPRISE,
    credentials: [CLIENT],
    now: () => clock,
    ...options,
  });
  return sim;
}

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 15, 12, 0, 0);
  await start();
});

afterEach(async () => {
  await sim.close();
});

function post(path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

function ccg(overrides: Record<string, string> = {}): Promise<Response> {
  return post('/oauth2/token', {
    grant_type: CLIENT_CREDENTIALS_GRANT,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    box_subject_type: 'enterprise',
    box_subject_id: ENTERPRISE,
    ...overrides,
  });
}

async function ccgToken(overrides: Record<string, string> = {}): Promise<string> {
  const response = await ccg(overrides);
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

function exchange(subjectToken: string, overrides: Record<string, string> = {}) {
  return post('/oauth2/token', {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: 'item_preview',
    ...overrides,
  });
}

async function expectOAuthError(
  response: Response,
  status: number,
  error: string,
  description?: string,
): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  if (description !== undefined) expect(body.error_description).toBe(description);
}

function usersMe(token: string | undefined): Promise<Response> {
  return fetch(`${sim.url}/2.0/users/me`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

describe('Class: BoxSimulator', () => {
  describe('CCG token requests', () => {
    it('issues a Box-shaped token with no-store headers and a numeric expires_in', async () => {
      const response = await ccg();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual([
        'access_token',
        'expires_in',
        'restricted_to',
        'token_type',
      ]);
      expect(body.access_token).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(body.expires_in).toBe(SIMULATOR_DEFAULTS.tokenLifetimeSeconds);
      expect(body.restricted_to).toEqual([]);
      expect(body.token_type).toBe('bearer');
    });

    it('issues a different token on every call', async () => {
      expect(await ccgToken()).not.toBe(await ccgToken());
    });

    it('uses the configured token lifetime', async () => {
      await start({ tokenLifetimeSeconds: 120 });
      const body = (await (await ccg()).json()) as { expires_in: number };
      expect(body.expires_in).toBe(120);
    });

    it('refuses a GET with query parameters like Box does', async () => {
      const query = new URLSearchParams({ grant_type: CLIENT_CREDENTIALS_GRANT }).toString();
      const response = await fetch(`${sim.url}/oauth2/token?${query}`);
      await expectOAuthError(
        response,
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.invalidRequest,
      );
    });

    it('refuses a multipart body', async () => {
      const form = new FormData();
      form.set('grant_type', CLIENT_CREDENTIALS_GRANT);
      form.set('client_id', CLIENT.clientId);
      form.set('client_secret', CLIENT.clientSecret);
      const response = await fetch(`${sim.url}/oauth2/token`, { method: 'POST', body: form });
      await expectOAuthError(
        response,
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.invalidRequest,
      );
    });

    it('refuses a JSON body', async () => {
      const response = await fetch(`${sim.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: CLIENT_CREDENTIALS_GRANT }),
      });
      await expectOAuthError(
        response,
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.invalidRequest,
      );
    });

    it('answers invalid_request when grant_type is missing', async () => {
      await expectOAuthError(
        await post('/oauth2/token', { client_id: CLIENT.clientId }),
        400,
        'invalid_request',
        BOX_ERROR_DESCRIPTIONS.invalidRequest,
      );
    });

    it('answers unauthorized_client for grant types a CCG app may not use', async () => {
      await expectOAuthError(
        await ccg({ grant_type: 'refresh_token' }),
        400,
        'unauthorized_client',
        BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized,
      );
    });

    it('answers invalid_client for a wrong secret or client ID', async () => {
      await expectOAuthError(
        await ccg({ client_secret: 'wrong' }),
        400,
        'invalid_client',
        BOX_ERROR_DESCRIPTIONS.invalidClient,
      );
      await expectOAuthError(await ccg({ client_id: 'other' }), 400, 'invalid_client');
    });

    it('answers invalid_client when box_subject_* is missing, like real Box', async () => {
      const response = await post('/oauth2/token', {
        grant_type: CLIENT_CREDENTIALS_GRANT,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      });
      await expectOAuthError(response, 400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient);
    });

    it('answers invalid_grant for another enterprise', async () => {
      await expectOAuthError(
        await ccg({ box_subject_id: '999' }),
        400,
        'invalid_grant',
        BOX_ERROR_DESCRIPTIONS.invalidGrant,
      );
    });

    it('answers invalid_grant for a user subject unless user tokens are enabled', async () => {
      await expectOAuthError(
        await ccg({ box_subject_type: 'user', box_subject_id: '77' }),
        400,
        'invalid_grant',
        BOX_ERROR_DESCRIPTIONS.invalidGrant,
      );

      sim.setAllowUserSubjects(['77']);

      expect((await ccg({ box_subject_type: 'user', box_subject_id: '77' })).status).toBe(200);
      await expectOAuthError(
        await ccg({ box_subject_type: 'user', box_subject_id: '78' }),
        400,
        'invalid_grant',
      );
    });

    it('answers unauthorized_client for an unknown subject type', async () => {
      await expectOAuthError(
        await ccg({ box_subject_type: 'group' }),
        400,
        'unauthorized_client',
        BOX_ERROR_DESCRIPTIONS.subjectTypeUnauthorized,
      );
    });

    it('accepts every configured secret and follows a rotation through setCredentials', async () => {
      const next = { clientId: CLIENT.clientId, clientSecret: 'rotated-secret' };
      sim.setCredentials([CLIENT, next]);
      expect((await ccg()).status).toBe(200);
      expect((await ccg({ client_secret: next.clientSecret })).status).toBe(200);

      sim.setCredentials([next]);

      await expectOAuthError(await ccg(), 400, 'invalid_client');
      expect((await ccg({ client_secret: next.clientSecret })).status).toBe(200);
    });

    it("answers Box's exact invalid_request for an app whose authentication method is not CCG", async () => {
      await start({ credentials: [{ ...CLIENT, clientCredentialsGrant: false }] });

      const response = await ccg();

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The grant type is unauthorized for this client_id.',
      });
      await expectOAuthError(await ccg({ client_secret: 'wrong' }), 400, 'invalid_client');
    });

    it('omits token_type from 200 answers while the switch is on', async () => {
      sim.setOmitTokenType(true);
      const body = (await (await ccg()).json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('token_type');
      expect(body).toMatchObject({ expires_in: 3992, restricted_to: [] });

      sim.setOmitTokenType(false);
      expect(await (await ccg()).json()).toMatchObject({ token_type: 'bearer' });
    });

    it('records the User-Agent of each request', async () => {
      await fetch(`${sim.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'probe/1' },
        body: '',
      });
      expect(sim.requests.at(-1)?.userAgent).toBe('probe/1');
    });
  });

  describe('token exchange', () => {
    it('downscopes to a folder with Box-shaped restricted_to entries', async () => {
      const parent = await ccgToken();

      const response = await exchange(parent, {
        scope: 'item_preview item_download',
        resource: 'https://api.box.com/2.0/folders/123',
      });

      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
      expect(body.token_type).toBe('bearer');
      expect(body.expires_in).toBe(SIMULATOR_DEFAULTS.downscopedTokenLifetimeSeconds);
      expect(body.restricted_to).toEqual([
        { scope: 'item_preview', object: expect.objectContaining({ type: 'folder', id: '123' }) },
        { scope: 'item_download', object: expect.objectContaining({ type: 'folder', id: '123' }) },
      ]);
      const issued = sim.issuedTokens().find((t) => t.accessToken === body.access_token);
      expect(issued).toMatchObject({ kind: 'downscoped', parentToken: parent });
    });

    it('omits the object when no resource is given', async () => {
      const body = (await (
        await exchange(await ccgToken(), { scope: 'root_readonly' })
      ).json()) as {
        restricted_to: unknown;
      };
      expect(body.restricted_to).toEqual([{ scope: 'root_readonly' }]);
    });

    it('accepts a box_shared_link', async () => {
      const response = await exchange(await ccgToken(), {
        box_shared_link: 'https://app.box.com/s/abc123',
      });
      expect(response.status).toBe(200);
    });

    it('answers invalid_resource for a web URL instead of an API URL', async () => {
      await expectOAuthError(
        await exchange(await ccgToken(), { resource: 'https://app.box.com/file/123' }),
        400,
        'invalid_resource',
        BOX_ERROR_DESCRIPTIONS.invalidResource,
      );
    });

    it('answers invalid_request for resource together with box_shared_link', async () => {
      await expectOAuthError(
        await exchange(await ccgToken(), {
          resource: 'https://api.box.com/2.0/files/1',
          box_shared_link: 'https://app.box.com/s/abc',
        }),
        400,
        'invalid_request',
      );
    });

    it('answers invalid_scope for a scope Box does not define', async () => {
      await expectOAuthError(
        await exchange(await ccgToken(), { scope: 'item_preview make_coffee' }),
        400,
        'invalid_scope',
      );
    });

    it('answers 401 for a scope the parent token does not hold', async () => {
      sim.setAppScopes(['item_preview']);
      const parent = await ccgToken();

      expect((await exchange(parent, { scope: 'item_preview' })).status).toBe(200);
      expect((await exchange(parent, { scope: 'item_preview item_delete' })).status).toBe(401);
    });

    it('refuses a wrong subject_token_type and an unknown, expired or revoked subject token', async () => {
      const parent = await ccgToken();
      await expectOAuthError(
        await exchange(parent, { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
        400,
        'invalid_request',
      );
      await expectOAuthError(await exchange('not-a-token'), 400, 'invalid_grant');

      clock += SIMULATOR_DEFAULTS.tokenLifetimeSeconds * 1000;
      await expectOAuthError(await exchange(parent), 400, 'invalid_grant');

      const fresh = await ccgToken();
      await post('/oauth2/revoke', { ...toForm(CLIENT), token: fresh });
      await expectOAuthError(await exchange(fresh), 400, 'invalid_grant');
    });

    it('answers with the overridden restricted_to until the override is cleared', async () => {
      const parent = await ccgToken();
      sim.overrideRestrictedTo([{ scope: 'item_delete' }]);

      const overridden = (await (await exchange(parent)).json()) as { restricted_to: unknown };
      sim.overrideRestrictedTo(undefined);
      const normal = (await (await exchange(parent)).json()) as { restricted_to: unknown };

      expect(overridden.restricted_to).toEqual([{ scope: 'item_delete' }]);
      expect(normal.restricted_to).toEqual([{ scope: 'item_preview' }]);
    });
  });

  describe('revoke and users/me', () => {
    it('revokes with a 200 empty body, after which the token is refused', async () => {
      const token = await ccgToken();
      expect((await usersMe(token)).status).toBe(200);

      const response = await post('/oauth2/revoke', { ...toForm(CLIENT), token });

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect(sim.isTokenActive(token)).toBe(false);
      expect((await usersMe(token)).status).toBe(401);
    });

    it('answers 200 for an unknown token and invalid_client for wrong credentials', async () => {
      expect((await post('/oauth2/revoke', { ...toForm(CLIENT), token: 'unknown' })).status).toBe(
        200,
      );
      await expectOAuthError(
        await post('/oauth2/revoke', { ...toForm(CLIENT), client_secret: 'x', token: 'unknown' }),
        400,
        'invalid_client',
      );
    });

    it('describes the service account for an enterprise token and the user for a user token', async () => {
      sim.setAllowUserSubjects(true);
      const service = await usersMe(await ccgToken());
      const user = await usersMe(
        await ccgToken({ box_subject_type: 'user', box_subject_id: '55' }),
      );

      expect(await service.json()).toMatchObject({
        type: 'user',
        id: SIMULATOR_DEFAULTS.serviceAccountUserId,
      });
      expect(await user.json()).toMatchObject({ type: 'user', id: '55' });
    });

    it("answers Box's 401 with WWW-Authenticate for a missing, unknown or expired bearer", async () => {
      const token = await ccgToken();
      clock += SIMULATOR_DEFAULTS.tokenLifetimeSeconds * 1000;

      for (const bearer of [undefined, 'unknown', token]) {
        const response = await usersMe(bearer);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
        );
        expect(await response.text()).toBe('');
      }
    });
  });

  describe('routing and records', () => {
    it('answers unknown routes with a 404 that names the route', async () => {
      const response = await fetch(`${sim.url}/2.0/files/0`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('GET /2.0/files/0');
    });

    it('records requests with their form fields and counts token calls by grant type', async () => {
      const parent = await ccgToken();
      await exchange(parent);
      await ccg({ client_secret: 'wrong' });

      expect(sim.tokenCallCount()).toBe(3);
      expect(sim.tokenCallCount(CLIENT_CREDENTIALS_GRANT)).toBe(2);
      expect(sim.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(1);
      expect(sim.requests[0]).toMatchObject({
        method: 'POST',
        path: '/oauth2/token',
        contentType: 'application/x-www-form-urlencoded',
        form: { client_secret: CLIENT.clientSecret, box_subject_id: ENTERPRISE },
        fault: undefined,
      });
    });

    it('forgets requests, faults and tokens on reset', async () => {
      const token = await ccgToken();
      sim.injectFault({ kind: 'hang' });

      sim.reset();

      expect(sim.requests).toHaveLength(0);
      expect(sim.pendingFaults).toBe(0);
      expect(sim.isTokenActive(token)).toBe(false);
    });
  });

  describe('fault injection', () => {
    it("answers 429 with retry-after and Box's rate_limit_exceeded body, then recovers", async () => {
      sim.injectFault({ kind: 'rate_limit', retryAfter: 2 }, 2);

      const first = await ccg();
      const second = await ccg();
      const third = await ccg();

      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('2');
      expect(await first.json()).toMatchObject({
        type: 'error',
        status: 429,
        code: 'rate_limit_exceeded',
        message: 'Request rate limit exceeded, please try again later',
      });
      expect(second.status).toBe(429);
      expect(third.status).toBe(200);
      expect(sim.requests.map((r) => r.fault)).toEqual(['rate_limit', 'rate_limit', undefined]);
    });

    it('answers a 5xx with the chosen status', async () => {
      sim.injectFaults({ kind: 'server_error', status: 502 }, { kind: 'server_error' });
      expect((await ccg()).status).toBe(502);
      expect((await ccg()).status).toBe(503);
    });

    it('applies a fault only to matching paths and grant types', async () => {
      sim.injectFaults(
        { kind: 'server_error', grantType: TOKEN_EXCHANGE_GRANT },
        { kind: 'server_error', path: '/2.0/users/me' },
      );

      const parent = await ccgToken();
      expect((await exchange(parent)).status).toBe(503);
      expect((await exchange(parent)).status).toBe(200);
      expect((await usersMe(parent)).status).toBe(503);
    });

    it("applies a fault only to one app's client_id: the other apps answer normally", async () => {
      sim.addApp({ clientId: 'other-app', clientSecret: 'other-secret-Q1', enterpriseId: '777' });
      sim.injectFault({ kind: 'server_error', clientId: 'other-app' }, 2);

      const own = await ccg();
      const other = await ccg({ client_id: 'other-app', client_secret: 'other-secret-Q1' });

      expect(own.status).toBe(200);
      expect(other.status).toBe(503);
      expect(sim.pendingFaults).toBe(1);
    });

    it.each([
      ['not_json'],
      ['not_object'],
      ['missing_access_token'],
      ['empty_access_token'],
      ['string_expires_in'],
      ['zero_expires_in'],
      ['other_token_type'],
      ['restricted_to_not_array'],
    ] as const)('answers 200 with a %s body', async (body) => {
      sim.injectFault({ kind: 'malformed', body });
      const response = await ccg();
      expect(response.status).toBe(200);
      const text = await response.text();
      const valid = (() => {
        try {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          return (
            typeof parsed.access_token === 'string' &&
            parsed.access_token !== '' &&
            typeof parsed.expires_in === 'number' &&
            parsed.expires_in > 0 &&
            parsed.token_type === 'bearer' &&
            Array.isArray(parsed.restricted_to)
          );
        } catch {
          return false;
        }
      })();
      expect(valid).toBe(false);
    });

    it('resets the connection', async () => {
      sim.injectFault({ kind: 'reset' });
      await expect(ccg()).rejects.toThrow(TypeError);
      expect((await ccg()).status).toBe(200);
    });

    it('hangs until close() ends the connection', async () => {
      sim.injectFault({ kind: 'hang' });
      const pending = ccg();
      pending.catch(() => undefined);
      await waitFor(() => sim.requests.length === 1);

      await sim.close();

      await expect(pending).rejects.toThrow(TypeError);
    });

    it('answers normally after a delay', async () => {
      sim.injectFault({ kind: 'delay', ms: 30 });
      const started = performance.now();
      const response = await ccg();
      expect(response.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    });

    it('answers with a raw response, e.g. a redirect', async () => {
      sim.injectFault({
        kind: 'response',
        status: 302,
        headers: { location: 'https://www.box.com/api/oauth2/token' },
      });
      const response = await fetch(`${sim.url}/oauth2/token`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(response.status).toBe(302);
    });
  });
});

function toForm(credentials: typeof CLIENT): Record<string, string> {
  return { client_id: credentials.clientId, client_secret: credentials.clientSecret };
}

/** Polls a condition on the event loop; bounded so a broken simulator fails instead of hanging. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (condition()) return;
    await new Promise((done) => setTimeout(done, 5));
  }
  throw new Error('condition not met');
}

describe('Class: BoxSimulator (several apps, misconfigurations)', () => {
  const OTHER = { clientId: 'other-app', clientSecret: 'other-secret-9Kq', enterpriseId: '8080' };
  let multi: BoxSimulator;

  beforeEach(async () => {
    multi = await startBoxSimulator({ enterpriseId: ENTERPRISE, credentials: [CLIENT] });
  });

  afterEach(async () => {
    await multi.close();
  });

  function grant(app: { clientId: string; clientSecret: string }, type: string, id: string) {
    return fetch(`${multi.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: CLIENT_CREDENTIALS_GRANT,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        box_subject_type: type,
        box_subject_id: id,
      }).toString(),
    });
  }

  async function tokenOf(app: typeof OTHER): Promise<string> {
    const response = await grant(app, 'enterprise', app.enterpriseId);
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  function api(path: string, token: string, asUser?: string) {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (asUser !== undefined) headers['as-user'] = asUser;
    return fetch(`${multi.url}${path}`, { headers });
  }

  it('serves each app with its own secret and enterprise; tokens are bound to their app', async () => {
    const other = multi.addApp(OTHER);
    expect((await grant(CLIENT, 'enterprise', ENTERPRISE)).status).toBe(200);
    // Each app's secret opens only its own client ID, and only for its own enterprise.
    await expectOAuthError(
      await grant({ ...OTHER, clientSecret: CLIENT.clientSecret }, 'enterprise', '8080'),
      400,
      'invalid_client',
    );
    await expectOAuthError(await grant(OTHER, 'enterprise', ENTERPRISE), 400, 'invalid_grant');
    const me = await api('/2.0/users/me', await tokenOf(OTHER));
    const body = (await me.json()) as { id: string; enterprise: { id: string } };
    expect(body.enterprise.id).toBe('8080');
    expect(body.id).toBe(other.serviceAccountUserId);
    expect(body.id).not.toBe(SIMULATOR_DEFAULTS.serviceAccountUserId);
    expect(() => multi.addApp(OTHER)).toThrow(/already serves/);
  });

  it.each([
    ['not_ccg', 400, 'invalid_request', `${BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized}.`],
    ['secret_reset', 400, 'invalid_client', BOX_ERROR_DESCRIPTIONS.invalidClient],
    ['not_authorized', 400, 'unauthorized_client', BOX_ERROR_DESCRIPTIONS.appNotAuthorized],
    ['not_reauthorized', 400, 'invalid_grant', BOX_ERROR_DESCRIPTIONS.invalidGrant],
  ] as const)(
    "answers the token request of a %s app with Box's exact error",
    async (m, status, error, description) => {
      multi.addApp({ ...OTHER, misconfigurations: [m] });
      await expectOAuthError(await grant(OTHER, 'enterprise', '8080'), status, error, description);
      // The default app is unaffected.
      expect((await grant(CLIENT, 'enterprise', ENTERPRISE)).status).toBe(200);
    },
  );

  it('user_tokens_off refuses user subjects with invalid_grant; on, the service account is refused', async () => {
    const other = multi.addApp(OTHER);
    expect((await grant(OTHER, 'user', '4242')).status).toBe(200);
    await expectOAuthError(
      await grant(OTHER, 'user', other.serviceAccountUserId),
      400,
      'invalid_grant',
    );
    other.misconfigure('user_tokens_off');
    await expectOAuthError(
      await grant(OTHER, 'user', '4242'),
      400,
      'invalid_grant',
      BOX_ERROR_DESCRIPTIONS.invalidGrant,
    );
  });

  it('As-User acts as the user, and as_user_off answers 403 insufficient_scope in WWW-Authenticate', async () => {
    const other = multi.addApp(OTHER);
    const token = await tokenOf(OTHER);
    const as = await api('/2.0/users/me', token, '4242');
    expect(((await as.json()) as { id: string }).id).toBe('4242');
    other.misconfigure('as_user_off');
    const refused = await api('/2.0/users/me', token, '4242');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await refused.text()).toBe('');
  });

  it('reads the root folder only with "Read all files and folders"', async () => {
    const other = multi.addApp({ ...OTHER, scopes: ['item_preview'] });
    expect((await api('/2.0/folders/0?fields=id', await tokenOf(OTHER))).status).toBe(403);
    other.setScopes(['root_readonly']);
    expect((await api('/2.0/folders/0?fields=id', await tokenOf(OTHER))).status).toBe(200);
  });

  it('keeps the default app configurable through the old setters', async () => {
    multi.setAllowUserSubjects(['55']);
    expect((await grant(CLIENT, 'user', '55')).status).toBe(200);
    multi.defaultApp.misconfigure('user_tokens_off');
    expect(multi.defaultApp.misconfigurations()).toEqual(['user_tokens_off']);
    await expectOAuthError(await grant(CLIENT, 'user', '55'), 400, 'invalid_grant');
  });
});

describe('Class: BoxSimulator (wrong secret, re-authorisation)', () => {
  it.each(['invalid_client', 'invalid_grant'] as const)(
    'refuses a wrong or reset secret with %s when the app is set to, and an unknown client ID with invalid_client',
    async (answer) => {
      await start({ wrongSecretAnswer: answer });
      const description =
        answer === 'invalid_grant'
          ? BOX_ERROR_DESCRIPTIONS.invalidGrant
          : BOX_ERROR_DESCRIPTIONS.invalidClient;
      await expectOAuthError(await ccg({ client_secret: 'wrong' }), 400, answer, description);
      sim.defaultApp.misconfigure('secret_reset');
      await expectOAuthError(await ccg(), 400, answer, description);
      await expectOAuthError(await ccg({ client_id: 'nobody' }), 400, 'invalid_client');
    },
  );

  it('switches the answer at runtime, per app', async () => {
    sim.defaultApp.setWrongSecretAnswer('invalid_grant');
    await expectOAuthError(await ccg({ client_secret: 'wrong' }), 400, 'invalid_grant');
    sim.defaultApp.setWrongSecretAnswer('invalid_client');
    await expectOAuthError(await ccg({ client_secret: 'wrong' }), 400, 'invalid_client');
  });

  it('after re-authorisation, a parent minted before lacks the new scopes (401) and a fresh one has them', async () => {
    await start({ appScopes: ['item_preview'] });
    const before = await ccgToken();
    sim.defaultApp.reauthorize(['item_preview', 'item_download']);
    const old = await exchange(before, { scope: 'item_download' });
    expect(old.status).toBe(401);
    const fresh = await exchange(await ccgToken(), { scope: 'item_download' });
    expect(fresh.status).toBe(200);
    // The old parent still serves the scopes it was minted with.
    expect((await exchange(before, { scope: 'item_preview' })).status).toBe(200);
  });
});

describe('Class: BoxSimulator (host guard, bounded request log)', () => {
  function rawRequest(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((done, fail) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: sim.port, path: '/oauth2/token', method: 'POST', headers },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', fail);
      req.end(
        new URLSearchParams({
          grant_type: CLIENT_CREDENTIALS_GRANT,
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          box_subject_type: 'enterprise',
          box_subject_id: ENTERPRISE,
        }).toString(),
      );
    });
  }
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('answers a loopback Host and refuses any other name or a foreign browser origin, unrecorded', async () => {
    expect((await rawRequest({ ...form, host: `localhost:${sim.port}` })).status).toBe(200);
    const forged = await rawRequest({ ...form, host: 'evil.example' });
    expect(forged.status).toBe(403);
    expect(forged.body).not.toContain('access_token');
    const page = await rawRequest({
      ...form,
      host: `127.0.0.1:${sim.port}`,
      origin: 'https://evil.example',
    });
    expect(page.status).toBe(403);
    expect(sim.tokenCallCount()).toBe(1);
    expect(sim.requests).toHaveLength(1);
  });

  it('keeps only the last requests, each value cut, while the call counts never forget', async () => {
    await start({ requestLogLimit: 5 });
    const large = 'x'.repeat(60_000);
    for (let i = 0; i < 12; i += 1) await ccg({ padding: large });
    expect(sim.requests).toHaveLength(5);
    expect(sim.requests.every((r) => (r.form.padding ?? '').length <= 1024)).toBe(true);
    expect(sim.tokenCallCount()).toBe(12);
    expect(sim.tokenCallCount(CLIENT_CREDENTIALS_GRANT)).toBe(12);
    sim.reset();
    expect(sim.tokenCallCount()).toBe(0);
  });
});
