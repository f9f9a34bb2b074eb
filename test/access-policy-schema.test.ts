/**
 * Keeps schema/access-policy.schema.json and the compiler in step. There is no JSON Schema
 * validator among the dependencies, so this file carries a minimal one for exactly the keywords
 * the schema uses (it refuses any other keyword, so a schema edit cannot silently go unchecked),
 * and checks that documents the schema accepts are the documents the compiler accepts.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOX_DOWNSCOPE_SCOPES } from '../lambda/contract.js';
import {
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  POLICY_KEYS,
  POLICY_REQUIRED_KEYS,
  POLICY_VERSION,
  PolicyValidationError,
  RESOURCE_PATTERN,
  RULE_ID_PATTERN,
  RULE_KEYS,
  RULE_REQUIRED_KEYS,
  SUBJECT_PATTERN,
} from '../lambda/policy/access-policy.js';
import { parseCallerPattern } from '../lambda/policy/caller-match.js';

type Schema = { [key: string]: unknown };

const schema = JSON.parse(readFileSync('schema/access-policy.schema.json', 'utf8')) as Schema;
const defs = schema.$defs as Record<string, Schema>;
const ruleSchema = defs.rule as Schema;

const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', 'examples']);

/** Validates `value` against `node` for the subset of draft 2020-12 the policy schema uses. */
function conforms(value: unknown, node: Schema): boolean {
  for (const [keyword, argument] of Object.entries(node)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (!keywordHolds(keyword, argument, value)) return false;
  }
  return true;
}

function keywordHolds(keyword: string, argument: unknown, value: unknown): boolean {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  const object = value as Record<string, unknown>;
  switch (keyword) {
    case '$ref': {
      const name = String(argument).replace('#/$defs/', '');
      const target = defs[name];
      if (target === undefined) throw new Error(`unresolved $ref ${String(argument)}`);
      return conforms(value, target);
    }
    case 'type':
      if (argument === 'object') return isObject;
      if (argument === 'array') return Array.isArray(value);
      if (argument === 'string') return typeof value === 'string';
      throw new Error(`type ${String(argument)} not supported`);
    case 'const':
      return JSON.stringify(value) === JSON.stringify(argument);
    case 'enum':
      return (argument as unknown[]).some(
        (option) => JSON.stringify(option) === JSON.stringify(value),
      );
    case 'pattern':
      return typeof value !== 'string' || new RegExp(String(argument), 'u').test(value);
    case 'minItems':
      return !Array.isArray(value) || value.length >= Number(argument);
    case 'uniqueItems':
      return (
        !Array.isArray(value) ||
        argument !== true ||
        new Set(value.map((item) => JSON.stringify(item))).size === value.length
      );
    case 'items':
      return !Array.isArray(value) || value.every((item) => conforms(item, argument as Schema));
    case 'required':
      return !isObject || (argument as string[]).every((key) => Object.hasOwn(object, key));
    case 'properties':
      return (
        !isObject ||
        Object.entries(argument as Record<string, Schema>).every(
          ([key, child]) => !Object.hasOwn(object, key) || conforms(object[key], child),
        )
      );
    case 'additionalProperties': {
      if (argument !== false) throw new Error('only additionalProperties: false is supported');
      return true; // checked with `properties` below
    }
    default:
      throw new Error(`keyword ${keyword} not supported by this test's validator`);
  }
}

/** `conforms`, plus `additionalProperties: false` against the sibling `properties`. */
function schemaAccepts(value: unknown, node: Schema = schema): boolean {
  if (!conforms(value, node)) return false;
  return closedObjectsHold(value, node);
}

function closedObjectsHold(value: unknown, node: Schema): boolean {
  const resolved =
    typeof node.$ref === 'string' ? (defs[node.$ref.replace('#/$defs/', '')] as Schema) : node;
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    const items = resolved.items as Schema | undefined;
    return items === undefined || value.every((item) => closedObjectsHold(item, items));
  }
  const properties = (resolved.properties ?? {}) as Record<string, Schema>;
  const object = value as Record<string, unknown>;
  return Object.keys(object).every((key) => {
    const child = properties[key];
    if (child === undefined) return resolved.additionalProperties !== false;
    return closedObjectsHold(object[key], child);
  });
}

function compilerAccepts(document: unknown): boolean {
  try {
    compilePolicy(document);
    return true;
  } catch (error) {
    if (error instanceof PolicyValidationError) return false;
    throw error;
  }
}

function callerAccepted(pattern: string): { schema: boolean; compiler: boolean } {
  const callerSchema = defs.caller as Schema;
  return { schema: conforms(pattern, callerSchema), compiler: parseCallerPattern(pattern).ok };
}

describe('File: schema/access-policy.schema.json', () => {
  it('is draft 2020-12 and closed at both levels', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(ruleSchema.additionalProperties).toBe(false);
  });

  it('lists exactly the keys the compiler allows and requires', () => {
    expect(Object.keys(schema.properties as Schema).sort()).toEqual([...POLICY_KEYS].sort());
    expect([...(schema.required as string[])].sort()).toEqual([...POLICY_REQUIRED_KEYS].sort());
    expect(Object.keys(ruleSchema.properties as Schema).sort()).toEqual([...RULE_KEYS].sort());
    expect([...(ruleSchema.required as string[])].sort()).toEqual([...RULE_REQUIRED_KEYS].sort());
  });

  it('uses the compiler constants for the version, scopes, ids, subjects and resources', () => {
    const properties = schema.properties as Record<string, Schema>;
    expect(properties.version?.const).toBe(POLICY_VERSION);
    expect(defs.scope?.enum).toEqual([...BOX_DOWNSCOPE_SCOPES]);
    const ruleProperties = ruleSchema.properties as Record<string, Schema>;
    expect(ruleProperties.id?.pattern).toBe(RULE_ID_PATTERN.source);
    expect(defs.subject?.pattern).toBe(SUBJECT_PATTERN.source);
    expect(defs.resource?.pattern).toBe(RESOURCE_PATTERN.source);
  });

  it('documents every property and definition', () => {
    const documented = [
      schema,
      ...Object.values(schema.properties as Record<string, Schema>),
      ...Object.values(defs),
      ...Object.values(ruleSchema.properties as Record<string, Schema>),
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
    expect(schemaAccepts(document)).toBe(true);
    expect(compilerAccepts(document)).toBe(true);
  });

  it('lists its examples as valid caller, subject and resource entries', () => {
    for (const name of ['caller', 'subject', 'resource']) {
      const node = defs[name] as Schema;
      for (const example of node.examples as string[]) expect(conforms(example, node)).toBe(true);
    }
    for (const example of (defs.caller as Schema).examples as string[]) {
      expect(parseCallerPattern(example).ok).toBe(true);
    }
  });
});

describe('Agreement: schema and compiler', () => {
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
  ])('agrees on the caller %j', (pattern) => {
    const { schema: bySchema, compiler } = callerAccepted(pattern);
    expect(bySchema).toBe(compiler);
  });

  it('agrees on generated caller patterns', () => {
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
    fc.assert(
      fc.property(fc.oneof(joined, arnShaped, fc.string()), (pattern) => {
        const { schema: bySchema, compiler } = callerAccepted(pattern);
        expect(bySchema).toBe(compiler);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on generated policies (rule ids kept unique, which the schema cannot express)', () => {
    // Mostly valid values with an occasional fault, so both verdicts come up often.
    const sometimesWrong = <T>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: wrong });
    const list = (good: string[], bad: unknown[]) =>
      sometimesWrong(
        fc.uniqueArray(fc.constantFrom(...good), { minLength: 1, maxLength: 3 }),
        fc.oneof(
          fc.constant([]),
          fc.constant([good[0], good[0]]),
          fc.constantFrom(...bad).map((entry) => [good[0], entry]),
          fc.constantFrom(...good),
        ),
      );
    const callers = list(
      ['*', 'direct', 'account:111122223333', 'org:o-a1b2c3d4e5', 'arn:aws:iam::*:role/etl-*'],
      ['arn:aws:s3:::bucket', 'account:12', 'arn:aws:iam::111122223333:role/', '', 1, null],
    );
    const subjects = list(['enterprise', 'user:*', 'user:12'], ['user:012', 'users', 2]);
    const scopes = list(
      ['item_read', 'item_preview', 'ai.readwrite'],
      ['item_destroy', 'ITEM_READ'],
    );
    const resources = list(['folder:0', 'folder:1', 'file:2'], ['file:01', 'folder:', 'item:1']);
    const text = sometimesWrong(fc.constant('about'), fc.constantFrom(1, null, ['x']));
    const rule = (id: string) =>
      fc
        .tuple(
          fc.record(
            {
              id: sometimesWrong(
                fc.constant(id),
                fc.constantFrom(`${id} x`, '', 7, 'x'.repeat(65)),
              ),
              callers,
              subjects,
              scopes,
              resources,
              description: text,
            },
            { requiredKeys: ['id', 'callers', 'subjects'] },
          ),
          fc.constantFrom('keep', 'keep', 'keep', 'keep', 'keep', 'keep', 'keep', 'drop', 'extra'),
        )
        .map(([value, change]): unknown => {
          if (change === 'drop') {
            const { callers: _dropped, ...rest } = value;
            return rest;
          }
          return change === 'extra' ? { ...value, note: 'x' } : value;
        });
    const document = fc.record(
      {
        $schema: text,
        version: sometimesWrong(fc.constant(1), fc.constantFrom(2, '1', 1.5)),
        description: text,
        rules: sometimesWrong(
          fc.oneof(fc.tuple(rule('a')), fc.tuple(rule('a'), rule('b'))),
          fc.constantFrom([], {}, 'rules'),
        ),
      },
      { requiredKeys: ['version', 'rules'] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(document, (doc) => {
        const byCompiler = compilerAccepts(doc);
        if (byCompiler) accepted++;
        expect(schemaAccepts(doc)).toBe(byCompiler);
      }),
      { numRuns: 3000 },
    );
    // The generator must reach both sides of the boundary, or agreement proves little.
    expect(accepted).toBeGreaterThan(30);
    expect(accepted).toBeLessThan(2970);
  });
});
