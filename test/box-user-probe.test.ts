import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOX_USER_AGENT, BROKER_VERSION } from '../lambda/box/user-agent.js';
import { BoxUserProbe } from '../lambda/box/user-probe.js';
import { noDeadline, startDeadline } from '../lambda/deadline.js';
import { BoxBadResponseError, BoxTimeoutError, BoxUnavailableError } from '../lambda/errors.js';
import {
  type BoxSimulator,
  CLIENT_CREDENTIALS_GRANT,
  SIMULATOR_DEFAULTS,
  startBoxSimulator,
} from '../local/box-simulator/index.js';

let sim: BoxSimulator;

beforeEach(async () => {
  sim = await startBoxSimulator();
});

afterEach(async () => {
  await sim.close();
});

async function serviceAccountToken(): Promise<string> {
  const response = await fetch(`${sim.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: CLIENT_CREDENTIALS_GRANT,
      client_id: SIMULATOR_DEFAULTS.clientId,
      client_secret: SIMULATOR_DEFAULTS.clientSecret,
      box_subject_type: 'enterprise',
      box_subject_id: SIMULATOR_DEFAULTS.enterpriseId,
    }).toString(),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

function probe(timeoutMs = 5000): BoxUserProbe {
  return new BoxUserProbe({ apiUrl: sim.url, timeoutMs });
}

describe('Class: BoxUserProbe', () => {
  it("returns the service account's user ID and sends the broker's User-Agent", async () => {
    const id = await probe().whoAmI(await serviceAccountToken(), noDeadline());

    expect(id).toBe(SIMULATOR_DEFAULTS.serviceAccountUserId);
    expect(sim.requests.at(-1)).toMatchObject({
      path: '/2.0/users/me',
      hasAuthorization: true,
      userAgent: BOX_USER_AGENT,
    });
  });

  it('ends in BoxTimeoutError within the deadline when Box accepts and never answers', async () => {
    const token = await serviceAccountToken();
    sim.injectFault({ kind: 'hang', path: '/2.0/users/me' });
    const started = performance.now();

    const error = await probe()
      .whoAmI(token, startDeadline({ budgetMs: 200, answerMarginMs: 0, now: Date.now }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxTimeoutError);
    expect(error).toMatchObject({ code: 'box_timeout', retryable: true });
    expect((error as BoxTimeoutError).retryAfterSeconds).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('ends in BoxTimeoutError at its own timeout without a deadline', async () => {
    const token = await serviceAccountToken();
    sim.injectFault({ kind: 'hang', path: '/2.0/users/me' });

    const error = await probe(100)
      .whoAmI(token, noDeadline())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BoxTimeoutError);
  });

  it('throws BoxUnavailableError for a 503 and BoxBadResponseError for a refused token', async () => {
    const token = await serviceAccountToken();
    sim.injectFault({ kind: 'server_error', path: '/2.0/users/me' });

    await expect(probe().whoAmI(token, noDeadline())).rejects.toBeInstanceOf(BoxUnavailableError);
    await expect(probe().whoAmI('not-a-token', noDeadline())).rejects.toBeInstanceOf(
      BoxBadResponseError,
    );
  });
});

describe('Constant: BROKER_VERSION', () => {
  it("equals package.json's version", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(BROKER_VERSION).toBe(manifest.version);
    expect(BOX_USER_AGENT).toBe(`box-token-broker/${manifest.version}`);
  });
});
