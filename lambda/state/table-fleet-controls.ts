/**
 * Revocations, dead tokens and suspensions in the fleet state table, all in one partition
 * (`pk = fleet#`) so that an environment syncs them with one Query:
 *
 * - `sk = revoked#<token SHA-256>`: `tenant` (S), `until` (N, epoch ms the token would expire),
 *   `ttl` (N). A SHA-256 of a Box token (high-entropy, random) cannot be reversed to it.
 * - `sk = suspended#<tenant>`: `tenant` (S), `by` (S, who suspended it, as the CLI names them),
 *   `since` (N, epoch ms). No `ttl`: a suspension lasts until `resume` deletes it.
 *
 * The partition holds one item per revocation still within its token's life plus one per suspended
 * tenant, so it stays small (docs/fleet-state.md "Cost model").
 */
import { type Deadline, noDeadline } from '../deadline.js';
import type { FleetControlStore, FleetControls, Suspension } from './ports.js';
import { isLive, num, readNumber, readString, type StateTable, str, ttlOf } from './state-table.js';

/** The partition key of the family. */
export const FLEET_PK = 'fleet#';
const REVOKED = 'revoked#';
const SUSPENDED = 'suspended#';

export interface TableFleetControlsOptions {
  table: StateTable;
  now: () => number;
}

/** {@link FleetControlStore} on the fleet state table. */
export class TableFleetControls implements FleetControlStore {
  constructor(private readonly options: TableFleetControlsOptions) {}

  async recordRevoked(
    tenant: string,
    sha256: string,
    untilMs: number,
    deadline: Deadline,
  ): Promise<void> {
    await this.options.table.put(
      {
        pk: str(FLEET_PK),
        sk: str(`${REVOKED}${sha256}`),
        tenant: str(tenant),
        until: num(untilMs),
        ttl: ttlOf(untilMs),
      },
      { deadline },
    );
  }

  async suspend(tenant: string, by: string): Promise<void> {
    await this.options.table.put({
      pk: str(FLEET_PK),
      sk: str(`${SUSPENDED}${tenant}`),
      tenant: str(tenant),
      by: str(by),
      since: num(this.options.now()),
    });
  }

  async resume(tenant: string, _by: string): Promise<void> {
    await this.options.table.delete({ pk: FLEET_PK, sk: `${SUSPENDED}${tenant}` });
  }

  async controls(deadline: Deadline): Promise<FleetControls> {
    const nowMs = this.options.now();
    const items = await this.options.table.query(FLEET_PK, { deadline });
    const revokedSha256 = new Set<string>();
    const suspendedTenants = new Set<string>();
    for (const item of items) {
      const sk = readString(item, 'sk') ?? '';
      if (sk.startsWith(REVOKED)) {
        const until = readNumber(item, 'until');
        if (isLive(item, nowMs) && until !== undefined && until > nowMs) {
          revokedSha256.add(sk.slice(REVOKED.length));
        }
      } else if (sk.startsWith(SUSPENDED)) {
        suspendedTenants.add(sk.slice(SUSPENDED.length));
      }
    }
    return { revokedSha256, suspendedTenants };
  }

  async suspensions(): Promise<Suspension[]> {
    const items = await this.options.table.query(FLEET_PK, {
      skPrefix: SUSPENDED,
      consistent: true,
      deadline: noDeadline(),
    });
    return items.map((item) => ({
      tenant: (readString(item, 'sk') ?? '').slice(SUSPENDED.length),
      by: readString(item, 'by') ?? '',
      sinceMs: readNumber(item, 'since') ?? 0,
    }));
  }
}
