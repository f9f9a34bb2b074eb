/**
 * What a caller (or an invoker) can make the broker do, through the real handler: work a caller
 * can force is bounded (dead-token and min_ttl loops, impossible min_ttl, junk revokes), revoke
 * is held to what the caller may have, missing tenants cannot push served tenants out, and a
 * default secret under the tenant prefix is refused at cold start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { FakeSecrets } from '../support/fake-secrets.js';
import {
  ETL_ROLE_CALLER,
  type Harness,
  SECRET_V1,
  secretJson,
  useHarness,
} from '../support/harness.js';

const open = useHarness();

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const lastLine = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;
/** The default BOX_FORCED_REFRESH_SECONDS. */
const WINDOW_SECONDS = 10;

function expectRetryInsideWindow(answer: { status: number; headers: Record<string, string> }) {
  const seconds = Number(answer.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(WINDOW_SECONDS);
}

describe('Forced work: dead_token_sha256 loops', () => {
  it('makes one Box grant for 20 requests that each report the last token dead, and never returns a dead token', async () => {
    const h = await open();
    let last = String((await h.api('GET', '/token')).body.access_token);
    const grantsBefore = h.simulator.tokenCallCount();

    const rounds: { reported: string; answer: Awaited<ReturnType<Harness['api']>> }[] = [];
    for (let i = 0; i < 20; i += 1) {
      const answer = await h.api('GET', '/token', { query: { dead_token_sha256: sha256(last) } });
      rounds.push({ reported: last, answer });
      if (answer.status === 200) last = String(answer.body.access_token);
      h.clock.now += 100;
    }

    expect(h.simulator.tokenCallCount() - grantsBefore).toBe(1);
    expect(rounds[0]?.answer.status).toBe(200);
    for (const { answer } of rounds.slice(1)) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: 'box_unavailable', retryable: true });
      expectRetryInsideWindow(answer);
    }
    expect(lastLine(h)).toMatchObject({ forced_refresh_refused: true, ForcedRefreshRefused: 1 });
    // No answer carried the token its request reported dead.
    for (const { reported, answer } of rounds) {
      expect(answer.body.access_token).not.toBe(reported);
    }
  });

  it('serves the current token at once when the reported one is already replaced, and allows one grant again after the window', async () => {
    const h = await open();
    const t0 = String((await h.api('GET', '/token')).body.access_token);
    const t1 = String(
      (await h.api('GET', '/token', { query: { dead_token_sha256: sha256(t0) } })).body
        .access_token,
    );
    const grants = h.simulator.tokenCallCount();

    // Another caller still reports t0: t1 is not dead, so it is served without Box.
    const stale = await h.api('GET', '/token', { query: { dead_token_sha256: sha256(t0) } });
    expect(stale.status).toBe(200);
    expect(stale.body.access_token).toBe(t1);
    expect(h.simulator.tokenCallCount()).toBe(grants);

    h.clock.now += (WINDOW_SECONDS + 1) * 1000;
    const t2 = await h.api('GET', '/token', { query: { dead_token_sha256: sha256(t1) } });
    expect(t2.status).toBe(200);
    expect(t2.body.access_token).not.toBe(t1);
    expect(h.simulator.tokenCallCount()).toBe(grants + 1);
  });
});

describe('Forced work: min_ttl', () => {
  it('makes at most one Box grant per window for 20 requests whose min_ttl the cached token keeps missing', async () => {
    const h = await open();
    await h.api('GET', '/token');
    h.clock.now += 5000;
    const grantsBefore = h.simulator.tokenCallCount();

    const answers = [];
    for (let i = 0; i < 20; i += 1) {
      answers.push(await h.api('GET', '/token', { query: { min_ttl: '3990' } }));
      h.clock.now += 400; // 20 requests inside 8 s
    }

    expect(h.simulator.tokenCallCount() - grantsBefore).toBe(1);
    for (const answer of answers) {
      if (answer.status === 200) {
        expect(Number(answer.body.expires_in)).toBeGreaterThanOrEqual(3990);
      } else {
        expect(answer.status).toBe(503);
        expect(answer.body).toMatchObject({ error: 'box_unavailable', retryable: true });
        expectRetryInsideWindow(answer);
      }
    }
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
  });

  it('answers an impossible min_ttl 400 from the last lifetime Box granted, reaching Box at most once per window', async () => {
    const h = await open();
    const grantsBefore = h.simulator.tokenCallCount();

    const answers = [];
    for (let i = 0; i < 20; i += 1) {
      answers.push(await h.api('GET', '/token', { query: { min_ttl: '5000' } }));
      h.clock.now += 200;
    }

    expect(h.simulator.tokenCallCount() - grantsBefore).toBe(1);
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request', retryable: false });
      expect(answer.body.error_description).toContain('3992');
    }
    // Box may have changed its lifetime: after the window it is asked once more.
    h.clock.now += WINDOW_SECONDS * 1000;
    expect((await h.api('GET', '/token', { query: { min_ttl: '5000' } })).status).toBe(400);
    expect(h.simulator.tokenCallCount() - grantsBefore).toBe(2);
    // The token itself still serves callers whose min_ttl it meets.
    const plain = await h.api('GET', '/token', { query: { min_ttl: '600' } });
    expect(plain.status).toBe(200);
    expect(h.simulator.tokenCallCount() - grantsBefore).toBe(2);
  });
});

describe('Revoke: only what the caller may have, and no Box call per junk token', () => {
  const NARROW = {
    userArn: 'arn:aws:sts::111122223333:assumed-role/user-42-app/session',
    accountId: '111122223333',
    principalOrgId: 'o-a1b2c3d4e5',
  };
  const policy = {
    version: 1,
    rules: [
      {
        id: 'etl',
        callers: ['arn:aws:iam::111122223333:role/etl-*'],
        subjects: ['enterprise', 'user:*'],
      },
      {
        id: 'user-42-only',
        callers: ['arn:aws:iam::111122223333:role/user-42-app'],
        subjects: ['user:42'],
      },
    ],
  };
  const revoke = (h: Harness, token: string, caller = ETL_ROLE_CALLER) =>
    h.api('POST', '/revoke', { body: JSON.stringify({ token }), caller });

  it("refuses to revoke a token of a subject the caller's rules do not admit, and keeps serving it", async () => {
    const h = await open({
      env: { BOX_ACCESS_POLICY: JSON.stringify(policy) },
      simulator: { allowUserSubjects: ['42'] },
    });
    const enterprise = String((await h.api('GET', '/token')).body.access_token);

    const refused = await revoke(h, enterprise, NARROW);

    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
    expect(h.simulator.revokeCallCount()).toBe(0);
    expect(h.simulator.isTokenActive(enterprise)).toBe(true);
    expect((await h.api('GET', '/token')).body.access_token).toBe(enterprise);

    // Its own token, it may revoke; the enterprise token, a caller admitted to it may.
    const own = await h.api('GET', '/token', {
      query: { box_subject_type: 'user', box_subject_id: '42' },
      caller: NARROW,
    });
    expect((await revoke(h, String(own.body.access_token), NARROW)).status).toBe(200);
    expect(h.simulator.isTokenActive(String(own.body.access_token))).toBe(false);
    expect((await revoke(h, enterprise)).status).toBe(200);
    expect(h.simulator.isTokenActive(enterprise)).toBe(false);
  });

  it('forwards at most one token it does not know to Box per window for a caller; the rest get 503 with Retry-After', async () => {
    const h = await open();
    const answers = [];
    for (let i = 0; i < 20; i += 1) {
      answers.push(await revoke(h, randomBytes(16).toString('hex')));
    }

    expect(h.simulator.revokeCallCount()).toBe(1);
    expect(answers[0]?.status).toBe(200);
    for (const answer of answers.slice(1)) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: 'box_unavailable', retryable: true });
      expectRetryInsideWindow(answer);
    }
    // Tokens it minted itself are not held up by that budget.
    const mine = String((await h.api('GET', '/token')).body.access_token);
    expect((await revoke(h, mine)).status).toBe(200);
    expect(h.simulator.isTokenActive(mine)).toBe(false);
    // After the window, one unknown token goes through again.
    h.clock.now += WINDOW_SECONDS * 1000;
    expect((await revoke(h, randomBytes(16).toString('hex'))).status).toBe(200);
    expect(h.simulator.revokeCallCount()).toBe(3);
  });
});

describe('Tenants: probing missing tenants', () => {
  const PREFIX = 'box-token-broker/tenants/';
  const ACME = {
    clientId: 'acme-client',
    clientSecret: 'acme-secret-S3CR3T',
    enterpriseId: '1111',
  };

  it('does not evict a served tenant when 1,000 missing tenants are probed', async () => {
    const secrets = new FakeSecrets();
    secrets.put('box-token-broker/credentials', {
      versionId: 'd1',
      secretString: secretJson(SECRET_V1),
    });
    secrets.put(`${PREFIX}acme`, { versionId: 'acme-v1', secretString: JSON.stringify(ACME) });
    const h = await open({
      secrets,
      env: {
        BOX_TENANT_SECRET_PREFIX: PREFIX,
        BOX_TENANT_CACHE_MAX_ENTRIES: '10',
        BOX_ACCESS_POLICY: JSON.stringify({
          version: 1,
          rules: [{ id: 'all', callers: ['*'], tenants: ['*'], subjects: ['enterprise'] }],
        }),
      },
    });
    h.simulator.addApp(ACME);
    const served = await h.api('GET', '/token', { query: { tenant: 'acme' } });
    expect(served.status).toBe(200);
    const acmeReads = secrets.callsFor(`${PREFIX}acme`);

    // 1,000 probes, 50 at a time: each is in flight (its secret not yet read) alongside others.
    for (let batch = 0; batch < 20; batch += 1) {
      const probes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.api('GET', '/token', { query: { tenant: `missing-${batch * 50 + i}` } }),
        ),
      );
      for (const probe of probes) expect(probe.status).toBe(404);
    }
    const again = await h.api('GET', '/token', { query: { tenant: 'acme' } });

    expect(again.body.access_token).toBe(served.body.access_token);
    expect(lastLine(h)).toMatchObject({ tenant: 'acme', cache_hit: true });
    // Still held: its secret was not read again, no Box call.
    expect(secrets.callsFor(`${PREFIX}acme`)).toBe(acmeReads);
    expect(h.simulator.tokenCallCount()).toBe(1);
  });
});

describe('Cold start: a default secret under the tenant prefix', () => {
  it('refuses every request with 500 misconfigured naming the variables, before any secret read or Box call', async () => {
    // The harness's default secret is `box-token-broker/credentials`: under this prefix.
    const h = await open({ env: { BOX_TENANT_SECRET_PREFIX: 'box-token-broker/' } });

    const token = await h.api('GET', '/token', { query: { tenant: 'credentials' } });
    const plain = await h.api('GET', '/token');
    const direct = await h.invoke({});

    for (const answer of [token, plain]) {
      expect(answer.status).toBe(500);
      expect(answer.body.error).toBe('misconfigured');
      expect(answer.body.error_description).toContain('BOX_TENANT_SECRET_PREFIX');
      expect(answer.body.error_description).not.toContain('box-token-broker/');
    }
    expect(direct.error?.name).toBe('misconfigured');
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(h.simulator.requests).toHaveLength(0);
  });
});
