/**
 * Box configuration errors remembered briefly, so a broken app (or a caller asking for a user Box
 * refuses) does not hammer Box. One instance per tenant: its keys carry the secret version, not
 * the tenant.
 */
import type { BrokerError } from '../errors.js';
import { BoundedMap } from './bounded-map.js';

/**
 * Whose inputs a remembered call had: the deployment's own (the enterprise grant, decided by the
 * secret) or the caller's (a user subject it named).
 */
export type NegativeKind = 'enterprise' | 'caller';

export interface NegativeCacheOptions {
  /** How long an error is answered again without calling Box. */
  ttlMs: number;
  /**
   * Most remembered errors for caller-chosen subjects. They live apart from the deployment's
   * own, so a caller naming many users can never push out the enterprise entry. @default 256
   */
  maxCallerEntries?: number;
  now?: () => number;
}

/** The deployment's own subjects: the enterprise, per secret version. A handful at most. */
const MAX_ENTERPRISE_ENTRIES = 8;

interface Remembered {
  error: BrokerError;
  untilMs: number;
}

/** Remembered Box refusals, in two bounded pools (oldest entry goes first when full). */
export class NegativeCache {
  private readonly pools: Record<NegativeKind, BoundedMap<string, Remembered>>;
  private readonly now: () => number;

  constructor(private readonly options: NegativeCacheOptions) {
    this.pools = {
      enterprise: new BoundedMap({ maxEntries: MAX_ENTERPRISE_ENTRIES }),
      caller: new BoundedMap({ maxEntries: Math.max(1, options.maxCallerEntries ?? 256) }),
    };
    this.now = options.now ?? Date.now;
  }

  /** The remembered error for `key`, while it lasts. */
  get(kind: NegativeKind, key: string): BrokerError | undefined {
    const pool = this.pools[kind];
    const remembered = pool.get(key);
    if (remembered === undefined) return undefined;
    if (this.now() < remembered.untilMs) return remembered.error;
    pool.delete(key);
    return undefined;
  }

  /** Remembers `error` for `key` for the configured time. */
  remember(kind: NegativeKind, key: string, error: BrokerError): void {
    this.pools[kind].set(key, { error, untilMs: this.now() + this.options.ttlMs });
  }

  /** Forgets `key` (Box accepted it again). */
  forget(kind: NegativeKind, key: string): void {
    this.pools[kind].delete(key);
  }

  /** Entries held per pool (for tests and bounds). */
  sizes(): Record<NegativeKind, number> {
    return { enterprise: this.pools.enterprise.size, caller: this.pools.caller.size };
  }
}
