/**
 * Contract v1.3 onboarding through `npm start`'s server: the page's headers, a submit that fails
 * (nothing stored, the link still usable), one that passes (the tenant stored and served at
 * once), the one answer for unknown, expired and used codes, the body's limits, the audit line,
 * and the secret nowhere but in the tenant store.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { inviteCodeHash, newInviteCode } from '../../lambda/onboard/invite-code.js';
import { MemoryInvitationStore } from '../../lambda/state/memory-invitation-store.js';
import {
  LOCAL_CUSTOMER_APP,
  type LocalBroker,
  startLocalBroker,
} from '../../local/local-broker.js';

const PREFIX = 'box-token-broker/tenants/';
let broker: LocalBroker | undefined;
const lines: string[] = [];

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  lines.length = 0;
});

async function start(env: Record<string, string> = { BOX_TENANT_SECRET_PREFIX: PREFIX }) {
  const invitations = new MemoryInvitationStore();
  broker = await startLocalBroker({
    port: 0,
    env,
    sink: (line) => lines.push(line),
    invitations,
  });
  return { local: broker, invitations };
}

async function invite(
  invitations: MemoryInvitationStore,
  tenant: string,
  options: { expiresAtMs?: number; requiredScopes?: string[] } = {},
): Promise<string> {
  const code = newInviteCode();
  await invitations.create({
    tenant,
    codeSha256: inviteCodeHash(code),
    expiresAtMs: options.expiresAtMs ?? Date.now() + 3_600_000,
    requiredScopes: options.requiredScopes ?? [],
    invitedBy: 'arn:aws:iam::111122223333:user/vendor',
    createdAtMs: Date.now(),
  });
  return code;
}

function submit(local: LocalBroker, body: unknown): Promise<Response> {
  return fetch(`${local.url}/onboard`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const customer = (code: string, overrides: Record<string, string> = {}) => ({
  code,
  clientId: LOCAL_CUSTOMER_APP.clientId,
  clientSecret: LOCAL_CUSTOMER_APP.clientSecret,
  enterpriseId: LOCAL_CUSTOMER_APP.enterpriseId,
  ...overrides,
});

const onboardLines = () =>
  lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.route === 'POST /onboard');

describe('Onboarding page (GET /onboard)', () => {
  it('serves one self-contained page with a strict CSP that admits exactly its script and style', async () => {
    const { local } = await start();

    const response = await fetch(`${local.url}/onboard`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => createHash('sha256').update(text).digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${hash(style)}'`);
    // No third-party asset: nothing is loaded from any URL.
    expect(html).not.toMatch(/\b(?:src|href)=/);
    for (const label of ['Client ID', 'Client Secret', 'Enterprise ID']) {
      expect(html).toContain(`>${label}</label>`);
    }
    expect(html).toMatch(/<input id="client-secret" name="client-secret" type="password"/);
  });

  it('is not served when onboarding is off (no invitations store)', async () => {
    broker = await startLocalBroker({ port: 0, env: {}, sink: (line) => lines.push(line) });

    const response = await fetch(`${broker.url}/onboard`);

    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toBe('not_found');
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    const { local } = await start();

    const response = await fetch(`${local.url}/onboard`, { method: 'DELETE' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });
});

describe('Onboarding submit (POST /onboard)', () => {
  it('fails the credentials row for a wrong secret, stores nothing and keeps the link usable', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');

    const response = await submit(local, customer(code, { clientSecret: 'wrong-secret-W0RNG' }));
    const body = (await response.json()) as {
      tenant: string;
      outcome: string;
      steps: { id: string; status: string; fix: string | null }[];
    };

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.tenant).toBe('acme');
    expect(body.outcome).toBe('fail');
    const credentials = body.steps.find((step) => step.id === 'credentials');
    expect(credentials?.status).toBe('fail');
    expect(credentials?.fix).toContain('Fetch Client Secret');
    expect(local.tenantSecrets?.has('acme')).toBe(false);
    expect(await invitations.find(inviteCodeHash(code), Date.now())).toBeDefined();
    expect(JSON.stringify(body)).not.toContain('wrong-secret-W0RNG');
  });

  it('stores the tenant on pass, consumes the link, and the tenant gets a token at once', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');

    const response = await submit(local, customer(code));
    const body = (await response.json()) as { tenant: string; outcome: string };
    const token = await fetch(`${local.url}/token?tenant=acme`);
    const again = await submit(local, customer(code));

    expect(body).toMatchObject({ tenant: 'acme', outcome: 'pass' });
    expect(local.tenantSecrets?.tagsOf('acme')).toMatchObject({
      addedBy: 'onboarding invited by arn:aws:iam::111122223333:user/vendor',
      lastCheck: expect.stringMatching(/^pass /),
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { access_token: string }).access_token).toBeTruthy();
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: string }).error).toBe('invitation_not_found');
  });

  it('stores nothing and keeps the link when Box does not answer (inconclusive)', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');
    local.simulator?.injectFault(
      { kind: 'server_error', status: 503, clientId: LOCAL_CUSTOMER_APP.clientId },
      20,
    );

    const response = await submit(local, customer(code));
    const body = (await response.json()) as { outcome: string };

    expect(response.status).toBe(200);
    expect(body.outcome).toBe('inconclusive');
    expect(local.tenantSecrets?.has('acme')).toBe(false);
    expect(await invitations.find(inviteCodeHash(code), Date.now())).toBeDefined();
  });

  it('answers unknown, expired and malformed codes with the same 404', async () => {
    const { local, invitations } = await start();
    const expired = await invite(invitations, 'acme', { expiresAtMs: Date.now() - 1 });

    const answers = await Promise.all(
      [newInviteCode(), expired, 'not-a-code'].map(async (code) => {
        const response = await submit(local, customer(code));
        const { error, error_description } = (await response.json()) as Record<string, string>;
        return { status: response.status, error, error_description };
      }),
    );

    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 404, error: 'invitation_not_found' });
  });

  it('checks the scopes the invitation requires', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme', { requiredScopes: ['root_readwrite'] });

    const response = await submit(local, customer(code));
    const body = (await response.json()) as { steps: { id: string }[] };

    expect(body.steps.map((step) => step.id)).toContain('scope:root_readwrite');
  });

  it.each([
    ['a body over 8 KiB', JSON.stringify({ ...customer('x'), pad: 'x'.repeat(9000) })],
    ['an unknown field', JSON.stringify({ ...customer(newInviteCode()), extra: '1' })],
    ['a __proto__ key', `{"__proto__":{"a":1},"code":"${newInviteCode()}"}`],
    ['a missing field', JSON.stringify({ code: newInviteCode(), clientId: 'a' })],
    [
      'a non-numeric enterprise ID',
      JSON.stringify(customer(newInviteCode(), { enterpriseId: 'acme' })),
    ],
    ['not JSON', 'code=1'],
  ])('refuses %s with 400 invalid_request', async (_name, body) => {
    const { local } = await start();

    const response = await submit(local, body);

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it.each([
    ['text/plain (a cross-site form could send it)', 'text/plain'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['no content type', undefined],
  ])('refuses a body sent as %s with 400 invalid_request', async (_name, type) => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');

    const response = await fetch(`${local.url}/onboard`, {
      method: 'POST',
      ...(type === undefined ? {} : { headers: { 'content-type': type } }),
      body: new TextEncoder().encode(JSON.stringify(customer(code))),
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    expect(await invitations.find(inviteCodeHash(code), Date.now())).toBeDefined();
  });

  it('accepts application/json with a charset', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');

    const response = await fetch(`${local.url}/onboard`, {
      method: 'POST',
      headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' },
      body: JSON.stringify(customer(code, { clientSecret: 'wrong-secret-W0RNG' })),
    });

    expect(response.status).toBe(200);
  });

  it('sends its security headers on refusals too', async () => {
    const { local } = await start();

    const refusals = await Promise.all([
      submit(local, customer(newInviteCode())),
      submit(local, 'not json'),
      fetch(`${local.url}/onboard`, { method: 'PUT' }),
    ]);

    expect(refusals.map((response) => response.status)).toEqual([404, 400, 405]);
    for (const response of refusals) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-type')).toBe('application/json');
    }
  });

  it('logs no tenant for a code it does not know, nor for the page', async () => {
    const { local } = await start();

    await fetch(`${local.url}/onboard`);
    await submit(local, customer(newInviteCode()));
    await submit(local, 'not json');

    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((line) => line.route)).toEqual([
      'GET /onboard',
      'POST /onboard',
      'POST /onboard',
    ]);
    for (const line of logged) {
      expect(line.operation).toBe('onboard');
      expect(line).not.toHaveProperty('tenant');
    }
  });

  it('refuses a tenant registered meanwhile with 409 tenant_exists and keeps the link', async () => {
    const { local, invitations } = await start({
      BOX_TENANT_SECRET_PREFIX: PREFIX,
      BOX_LOCAL_TENANTS: 'acme',
    });
    const code = await invite(invitations, 'acme');

    const response = await submit(local, customer(code));

    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toBe('tenant_exists');
    expect(await invitations.find(inviteCodeHash(code), Date.now())).toBeDefined();
  });

  it('writes one audit line per attempt, without the secret', async () => {
    const { local, invitations } = await start();
    const code = await invite(invitations, 'acme');

    await submit(local, customer(code, { clientSecret: 'wrong-secret-W0RNG' }));
    await submit(local, customer(code));
    await submit(local, customer(code));

    const audit = onboardLines();
    expect(audit).toHaveLength(3);
    expect(audit[0]).toMatchObject({
      tenant: 'acme',
      operation: 'onboard',
      onboard_outcome: 'fail',
      failed_steps: ['credentials'],
      source_ip: '127.0.0.1',
      caller_kind: 'anonymous',
    });
    expect(audit[1]).toMatchObject({ tenant: 'acme', onboard_outcome: 'pass', status: 200 });
    // An anonymous page drives Box calls: the operator sees how many.
    expect(audit[0]?.box_calls).toBeGreaterThan(0);
    expect(audit[1]?.box_calls).toBeGreaterThan(1);
    expect(audit[2]?.box_calls).toBe(0);
    expect(audit[2]).toMatchObject({ status: 404, error: 'invitation_not_found' });
    const all = lines.join('\n');
    expect(all).not.toContain('wrong-secret-W0RNG');
    expect(all).not.toContain(LOCAL_CUSTOMER_APP.clientSecret);
    expect(all).not.toContain(code);
  });
});
