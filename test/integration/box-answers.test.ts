/**
 * Box's answers as real Box gives them, through the real handler (docs/box.md): a wrong or reset
 * client secret comes back as `invalid_client` or as `invalid_grant` "Grant credentials are
 * invalid" (Box documents both), so rotation, a bad console edit and a cold start after one are
 * each run under BOTH answers; and an app re-authorised with new scopes, whose cached parent token
 * predates the re-authorisation.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  TOKEN_EXCHANGE_GRANT,
  WRONG_SECRET_ANSWERS,
  type WrongSecretAnswer,
} from '../../local/box-simulator/index.js';
import {
  CLIENT_ID,
  type Harness,
  SECRET_V1,
  SECRET_V2,
  secretJson,
  useHarness,
} from '../support/harness.js';

const open = useHarness();

const lastLine = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;
const stagesRead = (h: Harness) =>
  h.secretsManager
    .commandCalls(GetSecretValueCommand)
    .map((call) => call.args[0].input.VersionStage);
const ccgSecrets = (h: Harness) =>
  h.simulator.requests
    .filter((r) => r.form.grant_type === 'client_credentials')
    .map((r) => r.form.client_secret);

/** A harness whose Box refuses a wrong or reset secret with `answer`. */
const openAnswering = (answer: WrongSecretAnswer, env: Record<string, string> = {}) =>
  open({ simulator: { wrongSecretAnswer: answer }, env });

describe.each(WRONG_SECRET_ANSWERS)('Box answers a wrong or reset secret with %s', (answer) => {
  it('follows a console rotation at once: re-read, new version, no Box error counted', async () => {
    // A long TTL so that only Box's refusal can make the broker read the secret again.
    const h = await openAnswering(answer, { BOX_SECRET_TTL_SECONDS: '86400' });
    const before = await h.api('GET', '/token');
    expect(before.status).toBe(200);

    // The admin resets the secret in Box, then saves the new value in the AWS console.
    h.simulator.setCredentials([{ clientId: CLIENT_ID, clientSecret: SECRET_V2 }]);
    h.rotateSecret('v2', secretJson(SECRET_V2));
    h.clock.now += (3992 - 200) * 1000; // the cached token nears its end: Box is needed again
    const after = await h.api('GET', '/token');
    const again = await h.api('GET', '/token');

    expect(after.status).toBe(200);
    expect(after.body.access_token).not.toBe(before.body.access_token);
    expect(again.body.access_token).toBe(after.body.access_token);
    expect(ccgSecrets(h)).toEqual([SECRET_V1, SECRET_V1, SECRET_V2]);
    const line = JSON.parse(h.logLines.at(-2) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ credentials_reread: true, secret_version_id: 'v2' });
    expect(line.box_error).toBeUndefined();
  });

  it('rescues a bad edit with AWSPREVIOUS while warm, and returns once the value is fixed', async () => {
    const h = await openAnswering(answer, { BOX_SECRET_TTL_SECONDS: '60' });
    const good = await h.api('GET', '/token');
    expect(good.status).toBe(200);

    // A typo is saved in the console; the secret TTL passes and the token needs renewing.
    h.setSecretStages(
      { versionId: 'v-typo', secretString: secretJson('a-typo-in-the-new-secret') },
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
    );
    h.clock.now += (3992 - 200) * 1000;
    const rescued = await h.api('GET', '/token');

    expect(rescued.status).toBe(200);
    expect(rescued.body.access_token).not.toBe(good.body.access_token);
    expect(lastLine(h)).toMatchObject({ secret_fallback: true, secret_version_id: 'v1' });
    expect(stagesRead(h)).toContain('AWSPREVIOUS');

    // The admin fixes the value: the current version works again and the fallback ends.
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

  it('serves a cold start after a bad edit from AWSPREVIOUS', async () => {
    const h = await openAnswering(answer);
    h.setSecretStages(
      { versionId: 'v-typo', secretString: secretJson('pasted-WRONG-secret-value') },
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
    );

    const first = await h.api('GET', '/token');

    expect(first.status).toBe(200);
    expect(lastLine(h)).toMatchObject({ secret_fallback: true, secret_version_id: 'v1' });
    expect(stagesRead(h)).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPREVIOUS']);
    expect(ccgSecrets(h)).toEqual(['pasted-WRONG-secret-value', SECRET_V1]);
    // Warm requests are served without Box.
    const calls = h.simulator.tokenCallCount();
    expect((await h.api('GET', '/token')).body.access_token).toBe(first.body.access_token);
    expect(h.simulator.tokenCallCount()).toBe(calls);
  });

  it(`answers 502 box_credentials_rejected naming ${answer} after one re-read when no version works`, async () => {
    const h = await openAnswering(answer, { BOX_SECRET_TTL_SECONDS: '86400' });
    h.setSecretStages(
      { versionId: 'v-typo', secretString: secretJson('pasted-WRONG-secret-value') },
      { versionId: 'v0', secretString: secretJson('an-older-wrong-value') },
    );

    const answered = await h.api('GET', '/token');

    expect(answered.status).toBe(502);
    expect(answered.body).toMatchObject({ error: 'box_credentials_rejected', retryable: false });
    expect(answered.body.error_description).toContain(answer);
    expect(answered.body.error_description).not.toContain('pasted-WRONG-secret-value');
    expect(stagesRead(h)).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPREVIOUS']);
    // The re-read is rate-limited: a second request re-reads nothing and asks Box nothing new.
    const calls = h.simulator.tokenCallCount();
    expect((await h.api('GET', '/token')).status).toBe(502);
    expect(stagesRead(h)).toHaveLength(3);
    expect(h.simulator.tokenCallCount()).toBe(calls);
  });
});

describe('Box answers: a user subject refused with invalid_grant proves nothing about the secret', () => {
  it('does not re-read the secret or fall back when a user subject is refused', async () => {
    const policy = {
      version: 1,
      rules: [{ id: 'all', callers: ['*'], subjects: ['enterprise', 'user:*'] }],
    };
    const h = await open({
      simulator: { wrongSecretAnswer: 'invalid_grant', allowUserSubjects: ['42'] },
      env: { BOX_SECRET_TTL_SECONDS: '86400', BOX_ACCESS_POLICY: JSON.stringify(policy) },
    });
    h.setSecretStages(
      { versionId: 'v1', secretString: secretJson(SECRET_V1) },
      { versionId: 'v0', secretString: secretJson('an-older-wrong-value') },
    );

    const refused = await h.api('GET', '/token', {
      query: { box_subject_type: 'user', box_subject_id: '77' },
    });

    expect(refused.status).toBe(502);
    expect(refused.body.error_description).toContain('invalid_grant');
    // The secret is right (the enterprise grant says so): no re-read, no fallback.
    expect(stagesRead(h)).toEqual(['AWSCURRENT']);
    expect(lastLine(h).secret_fallback).toBeUndefined();
    expect((await h.api('GET', '/token')).status).toBe(200);
    expect(lastLine(h).secret_fallback).toBeUndefined();
  });
});

describe('Box answers: an app re-authorised with new scopes', () => {
  const asked = (scope: string) => ({ query: { scope } });

  it('recovers an exchange refused 401 with one fresh parent, and keeps using it', async () => {
    const h = await open({ simulator: { appScopes: ['item_preview'] } });
    const preview = await h.api('GET', '/token', asked('item_preview'));
    expect(preview.status).toBe(200);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(1);

    // The admin adds item_download and re-authorises the app; the cached parent predates that.
    h.simulator.defaultApp.reauthorize(['item_preview', 'item_download']);
    const download = await h.api('GET', '/token', asked('item_download'));

    expect(download.status).toBe(200);
    expect(download.body.restricted_to).toEqual([{ scope: 'item_download' }]);
    // One fresh parent, and the refused exchange retried once with it.
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
    expect(h.simulator.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(3);
    const fresh = h.simulator.issuedTokens().filter((t) => t.kind === 'ccg')[1];
    const exchanged = h.simulator
      .issuedTokens()
      .find((t) => t.accessToken === download.body.access_token);
    expect(exchanged?.parentToken).toBe(fresh?.accessToken);

    // The fresh parent serves the next exchange; no further grant.
    const again = await h.api('GET', '/token', asked('item_download item_preview'));
    expect(again.status).toBe(200);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
  });

  it('answers a clear, non-retryable invalid_scope when Box refuses the fresh parent too, and mints it only once a window', async () => {
    const h = await open({ simulator: { appScopes: ['item_preview'] } });
    expect((await h.api('GET', '/token', asked('item_preview'))).status).toBe(200);

    const refused = await h.api('GET', '/token', asked('item_upload'));

    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_scope', retryable: false });
    expect(refused.body.error_description).toContain('item_upload');
    expect(refused.body.error_description).toContain('Reauthorize App');
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
    expect(h.simulator.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(3);

    // Asking again and again does not make the broker mint a parent per request.
    for (let i = 0; i < 5; i += 1) {
      expect((await h.api('GET', '/token', asked('item_upload'))).status).toBe(400);
    }
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
    // The parent stays usable for the scopes the app holds.
    expect((await h.api('GET', '/token', asked('item_preview'))).status).toBe(200);
    expect(h.simulator.tokenCallCount('client_credentials')).toBe(2);
  });
});
