/**
 * The broker's side of fleet state (contract v1.2): how this execution environment shares tokens,
 * single flight, revocations and suspensions with the others through the fleet state ports. The
 * store never calls back: everything here asks the ports and decides for the broker.
 *
 * - {@link FleetLink.load}: a cache miss asks the table before Box. A live token another
 *   environment minted is served; otherwise one environment takes the key's lease and mints, and
 *   the others poll the table for its token within their deadline; a dead holder's lease ends and
 *   is taken over.
 * - {@link FleetLink.controls}: revocations, dead tokens and suspensions, read from the table at
 *   most once per sync interval (never on every warm request).
 *
 * Degraded, never down: every port failure is a {@link StateUnavailableError}; it is counted on
 * the request's trace (`StateErrors`) and the request goes on as v1.1 would (its own mint).
 */
import type { Deadline } from '../deadline.js';
import type { FleetControlStore, FleetControls, SharedTokenStore } from '../state/ports.js';
import { type StateFailure, StateUnavailableError } from '../state/state-call.js';
import type { RequestTrace } from '../trace/request-trace.js';
import { fullTokenHash, type IssuedToken, type RequestScope } from './types.js';

export interface FleetLinkOptions {
  tokens: SharedTokenStore;
  controls: FleetControlStore;
  /** This environment's lease holder ID (random per environment). */
  holder: string;
  /** How long a lease lasts: one Box attempt's timeout (a healthy mint fits in it). */
  leaseMs: number;
  /** `BOX_STATE_SYNC_SECONDS` in ms: the most stale the controls may be. */
  syncMs: number;
  /** A token with less life than this is refreshed, never taken from the table. */
  refreshMarginMs: number;
  now: () => number;
  /** Waits between polls; rejects when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** @default Math.random (poll jitter) */
  random?: () => number;
}

/** Between two reads of a leaseholder's token: short, jittered so waiters do not move in step. */
const POLL_MS = 50;
/** After a failed controls sync, the next try waits this long (a sick table is not hammered). */
const SYNC_RETRY_MS = 1000;
/** A revoked token whose expiry the broker does not know is kept this long (Box tokens: ~1 h). */
export const UNKNOWN_TOKEN_LIFE_MS = 2 * 3_600_000;

const NO_CONTROLS: FleetControls = { revokedSha256: new Set(), suspendedTenants: new Set() };

export class FleetLink {
  private view: FleetControls = NO_CONTROLS;
  /** When the view was last read (or last tried, after a failure). */
  private syncedAtMs = Number.NEGATIVE_INFINITY;
  private nextSyncAtMs = Number.NEGATIVE_INFINITY;
  private syncing: Promise<void> | undefined;
  /** Revocations recorded here since the last sync: honoured at once, kept across syncs. */
  private readonly local = new Map<string, number>();
  private readonly random: () => number;

  constructor(private readonly options: FleetLinkOptions) {
    this.random = options.random ?? Math.random;
  }

  /**
   * The controls in force: from memory while younger than the sync interval, else read once
   * (concurrent requests share the read). A failed read keeps the last controls in force.
   */
  async controls(scope: RequestScope): Promise<FleetControls> {
    const nowMs = this.options.now();
    if (nowMs >= this.nextSyncAtMs) {
      this.syncing ??= this.sync(scope).finally(() => {
        this.syncing = undefined;
      });
      await this.syncing;
    }
    return this.view;
  }

  /** The SHA-256s revoked now (the last synced view and this environment's own records). */
  revoked(): ReadonlySet<string> {
    return this.view.revokedSha256;
  }

  /**
   * Records a token revoked or reported dead, fleet-wide, until it would have expired; this
   * environment honours it at once. A failure is counted (the others learn it late or not).
   */
  async recordRevoked(
    tenant: string,
    sha256: string,
    untilMs: number,
    scope: RequestScope,
  ): Promise<void> {
    this.local.set(sha256, untilMs);
    this.view = withRevoked(this.view, sha256);
    await this.guard(scope.trace, () =>
      this.options.controls.recordRevoked(tenant, sha256, untilMs, scope.deadline),
    );
  }

  /**
   * `key`'s token through the fleet: a live one from the table, else minted by one environment
   * for all (lease), else (state failing) minted here as v1.1 would.
   *
   * @param mint this environment's Box mint (single flight inside the environment already)
   * @param deadSha256 a token the caller reported dead: never served, recorded fleet-wide
   */
  async load(
    tenant: string,
    cacheKey: string,
    minTtlSeconds: number,
    deadSha256: string | undefined,
    scope: RequestScope,
    mint: () => Promise<IssuedToken>,
  ): Promise<IssuedToken> {
    const key = { tenant, cacheKey };
    const { trace, deadline } = scope;
    const startedMs = this.options.now();
    const first = await this.readUsable(tenant, key, minTtlSeconds, deadSha256, scope);
    if (first.kind === 'token') return this.shared(first.token, trace, startedMs);
    // A table or key that refuses (denied, disabled, unreachable): on our own, as v1.1. A slow or
    // throttled read may be a passing burst: the lease still decides who mints.
    if (first.kind === 'down' && !first.transient) return mint();
    for (;;) {
      const leased = await this.takeLease(key, scope);
      if (leased === undefined) return mint();
      if (leased) {
        // Checked again under the lease: a holder may have written its token and released the
        // lease between this environment's read and its lease.
        const again = await this.readUsable(tenant, key, minTtlSeconds, deadSha256, scope);
        if (again.kind === 'token') {
          await this.guard(trace, () =>
            this.options.tokens.release(key, this.options.holder, deadline),
          );
          return this.shared(again.token, trace, startedMs);
        }
        return this.mintAndShare(key, scope, mint);
      }
      // Another environment mints: wait for its token until its lease ends, then take over.
      const leaseEndMs = this.options.now() + this.options.leaseMs;
      while (this.options.now() < leaseEndMs) {
        if (!(await this.pause(deadline))) return mint();
        const found = await this.readUsable(tenant, key, minTtlSeconds, deadSha256, scope);
        if (found.kind === 'token') return this.shared(found.token, trace, startedMs);
        // The table answered the lease moments ago: a slow poll is waited out, a refusal is not.
        if (found.kind === 'down' && !found.transient) return mint();
      }
    }
  }

  /**
   * Asks for the key's lease: true = this environment mints, false = another does, undefined =
   * the table failed (mint as v1.1). A lease write that timed out or was throttled is asked once
   * more: a burst that slows the table is the moment single flight matters most, and the first
   * write may have landed (the lease is this holder's again, the store's condition allows it).
   */
  private async takeLease(
    key: { tenant: string; cacheKey: string },
    scope: RequestScope,
  ): Promise<boolean | undefined> {
    const { tokens, holder, leaseMs } = this.options;
    let transient = false;
    const ask = () =>
      this.guard(
        scope.trace,
        () => tokens.lease(key, holder, leaseMs, scope.deadline),
        (error) => {
          transient = error.failure === 'timeout' || error.failure === 'throttled';
        },
      );
    const leased = await ask();
    return leased === undefined && transient ? ask() : leased;
  }

  /** Drops a token from the table (revoked or dead), so no environment reads it again. */
  async drop(tenant: string, cacheKey: string, scope: RequestScope): Promise<void> {
    await this.guard(scope.trace, () =>
      this.options.tokens.drop({ tenant, cacheKey }, scope.deadline),
    );
  }

  /** Mints as the key's leaseholder and shares the token; gives the lease up if the mint fails. */
  private async mintAndShare(
    key: { tenant: string; cacheKey: string },
    scope: RequestScope,
    mint: () => Promise<IssuedToken>,
  ): Promise<IssuedToken> {
    let token: IssuedToken;
    try {
      token = await mint();
    } catch (error) {
      await this.guard(scope.trace, () =>
        this.options.tokens.release(key, this.options.holder, scope.deadline),
      );
      throw error;
    }
    await this.guard(scope.trace, () =>
      this.options.tokens.write(
        key,
        { payload: serialize(token), expiresAtMs: token.expiresAtMs },
        scope.deadline,
      ),
    );
    // The lease has done its work, written or not: a reader that finds no usable item (altered,
    // revoked, or the write failed) may mint at once instead of waiting the lease out.
    await this.guard(scope.trace, () =>
      this.options.tokens.release(key, this.options.holder, scope.deadline),
    );
    return token;
  }

  /**
   * The table's token for `key` if this request may have it: live, decrypted under this key's
   * context, with more life than the refresh margin and `min_ttl`, neither revoked nor the dead
   * one. `down`: the table or the key failed (counted).
   */
  private async readUsable(
    tenant: string,
    key: { tenant: string; cacheKey: string },
    minTtlSeconds: number,
    deadSha256: string | undefined,
    scope: RequestScope,
  ): Promise<
    { kind: 'token'; token: IssuedToken } | { kind: 'none' } | { kind: 'down'; transient: boolean }
  > {
    let failure: StateFailure | undefined;
    const lookup = await this.guard(
      scope.trace,
      () => this.options.tokens.read(key, scope.deadline),
      (error) => {
        failure = error.failure;
      },
    );
    if (lookup === undefined) {
      return { kind: 'down', transient: failure === 'timeout' || failure === 'throttled' };
    }
    if (lookup.kind === 'rejected') {
      // Moved, altered or sealed under another key: never served; a fresh mint overwrites it.
      scope.trace.stateItemsRejected = 1;
      return { kind: 'none' };
    }
    if (lookup.kind === 'miss') return { kind: 'none' };
    const token = deserialize(lookup.token.payload, lookup.token.expiresAtMs);
    if (token === undefined) {
      scope.trace.stateItemsRejected = 1;
      return { kind: 'none' };
    }
    const remainingMs = token.expiresAtMs - this.options.now();
    if (remainingMs <= this.options.refreshMarginMs || remainingMs < minTtlSeconds * 1000) {
      return { kind: 'none' };
    }
    const sha = fullTokenHash(token.accessToken);
    if (sha === deadSha256) {
      // Reported dead by this caller: recorded for the fleet, dropped from the table, replaced.
      await this.recordRevoked(tenant, sha, token.expiresAtMs, scope);
      await this.drop(key.tenant, key.cacheKey, scope);
      scope.trace.deadTokenDropped = true;
      return { kind: 'none' };
    }
    if (this.revoked().has(sha)) return { kind: 'none' };
    return { kind: 'token', token };
  }

  private shared(token: IssuedToken, trace: RequestTrace, startedMs: number): IssuedToken {
    trace.stateHit = true;
    const waited = this.options.now() - startedMs;
    if (waited > 0) trace.stateWaitMs = waited;
    return token;
  }

  /** One jittered poll interval; false when the request's deadline leaves no time to mint. */
  private async pause(deadline: Deadline): Promise<boolean> {
    const ms = Math.round(POLL_MS * (0.5 + this.random()));
    // Keep one lease's worth of the deadline for this environment's own mint.
    if (this.options.now() + ms + this.options.leaseMs > deadline.atMs) return false;
    try {
      await this.options.sleep(ms, deadline.signal);
      return true;
    } catch {
      return false;
    }
  }

  private async sync(scope: RequestScope): Promise<void> {
    const nowMs = this.options.now();
    const read = await this.guard(scope.trace, () =>
      this.options.controls.controls(scope.deadline),
    );
    if (read === undefined) {
      // Keep the last view in force; try again shortly, not on every request.
      this.nextSyncAtMs = nowMs + Math.min(this.options.syncMs, SYNC_RETRY_MS);
      return;
    }
    const revoked = new Set(read.revokedSha256);
    for (const [sha, untilMs] of this.local) {
      if (untilMs <= nowMs || read.revokedSha256.has(sha)) this.local.delete(sha);
      else revoked.add(sha);
    }
    this.view = { revokedSha256: revoked, suspendedTenants: read.suspendedTenants };
    this.syncedAtMs = nowMs;
    this.nextSyncAtMs = nowMs + this.options.syncMs;
  }

  /** Epoch ms of the last successful sync (tests, logs). */
  get lastSyncMs(): number {
    return this.syncedAtMs;
  }

  /** Runs a port call; a StateUnavailableError is counted and becomes undefined. */
  private async guard<T>(
    trace: RequestTrace,
    call: () => Promise<T>,
    failed?: (error: StateUnavailableError) => void,
  ): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StateUnavailableError)) throw error;
      trace.stateErrors = (trace.stateErrors ?? 0) + 1;
      trace.stateError = error.failure;
      failed?.(error);
      return undefined;
    }
  }
}

function withRevoked(view: FleetControls, sha256: string): FleetControls {
  if (view.revokedSha256.has(sha256)) return view;
  return { ...view, revokedSha256: new Set([...view.revokedSha256, sha256]) };
}

/** What the table keeps of a token (inside the ciphertext): everything the cache keeps. */
function serialize(token: IssuedToken): string {
  return JSON.stringify(token);
}

/** A token read back, or undefined when the payload is not one the broker wrote. */
function deserialize(payload: string, expiresAtMs: number): IssuedToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const token = parsed as Partial<IssuedToken>;
  if (
    typeof token.accessToken !== 'string' ||
    token.expiresAtMs !== expiresAtMs ||
    typeof token.grantedSeconds !== 'number' ||
    !Array.isArray(token.restrictedTo) ||
    typeof token.versionId !== 'string' ||
    typeof token.tokenHash !== 'string'
  ) {
    return undefined;
  }
  return token as IssuedToken;
}
