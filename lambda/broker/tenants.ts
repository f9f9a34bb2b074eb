/**
 * The tenants one deployment serves: tenant ID → that tenant's token supply (its credentials
 * source, rotation state, negative cache, minting), built on first use and held in a bounded LRU.
 *
 * Memory: the tenants' state is bounded here (BOX_TENANT_CACHE_MAX_ENTRIES); their tokens and
 * back-off windows live in ONE cache and ONE back-off map shared by every tenant, keyed by tenant
 * first (see TokenSupply.key), and bounded by BOX_TOKEN_CACHE_MAX_ENTRIES. A token cache per tenant
 * would bound memory only at tenants × entries (a million tokens for 1,000 tenants at the
 * defaults); a shared LRU keeps the operator's one number the bound, and gives the room to the
 * tenants that are busy now. The price: a tenant with many subjects can push out a quiet
 * tenant's tokens, which only costs that tenant a Box call (never another tenant's token).
 *
 * Lookups are one Map get: nothing per request grows with the number of tenants.
 */
import { DEFAULT_TENANT } from '../contract.js';
import type { Deadline } from '../deadline.js';
import { TenantNotFoundError } from '../errors.js';
import { BoundedMap } from './bounded-map.js';
import type { CredentialsSource } from './credentials.js';
import type { TokenSupply } from './token-supply.js';

/** The deployment's default tenant (`BOX_CREDENTIALS_SECRET`). */

/** A named tenant's units: its secret and the supply built on it. */
export interface TenantUnits {
  credentials: CredentialsSource;
  supply: TokenSupply;
}

export interface TenantRegistryOptions {
  /** The default tenant's supply; undefined = a tenants-only deployment. */
  defaultSupply: TokenSupply | undefined;
  /**
   * Builds a named tenant's units (no I/O): the composition root's recipe (lambda/runtime.ts).
   * Undefined when the deployment has no named tenants (no BOX_TENANT_SECRET_PREFIX), so every
   * named tenant is not found.
   */
  newTenant: ((tenant: string) => TenantUnits) | undefined;
  /** Most tenants held at once; the least recently used go first. */
  maxTenants: number;
  /** How long a tenant without a secret is answered from memory. */
  notFoundMs: number;
  /**
   * How long a named tenant is served from memory before its secret is read again, so a tenant
   * removed while the function runs stops being served within this time in every environment.
   */
  secretTtlMs: number;
  now?: () => number;
}

interface TenantEntry extends TenantUnits {
  /** When the secret was last confirmed to exist (−∞: never). */
  checkedAtMs: number;
}

export class TenantRegistry {
  /** Named tenants held, least recently used first. */
  private readonly tenants: BoundedMap<string, TenantEntry>;
  /** Tenants without a secret, until when they are answered from memory. */
  private readonly missing: BoundedMap<string, number>;
  /**
   * Tenants being confirmed (their first secret read in flight): kept apart from
   * {@link tenants}, so a request for a tenant that turns out not to exist never evicts a served
   * one, and shared, so concurrent first requests for one tenant share one secret source (and
   * read). In flight only: bounded by the requests in flight, and by maxTenants.
   */
  private readonly confirming = new Map<string, TenantEntry>();
  private readonly now: () => number;

  constructor(private readonly options: TenantRegistryOptions) {
    if (!Number.isInteger(options.maxTenants) || options.maxTenants < 1) {
      throw new RangeError('maxTenants must be a positive integer');
    }
    // An evicted tenant's tokens stay in the shared cache, keyed by version: if the tenant comes
    // back, its new entry confirms the secret first and finds them again; otherwise the token
    // LRU ages them out.
    this.tenants = new BoundedMap({ maxEntries: options.maxTenants });
    this.missing = new BoundedMap({ maxEntries: options.maxTenants });
    this.now = options.now ?? Date.now;
  }

  /** Whether a request naming no tenant has one to go to. */
  get hasDefault(): boolean {
    return this.options.defaultSupply !== undefined;
  }

  /** Named tenants held now (for bounds and tests). */
  get size(): number {
    return this.tenants.size;
  }

  /** Tenants remembered as not found now (for bounds and tests). */
  get missingCount(): number {
    return this.missing.size;
  }

  /**
   * `tenant`'s supply. The caller has already checked the access policy: nothing here may run
   * for a tenant the caller is not admitted to. A named tenant's secret is confirmed to exist
   * once per secret TTL; a tenant whose secret is gone loses its tokens and is remembered as not
   * found.
   */
  async supplyFor(tenant: string, deadline: Deadline): Promise<TokenSupply> {
    if (tenant === DEFAULT_TENANT) {
      const supply = this.options.defaultSupply;
      // The broker refuses a default-tenant request of a tenants-only deployment before here.
      if (supply === undefined) throw new TenantNotFoundError(tenant);
      return supply;
    }
    return (await this.entryFor(tenant, deadline)).supply;
  }

  /**
   * What the broker reports when serving from `supply` failed: a named tenant whose secret
   * turned out to be gone loses its tokens and is remembered as not found.
   */
  failed(tenant: string, supply: TokenSupply, error: unknown): void {
    if (tenant === DEFAULT_TENANT || !(error instanceof TenantNotFoundError)) return;
    this.gone(tenant, supply);
  }

  /**
   * Drops the tokens of a suspended tenant (contract v1.2); it stays registered, so `resume`
   * serves it again without a secret read. Returns how many went.
   */
  dropTokens(tenant: string): number {
    const supply =
      tenant === DEFAULT_TENANT ? this.options.defaultSupply : this.tenants.get(tenant)?.supply;
    return supply?.dropAll() ?? 0;
  }

  /** The tenant's entry, confirming its secret still exists once per secret TTL. */
  private async entryFor(tenant: string, deadline: Deadline): Promise<TenantEntry> {
    const missingUntil = this.missing.get(tenant);
    if (missingUntil !== undefined) {
      if (this.now() < missingUntil) throw new TenantNotFoundError(tenant);
      this.missing.delete(tenant);
    }
    const held = this.held(tenant);
    const entry = held ?? this.unconfirmed(tenant);
    if (this.now() - entry.checkedAtMs < this.options.secretTtlMs) return entry;
    try {
      // Within the TTL the source answers from memory; past it, one shared read per tenant.
      await entry.credentials.get(deadline);
    } catch (error) {
      if (held === undefined) this.settle(tenant, entry);
      if (error instanceof TenantNotFoundError) {
        // Tokens of an earlier life of the tenant (evicted, then deleted) go too.
        this.gone(tenant, entry.supply);
        throw error;
      }
      // Anything else (a broken value, Secrets Manager failing): a tenant never confirmed fails
      // now; a known one keeps serving what it has, and its misses meet the error themselves.
      if (entry.checkedAtMs === Number.NEGATIVE_INFINITY) throw error;
    }
    entry.checkedAtMs = this.now();
    if (held === undefined) {
      // Only now, its secret confirmed, does a new tenant take a place in the bounded cache.
      this.settle(tenant, entry);
      if (this.tenants.get(tenant) === undefined) this.tenants.set(tenant, entry);
    }
    return entry;
  }

  /** The held entry, made most recently used. */
  private held(tenant: string): TenantEntry | undefined {
    return this.tenants.touch(tenant);
  }

  /** A tenant not held: the entry being confirmed for it, or a new one (no I/O). */
  private unconfirmed(tenant: string): TenantEntry {
    const pending = this.confirming.get(tenant);
    if (pending !== undefined) return pending;
    const newTenant = this.options.newTenant;
    if (newTenant === undefined) {
      this.rememberMissing(tenant);
      throw new TenantNotFoundError(tenant);
    }
    const entry: TenantEntry = { ...newTenant(tenant), checkedAtMs: Number.NEGATIVE_INFINITY };
    if (this.confirming.size < this.options.maxTenants) this.confirming.set(tenant, entry);
    return entry;
  }

  /** The confirmation of `entry` is over, whatever its outcome. */
  private settle(tenant: string, entry: TenantEntry): void {
    if (this.confirming.get(tenant) === entry) this.confirming.delete(tenant);
  }

  /** The tenant's secret is gone: drop its state and tokens, remember it briefly. */
  private gone(tenant: string, supply: TokenSupply): void {
    if (this.tenants.get(tenant)?.supply === supply) this.tenants.delete(tenant);
    supply.dropAll();
    this.rememberMissing(tenant);
  }

  private rememberMissing(tenant: string): void {
    if (this.options.notFoundMs <= 0) return;
    this.missing.set(tenant, this.now() + this.options.notFoundMs);
  }
}
