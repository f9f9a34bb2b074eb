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
  type Harness,
  SCHEDULED_EVENT,
  SECRET_V1,
  SECRET_V2,
  secretJson,
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
