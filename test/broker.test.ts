/**
 * The broker's own decisions: routing to a tenant, the access policy before any secret read.
 */
import { describe, expect, it, vi } from 'vitest';
import { Broker } from '../lambda/broker/broker.js';
import { TenantRegistry } from '../lambda/broker/tenants.js';
import type { TokenSupply } from '../lambda/broker/token-supply.js';
import { compilePolicy } from '../lambda/policy/access-policy.js';
import { scope } from './support/broker-fakes.js';

describe('Unit: Broker', () => {
  it('refuses /revoke and /health to a caller no rule admits, before any credentials read', async () => {
    const get = vi.fn();
    const supply = { token: get, revoke: get } as unknown as TokenSupply;
    const tenants = new TenantRegistry({
      defaultSupply: supply,
      newTenant: undefined,
      maxTenants: 1,
      notFoundMs: 0,
      secretTtlMs: 0,
    });
    const policy = compilePolicy({
      version: 1,
      rules: [
        { id: 'a', callers: ['arn:aws:iam::111122223333:role/other'], subjects: ['enterprise'] },
      ],
    });
    const broker = new Broker({ policy, tenants });
    await expect(broker.revokeToken('t', scope())).rejects.toMatchObject({ code: 'access_denied' });
    await expect(broker.health(scope())).rejects.toMatchObject({ code: 'access_denied' });
    expect(get).not.toHaveBeenCalled();
  });
});
