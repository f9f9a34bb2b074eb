/**
 * The in-memory twin of the tenant health store: one execution environment's memory (no
 * `BOX_STATE_TABLE`, local mode, unit tests). Same conditions as the table, so the health
 * monitor behaves alike on both; without a table "fleet-wide" means "this environment".
 */
import type { TenantHealthRecord, TenantHealthStore } from './ports.js';

export class MemoryTenantHealthStore implements TenantHealthStore {
  /** A Map: tenant IDs are caller-influenced and never become object keys. */
  readonly #records = new Map<string, TenantHealthRecord>();

  async get(tenant: string): Promise<TenantHealthRecord | undefined> {
    const record = this.#records.get(tenant);
    return record === undefined ? undefined : { ...record };
  }

  async transition(next: TenantHealthRecord, fromReason?: string): Promise<boolean> {
    const current = this.#records.get(next.tenant);
    if (current?.state === next.state) return false;
    if (fromReason !== undefined) {
      if (current === undefined || current.state !== 'unhealthy') return false;
      if (current.reason !== fromReason) return false;
    }
    this.#records.set(next.tenant, { ...next });
    return true;
  }

  async claimAnnouncement(
    tenant: string,
    sinceMs: number,
    nowMs: number,
    untilMs: number,
  ): Promise<boolean> {
    const current = this.#records.get(tenant);
    if (current === undefined || current.sinceMs !== sinceMs || current.announced) return false;
    if (current.claimedUntilMs !== undefined && current.claimedUntilMs > nowMs) return false;
    current.claimedUntilMs = untilMs;
    return true;
  }

  async settleAnnouncement(tenant: string, sinceMs: number, announced: boolean): Promise<void> {
    const current = this.#records.get(tenant);
    if (current === undefined || current.sinceMs !== sinceMs) return;
    if (announced) {
      current.announced = true;
      delete current.event;
    }
    delete current.claimedUntilMs;
  }

  async list(): Promise<TenantHealthRecord[]> {
    return [...this.#records.values()]
      .map((record) => ({ ...record }))
      .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  }
}
