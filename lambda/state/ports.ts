/**
 * Contract v1.2 fleet state, as the rest of the function needs it: one DynamoDB table
 * (`BOX_STATE_TABLE`, keys `pk`/`sk`, TTL attribute `ttl`) shared by every execution environment,
 * tokens encrypted under `BOX_STATE_KMS_KEY`. Each concern is its own small port so that the
 * broker, the health events and the onboarding page depend only on what they use; each has a
 * DynamoDB implementation and an in-memory twin (local mode, unit tests).
 *
 * Item families (partition key prefixes), one owner each:
 * - `token#<tenant>` / `lease#<tenant>`: shared tokens and their single-flight leases;
 * - `fleet#`: revocations, dead tokens and suspensions (what every environment syncs);
 * - `health#` (sort key: the tenant ID): a tenant's last judged health (transitions only; one
 *   partition, so listing them is a Query, never a Scan);
 * - `invite#<code hash>`: onboarding invitations.
 *
 * Every call takes the request's deadline (or a short timeout of its own) and rejects with a
 * `StateUnavailableError` when the table or the key is slow, throttled, denied or unreachable:
 * callers degrade to v1.1 behaviour, never to a 5xx.
 */
import type { Deadline } from '../deadline.js';

/** Where a shared token belongs: the tenant and the broker's own cache key for it. */
export interface SharedTokenKey {
  tenant: string;
  /** The token cache's key (subject, scopes, item, secret version); never a secret. */
  cacheKey: string;
}

/** A token as the table gives it back, after decryption under the reader's own context. */
export interface SharedToken {
  /** The token response fields the broker caches (serialised by the broker, opaque here). */
  payload: string;
  /** Absolute expiry, epoch milliseconds. */
  expiresAtMs: number;
}

/**
 * What a read of the table found: a token that decrypted under the reader's own context, nothing
 * (absent or expired), or an item that did not decrypt for this key (`rejected`: moved from
 * another key, altered, or sealed under another key; never served, counted by the caller).
 */
export type SharedTokenLookup =
  | { kind: 'hit'; token: SharedToken }
  | { kind: 'miss' }
  | { kind: 'rejected' };

/** Shared, encrypted tokens and the lease that makes one environment mint for the fleet. */
export interface SharedTokenStore {
  /** The token for this key, if the table holds a live one that decrypts under this key. */
  read(key: SharedTokenKey, deadline: Deadline): Promise<SharedTokenLookup>;
  /** Stores a freshly minted token, encrypted, until it expires. */
  write(key: SharedTokenKey, token: SharedToken, deadline: Deadline): Promise<void>;
  /**
   * Takes the key's lease for `leaseMs` unless another holder's live one is held: true = this
   * environment mints. The holder's own lease is taken again (a retried write that had landed).
   */
  lease(key: SharedTokenKey, holder: string, leaseMs: number, deadline: Deadline): Promise<boolean>;
  /** Gives up a lease this holder took (its mint failed), so another environment may mint. */
  release(key: SharedTokenKey, holder: string, deadline: Deadline): Promise<void>;
  /** Drops a token (a revoked or dead one) so no environment reads it again. */
  drop(key: SharedTokenKey, deadline: Deadline): Promise<void>;
}

/** What every environment must honour within `BOX_STATE_SYNC_SECONDS`. */
export interface FleetControls {
  /** SHA-256 (hex) of tokens revoked or reported dead, and the tenants suspended. */
  revokedSha256: ReadonlySet<string>;
  suspendedTenants: ReadonlySet<string>;
}

/** A suspended tenant as `tenant list` shows it. */
export interface Suspension {
  tenant: string;
  /** Who suspended it (the CLI's caller ARN). */
  by: string;
  /** Epoch ms of the suspension. */
  sinceMs: number;
}

/** Revocations, dead tokens and suspensions, recorded once and read by every environment. */
export interface FleetControlStore {
  /** Records a token revoked or dead (by SHA-256) until it would have expired. */
  recordRevoked(tenant: string, sha256: string, untilMs: number, deadline: Deadline): Promise<void>;
  suspend(tenant: string, by: string): Promise<void>;
  resume(tenant: string, by: string): Promise<void>;
  /** The current controls (environments cache this for at most the sync bound). */
  controls(deadline: Deadline): Promise<FleetControls>;
  /** The suspended tenants, with who suspended them and when (for `tenant list`). */
  suspensions(): Promise<Suspension[]>;
}

/** A tenant's health as last judged (contract v1.2 tenant health events). */
export type TenantHealthState = 'healthy' | 'unhealthy';

export interface TenantHealthRecord {
  tenant: string;
  state: TenantHealthState;
  /** `setup_check` or `credentials_rejected`: why it is (or, when healthy, was) unhealthy. */
  reason?: string;
  /** Epoch ms of the transition into this state. */
  sinceMs: number;
  /**
   * The event announcing the transition, serialised by the health room (opaque here), kept so
   * any environment can retry it after a failed PutEvents. Never a secret or token.
   */
  event?: string;
  /** Whether that event is on the bus. */
  announced: boolean;
  /** Epoch ms until which one environment holds the right to announce it (a short lease). */
  claimedUntilMs?: number;
}

/** Remembers each tenant's health so that only transitions become events, fleet-wide. */
export interface TenantHealthStore {
  get(tenant: string): Promise<TenantHealthRecord | undefined>;
  /**
   * Moves a tenant to `next` unless it is already there (a conditional write on the state, and
   * on `fromReason` when given: the tenant must be unhealthy for that reason). True = this caller
   * made the transition, holds its announcement until `next.claimedUntilMs` and must announce it;
   * false = another environment already did (or the tenant is not in the expected state).
   */
  transition(next: TenantHealthRecord, fromReason?: string): Promise<boolean>;
  /**
   * Takes the announcement of the transition at `sinceMs` when it is not announced and no live
   * claim holds it (a failed PutEvents is retried by whoever looks next). True = announce it now.
   */
  claimAnnouncement(
    tenant: string,
    sinceMs: number,
    nowMs: number,
    untilMs: number,
  ): Promise<boolean>;
  /** The transition at `sinceMs` is on the bus (or, `announced` false: its claim is given up). */
  settleAnnouncement(tenant: string, sinceMs: number, announced: boolean): Promise<void>;
  list(): Promise<TenantHealthRecord[]>;
}

/** A pending onboarding invitation (contract v1.3). Only the code's hash is ever stored. */
export interface Invitation {
  tenant: string;
  codeSha256: string;
  expiresAtMs: number;
  /** Scopes the setup check must find on the customer's app. */
  requiredScopes: readonly string[];
  /** Who invited (the CLI's caller ARN). */
  invitedBy: string;
  createdAtMs: number;
}

export interface InvitationStore {
  create(invitation: Invitation): Promise<void>;
  /** The live invitation for a code hash: undefined for unknown, expired or used (one answer). */
  find(codeSha256: string, nowMs: number): Promise<Invitation | undefined>;
  /** Counts one attempt in the current hour; returns the count including this one. */
  countAttempt(codeSha256: string, nowMs: number): Promise<number>;
  /** Marks the invitation used; false if it was already used, expired or withdrawn. */
  consume(codeSha256: string, nowMs: number): Promise<boolean>;
  /** Withdraws the tenant's pending invitations; returns how many. */
  revoke(tenant: string): Promise<number>;
  listPending(nowMs: number): Promise<Invitation[]>;
}
