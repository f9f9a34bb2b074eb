/**
 * Tenants in the access policy (contract v1.1): which rule covers which tenant, for checkAccess
 * and admitsCaller, and how `tenants` entries are validated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  admitsCaller,
  type CallerIdentity,
  type CompiledPolicy,
  checkAccess,
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  PolicyValidationError,
} from '../lambda/policy/access-policy.js';
import { compileTenants, coversTenant } from '../lambda/policy/tenant-match.js';

/** What the runtime compiles when no policy is configured. */
const DEFAULT_POLICY = compilePolicy(DEFAULT_POLICY_DOCUMENT);

const ETL: CallerIdentity = {
  kind: 'iam',
  arn: 'arn:aws:sts::111122223333:assumed-role/etl/session',
  accountId: '111122223333',
};
const OTHER: CallerIdentity = {
  kind: 'iam',
  arn: 'arn:aws:sts::444455556666:assumed-role/other/session',
  accountId: '444455556666',
};

function policyOf(...rules: Record<string, unknown>[]): CompiledPolicy {
  return compilePolicy({ version: 1, rules });
}

function ruleFor(tenants?: string[], callers = ['*']): Record<string, unknown> {
  return {
    id: 'r',
    callers,
    subjects: ['enterprise'],
    ...(tenants === undefined ? {} : { tenants }),
  };
}

function request(tenant?: string): AccessRequest {
  return {
    subjectType: 'enterprise',
    subjectId: '900',
    scopes: [],
    ...(tenant === undefined ? {} : { tenant }),
  };
}

const allowed = (policy: CompiledPolicy, tenant?: string, caller = ETL) =>
  checkAccess(policy, caller, request(tenant)).allowed;

function errorsOf(document: unknown): { path: string; message: string; value?: string }[] {
  try {
    compilePolicy(document);
    return [];
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.errors;
    throw error;
  }
}

describe('Function: checkAccess — tenants', () => {
  it.each([
    // [tenants entries, tenant asked for, allowed]
    [['acme'], 'acme', true],
    [['acme'], 'acme-evil', false],
    [['acme'], 'acm', false],
    [['acme'], 'default', false],
    [['acme'], undefined, false],
    [['acme*'], 'acme', true],
    [['acme*'], 'acme-evil', true],
    [['acme-*'], 'acme', false],
    [['acme-*'], 'acme-eu', true],
    [['acme-*'], 'acmeevil', false],
    [['*-prod'], 'acme-prod', true],
    [['*-prod'], 'acme-prod-2', false],
    [['a*e'], 'acme', true],
    [['a*e'], 'acme-x', false],
    [['*'], 'acme', true],
    [['*'], 'default', true],
    [['*'], undefined, true],
    [['default'], undefined, true],
    [['default'], 'default', true],
    [['default'], 'acme', false],
    [['default', 'acme'], 'acme', true],
    // A glob never reaches the reserved default tenant: name it, or use *.
    [['d*'], 'default', false],
    [['d*'], 'dev', true],
    [['*t'], undefined, false],
    // Exact and case-sensitive: a request's tenant in capitals matches no lowercase entry.
    [['acme'], 'ACME', false],
    [['acme*'], 'ACME-EU', false],
  ])('a rule with tenants %j decides tenant %j: %s', (tenants, tenant, expected) => {
    expect(allowed(policyOf(ruleFor(tenants)), tenant)).toBe(expected);
  });

  it('covers only the default tenant when a rule names no tenants (upgrading never widens)', () => {
    const policy = policyOf(ruleFor());
    expect(allowed(policy)).toBe(true);
    expect(allowed(policy, 'default')).toBe(true);
    expect(allowed(policy, 'acme')).toBe(false);
  });

  it('keeps the default policy to the default tenant', () => {
    expect(allowed(DEFAULT_POLICY)).toBe(true);
    expect(allowed(DEFAULT_POLICY, 'acme')).toBe(false);
    expect(checkAccess(DEFAULT_POLICY, ETL, request('acme'))).toEqual({
      allowed: false,
      ruleId: 'default',
      reason: 'tenant acme not allowed',
    });
  });

  it('names the tenant (the caller’s own input) when only the tenant is refused', () => {
    const policy = policyOf({ ...ruleFor(['acme']), subjects: ['user:*'] });
    expect(checkAccess(policy, ETL, request('globex'))).toEqual({
      allowed: false,
      ruleId: 'r',
      reason: 'tenant globex not allowed',
    });
  });

  it('reports the furthest refusal across rules: a covering rule’s subject beats a tenant refusal', () => {
    const policy = policyOf(
      { ...ruleFor(['globex']), id: 'globex' },
      { ...ruleFor(['acme']), id: 'acme', subjects: ['user:*'] },
    );
    const decision = checkAccess(policy, ETL, request('acme'));
    expect(decision).toEqual({
      allowed: false,
      ruleId: 'acme',
      reason: 'subject enterprise not allowed',
    });
  });

  it('uses a later rule that covers the tenant when an earlier one does not', () => {
    const policy = policyOf(
      { ...ruleFor(), id: 'default-only' },
      { ...ruleFor(['acme']), id: 'acme' },
    );
    expect(checkAccess(policy, ETL, request('acme'))).toMatchObject({
      allowed: true,
      ruleId: 'acme',
    });
  });
});

describe('Function: admitsCaller', () => {
  const policy = policyOf(
    { ...ruleFor(['acme'], ['arn:aws:iam::111122223333:role/etl']), id: 'acme-etl' },
    { ...ruleFor(undefined, ['account:444455556666']), id: 'default-other' },
  );

  it('admits a caller some rule names, whatever the tenant, when none is given', () => {
    expect(admitsCaller(policy, ETL)).toBe(true);
    expect(admitsCaller(policy, OTHER)).toBe(true);
    expect(admitsCaller(policy, { kind: 'direct' })).toBe(false);
  });

  it('with a tenant, requires a rule that both admits the caller and covers the tenant', () => {
    expect(admitsCaller(policy, ETL, 'acme')).toBe(true);
    expect(admitsCaller(policy, ETL, 'default')).toBe(false);
    expect(admitsCaller(policy, OTHER, 'acme')).toBe(false);
    expect(admitsCaller(policy, OTHER, 'default')).toBe(true);
    expect(admitsCaller(policy, ETL, 'acme-evil')).toBe(false);
  });

  it('does not let a default-tenant rule admit a caller to acme', () => {
    expect(admitsCaller(DEFAULT_POLICY, ETL, 'default')).toBe(true);
    expect(admitsCaller(DEFAULT_POLICY, ETL, 'acme')).toBe(false);
  });
});

describe('Function: compilePolicy — tenants', () => {
  it.each([
    ['an empty list', [], '$.rules[0].tenants'],
    ['not a list', 'acme', '$.rules[0].tenants'],
    ['a non-string entry', ['acme', 7], '$.rules[0].tenants[1]'],
    ['capitals', ['Acme'], '$.rules[0].tenants[0]'],
    ['a leading hyphen', ['-acme'], '$.rules[0].tenants[0]'],
    ['a trailing hyphen', ['acme-'], '$.rules[0].tenants[0]'],
    ['a glob that can only start with a hyphen', ['-*'], '$.rules[0].tenants[0]'],
    ['a glob that can only end with a hyphen', ['*-'], '$.rules[0].tenants[0]'],
    ['an underscore', ['acme_eu'], '$.rules[0].tenants[0]'],
    ['a separator', ['acme/eu'], '$.rules[0].tenants[0]'],
    ['an empty entry', [''], '$.rules[0].tenants[0]'],
    ['65 characters', ['a'.repeat(65)], '$.rules[0].tenants[0]'],
    ['a duplicate', ['acme', 'acme'], '$.rules[0].tenants[1]'],
    ['a padded *', [' *'], '$.rules[0].tenants[0]'],
  ])('rejects %s at its path', (_name, tenants, path) => {
    const errors = errorsOf({ version: 1, rules: [{ ...ruleFor(), tenants }] });
    expect(errors.map((error) => error.path)).toEqual([path]);
  });

  it.each([
    [['default']],
    [['*']],
    [['acme', 'acme-*', '*-prod', 'a*e', 'default']],
    [['a'.repeat(64)]],
    [['0']],
  ])('accepts %j', (tenants) => {
    expect(errorsOf({ version: 1, rules: [{ ...ruleFor(), tenants }] })).toEqual([]);
  });
});

describe('Function: coversTenant', () => {
  it('costs the same whatever the tenant: one set lookup and the rule’s own globs', () => {
    // A coverage of 1,000 exact IDs answers by set lookup; no regular expression is built per call.
    const ids = Array.from({ length: 1000 }, (_, index) => `tenant-${index}`);
    const coverage = compileTenants([...ids, 'acme-*']);
    expect(coverage.globs).toHaveLength(1);
    expect(coversTenant(coverage, 'tenant-999')).toBe(true);
    expect(coversTenant(coverage, 'acme-x')).toBe(true);
    expect(coversTenant(coverage, 'tenant-1000')).toBe(false);
  });

  it('agrees with an anchored regular expression for globs, except the reserved default', () => {
    const idChar = fc.constantFrom('a', 'c', 'e', '-', '1');
    const tenant = fc
      .array(idChar, { minLength: 1, maxLength: 8 })
      .map((chars) => chars.join(''))
      .filter((id) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(id));
    const glob = fc
      .array(fc.oneof(idChar, fc.constant('*')), { minLength: 1, maxLength: 6 })
      .map((chars) => chars.join(''))
      .filter((entry) => entry.includes('*') && entry !== '*');
    fc.assert(
      fc.property(glob, tenant, (entry, id) => {
        const regex = new RegExp(`^${entry.replaceAll('-', '\\-').replaceAll('*', '.*')}$`);
        expect(coversTenant(compileTenants([entry]), id)).toBe(regex.test(id));
      }),
      { numRuns: 2000 },
    );
  });
});
