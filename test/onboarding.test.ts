/**
 * Contract v1.3 onboarding's parts: invite codes and links, the in-memory invitation store, and
 * the submit's attempt limit and storing order on a fixed clock against the Box simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noDeadline } from '../lambda/deadline.js';
import { BrokerError } from '../lambda/errors.js';
import {
  INVITE_CODE_PATTERN,
  inviteCodeHash,
  inviteLink,
  newInviteCode,
} from '../lambda/onboard/invite-code.js';
import { Onboarding } from '../lambda/onboard/onboarding.js';
import type { TenantSecretWriter, TenantToStore } from '../lambda/onboard/tenant-secrets.js';
import { MemoryInvitationStore } from '../lambda/state/memory-invitation-store.js';
import type { Invitation } from '../lambda/state/ports.js';
import { StateUnavailableError } from '../lambda/state/state-call.js';
import { startTrace } from '../lambda/trace/request-trace.js';
import { type BoxSimulator, startBoxSimulator } from '../local/box-simulator/index.js';

const APP = { clientId: 'cust-client', clientSecret: 'cust-secret-S3CR3T', enterpriseId: '4242' };
const NOW = Date.UTC(2026, 11, 7, 12, 30, 0);

let simulator: BoxSimulator;
beforeAll(async () => {
  simulator = await startBoxSimulator({
    enterpriseId: APP.enterpriseId,
    credentials: [{ clientId: APP.clientId, clientSecret: APP.clientSecret }],
  });
});
afterAll(() => simulator.close());

function invitation(code: string, overrides: Partial<Invitation> = {}): Invitation {
  return {
    tenant: 'acme',
    codeSha256: inviteCodeHash(code),
    expiresAtMs: NOW + 72 * 3_600_000,
    requiredScopes: [],
    invitedBy: 'vendor',
    createdAtMs: NOW,
    ...overrides,
  };
}

class RecordingSecrets implements TenantSecretWriter {
  readonly stored: TenantToStore[] = [];
  answer: 'created' | 'exists' | Error = 'created';
  async create(tenant: TenantToStore): Promise<'created' | 'exists'> {
    if (this.answer instanceof Error) throw this.answer;
    if (this.answer === 'created') this.stored.push(tenant);
    return this.answer;
  }
}

function setup(clock: { now: number }, invitations = new MemoryInvitationStore()) {
  const secrets = new RecordingSecrets();
  const onboarding = new Onboarding({
    invitations,
    secrets,
    boxApiUrl: simulator.url,
    now: () => clock.now,
  });
  const submit = async (body: unknown) => {
    const trace = startTrace('r', 'api', 'POST /onboard', { kind: 'anonymous' }, clock.now);
    try {
      const answer = await onboarding.submit(body, {
        trace,
        deadline: noDeadline(),
        sourceIp: '203.0.113.9',
      });
      return {
        status: answer.statusCode,
        body: JSON.parse(answer.body),
        headers: answer.headers,
        trace,
      };
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      return { status: error.status, error, trace };
    }
  };
  return { invitations, secrets, submit };
}

describe('Invite codes', () => {
  it('makes 256-bit base64url codes that differ every time', () => {
    const codes = new Set(Array.from({ length: 100 }, newInviteCode));
    expect(codes.size).toBe(100);
    for (const code of codes) expect(code).toMatch(INVITE_CODE_PATTERN);
    expect(Buffer.from(newInviteCode(), 'base64url')).toHaveLength(32);
  });

  it('stores only the SHA-256 of a code', () => {
    expect(inviteCodeHash('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it.each([
    [
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/onboard#C',
    ],
    [
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/onboard#C',
    ],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787/onboard#C'],
    ['http://127.0.0.1:8787/onboard', 'http://127.0.0.1:8787/onboard#C'],
    ['http://localhost:8787', 'http://localhost:8787/onboard#C'],
    ['http://[::1]:8787', 'http://[::1]:8787/onboard#C'],
  ])('links %s to the page with the code in the fragment', (url, link) => {
    expect(inviteLink(url, 'C')).toBe(link);
  });

  it.each([
    'ftp://host',
    'https://host/?a=1',
    'https://host/#x',
    'https://u:p@host/',
    'not a url',
    // Plain HTTP would carry the client secret readable on the wire: only on this machine.
    'http://broker.example.com/prod',
    'http://10.0.0.5:8787',
  ])('refuses the broker URL %s', (url) => {
    expect(() => inviteLink(url, 'C')).toThrow();
  });
});

describe('Memory invitation store', () => {
  it('gives one answer for unknown, expired and used codes', async () => {
    const store = new MemoryInvitationStore();
    await store.create(invitation('live'));
    await store.create(invitation('old', { expiresAtMs: NOW }));
    await store.create(invitation('used'));
    expect(await store.consume(inviteCodeHash('used'), NOW)).toBe(true);

    expect(await store.find(inviteCodeHash('live'), NOW)).toMatchObject({ tenant: 'acme' });
    for (const code of ['nope', 'old', 'used']) {
      expect(await store.find(inviteCodeHash(code), NOW)).toBeUndefined();
    }
    expect(await store.consume(inviteCodeHash('used'), NOW)).toBe(false);
    expect(await store.consume(inviteCodeHash('old'), NOW)).toBe(false);
  });

  it('counts attempts per code per clock hour', async () => {
    const store = new MemoryInvitationStore();
    const hash = inviteCodeHash('live');
    expect(await store.countAttempt(hash, NOW)).toBe(1);
    expect(await store.countAttempt(hash, NOW + 1000)).toBe(2);
    expect(await store.countAttempt(inviteCodeHash('other'), NOW)).toBe(1);
    expect(await store.countAttempt(hash, NOW + 30 * 60_000)).toBe(1);
  });

  it('revokes a tenant’s pending invitations and lists the rest', async () => {
    const store = new MemoryInvitationStore();
    await store.create(invitation('a1'));
    await store.create(invitation('a2'));
    await store.create(invitation('g1', { tenant: 'globex' }));

    expect(await store.revoke('acme')).toBe(2);
    expect((await store.listPending(NOW)).map((i) => i.tenant)).toEqual(['globex']);
    expect(await store.find(inviteCodeHash('a1'), NOW)).toBeUndefined();
  });
});

describe('Onboarding submit', () => {
  const body = (code: string, secret = APP.clientSecret) => ({
    code,
    clientId: APP.clientId,
    clientSecret: secret,
    enterpriseId: APP.enterpriseId,
  });

  it('allows 10 attempts per code per hour, then 429 rate_limited until the hour ends', async () => {
    const clock = { now: NOW };
    const { invitations, secrets, submit } = setup(clock);
    const code = newInviteCode();
    await invitations.create(invitation(code));

    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await submit(body(code, 'wrong'))).body.outcome).toBe('fail');
    }
    const limited = await submit(body(code));
    clock.now = NOW + 30 * 60_000;
    const nextHour = await submit(body(code));

    expect(limited.status).toBe(429);
    expect(limited.error?.code).toBe('rate_limited');
    expect(limited.error?.retryAfterSeconds).toBe(30 * 60);
    expect(nextHour.body.outcome).toBe('pass');
    expect(secrets.stored).toHaveLength(1);
  });

  it('keeps the link when storing fails, so the admin can retry', async () => {
    const { invitations, secrets, submit } = setup({ now: NOW });
    const code = newInviteCode();
    await invitations.create(invitation(code));
    secrets.answer = new BrokerError('credentials_unavailable', 'down');

    const failed = await submit(body(code));
    secrets.answer = 'created';
    const retried = await submit(body(code));

    expect(failed.status).toBe(503);
    expect(retried.body).toMatchObject({ tenant: 'acme', outcome: 'pass' });
    expect(await invitations.find(inviteCodeHash(code), NOW)).toBeUndefined();
  });

  it('stores what tenant add stores: the three values, who invited, the check', async () => {
    const { invitations, secrets, submit } = setup({ now: NOW });
    const code = newInviteCode();
    await invitations.create(invitation(code, { invitedBy: 'arn:aws:iam::111122223333:user/v' }));

    const answer = await submit(body(code));

    expect(answer.headers).toMatchObject({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    expect(secrets.stored).toEqual([
      {
        tenantId: 'acme',
        credentials: {
          clientId: APP.clientId,
          clientSecret: APP.clientSecret,
          enterpriseId: APP.enterpriseId,
        },
        addedBy: 'onboarding invited by arn:aws:iam::111122223333:user/v',
        lastCheck: `pass ${new Date(NOW).toISOString()}`,
      },
    ]);
    expect(answer.trace).toMatchObject({
      tenant: 'acme',
      onboardOutcome: 'pass',
      sourceIp: '203.0.113.9',
    });
  });
});

describe('Onboarding submit, other links to the same tenant', () => {
  const body = (code: string) => ({
    code,
    clientId: APP.clientId,
    clientSecret: APP.clientSecret,
    enterpriseId: APP.enterpriseId,
  });

  it('spends every other link to the tenant once one of them registered it', async () => {
    const { invitations, secrets, submit } = setup({ now: NOW });
    const used = newInviteCode();
    const resent = newInviteCode();
    await invitations.create(invitation(used));
    await invitations.create(invitation(resent, { createdAtMs: NOW + 1 }));
    const otherTenant = newInviteCode();
    await invitations.create(invitation(otherTenant, { tenant: 'globex' }));

    expect((await submit(body(used))).body.outcome).toBe('pass');
    // The tenant's secret deleted later: a link left live would register it again, with
    // whatever Box app its holder chooses.
    secrets.stored.length = 0;
    const again = await submit(body(resent));

    expect(again.status).toBe(404);
    expect(again.error?.code).toBe('invitation_not_found');
    expect(secrets.stored).toEqual([]);
    expect(await invitations.find(inviteCodeHash(otherTenant), NOW)).toBeDefined();
  });

  it('still answers the pass when the other links cannot be spent, and counts the failure', async () => {
    class RevokeFails extends MemoryInvitationStore {
      override async revoke(): Promise<number> {
        throw new StateUnavailableError('throttled', 'write');
      }
    }
    const { invitations, secrets, submit } = setup({ now: NOW }, new RevokeFails());
    const code = newInviteCode();
    await invitations.create(invitation(code));

    const answer = await submit(body(code));

    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('pass');
    expect(secrets.stored).toHaveLength(1);
    expect(answer.trace).toMatchObject({ stateErrors: 1, stateError: 'throttled' });
    expect(await invitations.find(inviteCodeHash(code), NOW)).toBeUndefined();
  });
});
