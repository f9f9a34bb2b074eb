/**
 * The invitation store's contract (contract v1.3), run against both implementations: the
 * DynamoDB one on dynalite (real SDK, real conditional writes) and the in-memory twin. One answer
 * for unknown, expired and used codes; a code spent once under concurrency; attempts per code per
 * clock hour; revoke and list by tenant; nothing but the code's hash stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteCodeHash, newInviteCode } from '../lambda/onboard/invite-code.js';
import { MemoryInvitationStore } from '../lambda/state/memory-invitation-store.js';
import type { Invitation, InvitationStore } from '../lambda/state/ports.js';
import { TableInvitationStore } from '../lambda/state/table-invitations.js';
import { startTestFleetState, type TestFleetState, type TestState } from './support/fleet-state.js';

const NOW = Date.UTC(2026, 11, 7, 12, 30, 0);
const HOUR = 3_600_000;

let fleet: TestFleetState;
beforeAll(async () => {
  fleet = await startTestFleetState();
});
afterAll(() => fleet.close());

function invitation(code: string, overrides: Partial<Invitation> = {}): Invitation {
  return {
    tenant: 'acme',
    codeSha256: inviteCodeHash(code),
    expiresAtMs: NOW + 72 * HOUR,
    requiredScopes: ['root_readwrite'],
    invitedBy: 'arn:aws:iam::111122223333:user/vendor',
    createdAtMs: NOW,
    ...overrides,
  };
}

const STORES: [string, () => Promise<{ store: InvitationStore; state?: TestState }>][] = [
  [
    'DynamoDB (dynalite)',
    async () => {
      const state = await fleet.newState({ now: () => NOW });
      return { store: new TableInvitationStore({ table: state.table, now: () => NOW }), state };
    },
  ],
  ['memory', async () => ({ store: new MemoryInvitationStore(() => NOW) })],
];

describe.each(STORES)('Invitation store: %s', (_name, make) => {
  it('finds a live invitation by its hash, with what was stored', async () => {
    const { store } = await make();
    const code = newInviteCode();
    await store.create(invitation(code));

    expect(await store.find(inviteCodeHash(code), NOW)).toEqual(invitation(code));
  });

  it('gives one answer for unknown, expired and used codes', async () => {
    const { store } = await make();
    const [live, expired, used] = [newInviteCode(), newInviteCode(), newInviteCode()];
    await store.create(invitation(live));
    await store.create(invitation(expired, { expiresAtMs: NOW - 1 }));
    await store.create(invitation(used));
    expect(await store.consume(inviteCodeHash(used), NOW)).toBe(true);

    for (const code of [newInviteCode(), expired, used]) {
      expect(await store.find(inviteCodeHash(code), NOW)).toBeUndefined();
    }
    expect(await store.find(inviteCodeHash(live), NOW + 72 * HOUR)).toBeUndefined();
    expect(await store.consume(inviteCodeHash(expired), NOW)).toBe(false);
    expect(await store.consume(inviteCodeHash(newInviteCode()), NOW)).toBe(false);
  });

  it('spends a code once when many consume it at once', async () => {
    const { store } = await make();
    const code = newInviteCode();
    await store.create(invitation(code));

    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.consume(inviteCodeHash(code), NOW)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('counts attempts per code per clock hour, atomically', async () => {
    const { store } = await make();
    const hash = inviteCodeHash(newInviteCode());

    const counts = await Promise.all(
      Array.from({ length: 5 }, () => store.countAttempt(hash, NOW)),
    );

    expect(counts.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await store.countAttempt(inviteCodeHash(newInviteCode()), NOW)).toBe(1);
    expect(await store.countAttempt(hash, NOW + HOUR)).toBe(1);
  });

  it('revokes a tenant’s pending invitations and lists the rest, oldest first', async () => {
    const { store } = await make();
    const [a1, a2, g1, used] = [newInviteCode(), newInviteCode(), newInviteCode(), newInviteCode()];
    await store.create(invitation(a1));
    await store.create(invitation(a2, { createdAtMs: NOW + 1 }));
    await store.create(invitation(g1, { tenant: 'globex' }));
    await store.create(invitation(used, { tenant: 'initech' }));
    await store.consume(inviteCodeHash(used), NOW);
    await store.create(invitation(newInviteCode(), { expiresAtMs: NOW - 1 }));

    expect((await store.listPending(NOW)).map((i) => i.tenant)).toEqual(['acme', 'acme', 'globex']);
    expect(await store.revoke('acme')).toBe(2);
    expect(await store.revoke('acme')).toBe(0);
    expect((await store.listPending(NOW)).map((i) => i.tenant)).toEqual(['globex']);
    expect(await store.find(inviteCodeHash(a1), NOW)).toBeUndefined();
  });

  it('stores the code only as its hash', async () => {
    const { store, state } = await make();
    const code = newInviteCode();
    await store.create(invitation(code));
    await store.countAttempt(inviteCodeHash(code), NOW);

    if (state !== undefined) {
      const items = JSON.stringify(await state.scan());
      expect(items).not.toContain(code);
      expect(items).toContain(`invite#${inviteCodeHash(code)}`);
    }
  });
});
