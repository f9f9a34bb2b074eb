import { createHash } from 'node:crypto';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  ETL_ROLE_CALLER,
  type Harness,
  SCHEDULED_EVENT,
  SECRET_V1,
  SECRET_V2,
  secretJson,
  startHarness,
  useHarness,
} from '../support/harness.js';

const open = useHarness();

const lastLine = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;
const metricNames = (line: Record<string, unknown>) =>
  (
    (line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined)
      ?.CloudWatchMetrics ?? []
  ).flatMap((d) => d.Metrics.map((m) => m.Name));

describe('Scenario: a wrong value is saved in the console', () => {
  it('keeps serving with AWSPREVIOUS, counts it loudly, and switches back once the current value works', async () => {
    const h = await open({ env: { BOX_SECRET_TTL_SECONDS: '60' } });
    h.setSecretStages(
      { versionId: 'v-typo', secretString: secretJson('a-typo-in-the-new-secret') },
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
    );

    const first = await h.api('GET', '/token');
    expect(first.status).toBe(200);
    const line = lastLine(h);
    expect(line).toMatchObject({ secret_fallback: true, secret_version_id: 'v1' });
    expect(metricNames(line)).toContain('SecretFallbacks');

    // Warm requests keep being served (and counted) from the previous version, without Box.
    const boxCalls = h.simulator.tokenCallCount();
    const warm = await h.api('GET', '/token');
    expect(warm.body.access_token).toBe(first.body.access_token);
    expect(lastLine(h)).toMatchObject({ secret_fallback: true, cache_hit: true });
    expect(h.simulator.tokenCallCount()).toBe(boxCalls);

    // The admin fixes the value: Box accepts the current version again, and the broker returns.
    h.setSecretStages(
      { versionId: 'v2', secretString: secretJson(SECRET_V2) },
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
    );
    h.simulator.setCredentials([
      { clientId: CLIENT_ID, clientSecret: SECRET_V1 },
      { clientId: CLIENT_ID, clientSecret: SECRET_V2 },
    ]);
    h.clock.now += 61_000;
    const back = await h.api('GET', '/token');
    expect(back.status).toBe(200);
    expect(lastLine(h)).toMatchObject({ secret_version_id: 'v2' });
    expect(lastLine(h).secret_fallback).toBeUndefined();
  });

  it('answers box_credentials_rejected when there is no previous version to fall back on', async () => {
    const h = await open();
    h.setSecretStages({
      versionId: 'v-typo',
      secretString: secretJson('pasted-WRONG-secret-value'),
    });
    const answer = await h.api('GET', '/token');
    expect(answer.status).toBe(502);
    expect(answer.body.error).toBe('box_credentials_rejected');
  });
});

describe('Scenario: Box outages', () => {
  it('serves a cached token inside the refresh margin while Box fails, if it meets min_ttl', async () => {
    const h = await open();
    const first = await h.api('GET', '/token');
    h.clock.now += (3992 - 200) * 1000; // inside the 300 s margin, 200 s left
    h.simulator.injectFault({ kind: 'server_error', status: 503 }, 4);

    const during = await h.api('GET', '/token', { query: { min_ttl: '60' } });

    expect(during.status).toBe(200);
    expect(during.body.access_token).toBe(first.body.access_token);
    // 200 s were left; the retries' backoff (on the fake clock) took a few of them.
    expect(during.body.expires_in).toBeGreaterThan(190);
    expect(during.body.expires_in).toBeLessThanOrEqual(200);
    expect(lastLine(h)).toMatchObject({ served_stale: true, box_error: 'box_unavailable' });
  });

  it('answers 503 with Retry-After, within the budget, when the cached token is too short for min_ttl', async () => {
    const h = await open({ env: { BOX_RETRY_BUDGET_MS: '5000' } });
    await h.api('GET', '/token');
    h.clock.now += (3992 - 200) * 1000;
    h.simulator.injectFault({ kind: 'server_error', status: 500 }, 10);
    const started = h.clock.now;

    const answer = await h.api('GET', '/token', { query: { min_ttl: '600' } });

    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(h.clock.now - started).toBeLessThanOrEqual(5000);
  });

  it('honours a 429 Retry-After in seconds and then succeeds', async () => {
    const h = await open();
    h.simulator.injectFault({ kind: 'rate_limit', retryAfter: 2 });
    const answer = await h.api('GET', '/token');
    expect(answer.status).toBe(200);
    expect(h.sleeps).toEqual([2000]);
  });

  it('retries a connection reset and a 502 storm, then succeeds', async () => {
    const h = await open();
    h.simulator.injectFaults({ kind: 'reset' }, { kind: 'server_error', status: 502 });
    expect((await h.api('GET', '/token')).status).toBe(200);
    expect(h.simulator.tokenCallCount()).toBe(3);
  });

  it('answers 504 within the budget when Box hangs and nothing is cached', async () => {
    const h = await open({ env: { BOX_HTTP_TIMEOUT_MS: '100', BOX_RETRY_BUDGET_MS: '300' } });
    h.simulator.injectFault({ kind: 'hang' }, 5);
    const started = performance.now();
    const answer = await h.api('GET', '/token');
    expect(answer.status).toBe(504);
    expect(answer.body.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('serves the still-valid token at once while another request is refreshing it', async () => {
    const h = await open();
    const first = await h.api('GET', '/token');
    h.clock.now += (3992 - 200) * 1000;
    h.simulator.injectFault({ kind: 'delay', ms: 150 });

    let refreshDone = false;
    const refreshing = h.api('GET', '/token').then((a) => {
      refreshDone = true;
      return a;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const meanwhile = await h.api('GET', '/token');
    const refreshDoneWhenServed = refreshDone;
    const refreshed = await refreshing;

    expect(meanwhile.body.access_token).toBe(first.body.access_token);
    expect(refreshDoneWhenServed).toBe(false);
    expect(refreshed.body.access_token).not.toBe(first.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(2);
  });

  it('answers 502 for a malformed 200 and 502 for a slow-but-wrong answer', async () => {
    const h = await open();
    h.simulator.injectFaults({ kind: 'malformed', body: 'missing_access_token' });
    expect((await h.api('GET', '/token')).body.error).toBe('box_bad_response');
    h.simulator.injectFaults({
      kind: 'response',
      status: 302,
      headers: { location: 'https://evil.example' },
    });
    expect((await h.api('GET', '/token')).body.error).toBe('box_bad_response');
  });

  it('downscopes again with a fresh parent when Box revoked the cached one', async () => {
    const h = await open();
    await h.api('GET', '/token');
    h.simulator.revokeAllTokens();
    const answer = await h.api('GET', '/token', { query: { scope: 'item_preview' } });
    expect(answer.status).toBe(200);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
  });
});

describe('Scenario: no storms', () => {
  it('remembers a Box configuration error briefly instead of calling Box again', async () => {
    const h = await open({ env: { BOX_NEGATIVE_CACHE_SECONDS: '10' } });
    h.simulator.injectFault({
      kind: 'oauth_error',
      error: 'unauthorized_client',
      description: 'This app is not authorized by the enterprise admin',
    });

    const first = await h.api('GET', '/token');
    const second = await h.api('GET', '/token');
    expect(first.body.error).toBe('box_credentials_rejected');
    expect(second.body.error).toBe('box_credentials_rejected');
    expect(lastLine(h)).toMatchObject({ negative_cache_hit: true, box_calls: 0 });
    expect(h.simulator.tokenCallCount()).toBe(1);

    h.clock.now += 11_000;
    expect((await h.api('GET', '/token')).status).toBe(200);
    expect(h.simulator.tokenCallCount()).toBe(2);
  });

  it.each([
    [
      'AccessDeniedException',
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'User: arn:aws:sts::1:assumed-role/x is not authorized',
      }),
      'misconfigured',
      'role may not read',
    ],
    [
      'DecryptionFailure',
      new DecryptionFailure({ $metadata: {}, message: 'KMS arn:aws:kms:us-east-1:1:key/abc' }),
      'misconfigured',
      'decrypt',
    ],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ $metadata: {}, message: 'arn:aws:secretsmanager:x' }),
      'misconfigured',
      'does not exist',
    ],
    [
      'InvalidRequestException',
      new InvalidRequestException({ $metadata: {}, message: 'marked for deletion' }),
      'misconfigured',
      'scheduled for deletion',
    ],
    [
      'InvalidParameterException',
      new InvalidParameterException({ $metadata: {}, message: 'bad' }),
      'misconfigured',
      'not a valid secret',
    ],
    [
      'InternalServiceError',
      new InternalServiceError({ $metadata: {}, message: 'oops' }),
      'credentials_unavailable',
      'retry later',
    ],
  ])(
    'maps Secrets Manager %s to %s with what to fix, and does not hammer it',
    async (name, error, code, hint) => {
      const h = await open();
      h.secretsManager.on(GetSecretValueCommand).rejects(error);

      const answer = await h.api('GET', '/token');
      await h.api('GET', '/token');

      expect(answer.body.error).toBe(code);
      expect(answer.body.error_description).toContain(name);
      expect(answer.body.error_description).toContain(hint);
      expect(answer.body.error_description).not.toContain('arn:aws');
      expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    },
  );
});

describe('Scenario: the scheduled canary', () => {
  it('obtains a token and proves it at Box with GET /2.0/users/me', async () => {
    const h = await open();
    const { result, error } = await h.invoke(SCHEDULED_EVENT, 'schedule');
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ status: 'ok', box_user_id: expect.any(String) });
    expect(JSON.stringify(result)).not.toContain(h.simulator.issuedTokens()[0]?.accessToken);
    expect(h.simulator.requests.some((r) => r.path === '/2.0/users/me')).toBe(true);
    const line = lastLine(h);
    expect(line).toMatchObject({ route: 'canary', CanarySuccess: 1 });
  });

  it('fails loudly (function error, CanarySuccess 0) when Box refuses the token', async () => {
    const h = await open();
    await h.invoke(SCHEDULED_EVENT, 'schedule');
    h.simulator.revokeAllTokens();
    const { error } = await h.invoke(SCHEDULED_EVENT, 'schedule');
    expect(error?.name).toBe('box_bad_response');
    expect(lastLine(h)).toMatchObject({ route: 'canary', CanarySuccess: 0 });
  });

  it('never puts the token in the /health response', async () => {
    const h = await open();
    const answer = await h.api('GET', '/health');
    expect(Object.keys(answer.body).sort()).toEqual(['cached', 'status', 'token_expires_in']);
  });
});

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const folder = (id: number) => ({
  scope: 'item_preview',
  resource: `https://api.box.com/2.0/folders/${id}`,
});

/** A policy admitting the ETL role to the enterprise, any user and downscoping. */
const OPEN_POLICY = {
  version: 1,
  rules: [
    {
      id: 'etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      subjects: ['enterprise', 'user:*'],
    },
  ],
};

describe('Scenario: serving from AWSPREVIOUS without churn', () => {
  it('leaves the cache alone when a periodic re-check of the current version fails (5 keys, 3 re-checks in 33 s)', async () => {
    const h = await open({ env: { BOX_SECRET_TTL_SECONDS: '300' } });
    h.setSecretStages(
      { versionId: 'v-typo', secretString: secretJson('a-typo-in-the-new-secret') },
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
    );
    const keys = [1, 2, 3, 4, 5].map(folder);
    const first = new Map<number, unknown>();
    for (const [i, key] of keys.entries()) {
      const answer = await h.api('POST', '/token', { body: JSON.stringify(key) });
      expect(answer.status).toBe(200);
      first.set(i, answer.body.access_token);
    }
    const grantsBefore = h.simulator.tokenCallCount('client_credentials');
    const exchangesBefore = h.simulator.tokenCallCount(EXCHANGE);

    for (let recheck = 0; recheck < 3; recheck += 1) {
      h.clock.now += 11_000;
      for (const [i, key] of keys.entries()) {
        const answer = await h.api('POST', '/token', { body: JSON.stringify(key) });
        expect(answer.body.access_token).toBe(first.get(i));
        expect(lastLine(h)).toMatchObject({ secret_fallback: true, cache_hit: true });
      }
    }
    // One enterprise grant per re-check (the current version, still rejected); nothing re-minted.
    expect(h.simulator.tokenCallCount('client_credentials') - grantsBefore).toBe(3);
    expect(h.simulator.tokenCallCount(EXCHANGE) - exchangesBefore).toBe(0);
  });
});

describe('Scenario: one caller cannot trip fleet-wide reactions', () => {
  it('keeps the secret, the cache and the fallback alarm untouched when Box answers invalid_client for a user subject', async () => {
    const h = await open({
      env: { BOX_ACCESS_POLICY: JSON.stringify(OPEN_POLICY) },
      simulator: { allowUserSubjects: true },
    });
    const enterprise = await h.api('GET', '/token');
    const reads = h.secretsManager.commandCalls(GetSecretValueCommand).length;
    h.simulator.injectFault({
      kind: 'oauth_error',
      grantType: 'client_credentials',
      error: 'invalid_client',
      description: 'The client credentials are invalid',
    });

    const user = await h.api('POST', '/token', {
      body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '42' }),
    });

    expect(user.status).toBe(502);
    const line = lastLine(h);
    expect(line.credentials_reread).toBeUndefined();
    expect(line.secret_fallback).toBeUndefined();
    expect(metricNames(line)).toContain('BoxSubjectErrors');
    expect(metricNames(line)).not.toContain('BoxErrors');
    expect(metricNames(line)).not.toContain('SecretFallbacks');
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(reads);
    // The enterprise grant decided: the credentials are good, and its token is still served.
    const again = await h.api('GET', '/token');
    expect(again.status).toBe(200);
    expect(h.simulator.isTokenActive(String(again.body.access_token))).toBe(true);
    expect(enterprise.status).toBe(200);
  });

  it('counts nonexistent users as BoxSubjectErrors, never as the BoxErrors the invalid_grant alarm reads', async () => {
    const h = await open({
      env: { BOX_ACCESS_POLICY: JSON.stringify(OPEN_POLICY) },
      simulator: { allowUserSubjects: ['7'] },
    });
    for (const id of ['90001', '90002', '90003']) {
      const answer = await h.api('POST', '/token', {
        body: JSON.stringify({ box_subject_type: 'user', box_subject_id: id }),
      });
      expect(answer.status).toBe(502);
      const line = lastLine(h);
      expect(line).toMatchObject({ box_error: 'invalid_grant', BoxSubjectErrors: 1 });
      expect(line.BoxErrors).toBeUndefined();
      expect(line.credentials_reread).toBeUndefined();
    }
    // The enterprise is unaffected: its negative cache entry was never pushed out or set.
    expect((await h.api('GET', '/token')).status).toBe(200);
  });

  it('still counts a wrong enterprise secret as BoxErrors invalid_client', async () => {
    const h = await open();
    h.setSecretStages({ versionId: 'v-typo', secretString: secretJson('pasted-WRONG-secret') });
    await h.api('GET', '/token');
    expect(lastLine(h)).toMatchObject({ box_error: 'invalid_client', BoxErrors: 1 });
  });
});

describe('Scenario: Box accepts connections and never answers (one deadline per request)', () => {
  // Each Box operation may take the whole budget (4 attempts of 300 ms on the harness's clock,
  // which only retry waits advance), and a downscoped miss makes two operations: only the
  // request's one deadline ends these requests within 300 ms.
  const env = {
    BOX_HTTP_TIMEOUT_MS: '300',
    BOX_RETRY_BUDGET_MS: '300',
    BOX_ACCESS_POLICY: JSON.stringify(OPEN_POLICY),
  };

  it.each([
    ['enterprise', {}],
    ['user', { box_subject_type: 'user', box_subject_id: '42' }],
  ])('answers 504 box_timeout within the budget for an %s token', async (_what, body) => {
    const h = await open({ env, simulator: { allowUserSubjects: true } });
    h.simulator.injectFault({ kind: 'hang' }, 10);
    const started = performance.now();
    const answer = await h.api('POST', '/token', { body: JSON.stringify(body) });
    expect(answer.status).toBe(504);
    expect(answer.body).toMatchObject({ error: 'box_timeout', retryable: true });
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('answers 504 within the budget for a downscoped token whose grant is slow and exchange hangs', async () => {
    const h = await open({ env });
    h.simulator.injectFault({ kind: 'delay', ms: 200, grantType: 'client_credentials' });
    h.simulator.injectFault({ kind: 'hang', grantType: EXCHANGE }, 10);
    const started = performance.now();
    const answer = await h.api('POST', '/token', { body: JSON.stringify(folder(9)) });
    expect(answer.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(h.simulator.tokenCallCount(EXCHANGE)).toBe(1);
  });
});

describe('Scenario: min_ttl up to a day, answered by what Box grants', () => {
  it('serves min_ttl 4000 when Box grants 4102 s, and replaces a cached token with too little life first', async () => {
    const h = await open({ simulator: { tokenLifetimeSeconds: 4102 } });
    const first = await h.api('GET', '/token', { query: { min_ttl: '4000' } });
    expect(first.status).toBe(200);
    h.clock.now += 200_000; // 3902 s left: not enough for 4000
    const second = await h.api('GET', '/token', { query: { min_ttl: '4000' } });
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(2);
  });

  it('answers a non-retryable 400 naming what Box grants when even a fresh token is too short', async () => {
    const h = await open({ simulator: { tokenLifetimeSeconds: 4102 } });
    const answer = await h.api('POST', '/token', { body: JSON.stringify({ min_ttl: 5000 }) });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', retryable: false });
    expect(answer.body.error_description).toBe(
      'Box grants tokens of 4102 s; min_ttl 5000 cannot be met.',
    );
    expect(answer.headers['retry-after']).toBeUndefined();
  });
});

describe('Scenario: no thundering herd against a sick Box', () => {
  it('after a failed refresh, serves the still-valid token at once and refuses what it cannot serve fast, then tries once more', async () => {
    const h = await open({ backoffWindowMs: 5000 });
    const first = await h.api('GET', '/token');
    h.clock.now += (3992 - 200) * 1000; // inside the refresh margin, 200 s left
    // Exactly the attempts one refresh makes (BOX_MAX_ATTEMPTS, 4): Box is back afterwards.
    h.simulator.injectFault({ kind: 'server_error', status: 503 }, 4);

    const failedRefresh = await h.api('GET', '/token');
    expect(failedRefresh.body.access_token).toBe(first.body.access_token);
    const callsAfterFailure = h.simulator.tokenCallCount();

    for (let i = 0; i < 5; i += 1) {
      const served = await h.api('GET', '/token');
      expect(served.body.access_token).toBe(first.body.access_token);
      expect(lastLine(h)).toMatchObject({
        backoff_served: true,
        box_calls: 0,
        BoxBackoffServed: 1,
      });
    }
    const refused = await h.api('GET', '/token', { query: { min_ttl: '600' } });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('box_unavailable');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(5);
    expect(lastLine(h)).toMatchObject({
      backoff_rejected: true,
      box_calls: 0,
      BoxBackoffRejected: 1,
    });
    expect(h.simulator.tokenCallCount()).toBe(callsAfterFailure);

    expect(h.simulator.pendingFaults).toBe(0);
    // The window passes: one refresh attempt again (Box is back).
    h.clock.now += 6000;
    const refreshed = await h.api('GET', '/token');
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).not.toBe(first.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(callsAfterFailure + 1);
  });
});

describe('Scenario: a dead token never comes back, from any environment', () => {
  it('drops the reported token in an environment that still holds it and mints a new one', async () => {
    const env1 = await open();
    const env2 = await startHarness({ sharedSimulator: env1.simulator });
    try {
      const t = String((await env1.api('GET', '/token')).body.access_token);
      // The caller revokes T through another environment (env 1 never hears of it).
      expect(
        (await env2.api('POST', '/revoke', { body: JSON.stringify({ token: t }) })).status,
      ).toBe(200);
      expect(env1.simulator.isTokenActive(t)).toBe(false);
      // Without the report, env 1 would hand T straight back …
      expect((await env1.api('GET', '/token')).body.access_token).toBe(t);
      // … with it, never.
      const fresh = await env1.api('GET', '/token', { query: { dead_token_sha256: sha256(t) } });
      expect(fresh.status).toBe(200);
      expect(fresh.body.access_token).not.toBe(t);
      expect(env1.simulator.isTokenActive(String(fresh.body.access_token))).toBe(true);
      expect(lastLine(env1)).toMatchObject({ dead_token_dropped: true, cache_hit: false });
      // And the new token is what env 1 serves from now on.
      expect((await env1.api('GET', '/token')).body.access_token).toBe(fresh.body.access_token);
    } finally {
      await env2.close();
    }
  });

  it('keeps the parent of a dead downscoped token (it is not necessarily dead)', async () => {
    const h = await open();
    const down = String(
      (await h.api('POST', '/token', { body: JSON.stringify(folder(3)) })).body.access_token,
    );
    const grants = h.simulator.tokenCallCount('client_credentials');
    const again = await h.api('POST', '/token', {
      body: JSON.stringify({ ...folder(3), dead_token_sha256: sha256(down) }),
    });
    expect(again.body.access_token).not.toBe(down);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(grants);
    expect(h.simulator.tokenCallCount(EXCHANGE)).toBe(2);
  });

  it('evicts a revoked token locally, as before', async () => {
    const h = await open();
    const t = String((await h.api('GET', '/token')).body.access_token);
    expect((await h.api('POST', '/revoke', { body: JSON.stringify({ token: t }) })).status).toBe(
      200,
    );
    const next = await h.api('GET', '/token');
    expect(next.body.access_token).not.toBe(t);
  });
});

describe('Scenario: /revoke and /health need a caller some rule admits', () => {
  const stranger = {
    userArn: 'arn:aws:sts::999900001111:assumed-role/stranger/x',
    accountId: '999900001111',
    principalOrgId: 'o-zzzzzzzzzz',
  };

  it.each([
    ['POST', '/revoke', JSON.stringify({ token: 'some-token' })],
    ['GET', '/health', undefined],
  ])(
    'answers %s %s with 403 access_denied, no Box call and no secret read',
    async (method, path, body) => {
      const h = await open({ env: { BOX_ACCESS_POLICY: JSON.stringify(OPEN_POLICY) } });
      const answer = await h.api(method, path, {
        ...(body === undefined ? {} : { body }),
        caller: stranger,
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe('access_denied');
      expect(h.simulator.requests).toHaveLength(0);
      expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
      // An admitted caller still gets through.
      const admitted = await h.api(method, path, {
        ...(body === undefined ? {} : { body }),
        caller: ETL_ROLE_CALLER,
      });
      expect(admitted.status).toBe(200);
    },
  );
});
