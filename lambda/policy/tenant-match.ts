/**
 * Which tenants a rule covers (its `tenants` entries), compiled once.
 *
 * Tenant IDs have no separators, so a `*` in an entry matches any run of characters of an ID,
 * including none: `acme-*` covers `acme-eu` and `acme-`, never `acme` or `acme-evil`'s cousin
 * `acmeevil`. Matching costs a set lookup plus one linear glob match per glob entry of the rule:
 * it grows with the rule, never with how many tenants the deployment serves.
 */
import { DEFAULT_TENANT } from '../contract.js';
import { globMatches, type SegmentGlob } from './caller-match.js';

/** A compiled `tenants` list. */
export interface TenantCoverage {
  /** `"*"` was listed: every tenant, `default` included. */
  readonly everyTenant: boolean;
  /** Entries without `*`. */
  readonly ids: ReadonlySet<string>;
  /** Entries with `*`, split at their stars. They never match `default`. */
  readonly globs: readonly SegmentGlob[];
}

/** What a rule without `tenants` covers: the default tenant only, so upgrading never widens. */
const DEFAULT_TENANT_ONLY: TenantCoverage = Object.freeze({
  everyTenant: false,
  ids: new Set([DEFAULT_TENANT]),
  globs: Object.freeze([]),
});

/** Compiles validated `tenants` entries (see `TENANT_ENTRY_PATTERN`); absent = default only. */
export function compileTenants(entries: readonly string[] | undefined): TenantCoverage {
  if (entries === undefined) return DEFAULT_TENANT_ONLY;
  const ids = new Set<string>();
  const globs: SegmentGlob[] = [];
  let everyTenant = false;
  for (const entry of entries) {
    if (entry === '*') everyTenant = true;
    else if (entry.includes('*')) globs.push({ source: entry, parts: entry.split('*') });
    else ids.add(entry);
  }
  return Object.freeze({ everyTenant, ids, globs: Object.freeze(globs) });
}

/**
 * Whether the coverage includes `tenant`. Exact and case-sensitive. A glob such as `d*` does not
 * reach the reserved `default`: the default tenant is covered only by `default` or `*`, so a glob
 * meant for registry tenants cannot widen a rule to the deployment's own credentials.
 */
export function coversTenant(coverage: TenantCoverage, tenant: string): boolean {
  if (coverage.everyTenant || coverage.ids.has(tenant)) return true;
  if (tenant === DEFAULT_TENANT) return false;
  return coverage.globs.some((glob) => globMatches(glob, tenant));
}
