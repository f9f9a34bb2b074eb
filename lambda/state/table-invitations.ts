/**
 * Onboarding invitations in the fleet-state table (contract v1.3), keyed by the code's SHA-256
 * only. Items (all under the `invite#` prefix the function's and the operator's grants allow):
 *
 * - `invite#<hash>` / `invitation`: the invitation (tenant, expiry, required scopes, who invited);
 *   `used` or `revoked` set once it is spent; `ttl` = its expiry.
 * - `invite#<hash>` / `attempts#<hour>`: the attempts counted in one clock hour (an atomic `ADD`);
 *   `ttl` = an hour after that hour ends.
 * - `invite#pending` / `<tenant>#<hash>`: the directory `tenant list` and `--revoke` query (one
 *   small partition); the invitation item stays the truth, so a directory entry whose invitation
 *   is spent is never listed.
 *
 * Every read of an invitation is consistent and checks the expiry itself: DynamoDB's TTL deletes
 * late. Consuming is one conditional update, so a code is spent once whatever the concurrency.
 */

import { ATTEMPT_WINDOW_MS, attemptWindowOf } from './invitation-window.js';
import type { Invitation, InvitationStore } from './ports.js';
import {
  num,
  readNumber,
  readString,
  type StateItem,
  type StateTable,
  str,
  ttlOf,
} from './state-table.js';

const INVITATION_SK = 'invitation';
const DIRECTORY_PK = 'invite#pending';

const invitationPk = (codeSha256: string) => `invite#${codeSha256}`;

export interface TableInvitationStoreOptions {
  table: StateTable;
  /** The clock `revoke` judges liveness by (the port's other calls take the time). */
  now?: () => number;
}

export class TableInvitationStore implements InvitationStore {
  private readonly table: StateTable;
  private readonly now: () => number;

  constructor(options: TableInvitationStoreOptions) {
    this.table = options.table;
    this.now = options.now ?? Date.now;
  }

  async create(invitation: Invitation): Promise<void> {
    const created = await this.table.put(
      {
        pk: str(invitationPk(invitation.codeSha256)),
        sk: str(INVITATION_SK),
        tenant: str(invitation.tenant),
        expiresAtMs: num(invitation.expiresAtMs),
        requiredScopes: str(JSON.stringify(invitation.requiredScopes)),
        invitedBy: str(invitation.invitedBy),
        createdAtMs: num(invitation.createdAtMs),
        ttl: ttlOf(invitation.expiresAtMs),
      },
      { condition: { expression: 'attribute_not_exists(pk)' } },
    );
    if (!created) throw new Error('an invitation with this code hash exists');
    await this.table.put({
      pk: str(DIRECTORY_PK),
      sk: str(`${invitation.tenant}#${invitation.codeSha256}`),
      tenant: str(invitation.tenant),
      codeSha256: str(invitation.codeSha256),
      ttl: ttlOf(invitation.expiresAtMs),
    });
  }

  async find(codeSha256: string, nowMs: number): Promise<Invitation | undefined> {
    const item = await this.table.get(
      { pk: invitationPk(codeSha256), sk: INVITATION_SK },
      { consistent: true },
    );
    if (item === undefined) return undefined;
    return liveInvitation(item, codeSha256, nowMs);
  }

  async countAttempt(codeSha256: string, nowMs: number): Promise<number> {
    const window = attemptWindowOf(nowMs);
    const updated = await this.table.update(
      { pk: invitationPk(codeSha256), sk: `attempts#${window.index}` },
      {
        expression: 'ADD #n :one SET #ttl = :ttl',
        names: { '#n': 'n', '#ttl': 'ttl' },
        values: { ':one': num(1), ':ttl': ttlOf(window.endsAtMs + ATTEMPT_WINDOW_MS) },
      },
      { returnNew: true },
    );
    // The update has no condition, so it always answers with the item.
    return updated === false ? Number.POSITIVE_INFINITY : (readNumber(updated, 'n') ?? 1);
  }

  async consume(codeSha256: string, nowMs: number): Promise<boolean> {
    const spent = await this.spend(codeSha256, 'used', nowMs);
    if (spent !== undefined) await this.dropFromDirectory(spent, codeSha256);
    return spent !== undefined;
  }

  async revoke(tenant: string): Promise<number> {
    const nowMs = this.now();
    let revoked = 0;
    for (const entry of await this.table.query(DIRECTORY_PK, {
      skPrefix: `${tenant}#`,
      consistent: true,
    })) {
      const codeSha256 = readString(entry, 'codeSha256');
      if (codeSha256 === undefined || readString(entry, 'tenant') !== tenant) continue;
      if ((await this.spend(codeSha256, 'revoked', nowMs)) !== undefined) revoked += 1;
      await this.dropFromDirectory(tenant, codeSha256);
    }
    return revoked;
  }

  async listPending(nowMs: number): Promise<Invitation[]> {
    const pending: Invitation[] = [];
    for (const entry of await this.table.query(DIRECTORY_PK, { consistent: true })) {
      const codeSha256 = readString(entry, 'codeSha256');
      if (codeSha256 === undefined) continue;
      const invitation = await this.find(codeSha256, nowMs);
      if (invitation !== undefined) pending.push(invitation);
    }
    return pending.sort(
      (a, b) => a.tenant.localeCompare(b.tenant) || a.createdAtMs - b.createdAtMs,
    );
  }

  /**
   * Marks a live invitation `used` or `revoked` in one conditional update; the tenant it was for,
   * or undefined when it was not live (unknown, expired, spent).
   */
  private async spend(
    codeSha256: string,
    mark: 'used' | 'revoked',
    nowMs: number,
  ): Promise<string | undefined> {
    const updated = await this.table.update(
      { pk: invitationPk(codeSha256), sk: INVITATION_SK },
      { expression: 'SET #mark = :now', names: { '#mark': mark }, values: { ':now': num(nowMs) } },
      {
        condition:
          'attribute_exists(pk) AND attribute_not_exists(used) AND attribute_not_exists(revoked) AND expiresAtMs > :now',
        returnNew: true,
      },
    );
    return updated === false ? undefined : readString(updated, 'tenant');
  }

  private async dropFromDirectory(tenant: string, codeSha256: string): Promise<void> {
    // The invitation item is the truth; a directory entry left behind is never listed.
    await this.table
      .delete({ pk: DIRECTORY_PK, sk: `${tenant}#${codeSha256}` })
      .catch(() => undefined);
  }
}

/** The invitation an item holds, when it is live at `nowMs`. */
function liveInvitation(
  item: StateItem,
  codeSha256: string,
  nowMs: number,
): Invitation | undefined {
  const tenant = readString(item, 'tenant');
  const expiresAtMs = readNumber(item, 'expiresAtMs');
  if (tenant === undefined || expiresAtMs === undefined || expiresAtMs <= nowMs) return undefined;
  if (readNumber(item, 'used') !== undefined || readNumber(item, 'revoked') !== undefined) {
    return undefined;
  }
  return {
    tenant,
    codeSha256,
    expiresAtMs,
    requiredScopes: scopesOf(readString(item, 'requiredScopes')),
    invitedBy: readString(item, 'invitedBy') ?? 'unknown',
    createdAtMs: readNumber(item, 'createdAtMs') ?? 0,
  };
}

function scopesOf(json: string | undefined): string[] {
  if (json === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
