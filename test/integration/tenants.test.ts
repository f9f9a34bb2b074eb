/**
 * Tenants through the real handler: several Box apps in one simulator, several tenant secrets in
 * one Secrets Manager fake (real exception classes). Routing, policy before secrets, not found,
 * isolation (hang, broken secret, rotation), tenants added and removed while running, scale.
 */
import { describe, expect, it } from 'vitest';
import { FakeSecrets } from '../support/fake-secrets.js';
import {
  CLIENT_ID,
  ENTERPRISE_ID,
  ETL_ROLE_CALLER,
  type Harness,
  SECRET_V1,
  secretJson,
  useHarness,
} from '../support/harness.js';

const PREFIX = 'box-token-broker/tenants/';
const DEFAULT_SECRET = 'box-token-broker/credentials';
const APPS = {
  acme: { clientId: 'acme-client', clientSecret: 'acme-secret-S3CR3T', enterpriseId: '1111' },
  globex: { clientId: 'globex-client', clientSecret: 'globex-secret-S3CR3T', enterpriseId: '2222' },
} as const;

const POLICY = {
  version: 1,
  rules: [
    {
      id: 'etl-every-tenant',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      tenants: ['*'],
      subjects: ['enterprise', 'user:*'],
    },
    { id: 'direct-acme', callers: ['direct'], tenants: ['acme'], subjects: ['enterprise'] },
    {
      id: 'support-default-only',
      callers: ['arn:aws:iam::444455556666:role/support'],
      subjects: ['enterprise'],
    },
    {
      id: 'partner-acme-family',
      callers: ['arn:aws:iam::555566667777:role/partner'],
      tenants: ['acme*'],
      subjects: ['enterprise'],
    },
  ],
};
const SUPPORT = {
  userArn: 'arn:aws:sts::444455556666:assumed-role/support/alice',
  accountId: '444455556666',
  principalOrgId: 'o-a1b2c3d4e5',
};
const PARTNER = {
  userArn: 'arn:aws:sts::555566667777:assumed-role/partner/bob',
  accountId: '555566667777',
  principalOrgId: 'o-a1b2c3d4e5',
};

const startHarness = useHarness();

interface Tenants {
  h: Harness;
  secrets: FakeSecrets;
}

async function open(
  options: { env?: Record<string, string>; tenantMetrics?: string[]; policy?: unknown } = {},
): Promise<Tenants> {
  const secrets = new FakeSecrets();
  secrets.put(DEFAULT_SECRET, { versionId: 'd1', secretString: secretJson(SECRET_V1) });
  for (const [id, app] of Object.entries(APPS)) {
    secrets.put(`${PREFIX}${id}`, { versionId: `${id}-v1`, secretString: JSON.stringify(app) });
  }
  const h = await startHarness({
    secrets,
    env: {
      BOX_TENANT_SECRET_PREFIX: PREFIX,
      BOX_ACCESS_POLICY: JSON.stringify(options.policy ?? POLICY),
      ...options.env,
    },
    simulator: { allowUserSubjects: true },
    ...(options.tenantMetrics === undefined ? {} : { tenantMetrics: options.tenantMetrics }),
  });
  for (const app of Object.values(APPS)) h.simulator.addApp(app);
  return { h, secrets };
}

/** `open` with a secret under the prefix for each of `ids` (all version v1), secrets cached 300 s. */
async function openWithTenants(ids: string[], env: Record<string, string>): Promise<Tenants> {
  const opened = await open({ env: { BOX_SECRET_TTL_SECONDS: '300', ...env } });
  for (const id of ids) {
    opened.secrets.put(`${PREFIX}${id}`, {
      versionId: 'v1',
      secretString: secretJson(SECRET_V1),
    });
  }
  return opened;
}

const token = (h: Harness, body: Record<string, unknown>, caller = ETL_ROLE_CALLER) =>
  h.api('POST', '/token', { body: JSON.stringify(body), caller });
const lines = (h: Harness) => h.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
const boxCallsOf = (h: Harness, clientId: string) =>
  h.simulator.requests.filter((r) => r.form.client_id === clientId).length;

describe('Tenants: routing', () => {
  it('routes the tenant of a JSON body, a query and a direct invocation, and echoes it', async () => {
    const { h } = await open();

    const body = await token(h, { tenant: 'acme' });
    const query = await h.api('GET', '/token', { query: { tenant: 'globex' } });
    const direct = await h.invoke({ tenant: 'acme' });
    const none = await token(h, {});

    expect(body.status).toBe(200);
    expect(body.body).toMatchObject({ tenant: 'acme', box_subject_id: '1111' });
    expect(query.body).toMatchObject({ tenant: 'globex', box_subject_id: '2222' });
    expect(direct.result).toMatchObject({ tenant: 'acme', box_subject_id: '1111' });
    expect(none.body.box_subject_id).toBe(ENTERPRISE_ID);
    expect(none.body).not.toHaveProperty('tenant');
    // Each token came from its own tenant's Box app.
    const issued = h.simulator.issuedTokens();
    const clientOf = (accessToken: unknown) =>
      issued.find((t) => t.accessToken === accessToken)?.clientId;
    expect(clientOf(body.body.access_token)).toBe(APPS.acme.clientId);
    expect(clientOf(query.body.access_token)).toBe(APPS.globex.clientId);
    expect(clientOf(none.body.access_token)).toBe(CLIENT_ID);
    expect(lines(h).map((line) => line.tenant)).toEqual(['acme', 'globex', 'acme', 'default']);
  });

  it('treats `default` as the default tenant and echoes it when named', async () => {
    const { h } = await open();
    const unnamed = await token(h, {});
    const named = await token(h, { tenant: 'default' });
    expect(named.body.tenant).toBe('default');
    expect(named.body.access_token).toBe(unnamed.body.access_token);
  });

  it.each([['Acme'], ['-acme'], ['acme-'], ['a'.repeat(65)], ['acme/x'], [''], [42]])(
    'refuses the tenant %j with 400 invalid_request and reads no secret',
    async (tenant) => {
      const { h, secrets } = await open();
      const answer = await token(h, { tenant });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
      expect(secrets.totalCalls()).toBe(0);
    },
  );

  it('takes the tenant on POST /revoke and GET /health, and echoes it', async () => {
    const { h } = await open();
    const issued = await token(h, { tenant: 'acme' });

    const health = await h.api('GET', '/health', { query: { tenant: 'globex' } });
    const revoke = await h.api('POST', '/revoke', {
      body: JSON.stringify({ token: issued.body.access_token, tenant: 'acme' }),
    });
    const badRevoke = await h.api('POST', '/revoke', {
      body: JSON.stringify({ token: 'x', tenant: 'NOPE' }),
    });

    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', cached: false, tenant: 'globex' });
    expect(revoke.body).toEqual({ revoked: true, tenant: 'acme' });
    expect(h.simulator.isTokenActive(String(issued.body.access_token))).toBe(false);
    const revokeCall = h.simulator.requests.find((r) => r.path === '/oauth2/revoke');
    expect(revokeCall?.form.client_id).toBe(APPS.acme.clientId);
    expect(badRevoke.status).toBe(400);
    expect(lines(h).map((line) => line.tenant)).toEqual(['acme', 'globex', 'acme', 'default']);
  });

  it('needs a tenant when the deployment has no default (tenants only)', async () => {
    const { h } = await open({ env: { BOX_CREDENTIALS_SECRET: '' } });

    const none = await token(h, {});
    const named = await token(h, { tenant: 'default' });
    const health = await h.api('GET', '/health');
    const acme = await token(h, { tenant: 'acme' });

    for (const answer of [none, named, health]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
      expect(answer.body.error_description).toMatch(/tenant is required/);
    }
    expect(acme.status).toBe(200);
  });
});

describe('Tenants: policy before secrets', () => {
  it('refuses a tenant the caller is not admitted to with 403, reading no secret, alike for existing and unknown tenants', async () => {
    const { h, secrets } = await open();

    const acme = await token(h, { tenant: 'acme' }, SUPPORT);
    const unknown = await token(h, { tenant: 'no-such-tenant' }, SUPPORT);
    const health = await h.api('GET', '/health', { query: { tenant: 'acme' }, caller: SUPPORT });
    const revoke = await h.api('POST', '/revoke', {
      body: JSON.stringify({ token: 'whatever', tenant: 'acme' }),
      caller: SUPPORT,
    });
    const ownDefault = await token(h, {}, SUPPORT);

    for (const answer of [acme, unknown, health, revoke]) {
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe('access_denied');
    }
    // Existence is not revealed: the two refusals say the same but for the tenant the caller named.
    expect(String(acme.body.error_description).replace('acme', 'X')).toBe(
      String(unknown.body.error_description).replace('no-such-tenant', 'X'),
    );
    expect(secrets.callsFor(`${PREFIX}acme`)).toBe(0);
    expect(secrets.callsFor(`${PREFIX}no-such-tenant`)).toBe(0);
    expect(h.simulator.requests).toHaveLength(1);
    // A rule without `tenants` covers only the default tenant: upgrading widened nothing.
    expect(ownDefault.status).toBe(200);
  });

  it('matches tenant wildcards: acme* admits acme and acme-eu, not globex', async () => {
    const { h, secrets } = await open();
    secrets.put(`${PREFIX}acme-eu`, {
      versionId: 'eu1',
      secretString: JSON.stringify({ ...APPS.acme, clientId: 'acme-eu-client' }),
    });
    h.simulator.addApp({ ...APPS.acme, clientId: 'acme-eu-client' });

    expect((await token(h, { tenant: 'acme' }, PARTNER)).status).toBe(200);
    expect((await token(h, { tenant: 'acme-eu' }, PARTNER)).status).toBe(200);
    expect((await token(h, { tenant: 'globex' }, PARTNER)).status).toBe(403);
    expect((await token(h, {}, PARTNER)).status).toBe(403);
    expect(secrets.callsFor(`${PREFIX}globex`)).toBe(0);
  });

  it('answers an admitted tenant without a secret 404 tenant_not_found, reading once, then from memory', async () => {
    const { h, secrets } = await open();

    const first = await token(h, { tenant: 'acmee' });
    const again = await token(h, { tenant: 'acmee' });
    const health = await h.api('GET', '/health', { query: { tenant: 'acmee' } });

    for (const answer of [first, again, health]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: 'tenant_not_found', retryable: false });
      expect(answer.headers['retry-after']).toBeUndefined();
    }
    expect(String(first.body.error_description)).not.toContain(PREFIX);
    expect(secrets.callsFor(`${PREFIX}acmee`)).toBe(1);
    expect(h.simulator.requests).toHaveLength(0);

    h.clock.now += 31_000;
    await token(h, { tenant: 'acmee' });
    expect(secrets.callsFor(`${PREFIX}acmee`)).toBe(2);
  });

  it('answers a tenant whose secret is scheduled for deletion 404 tenant_not_found', async () => {
    const { h, secrets } = await open();
    secrets.scheduleDeletion(`${PREFIX}globex`);
    const answer = await token(h, { tenant: 'globex' });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('tenant_not_found');
  });

  it('answers every named tenant 404 when the deployment has no tenant prefix, reading nothing', async () => {
    const { h, secrets } = await open({ env: { BOX_TENANT_SECRET_PREFIX: '' } });
    const answer = await token(h, { tenant: 'acme' });
    expect(answer.status).toBe(404);
    expect(secrets.totalCalls()).toBe(0);
  });
});

describe('Tenants: isolation', () => {
  it('never serves one tenant the token of another sharing its enterprise, client ID and secret version', async () => {
    const { h, secrets } = await open();
    // Two tenants holding the very same Box app as the default tenant, same version ID too.
    for (const twin of ['twin-a', 'twin-b']) {
      secrets.put(`${PREFIX}${twin}`, { versionId: 'd1', secretString: secretJson(SECRET_V1) });
    }

    const base = await token(h, {});
    const a = await token(h, { tenant: 'twin-a' });
    const b = await token(h, { tenant: 'twin-b' });
    const aAgain = await token(h, { tenant: 'twin-a' });
    const bAgain = await token(h, { tenant: 'twin-b' });

    const tokens = [base, a, b].map((answer) => answer.body.access_token);
    expect(new Set(tokens).size).toBe(3);
    expect(aAgain.body.access_token).toBe(a.body.access_token);
    expect(bAgain.body.access_token).toBe(b.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(3);
  });

  it("serves tenant B's 1,000 hits with no Box call and its miss while tenant A's Box hangs", async () => {
    const { h } = await open({ env: { BOX_HTTP_TIMEOUT_MS: '150', BOX_RETRY_BUDGET_MS: '400' } });
    await token(h, { tenant: 'globex' });
    const globexCallsBefore = boxCallsOf(h, APPS.globex.clientId);
    h.simulator.injectFault({ kind: 'hang', clientId: APPS.acme.clientId }, 10);

    let acmeSettled = false;
    const acme = token(h, { tenant: 'acme' }).then((answer) => {
      acmeSettled = true;
      return answer;
    });
    const hits = [];
    for (let i = 0; i < 100; i += 1) hits.push(await token(h, { tenant: 'globex' }));
    const miss = await token(h, {
      tenant: 'globex',
      box_subject_type: 'user',
      box_subject_id: '555',
    });
    // Order, not wall-clock time: B's hits and its miss all settled while A's call still hung,
    // so none of them waited on A.
    const acmePendingAfterHitsAndMiss = !acmeSettled;
    for (let i = 0; i < 900; i += 1) hits.push(await token(h, { tenant: 'globex' }));
    const acmeAnswer = await acme;

    expect(acmePendingAfterHitsAndMiss).toBe(true);
    expect(hits.every((answer) => answer.status === 200)).toBe(true);
    expect(new Set(hits.map((answer) => answer.body.access_token)).size).toBe(1);
    expect(miss.status).toBe(200);
    // The hits made no Box call; the miss made exactly one.
    expect(boxCallsOf(h, APPS.globex.clientId)).toBe(globexCallsBefore + 1);
    expect(acmeAnswer.status).toBe(504);
    expect(acmeAnswer.body.error).toBe('box_timeout');
  });

  it("keeps serving tenant B when tenant A's secret is broken", async () => {
    const { h, secrets } = await open();
    secrets.put(`${PREFIX}acme`, { versionId: 'acme-bad', secretString: '{"clientId": ' });

    const acme = await token(h, { tenant: 'acme' });
    const globex = await token(h, { tenant: 'globex' });

    expect(acme.status).toBe(500);
    expect(acme.body.error).toBe('misconfigured');
    expect(globex.status).toBe(200);
    expect(lines(h)[0]).toMatchObject({ tenant: 'acme', error: 'misconfigured' });
  });

  it("falls back to tenant A's AWSPREVIOUS after a bad rotation while tenant B's state is untouched", async () => {
    const { h, secrets } = await open();
    const globexFirst = await token(h, { tenant: 'globex' });
    secrets.put(
      `${PREFIX}acme`,
      {
        versionId: 'acme-typo',
        secretString: JSON.stringify({ ...APPS.acme, clientSecret: 'typo' }),
      },
      { versionId: 'acme-v1', secretString: JSON.stringify(APPS.acme) },
    );
    const globexReadsBefore = secrets.callsFor(`${PREFIX}globex`);

    const acme = await token(h, { tenant: 'acme' });
    const globex = await token(h, { tenant: 'globex' });

    expect(acme.status).toBe(200);
    expect(lines(h).at(-2)).toMatchObject({
      tenant: 'acme',
      secret_fallback: true,
      secret_version_id: 'acme-v1',
    });
    expect(globex.body.access_token).toBe(globexFirst.body.access_token);
    expect(lines(h).at(-1)).toMatchObject({ tenant: 'globex', cache_hit: true });
    expect(lines(h).at(-1)).not.toHaveProperty('secret_fallback');
    expect(secrets.callsFor(`${PREFIX}globex`)).toBe(globexReadsBefore);
  });
});

describe('Tenants: added and removed while the function runs', () => {
  it('stops serving a removed tenant within the secret TTL, drops its tokens, and serves it again once re-added', async () => {
    const { h, secrets } = await open({ env: { BOX_SECRET_TTL_SECONDS: '60' } });
    const first = await token(h, { tenant: 'acme' });
    secrets.delete(`${PREFIX}acme`);

    const withinTtl = await token(h, { tenant: 'acme' });
    h.clock.now += 60_000;
    const afterTtl = await token(h, { tenant: 'acme' });
    const remembered = await token(h, { tenant: 'acme' });
    const readsWhileGone = secrets.callsFor(`${PREFIX}acme`);
    const globex = await token(h, { tenant: 'globex' });

    expect(withinTtl.body.access_token).toBe(first.body.access_token);
    expect(afterTtl.status).toBe(404);
    expect(afterTtl.body.error).toBe('tenant_not_found');
    expect(remembered.status).toBe(404);
    expect(readsWhileGone).toBe(2);
    expect(globex.status).toBe(200);

    // Re-added (onboarded again): served once the not-found memory expires, with a new token.
    secrets.put(`${PREFIX}acme`, { versionId: 'acme-v1', secretString: JSON.stringify(APPS.acme) });
    h.clock.now += 30_000;
    const back = await token(h, { tenant: 'acme' });
    expect(back.status).toBe(200);
    expect(back.body.access_token).not.toBe(first.body.access_token);
  });

  it('serves a tenant added while running once its not-found memory expires', async () => {
    const { h, secrets } = await open({ env: { BOX_TENANT_NOT_FOUND_SECONDS: '5' } });
    expect((await token(h, { tenant: 'initech' })).status).toBe(404);
    const app = {
      clientId: 'initech-client',
      clientSecret: 'initech-S3CR3T',
      enterpriseId: '3333',
    };
    h.simulator.addApp(app);
    secrets.put(`${PREFIX}initech`, { versionId: 'i1', secretString: JSON.stringify(app) });

    expect((await token(h, { tenant: 'initech' })).status).toBe(404);
    h.clock.now += 5000;
    const served = await token(h, { tenant: 'initech' });
    expect(served.status).toBe(200);
    expect(served.body.box_subject_id).toBe('3333');
  });

  it('reads a named tenant’s secret once per TTL on cache hits, and never the default’s', async () => {
    const { h, secrets } = await open({ env: { BOX_SECRET_TTL_SECONDS: '60' } });
    await token(h, { tenant: 'acme' });
    await token(h, {});
    for (let i = 0; i < 20; i += 1) {
      await Promise.all([token(h, { tenant: 'acme' }), token(h, {})]);
    }
    expect(secrets.callsFor(`${PREFIX}acme`)).toBe(1);
    h.clock.now += 60_000;
    await Promise.all([1, 2, 3].map(() => token(h, { tenant: 'acme' })));
    await token(h, {});
    expect(secrets.callsFor(`${PREFIX}acme`)).toBe(2);
    expect(secrets.callsFor(DEFAULT_SECRET)).toBe(1);
  });
});

describe('Tenants: 1,000 of them', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `t${String(i).padStart(4, '0')}`);
  const openMany = (env: Record<string, string>) => openWithTenants(ids, env);

  it('reads each secret once per TTL and serves the second round from cache', async () => {
    const { h, secrets } = await openMany({ BOX_TOKEN_CACHE_MAX_ENTRIES: '2000' });
    for (const id of ids) expect((await token(h, { tenant: id })).status).toBe(200);
    const boxCalls = h.simulator.tokenCallCount();
    for (const id of ids) await token(h, { tenant: id });

    expect(boxCalls).toBe(1000);
    expect(h.simulator.tokenCallCount()).toBe(1000);
    expect(secrets.totalCalls()).toBe(1000);
    h.clock.now += 300_000;
    for (const id of ids) await token(h, { tenant: id });
    expect(secrets.totalCalls()).toBe(2000);
    expect(h.simulator.tokenCallCount()).toBe(1000);
  });
});

describe('Tenants: the shared bounds (a few tenants; tenants.test.ts and token-cache.test.ts prove the eviction itself)', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `t${String(i).padStart(4, '0')}`);
  const openFew = (env: Record<string, string>) => openWithTenants(ids, env);

  it('holds at most BOX_TENANT_CACHE_MAX_ENTRIES tenants: the evicted ones read their secret again', async () => {
    const { h, secrets } = await openFew({
      BOX_TENANT_CACHE_MAX_ENTRIES: '3',
      BOX_TOKEN_CACHE_MAX_ENTRIES: '100',
    });
    for (const id of ids) await token(h, { tenant: id });
    // The last 3 are held; the first 7 were evicted and must confirm their secret again.
    for (const id of ids.slice(-3)) await token(h, { tenant: id });
    expect(secrets.totalCalls()).toBe(10);
    for (const id of ids.slice(0, 3)) await token(h, { tenant: id });
    expect(secrets.totalCalls()).toBe(13);
    // Their tokens outlived their state in the shared cache: no Box call to come back.
    expect(h.simulator.tokenCallCount()).toBe(10);
  });

  it('bounds every tenant’s tokens together by BOX_TOKEN_CACHE_MAX_ENTRIES', async () => {
    const { h } = await openFew({ BOX_TOKEN_CACHE_MAX_ENTRIES: '5' });
    for (const id of ids) await token(h, { tenant: id });
    // The most recent 5 are cached; the oldest 5 were pushed out.
    for (const id of ids.slice(-5)) await token(h, { tenant: id });
    expect(h.simulator.tokenCallCount()).toBe(10);
    await token(h, { tenant: ids[0] ?? '' });
    expect(h.simulator.tokenCallCount()).toBe(11);
  });
});

describe('Tenants: metrics', () => {
  const directivesOf = (line: Record<string, unknown>) =>
    (line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] })
      ?.CloudWatchMetrics ?? [];

  it('adds a tenant dimension only for allow-listed tenants, never by default', async () => {
    const { h } = await open({ tenantMetrics: ['acme'] });
    await token(h, { tenant: 'acme' });
    await token(h, { tenant: 'globex' });
    await token(h, {});

    const [acme, globex, unnamed] = lines(h).map(directivesOf);
    const tenantDirective = acme?.find((d) => d.Dimensions.some((set) => set.includes('tenant')));
    expect(tenantDirective?.Dimensions).toEqual([['service', 'tenant']]);
    expect(tenantDirective?.Metrics.map((m) => m.Name)).toEqual(['TokensIssued']);
    for (const directives of [globex, unnamed]) {
      expect(directives?.some((d) => d.Dimensions.flat().includes('tenant'))).toBe(false);
    }
  });

  it('emits no tenant dimension without an allow-list', async () => {
    const { h } = await open();
    await token(h, { tenant: 'acme' });
    expect(h.logLines.join('\n')).not.toMatch(/"Dimensions":\[[^\]]*"tenant"/);
    expect(lines(h)[0]?.tenant).toBe('acme');
  });
});
