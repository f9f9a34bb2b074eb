/**
 * The invitation store's in-memory twin (unit tests, and local mode without a table): the same
 * answers as the DynamoDB store, including the one answer for unknown, expired and used codes.
 */

import { attemptWindowOf } from './invitation-window.js';
import type { Invitation, InvitationStore } from './ports.js';

interface Entry {
  invitation: Invitation;
  used: boolean;
}

export class MemoryInvitationStore implements InvitationStore {
  /** By code hash; a Map, so a hash never meets an object's prototype. */
  private readonly invitations = new Map<string, Entry>();
  /** `<hash>#<window>` → attempts counted in that window. */
  private readonly attempts = new Map<string, number>();

  /** @param now the clock `revoke` judges liveness by (the port's other calls take the time) */
  constructor(private readonly now: () => number = Date.now) {}

  async create(invitation: Invitation): Promise<void> {
    if (this.invitations.has(invitation.codeSha256)) {
      throw new Error('an invitation with this code hash exists');
    }
    this.invitations.set(invitation.codeSha256, {
      invitation: { ...invitation, requiredScopes: [...invitation.requiredScopes] },
      used: false,
    });
  }

  async find(codeSha256: string, nowMs: number): Promise<Invitation | undefined> {
    const entry = this.invitations.get(codeSha256);
    if (entry === undefined || entry.used || entry.invitation.expiresAtMs <= nowMs)
      return undefined;
    return entry.invitation;
  }

  async countAttempt(codeSha256: string, nowMs: number): Promise<number> {
    const key = `${codeSha256}#${attemptWindowOf(nowMs).index}`;
    const count = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, count);
    return count;
  }

  async consume(codeSha256: string, nowMs: number): Promise<boolean> {
    const entry = this.invitations.get(codeSha256);
    if (entry === undefined || entry.used || entry.invitation.expiresAtMs <= nowMs) return false;
    entry.used = true;
    return true;
  }

  async revoke(tenant: string): Promise<number> {
    const nowMs = this.now();
    let revoked = 0;
    for (const entry of this.invitations.values()) {
      if (entry.invitation.tenant !== tenant || entry.used) continue;
      // Spent like a used one: the same answer afterwards, counted only while it was live.
      entry.used = true;
      if (entry.invitation.expiresAtMs > nowMs) revoked += 1;
    }
    return revoked;
  }

  async listPending(nowMs: number): Promise<Invitation[]> {
    return [...this.invitations.values()]
      .filter((entry) => !entry.used && entry.invitation.expiresAtMs > nowMs)
      .map((entry) => entry.invitation)
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.createdAtMs - b.createdAtMs);
  }
}
