import { describe, expect, it } from 'vitest';
import type { BoxCredentials, CredentialsSource } from '../lambda/broker/credentials.js';
import { TenantRegistry } from '../lambda/broker/tenants.js';
import type { TokenSupply } from '../lambda/broker/token-supply.js';
import { noDeadline } from '../lambda/deadline.js';
import { TenantNotFoundError } from '../lambda/errors.js';

const CREDENTIALS: BoxCredentials = {
  clientId: 'c',
  clientSecret: 's',
  enterpriseId: '1',
  versionId: 'v1',
};

/** A registry whose tenants exist when `exists` says so; counts secret reads per tenant. */
function registryOf(options: { maxTenants: number; exists?: (tenant: string) => boolean }) {
  const reads = new Map<string, number>();
  const builds = new Map<string, number>();
  const dropped: string[] = [];
  const registry = new TenantRegistry({
    defaultSupply: undefined,
    newTenant: (tenant) => {
      builds.set(tenant, (builds.get(tenant) ?? 0) + 1);
      const credentials: CredentialsSource = {
        get: async () => {
          reads.set(tenant, (reads.get(tenant) ?? 0) + 1);
          if (options.exists?.(tenant) === false) throw new TenantNotFoundError(tenant);
          return CREDENTIALS;
        },
        forceRefresh: async () => CREDENTIALS,
        previous: async () => undefined,
      };
      const supply = {
        dropAll: () => {
          dropped.push(tenant);
          return 0;
        },
      } as unknown as TokenSupply;
      return { credentials, supply };
    },
    maxTenants: options.maxTenants,
    notFoundMs: 30_000,
    secretTtlMs: 300_000,
    now: () => 0,
  });
  return { registry, reads, builds, dropped };
}

const run = (registry: TenantRegistry, tenant: string) => registry.supplyFor(tenant, noDeadline());

describe('Class: TenantRegistry', () => {
  it('holds at most maxTenants tenants, evicting the least recently used', async () => {
    const { registry, reads } = registryOf({ maxTenants: 100 });
    for (let i = 0; i < 1000; i += 1) await run(registry, `t${i}`);
    expect(registry.size).toBe(100);
    await run(registry, 't999');
    await run(registry, 't0');
    expect(reads.get('t999')).toBe(1);
    expect(reads.get('t0')).toBe(2);
    expect(registry.size).toBe(100);
  });

  it('bounds the tenants remembered as not found by maxTenants too', async () => {
    const { registry, dropped } = registryOf({ maxTenants: 10, exists: () => false });
    for (let i = 0; i < 50; i += 1) {
      await expect(run(registry, `typo${i}`)).rejects.toBeInstanceOf(TenantNotFoundError);
    }
    expect(registry.missingCount).toBe(10);
    expect(registry.size).toBe(0);
    expect(dropped).toHaveLength(50);
  });

  it('admits a tenant only once its secret exists: concurrent probes of missing tenants evict no served tenant', async () => {
    const { registry, reads } = registryOf({
      maxTenants: 3,
      exists: (tenant) => !tenant.startsWith('missing'),
    });
    for (const tenant of ['a', 'b', 'c']) await run(registry, tenant);
    const probes = Array.from({ length: 100 }, (_, i) => run(registry, `missing${i}`));
    for (const probe of probes) await expect(probe).rejects.toBeInstanceOf(TenantNotFoundError);
    for (const tenant of ['a', 'b', 'c']) await run(registry, tenant);
    expect(registry.size).toBe(3);
    // Still held: none of the served tenants' secrets was read again.
    expect(['a', 'b', 'c'].map((tenant) => reads.get(tenant))).toEqual([1, 1, 1]);
  });

  it('shares one tenant entry (one secret source) among concurrent first requests for a new tenant', async () => {
    const { registry, builds } = registryOf({ maxTenants: 3 });
    await Promise.all(Array.from({ length: 20 }, () => run(registry, 'acme')));
    expect(builds.get('acme')).toBe(1);
    expect(registry.size).toBe(1);
  });

  it('refuses a default-tenant request when there is no default tenant', async () => {
    const { registry } = registryOf({ maxTenants: 1 });
    expect(registry.hasDefault).toBe(false);
    await expect(run(registry, 'default')).rejects.toBeInstanceOf(TenantNotFoundError);
  });
});
