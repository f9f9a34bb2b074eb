/**
 * The tenants one deployment serves: tenant ID → that tenant's token supply (its credentials
 * source, rotation state, negative cache, minting), built on first use and held in a bounded LRU.
 *
 * Memory: the tenants' state is bounded here (BOX_TENANT_CACHE_MAX_ENTRIES); their tokens and
 * back-off windows live in ONE cache and ONE back-off map shared by every tenant, keyed by tenant
 * first (see TenantTokens), and bounded by BOX_TOKEN_CACHE_MAX_ENTRIES. A token cache per tenant
 * would bound memory only at tenants × entries (a million tokens for 1,000 tenants at the
 * defaults); a shared LRU keeps the operator's one number the bound, and gives the room to the
 * tenants that are busy now. The price: a tenant with many subjects can push out a quiet
 * tenant's tokens, which only costs that tenant a Box call (never another tenant's token).
 *
 * Lookups are one Map get: nothing per request grows with the number of tenants.
 */
import type { Deadline } from '../deadline.js';
import { TenantNotFoundError } from '../errors.js';
import type { CredentialsSource } from './credentials.js';
import type { TokenSupply } from './token-supply.js';

/** The deployment's default tenant (`BOX_CREDENTIALS_SECRET`). */
export const DEFAULT_TENANT_ID = 'default';

/** A named tenant's units: its secret and the supply built on it. */
export interface TenantUnits {
  credentials: CredentialsSource;
  supply: TokenSupply;
}

export interface TenantRegistryOptions {
  /** The default tenant's supply; undefined = a tenants-only deployment. */
  defaultSupply: TokenSupply | undefined;
  /**
   * Builds a named tenant's units (no I/O); undefined when the deployment has no tenant registry
   * (no BOX_TENANT_SECRET_PREFIX), so every named tenant is not found.
   */
  build: ((tenant: string) => TenantUnits) | undefined;
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
  private readonly tenants = new Map<string, TenantEntry>();
  /** Tenants without a secret, until when they are answered from memory. */
  private readonly missing = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: TenantRegistryOptions) {
    if (!Number.isInteger(options.maxTenants) || options.maxTenants < 1) {
      throw new RangeError('maxTenants must be a positive integer');
    }
    this.now = options.now ?? Date.now;
  }

  /** Whether a request naming no tenant has one to go to. */
  get hasDefault(): boolean {
    return this.options.defaultSupply !== undefined;
  }

  /**
   * The default tenant's supply when `tenant` is the default: the warm path's shortcut (no
   * lookup, no callback). Undefined for a named tenant or a deployment without a default.
   */
  defaultSupplyFor(tenant: string): TokenSupply | undefined {
    return tenant === DEFAULT_TENANT_ID ? this.options.defaultSupply : undefined;
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
   * Runs `work` with `tenant`'s supply. The caller has already checked the access policy: nothing
   * here may run for a tenant the caller is not admitted to. A tenant whose secret turns out to
   * be gone, here or inside `work`, loses its tokens and is remembered as not found.
   */
  async run<T>(
    tenant: string,
    deadline: Deadline,
    work: (supply: TokenSupply) => Promise<T>,
  ): Promise<T> {
    if (tenant === DEFAULT_TENANT_ID) {
      const supply = this.options.defaultSupply;
      // The broker refuses a default-tenant request of a tenants-only deployment before here.
      if (supply === undefined) throw new TenantNotFoundError(tenant);
      return work(supply);
    }
    const entry = await this.entryFor(tenant, deadline);
    try {
      return await work(entry.supply);
    } catch (error) {
      if (error instanceof TenantNotFoundError) this.gone(tenant, entry);
      throw error;
    }
  }

  /** The tenant's entry, confirming its secret still exists once per secret TTL. */
  private async entryFor(tenant: string, deadline: Deadline): Promise<TenantEntry> {
    const missingUntil = this.missing.get(tenant);
    if (missingUntil !== undefined) {
      if (this.now() < missingUntil) throw new TenantNotFoundError(tenant);
      this.missing.delete(tenant);
    }
    const entry = this.held(tenant) ?? this.add(tenant);
    if (this.now() - entry.checkedAtMs < this.options.secretTtlMs) return entry;
    try {
      // Within the TTL the source answers from memory; past it, one shared read per tenant.
      await entry.credentials.get(deadline);
    } catch (error) {
      if (error instanceof TenantNotFoundError) {
        this.gone(tenant, entry);
        throw error;
      }
      // Anything else (a broken value, Secrets Manager failing): a tenant never confirmed fails
      // now; a known one keeps serving what it has, and its misses meet the error themselves.
      if (entry.checkedAtMs === Number.NEGATIVE_INFINITY) throw error;
    }
    entry.checkedAtMs = this.now();
    return entry;
  }

  /** The held entry, made most recently used. */
  private held(tenant: string): TenantEntry | undefined {
    const entry = this.tenants.get(tenant);
    if (entry === undefined) return undefined;
    this.tenants.delete(tenant);
    this.tenants.set(tenant, entry);
    return entry;
  }

  private add(tenant: string): TenantEntry {
    const build = this.options.build;
    if (build === undefined) {
      this.rememberMissing(tenant);
      throw new TenantNotFoundError(tenant);
    }
    const entry: TenantEntry = { ...build(tenant), checkedAtMs: Number.NEGATIVE_INFINITY };
    this.tenants.set(tenant, entry);
    if (this.tenants.size > this.options.maxTenants) {
      // Its tokens stay in the shared cache, keyed by version: if the tenant comes back, its new
      // entry confirms the secret first and finds them again; otherwise the token LRU ages them out.
      const oldest = this.tenants.keys().next().value;
      if (oldest !== undefined) this.tenants.delete(oldest);
    }
    return entry;
  }

  /** The tenant's secret is gone: drop its state and tokens, remember it briefly. */
  private gone(tenant: string, entry: TenantEntry): void {
    if (this.tenants.get(tenant) === entry) this.tenants.delete(tenant);
    entry.supply.dropAll();
    this.rememberMissing(tenant);
  }

  private rememberMissing(tenant: string): void {
    if (this.options.notFoundMs <= 0) return;
    this.missing.delete(tenant);
    if (this.missing.size >= this.options.maxTenants) {
      const oldest = this.missing.keys().next().value;
      if (oldest !== undefined) this.missing.delete(oldest);
    }
    this.missing.set(tenant, this.now() + this.options.notFoundMs);
  }
}
