import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLIENT_ID,
  type Harness,
  SECRET_V1,
  SECRET_V2,
  secretJson,
  startHarness,
} from '../support/harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('Logs: nothing secret is ever written', () => {
  it('keeps secrets, tokens and Authorization headers out of every log line and error', async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    vi.spyOn(console, 'log').mockImplementation((...args) => capture(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args) => capture(args.join(' ')));
    vi.spyOn(console, 'warn').mockImplementation((...args) => capture(args.join(' ')));

    const h = await startHarness({
      env: { BOX_HTTP_TIMEOUT_MS: '100', BOX_RETRY_BUDGET_MS: '200' },
    });
    harness = h;
    const errorBodies: string[] = [];
    const run = async (...args: Parameters<Harness['api']>) => {
      const answer = await h.api(...args);
      if (answer.status !== 200) errorBodies.push(answer.raw.body);
      return answer;
    };

    // Success paths: plain, downscoped, cached, health, revoke.
    const issued = await run('GET', '/token');
    await run('POST', '/token', {
      body: JSON.stringify({ scope: 'item_preview', resource: 'https://api.box.com/2.0/files/9' }),
    });
    await run('GET', '/token');
    await run('GET', '/health');
    await run('POST', '/revoke', {
      body: JSON.stringify({ token: String(issued.body.access_token) }),
    });
    // Failure paths: bad input, denial, Box faults, rotation with a wrong value.
    await run('POST', '/token', { body: `{"token":"${SECRET_V1}"}` });
    await run('POST', '/token', {
      body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '7' }),
    });
    h.simulator.injectFaults({ kind: 'malformed', body: 'not_json' });
    await run('GET', '/token', { query: { min_ttl: '3600' } });
    h.simulator.injectFault({ kind: 'rate_limit', retryAfter: 1 });
    await run('GET', '/token', { query: { scope: 'item_upload' } });
    h.simulator.injectFault({ kind: 'hang' });
    await run('GET', '/token', { query: { scope: 'item_rename' } });
    h.simulator.setCredentials([{ clientId: CLIENT_ID, clientSecret: SECRET_V2 }]);
    h.rotateSecret('v-wrong', secretJson('pasted-the-wrong-SECRET-value'));
    h.clock.now += 4000_000;
    await run('GET', '/token');
    h.rotateSecret('v2', secretJson(SECRET_V2));
    h.clock.now += 20_000;
    await run('GET', '/token');
    await h.invoke({ scope: 'bogus' });
    await h.invoke({ box_subject_type: 'user', box_subject_id: '1' });

    expect(h.secretsManager.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(1);
    const tokens = h.simulator.issuedTokens().map((t) => t.accessToken);
    expect(h.simulator.pendingFaults).toBe(0);
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const forbidden = [
      SECRET_V1,
      SECRET_V2,
      'pasted-the-wrong-SECRET-value',
      'AWS4-HMAC-SHA256',
      ...tokens,
    ];
    const everything = [...h.logLines, ...written, ...errorBodies].join('\n');
    expect(h.logLines.length).toBeGreaterThan(10);
    for (const value of forbidden) {
      expect(everything, `leaked ${value.slice(0, 6)}…`).not.toContain(value);
    }
    // The correlation hash is there instead.
    expect(h.logLines.some((line) => /"token_sha256":"[0-9a-f]{16}"/.test(line))).toBe(true);
  });
});
