import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../lambda/contract.js';
import {
  CLIENT_ID,
  ENTERPRISE_ID,
  SECRET_V1,
  SECRET_V2,
  secretJson,
  useHarness,
} from '../support/harness.js';

const open = useHarness();

describe('Handler: POST /token and GET /token', () => {
  it('returns the enterprise token with the contract fields and no-store headers', async () => {
    const h = await open();

    const answer = await h.api('POST', '/token', { body: '' });

    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers.pragma).toBe('no-cache');
    expect(answer.headers['content-type']).toBe('application/json');
    const issued = h.simulator.issuedTokens();
    expect(issued).toHaveLength(1);
    expect(answer.body).toEqual({
      access_token: issued[0]?.accessToken,
      token_type: 'bearer',
      expires_in: 3992,
      expires_at: new Date(h.clock.now + 3992_000).toISOString(),
      restricted_to: [],
      box_subject_type: 'enterprise',
      box_subject_id: ENTERPRISE_ID,
    });
    const form = h.simulator.requests[0]?.form;
    expect(form).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      box_subject_type: 'enterprise',
      box_subject_id: ENTERPRISE_ID,
    });
  });

  it('reports the remaining lifetime of a cached token, not Box original value', async () => {
    const h = await open();
    await h.api('GET', '/token');

    h.clock.now += 600_000;
    const answer = await h.api('GET', '/token');

    expect(answer.body.expires_in).toBe(3992 - 600);
    expect(h.simulator.tokenCallCount()).toBe(1);
  });

  it('makes exactly one Box call for 1,000 sequential requests', async () => {
    const h = await open();

    for (let i = 0; i < 1000; i += 1) {
      const answer = await h.api('GET', '/token');
      expect(answer.status).toBe(200);
    }

    expect(h.simulator.tokenCallCount()).toBe(1);
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('shares one Box call and one secret read among 50 concurrent cold requests', async () => {
    const h = await open();

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => h.api('POST', '/token', { body: '{}' })),
    );

    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(1);
    expect(h.simulator.tokenCallCount()).toBe(1);
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refreshes a token once it is inside the refresh margin', async () => {
    const h = await open({ env: { BOX_TOKEN_REFRESH_MARGIN_SECONDS: '300' } });
    const first = await h.api('GET', '/token');

    h.clock.now += (3992 - 300) * 1000;
    const second = await h.api('GET', '/token');

    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(2);
  });

  it('never returns a token with less life than min_ttl', async () => {
    const h = await open();
    await h.api('GET', '/token');
    h.clock.now += 3000_000;

    const answer = await h.api('GET', '/token', { query: { min_ttl: '1800' } });

    expect(answer.body.expires_in).toBeGreaterThanOrEqual(1800);
    expect(h.simulator.tokenCallCount()).toBe(2);
  });

  it('downscopes through a token exchange and caches the parent separately', async () => {
    const h = await open();

    const answer = await h.api('POST', '/token', {
      body: JSON.stringify({
        scope: 'item_preview item_download',
        resource: 'https://api.box.com/2.0/folders/123',
      }),
    });
    await h.api('GET', '/token');

    expect(answer.status).toBe(200);
    expect(answer.body.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(answer.body.restricted_to).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: 'item_download',
          object: expect.objectContaining({ type: 'folder', id: '123' }),
        }),
        expect.objectContaining({ scope: 'item_preview' }),
      ]),
    );
    const exchange = h.simulator.requests.find((r) =>
      r.form.grant_type?.includes('token-exchange'),
    );
    expect(exchange?.form).toMatchObject({
      scope: 'item_download item_preview',
      resource: 'https://api.box.com/2.0/folders/123',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(exchange?.form.client_secret).toBeUndefined();
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(1);
  });

  it('refuses a downscoped token whose restricted_to does not match the request (502, no token)', async () => {
    const h = await open();
    h.simulator.overrideRestrictedTo([
      { scope: 'item_delete', object: { type: 'folder', id: '123' } },
    ]);

    const answer = await h.api('POST', '/token', {
      body: JSON.stringify({
        scope: 'item_preview',
        resource: 'https://api.box.com/2.0/folders/123',
      }),
    });

    expect(answer.status).toBe(502);
    expect(answer.body.error).toBe('box_bad_response');
    expect(JSON.stringify(answer.body)).not.toContain(
      h.simulator.issuedTokens().at(-1)?.accessToken ?? 'x',
    );
    // Counted apart: the rule rests on an assumption about Box (docs/box.md).
    const line = JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ box_error: 'downscope_wider', BoxSubjectErrors: 1 });
  });
});

describe('Handler: the contract error table, each from a real scenario', () => {
  const expectError = (
    answer: { status: number; body: Record<string, unknown>; headers: Record<string, string> },
    code: keyof typeof ERROR_CODES,
  ) => {
    expect(answer.body.error).toBe(code);
    expect(answer.status).toBe(ERROR_CODES[code].status);
    expect(answer.body.retryable).toBe(ERROR_CODES[code].retryable);
    expect(typeof answer.body.request_id).toBe('string');
    expect(typeof answer.body.error_description).toBe('string');
    expect(answer.headers['cache-control']).toBe('no-store');
    if (ERROR_CODES[code].retryable) expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    else expect(answer.headers['retry-after']).toBeUndefined();
  };

  it('400 invalid_request for malformed JSON, without touching Box or Secrets Manager', async () => {
    const h = await open();
    const answer = await h.api('POST', '/token', { body: '{"scope": ' });
    expectError(answer, 'invalid_request');
    expect(h.simulator.requests).toHaveLength(0);
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('400 invalid_scope for a scope Box does not define', async () => {
    const h = await open();
    expectError(
      await h.api('GET', '/token', { query: { scope: 'item_preview root_everything' } }),
      'invalid_scope',
    );
  });

  it('403 access_denied for a user subject under the default policy, with no Box call', async () => {
    const h = await open();
    const answer = await h.api('POST', '/token', {
      body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '42' }),
    });
    expectError(answer, 'access_denied');
    expect(h.simulator.requests).toHaveLength(0);
  });

  it('500 misconfigured when the secret does not exist, naming the AWS error but not the ARN', async () => {
    const h = await open();
    h.secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        $metadata: {},
        message:
          "Secrets Manager can't find the specified secret arn:aws:secretsmanager:us-east-1:123:secret:x",
      }),
    );
    const answer = await h.api('GET', '/token');
    expectError(answer, 'misconfigured');
    expect(answer.body.error_description).toContain('ResourceNotFoundException');
    expect(answer.body.error_description).not.toContain('arn:aws');
  });

  it('500 misconfigured when the secret still holds the placeholder, naming the key', async () => {
    const h = await open({
      secretString: JSON.stringify({
        clientId: 'REPLACE_WITH_BOX_CLIENT_ID',
        clientSecret: 'generated-placeholder-123',
        enterpriseId: 'REPLACE_WITH_BOX_ENTERPRISE_ID',
      }),
    });
    const answer = await h.api('GET', '/token');
    expectError(answer, 'misconfigured');
    expect(answer.body.error_description).toContain('clientId');
    expect(answer.body.error_description).not.toContain('generated-placeholder-123');
  });

  it('500 misconfigured for every request when the environment is invalid, naming the variable', async () => {
    const h = await open({ env: { BOX_HTTP_TIMEOUT_MS: 'soon' } });
    const answer = await h.api('GET', '/token');
    expectError(answer, 'misconfigured');
    expect(answer.body.error_description).toContain('BOX_HTTP_TIMEOUT_MS');
  });

  it('502 box_credentials_rejected when Box calls the client credentials invalid, after one re-read', async () => {
    const h = await open({ secretString: secretJson('wrong-secret-value') });
    const answer = await h.api('GET', '/token');
    expectError(answer, 'box_credentials_rejected');
    expect(answer.body.error_description).toContain('invalid_client');
    expect(answer.body.error_description).not.toContain('wrong-secret-value');
    // Current, the forced re-read, then AWSPREVIOUS as the last known good (the same value here).
    const stages = h.secretsManager
      .commandCalls(GetSecretValueCommand)
      .map((call) => call.args[0].input.VersionStage);
    expect(stages).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPREVIOUS']);
    expect(h.simulator.tokenCallCount()).toBe(1);
  });

  it('502 box_credentials_rejected with invalid_grant when the enterprise is wrong', async () => {
    const h = await open({ secretString: secretJson(SECRET_V1, { enterpriseId: '999' }) });
    const answer = await h.api('GET', '/token');
    expectError(answer, 'box_credentials_rejected');
    expect(answer.body.error_description).toContain('Grant credentials are invalid');
  });

  it('502 box_bad_response when Box answers 200 with a body that is not a token', async () => {
    const h = await open();
    h.simulator.injectFaults({ kind: 'malformed', body: 'string_expires_in' });
    expectError(await h.api('GET', '/token'), 'box_bad_response');
  });

  it('503 box_unavailable with Box Retry-After after 429s exhaust the budget', async () => {
    const h = await open();
    h.simulator.injectFault({ kind: 'rate_limit', retryAfter: 2 }, 10);
    const answer = await h.api('GET', '/token');
    expectError(answer, 'box_unavailable');
    expect(answer.headers['retry-after']).toBe('2');
    expect(h.sleeps.every((ms) => ms === 2000)).toBe(true);
  });

  it('504 box_timeout when Box does not answer within the budget', async () => {
    const h = await open({ env: { BOX_HTTP_TIMEOUT_MS: '100', BOX_RETRY_BUDGET_MS: '250' } });
    h.simulator.injectFault({ kind: 'hang' }, 10);
    expectError(await h.api('GET', '/token'), 'box_timeout');
  });

  it('503 credentials_unavailable when Secrets Manager throttles', async () => {
    const h = await open();
    h.secretsManager.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
    );
    expectError(await h.api('GET', '/token'), 'credentials_unavailable');
  });

  it('500 server_error with a generic description when something unexpected breaks', async () => {
    const h = await open();
    h.secretsManager.on(GetSecretValueCommand).rejects(new TypeError('internal detail xyz'));
    const answer = await h.api('GET', '/token');
    expectError(answer, 'server_error');
    expect(answer.body.error_description).not.toContain('xyz');
    const line = JSON.parse(h.logLines.at(-1) ?? '{}');
    expect(line.failure).toEqual({ name: 'TypeError', message: 'internal detail xyz' });
  });
});

describe('Handler: rotation', () => {
  it('follows a console edit at once when Box rejects the old secret (re-read on invalid_client)', async () => {
    // A long TTL so that only Box's invalid_client can make the broker read the secret again.
    const h = await open({ env: { BOX_SECRET_TTL_SECONDS: '86400' } });
    const before = await h.api('GET', '/token');
    expect(before.status).toBe(200);

    // The admin resets the secret in Box, then saves the new value in the AWS console.
    h.simulator.setCredentials([{ clientId: CLIENT_ID, clientSecret: SECRET_V2 }]);
    h.rotateSecret('v2', secretJson(SECRET_V2));
    // Later the cached token nears its end, so the broker needs Box again.
    h.clock.now += (3992 - 200) * 1000;
    const after = await h.api('GET', '/token');
    const again = await h.api('GET', '/token');

    expect(after.status).toBe(200);
    expect(after.body.access_token).not.toBe(before.body.access_token);
    expect(again.body.access_token).toBe(after.body.access_token);
    const ccgSecrets = h.simulator.requests
      .filter((r) => r.form.grant_type === 'client_credentials')
      .map((r) => r.form.client_secret);
    expect(ccgSecrets).toEqual([SECRET_V1, SECRET_V1, SECRET_V2]);
    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    const line = JSON.parse(h.logLines.at(-2) ?? '{}');
    expect(line).toMatchObject({ credentials_reread: true, secret_version_id: 'v2' });
    // A rotation handled as designed is not a Box error (it would page the invalid_client alarm).
    expect(line.box_error).toBeUndefined();
    expect(line.SecretRereads).toBe(1);
  });

  it('picks up a new secret version once the secret TTL has passed', async () => {
    const h = await open({ env: { BOX_SECRET_TTL_SECONDS: '60' } });
    await h.api('GET', '/token');
    h.rotateSecret('v2', secretJson(SECRET_V1));

    h.clock.now += 61_000;
    await h.api('GET', '/token', { query: { scope: 'item_preview' } });
    const plain = await h.api('GET', '/token');

    expect(h.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
    expect(plain.status).toBe(200);
  });
});

describe('Handler: revoke and health', () => {
  it('revokes at Box and stops serving the revoked token', async () => {
    const h = await open();
    const issued = await h.api('GET', '/token');
    const token = String(issued.body.access_token);

    const revoked = await h.api('POST', '/revoke', { body: JSON.stringify({ token }) });
    const next = await h.api('GET', '/token');

    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ revoked: true });
    expect(h.simulator.isTokenActive(token)).toBe(false);
    expect(next.body.access_token).not.toBe(token);
  });

  it('reports health from the cache when it can', async () => {
    const h = await open();
    const first = await h.api('GET', '/health');
    const second = await h.api('GET', '/health');
    expect(first.body).toMatchObject({ status: 'ok', cached: false });
    expect(second.body).toMatchObject({ status: 'ok', cached: true });
    expect(h.simulator.tokenCallCount()).toBe(1);
  });

  it('answers 405 for a wrong method and 404 for an unknown route', async () => {
    const h = await open();
    expect((await h.api('DELETE', '/token')).status).toBe(405);
    expect((await h.api('GET', '/nope')).status).toBe(404);
  });
});

describe('Handler: direct invocation', () => {
  it('takes the token request as the event and returns the token response', async () => {
    const h = await open();
    const { result, error } = await h.invoke({ scope: 'item_preview' });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ token_type: 'bearer', box_subject_type: 'enterprise' });
  });

  it('throws a function error whose name is the contract code and whose message is the error body', async () => {
    const h = await open();
    const { error } = await h.invoke({ scope: 'not_a_scope' });
    expect(error?.name).toBe('invalid_scope');
    expect(JSON.parse(error?.message ?? '{}')).toMatchObject({
      error: 'invalid_scope',
      retryable: false,
    });
    expect(error?.stack).not.toMatch(/\n\s+at /);
  });
});
