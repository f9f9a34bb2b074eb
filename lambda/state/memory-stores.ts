/**
 * In-memory twins of the fleet-state ports: the same behaviour as the table stores (leases that
 * end, revocations that expire, suspensions until resumed) inside one process. Unit tests use
 * them, and several brokers built on one twin behave as environments sharing one table. Nothing
 * is encrypted: nothing leaves the process.
 */
import type { Deadline } from '../deadline.js';
import type {
  FleetControlStore,
  FleetControls,
  SharedToken,
  SharedTokenKey,
  SharedTokenLookup,
  SharedTokenStore,
  Suspension,
} from './ports.js';

/** Map keys built from a tenant and a cache key: never an object's own property names. */
function slot(key: SharedTokenKey): string {
  return JSON.stringify([key.tenant, key.cacheKey]);
}

export class MemorySharedTokenStore implements SharedTokenStore {
  private readonly tokens = new Map<string, SharedToken>();
  private readonly leases = new Map<string, { holder: string; untilMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async read(key: SharedTokenKey, _deadline: Deadline): Promise<SharedTokenLookup> {
    const token = this.tokens.get(slot(key));
    if (token === undefined || token.expiresAtMs <= this.now()) return { kind: 'miss' };
    return { kind: 'hit', token: { ...token } };
  }

  async write(key: SharedTokenKey, token: SharedToken, _deadline: Deadline): Promise<void> {
    this.tokens.set(slot(key), { ...token });
  }

  async lease(
    key: SharedTokenKey,
    holder: string,
    leaseMs: number,
    _deadline: Deadline,
  ): Promise<boolean> {
    const current = this.leases.get(slot(key));
    const nowMs = this.now();
    if (current !== undefined && current.untilMs > nowMs && current.holder !== holder) {
      return false;
    }
    this.leases.set(slot(key), { holder, untilMs: nowMs + leaseMs });
    return true;
  }

  async release(key: SharedTokenKey, holder: string, _deadline: Deadline): Promise<void> {
    if (this.leases.get(slot(key))?.holder === holder) this.leases.delete(slot(key));
  }

  async drop(key: SharedTokenKey, _deadline: Deadline): Promise<void> {
    this.tokens.delete(slot(key));
  }
}

export class MemoryFleetControls implements FleetControlStore {
  private readonly revoked = new Map<string, number>();
  private readonly suspended = new Map<string, Suspension>();

  constructor(private readonly now: () => number = Date.now) {}

  async recordRevoked(
    _tenant: string,
    sha256: string,
    untilMs: number,
    _deadline: Deadline,
  ): Promise<void> {
    this.revoked.set(sha256, Math.max(untilMs, this.revoked.get(sha256) ?? 0));
  }

  async suspend(tenant: string, by: string): Promise<void> {
    this.suspended.set(tenant, { tenant, by, sinceMs: this.now() });
  }

  async resume(tenant: string, _by: string): Promise<void> {
    this.suspended.delete(tenant);
  }

  async controls(_deadline: Deadline): Promise<FleetControls> {
    const nowMs = this.now();
    const revokedSha256 = new Set<string>();
    for (const [sha, untilMs] of this.revoked) {
      if (untilMs > nowMs) revokedSha256.add(sha);
      else this.revoked.delete(sha);
    }
    return { revokedSha256, suspendedTenants: new Set(this.suspended.keys()) };
  }

  async suspensions(): Promise<Suspension[]> {
    return [...this.suspended.values()].map((entry) => ({ ...entry }));
  }
}
