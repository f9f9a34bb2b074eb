/**
 * The access policy format has one definition (lambda/policy/document.ts). These tests keep the
 * generated schema/access-policy.schema.json equal to it, and the two regular expressions that
 * restate a hand-written grammar (callers, tenants) in agreement with that grammar.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { TENANT_ID_PATTERN } from '../lambda/contract.js';
import { compilePolicy, DEFAULT_POLICY_DOCUMENT } from '../lambda/policy/access-policy.js';
import { CALLER_PATTERN_SHAPE, parseCallerPattern } from '../lambda/policy/caller-match.js';
import {
  AccessPolicySchema,
  TENANT_ENTRY_PATTERN,
  TenantSchema,
} from '../lambda/policy/document.js';
import {
  ACCESS_POLICY_SCHEMA_FILE,
  accessPolicyJsonSchema,
  accessPolicySchemaText,
} from '../local/access-policy-schema.js';

type Schema = { [key: string]: unknown };

const committed = readFileSync(ACCESS_POLICY_SCHEMA_FILE, 'utf8');
const schema = JSON.parse(committed) as Schema;
const defs = schema.$defs as Record<string, Schema>;

describe('File: schema/access-policy.schema.json', () => {
  it('is exactly what npm run schema generates from lambda/policy/document.ts', () => {
    expect(committed).toBe(accessPolicySchemaText());
  });

  it('is draft 2020-12, closed at both levels, and documents tenants', () => {
    const generated = accessPolicyJsonSchema();
    expect(generated.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(defs.rule?.additionalProperties).toBe(false);
    const ruleProperties = defs.rule?.properties as Record<string, Schema>;
    expect(ruleProperties.tenants).toMatchObject({
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { $ref: '#/$defs/tenant' },
    });
    expect(defs.tenant?.pattern).toBe(TENANT_ENTRY_PATTERN.source);
    expect(defs.rule?.required).toEqual(['id', 'callers', 'subjects']);
  });

  it('has only patterns an ECMA-262 unicode regular expression engine accepts', () => {
    for (const node of Object.values(defs)) {
      if (typeof node.pattern === 'string')
        expect(() => new RegExp(String(node.pattern), 'u')).not.toThrow();
    }
  });

  it('documents every property and definition', () => {
    const documented = [
      schema,
      ...Object.values(schema.properties as Record<string, Schema>),
      ...Object.values(defs),
      ...Object.values(defs.rule?.properties as Record<string, Schema>),
    ];
    for (const node of documented) expect(typeof node.description).toBe('string');
  });

  it.each([
    [
      'examples/access-policy.json',
      JSON.parse(readFileSync('examples/access-policy.json', 'utf8')),
    ],
    ['the default policy', DEFAULT_POLICY_DOCUMENT],
  ])('accepts %s, as the compiler does', (_name, document: unknown) => {
    expect(v.is(AccessPolicySchema, document)).toBe(true);
    expect(() => compilePolicy(document)).not.toThrow();
  });

  it('lists examples that the compiler accepts', () => {
    for (const example of (defs.caller?.examples ?? []) as string[]) {
      expect(parseCallerPattern(example).ok).toBe(true);
    }
    for (const example of (defs.tenant?.examples ?? []) as string[]) {
      expect(v.is(TenantSchema, example)).toBe(true);
    }
  });
});

describe('Agreement: the caller grammar as a pattern and as a parser', () => {
  const agrees = (pattern: string): void => {
    expect(CALLER_PATTERN_SHAPE.test(pattern)).toBe(parseCallerPattern(pattern).ok);
  };

  it.each([
    '*',
    'direct',
    'account:111122223333',
    'account:11112222333',
    'org:o-a1b2c3d4e5',
    'org:o-a1b2',
    'arn:aws:iam::111122223333:role/etl-*',
    'arn:aws:iam::111122223333:role/team/etl-*',
    'arn:aws:iam::*:root',
    'arn:aws:iam::1111*:user/x',
    'arn:aws:iam::12:role/x',
    'arn:aws:s3:::bucket',
    'arn:aws:sts::111122223333:assumed-role/x/y',
    'arn:aws:iam:us-east-1:111122223333:role/x',
    'arn:aws:iam::111122223333:role/',
    'arn:aws:iam::111122223333:role//x',
    'arn:aws:iam::111122223333:role/x:y',
    'arn:aws:iam::111122223333:role/x\n',
    'arn:aws:iam::111122223333:*',
    'arn:aws-cn:iam::111122223333:role/x',
    'arn:aws-iso:iam::111122223333:role/x',
  ])('on %j', (pattern) => agrees(pattern));

  it('on generated caller patterns', () => {
    const token = fc.constantFrom(
      'arn',
      'aws',
      'aws-cn',
      'aws-us-gov',
      'aws-iso',
      'iam',
      'sts',
      '',
      '111122223333',
      '12',
      '*',
      '1111*',
      '*3333',
      'a1',
      'role',
      'user',
      'root',
      'group',
      'etl',
      'etl-*',
      'a b',
      'a+b=c,d.e@f_g',
      'x\n',
      'é',
      'account',
      'org',
      'o-a1b2c3d4e5',
      'direct',
    );
    const separator = fc.constantFrom(':', '/', ':', '');
    const joined = fc
      .array(fc.tuple(token, separator), { maxLength: 9 })
      .map((pairs) => pairs.map(([text, sep]) => text + sep).join(''));
    const arnShaped = fc
      .tuple(
        fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso', '*'),
        fc.constantFrom('iam', 'sts', 's3'),
        fc.constantFrom('', 'us-east-1'),
        fc.constantFrom('111122223333', '12', '*', '1*2', '1111222233334', 'x11122223333'),
        fc.array(token, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
      )
      .map(
        ([p, service, region, account, resource]) =>
          `arn:${p}:${service}:${region}:${account}:${resource}`,
      );
    fc.assert(fc.property(fc.oneof(joined, arnShaped, fc.string()), agrees), { numRuns: 3000 });
  });
});

describe('Agreement: tenant entries and tenant IDs', () => {
  const tenantish = fc.stringMatching(/^[a-z0-9*A-Z_-]{0,70}$/);

  it('accepts an entry without * exactly when it is a tenant ID', () => {
    fc.assert(
      fc.property(tenantish, (entry) => {
        if (entry.includes('*')) return;
        expect(TENANT_ENTRY_PATTERN.test(entry)).toBe(TENANT_ID_PATTERN.test(entry));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts only globs that match at least one tenant ID (each * read as one letter)', () => {
    fc.assert(
      fc.property(tenantish, (entry) => {
        if (entry === '*' || !TENANT_ENTRY_PATTERN.test(entry)) return;
        expect(TENANT_ID_PATTERN.test(entry.replaceAll('*', 'a'))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
