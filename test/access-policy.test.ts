import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  type CallerIdentity,
  type CompiledPolicy,
  checkAccess,
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  PolicyValidationError,
  parsePolicyJson,
  principalsNamed,
} from '../lambda/policy/access-policy.js';
import { globMatches } from '../lambda/policy/caller-match.js';

const ACCT = '111122223333';
const OTHER = '444455556666';
const ORG = 'o-a1b2c3d4e5';

const assumed = (role: string, session = 'session', account = ACCT, partition = 'aws') =>
  iam(`arn:${partition}:sts::${account}:assumed-role/${role}/${session}`, account);

function iam(arn: string, accountId = ACCT, principalOrgId?: string): CallerIdentity {
  return principalOrgId === undefined
    ? { kind: 'iam', arn, accountId }
    : { kind: 'iam', arn, accountId, principalOrgId };
}

const DIRECT: CallerIdentity = { kind: 'direct' };
const ANONYMOUS: CallerIdentity = { kind: 'anonymous' };

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return { subjectType: 'enterprise', subjectId: '900', scopes: [], ...overrides };
}

function policyOf(...rules: Record<string, unknown>[]): CompiledPolicy {
  return compilePolicy({ version: 1, rules });
}

/** Whether a one-rule policy with this single caller pattern admits the caller. */
function admits(pattern: string, caller: CallerIdentity): boolean {
  const policy = policyOf({ id: 'r', callers: [pattern], subjects: ['enterprise'] });
  return checkAccess(policy, caller, request()).allowed;
}

/** The errors compilePolicy reports, or [] when it compiles. */
function validationErrors(document: unknown): { path: string; message: string }[] {
  try {
    compilePolicy(document);
    return [];
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.errors;
    throw error;
  }
}

const validRule = { id: 'ok', callers: ['*'], subjects: ['enterprise'] };

describe('Function: checkAccess — callers', () => {
  const cases: [string, string, CallerIdentity, boolean][] = [
    // exact role names
    ['exact role, assumed', `arn:aws:iam::${ACCT}:role/etl-prod`, assumed('etl-prod'), true],
    [
      'a longer name is another role',
      `arn:aws:iam::${ACCT}:role/etl-prod`,
      assumed('etl-prod-evil'),
      false,
    ],
    [
      'a shorter name is another role',
      `arn:aws:iam::${ACCT}:role/etl-prod`,
      assumed('etl-pro'),
      false,
    ],
    [
      'the session name is not part of the role',
      `arn:aws:iam::${ACCT}:role/etl-prod`,
      assumed('etl-prod', 'x'),
      true,
    ],
    [
      'an IAM role ARN with the name as a path',
      `arn:aws:iam::${ACCT}:role/etl-prod`,
      iam(`arn:aws:iam::${ACCT}:role/etl-prod/x`),
      false,
    ],
    [
      'an IAM role ARN as such',
      `arn:aws:iam::${ACCT}:role/etl-prod`,
      iam(`arn:aws:iam::${ACCT}:role/etl-prod`),
      true,
    ],
    // case
    ['pattern case differs', `arn:aws:iam::${ACCT}:role/ETL-prod`, assumed('etl-prod'), false],
    ['caller case differs', `arn:aws:iam::${ACCT}:role/etl-prod`, assumed('ETL-PROD'), false],
    ['wildcard does not fold case', `arn:aws:iam::${ACCT}:role/etl-*`, assumed('Etl-prod'), false],
    // wildcards at segment edges
    ['trailing * matches the rest', `arn:aws:iam::${ACCT}:role/etl-*`, assumed('etl-prod'), true],
    ['trailing * matches nothing', `arn:aws:iam::${ACCT}:role/etl-*`, assumed('etl-'), true],
    ['trailing * needs the prefix', `arn:aws:iam::${ACCT}:role/etl-*`, assumed('etl'), false],
    ['a prefix is anchored', `arn:aws:iam::${ACCT}:role/etl-*`, assumed('xetl-prod'), false],
    [
      'leading * is anchored at the end',
      `arn:aws:iam::${ACCT}:role/*-reader`,
      assumed('box-reader-2'),
      false,
    ],
    ['leading * matches', `arn:aws:iam::${ACCT}:role/*-reader`, assumed('box-reader'), true],
    ['inner * matches', `arn:aws:iam::${ACCT}:role/etl-*-prod`, assumed('etl-a-b-prod'), true],
    [
      'prefix and suffix must not overlap',
      `arn:aws:iam::${ACCT}:role/ab*ba`,
      assumed('aba'),
      false,
    ],
    [
      'an inner part must not overlap the suffix',
      `arn:aws:iam::${ACCT}:role/a*bc*c`,
      assumed('abc'),
      false,
    ],
    ['an inner part before the suffix', `arn:aws:iam::${ACCT}:role/a*bc*c`, assumed('abcxc'), true],
    ['role/* is any role', `arn:aws:iam::${ACCT}:role/*`, assumed('anything'), true],
    [
      'role/* is not a user',
      `arn:aws:iam::${ACCT}:role/*`,
      iam(`arn:aws:iam::${ACCT}:user/anything`),
      false,
    ],
    ['role/* is not root', `arn:aws:iam::${ACCT}:role/*`, iam(`arn:aws:iam::${ACCT}:root`), false],
    ['account * matches any account', 'arn:aws:iam::*:role/etl', assumed('etl', 's', OTHER), true],
    [
      'account * keeps the role name',
      'arn:aws:iam::*:role/etl',
      assumed('etl2', 's', OTHER),
      false,
    ],
    ['partial account glob', 'arn:aws:iam::1111*:role/etl', assumed('etl'), true],
    [
      'partial account glob refuses others',
      'arn:aws:iam::1111*:role/etl',
      assumed('etl', 's', OTHER),
      false,
    ],
    // * never crosses / or :
    [
      '* does not cross / (path)',
      `arn:aws:iam::${ACCT}:role/*`,
      iam(`arn:aws:iam::${ACCT}:role/team/etl`),
      false,
    ],
    [
      '* does not cross / (prefix)',
      `arn:aws:iam::${ACCT}:role/team*`,
      iam(`arn:aws:iam::${ACCT}:role/team/etl`),
      false,
    ],
    [
      'explicit path segments match',
      `arn:aws:iam::${ACCT}:role/team/etl-*`,
      iam(`arn:aws:iam::${ACCT}:role/team/etl-x`),
      true,
    ],
    [
      'path * is one segment',
      `arn:aws:iam::${ACCT}:role/*/etl`,
      iam(`arn:aws:iam::${ACCT}:role/a/b/etl`),
      false,
    ],
    [
      '* does not cross : into the name',
      'arn:aws:iam::*:role/x',
      iam(`arn:aws:iam::${ACCT}:role/x:y`),
      false,
    ],
    [
      'a : in a caller ARN makes it unrecognised',
      `arn:aws:iam::${ACCT}:role/x*`,
      iam(`arn:aws:iam::${ACCT}:role/x:y`),
      false,
    ],
    // paths and assumed roles: STS ARNs carry no path
    [
      'a path pattern never matches an assumed role',
      `arn:aws:iam::${ACCT}:role/team/etl-*`,
      assumed('etl-x'),
      false,
    ],
    ['nor does a * path', `arn:aws:iam::${ACCT}:role/*/etl-x`, assumed('etl-x'), false],
    // accounts
    [
      'same role name, other account',
      `arn:aws:iam::${ACCT}:role/etl`,
      assumed('etl', 's', OTHER),
      false,
    ],
    ['account: matches the accountId', `account:${ACCT}`, assumed('anything'), true],
    ['account: refuses another account', `account:${ACCT}`, assumed('anything', 's', OTHER), false],
    [
      'account: refuses a direct invocation',
      `account:${ACCT}`,
      { kind: 'direct', accountId: ACCT },
      false,
    ],
    [
      'account: refuses anonymous',
      `account:${ACCT}`,
      { kind: 'anonymous', accountId: ACCT },
      false,
    ],
    // users and roles
    [
      'user pattern vs assumed role of that name',
      `arn:aws:iam::${ACCT}:user/alice`,
      assumed('alice'),
      false,
    ],
    [
      'role pattern vs user of that name',
      `arn:aws:iam::${ACCT}:role/alice`,
      iam(`arn:aws:iam::${ACCT}:user/alice`),
      false,
    ],
    [
      'user pattern vs user',
      `arn:aws:iam::${ACCT}:user/alice`,
      iam(`arn:aws:iam::${ACCT}:user/alice`),
      true,
    ],
    [
      'user/* does not cross a path',
      `arn:aws:iam::${ACCT}:user/*`,
      iam(`arn:aws:iam::${ACCT}:user/dev/alice`),
      false,
    ],
    [
      'user with path',
      `arn:aws:iam::${ACCT}:user/dev/alice`,
      iam(`arn:aws:iam::${ACCT}:user/dev/alice`),
      true,
    ],
    // root
    ['root', `arn:aws:iam::${ACCT}:root`, iam(`arn:aws:iam::${ACCT}:root`), true],
    [
      'root of another account',
      `arn:aws:iam::${ACCT}:root`,
      iam(`arn:aws:iam::${OTHER}:root`, OTHER),
      false,
    ],
    ['root pattern vs a role named root', `arn:aws:iam::${ACCT}:root`, assumed('root'), false],
    // federated users are not roles or users
    [
      'federated user vs role',
      `arn:aws:iam::${ACCT}:role/bob`,
      iam(`arn:aws:sts::${ACCT}:federated-user/bob`),
      false,
    ],
    [
      'federated user vs user',
      `arn:aws:iam::${ACCT}:user/bob`,
      iam(`arn:aws:sts::${ACCT}:federated-user/bob`),
      false,
    ],
    [
      'federated user vs role/*',
      'arn:aws:iam::*:role/*',
      iam(`arn:aws:sts::${ACCT}:federated-user/bob`),
      false,
    ],
    [
      'federated user vs account:',
      `account:${ACCT}`,
      iam(`arn:aws:sts::${ACCT}:federated-user/bob`),
      true,
    ],
    ['federated user vs *', '*', iam(`arn:aws:sts::${ACCT}:federated-user/bob`), true],
    // session names
    [
      'session with an email',
      `arn:aws:iam::${ACCT}:role/sso`,
      assumed('sso', 'alice@example.com'),
      true,
    ],
    [
      'session with =,.@-_+',
      `arn:aws:iam::${ACCT}:role/sso`,
      assumed('sso', 'a=b,c.d@e-f_g+h'),
      true,
    ],
    [
      'session with a / is malformed',
      `arn:aws:iam::${ACCT}:role/sso`,
      assumed('sso', 'a/b'),
      false,
    ],
    [
      'assumed role without a session is malformed',
      `arn:aws:iam::${ACCT}:role/sso`,
      iam(`arn:aws:sts::${ACCT}:assumed-role/sso`),
      false,
    ],
    [
      'session cannot smuggle a role',
      `arn:aws:iam::${ACCT}:role/admin`,
      assumed('guest', 'role/admin'),
      false,
    ],
    // partitions
    ['aws-cn pattern vs aws caller', `arn:aws-cn:iam::${ACCT}:role/etl`, assumed('etl'), false],
    [
      'aws-us-gov pattern vs aws-us-gov caller',
      `arn:aws-us-gov:iam::${ACCT}:role/etl`,
      assumed('etl', 's', ACCT, 'aws-us-gov'),
      true,
    ],
    // malformed caller ARNs match no ARN pattern
    ['empty ARN', 'arn:aws:iam::*:role/*', iam(''), false],
    ['empty role name', 'arn:aws:iam::*:role/*', iam(`arn:aws:iam::${ACCT}:role/`), false],
    [
      'ARN with a region',
      'arn:aws:iam::*:role/*',
      iam(`arn:aws:iam:us-east-1:${ACCT}:role/etl`),
      false,
    ],
    [
      'ARN with a short account',
      'arn:aws:iam::*:role/*',
      iam('arn:aws:iam::11112222333:role/etl'),
      false,
    ],
    ['ARN of another service', 'arn:aws:iam::*:role/*', iam(`arn:aws:s3::${ACCT}:role/etl`), false],
    ['IAM caller without an ARN', 'arn:aws:iam::*:role/*', { kind: 'iam', accountId: ACCT }, false],
    // organizations
    [
      'org: matches principalOrgId',
      `org:${ORG}`,
      iam(`arn:aws:iam::${ACCT}:user/a`, ACCT, ORG),
      true,
    ],
    [
      'org: refuses another org',
      `org:${ORG}`,
      iam(`arn:aws:iam::${ACCT}:user/a`, ACCT, 'o-zzzzzzzzzz'),
      false,
    ],
    [
      'org: refuses a missing principalOrgId',
      `org:${ORG}`,
      iam(`arn:aws:iam::${ACCT}:user/a`),
      false,
    ],
    [
      'org: refuses a direct invocation',
      `org:${ORG}`,
      { kind: 'direct', principalOrgId: ORG },
      false,
    ],
    // direct, *, anonymous
    ['direct admits a direct invocation', 'direct', DIRECT, true],
    ['direct refuses an IAM caller', 'direct', assumed('etl'), false],
    ['direct refuses anonymous', 'direct', ANONYMOUS, false],
    ['* admits a direct invocation', '*', DIRECT, true],
    ['* admits anonymous', '*', ANONYMOUS, true],
    ['* admits an IAM caller', '*', assumed('etl'), true],
    ['* admits an unrecognised IAM caller', '*', iam('garbage'), true],
    [
      'an ARN pattern refuses direct, even with an ARN',
      `arn:aws:iam::${ACCT}:role/etl`,
      { kind: 'direct', arn: `arn:aws:sts::${ACCT}:assumed-role/etl/s` },
      false,
    ],
    [
      'an ARN pattern refuses anonymous, even with an ARN',
      `arn:aws:iam::${ACCT}:role/etl`,
      { kind: 'anonymous', arn: `arn:aws:sts::${ACCT}:assumed-role/etl/s` },
      false,
    ],
  ];

  it.each(cases)('%s', (_name, pattern, caller, expected) => {
    // Act
    const allowed = admits(pattern, caller);

    // Assess
    expect(allowed).toBe(expected);
  });

  it('never lets * match across / or : (property)', () => {
    const segmentChars = fc.constantFrom('a', 'b', '-', '/', ':', '@', '.', '*');
    fc.assert(
      fc.property(fc.string({ unit: segmentChars, maxLength: 12 }), (tail) => {
        const caller = iam(`arn:aws:iam::${ACCT}:role/p${tail}`);
        const expected = !tail.includes('/') && !tail.includes(':');
        expect(admits(`arn:aws:iam::${ACCT}:role/p*`, caller)).toBe(expected);
      }),
    );
  });
});

describe('Function: globMatches', () => {
  it('agrees with an anchored regular expression where * is any run of characters', () => {
    const letters = fc.constantFrom('a', 'b');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 8 }),
        fc.string({ unit: letters, maxLength: 10 }),
        (pattern, text) => {
          const reference = new RegExp(`^${pattern.replaceAll('*', '.*')}$`);
          expect(globMatches({ source: pattern, parts: pattern.split('*') }, text)).toBe(
            reference.test(text),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('Function: checkAccess — subjects, scopes, resources', () => {
  const anyCaller = (rule: Record<string, unknown>) =>
    policyOf({ id: 'r', callers: ['*'], subjects: ['enterprise'], ...rule });

  it.each([
    ['user:* allows any user', ['user:*'], request({ subjectType: 'user', subjectId: '12' }), true],
    ['user:* does not allow the enterprise', ['user:*'], request(), false],
    [
      'user:12 allows user 12',
      ['user:12'],
      request({ subjectType: 'user', subjectId: '12' }),
      true,
    ],
    [
      'user:12 refuses user 13',
      ['user:12'],
      request({ subjectType: 'user', subjectId: '13' }),
      false,
    ],
    [
      'user:12 refuses user 123',
      ['user:12'],
      request({ subjectType: 'user', subjectId: '123' }),
      false,
    ],
    [
      'user:12 refuses user 012',
      ['user:12'],
      request({ subjectType: 'user', subjectId: '012' }),
      false,
    ],
    [
      'enterprise refuses users',
      ['enterprise'],
      request({ subjectType: 'user', subjectId: '12' }),
      false,
    ],
  ] as const)('%s', (_name, subjects, req, expected) => {
    // Act
    const decision = checkAccess(anyCaller({ subjects }), DIRECT, req);

    // Assess
    expect(decision.allowed).toBe(expected);
  });

  it('names the refused subject', () => {
    const decision = checkAccess(
      anyCaller({}),
      DIRECT,
      request({ subjectType: 'user', subjectId: '42' }),
    );
    expect(decision).toEqual({
      allowed: false,
      ruleId: 'r',
      reason: 'subject user:42 not allowed',
    });
  });

  it.each([
    [
      'no scopes asked → the ceiling, sorted',
      ['item_preview', 'item_download'],
      [],
      ['item_download', 'item_preview'],
    ],
    [
      'a subset of the ceiling',
      ['item_preview', 'item_download'],
      ['item_preview'],
      ['item_preview'],
    ],
    [
      'duplicates and order are normalised',
      ['item_preview', 'item_download'],
      ['item_preview', 'item_download', 'item_preview'],
      ['item_download', 'item_preview'],
    ],
    ['no ceiling, no scopes → not downscoped', undefined, [], []],
    [
      'no ceiling → the requested scopes',
      undefined,
      ['root_readwrite', 'item_delete', 'item_delete'],
      ['item_delete', 'root_readwrite'],
    ],
  ] as const)('allows %s', (_name, ceiling, scopes, expected) => {
    // Prepare
    const policy = anyCaller(ceiling === undefined ? {} : { scopes: ceiling });

    // Act
    const decision = checkAccess(policy, DIRECT, request({ scopes }));

    // Assess
    expect(decision).toEqual({ allowed: true, ruleId: 'r', scopes: expected });
  });

  it('refuses a scope beyond the ceiling and names it', () => {
    const decision = checkAccess(
      anyCaller({ scopes: ['item_preview'] }),
      DIRECT,
      request({ scopes: ['item_preview', 'item_delete'] }),
    );
    expect(decision).toEqual({
      allowed: false,
      ruleId: 'r',
      reason: 'scope item_delete not allowed',
    });
  });

  describe('with a resource ceiling', () => {
    const policy = anyCaller({ scopes: ['item_preview'], resources: ['folder:123', 'file:456'] });

    it.each([
      ['the listed folder', request({ resource: { type: 'folder', id: '123' } }), true, undefined],
      [
        'the listed file, scopes asked',
        request({ scopes: ['item_preview'], resource: { type: 'file', id: '456' } }),
        true,
        undefined,
      ],
      [
        'another folder',
        request({ resource: { type: 'folder', id: '9' } }),
        false,
        'resource folder:9 not allowed',
      ],
      [
        'a file with a listed folder id',
        request({ resource: { type: 'file', id: '123' } }),
        false,
        'resource file:123 not allowed',
      ],
      [
        'an id prefix',
        request({ resource: { type: 'folder', id: '12' } }),
        false,
        'resource folder:12 not allowed',
      ],
      ['no resource', request(), false, 'a resource is required (folder or file)'],
      [
        'a shared link instead',
        request({ sharedLink: 'https://app.box.com/s/abc' }),
        false,
        'shared link not allowed (resources are limited)',
      ],
      [
        'a shared link beside a listed resource',
        request({
          sharedLink: 'https://app.box.com/s/abc',
          resource: { type: 'folder', id: '123' },
        }),
        false,
        'shared link not allowed (resources are limited)',
      ],
    ] as const)('%s', (_name, req, allowed, reason) => {
      // Act
      const decision = checkAccess(policy, DIRECT, req);

      // Assess
      expect(decision.allowed).toBe(allowed);
      if (!decision.allowed) expect(decision.reason).toBe(reason);
      else expect(decision.scopes).toEqual(['item_preview']);
    });

    it('refuses an un-downscoped token when the rule has no scope ceiling', () => {
      // A resource ceiling on a token without scopes would grant everything: refuse, never widen.
      const noCeiling = anyCaller({ resources: ['folder:123'] });
      const decision = checkAccess(
        noCeiling,
        DIRECT,
        request({ resource: { type: 'folder', id: '123' } }),
      );
      expect(decision).toEqual({
        allowed: false,
        ruleId: 'r',
        reason: 'a token without scope is not allowed (resources are limited)',
      });
      expect(
        checkAccess(
          noCeiling,
          DIRECT,
          request({ scopes: ['item_read'], resource: { type: 'folder', id: '123' } }),
        ),
      ).toEqual({ allowed: true, ruleId: 'r', scopes: ['item_read'] });
    });
  });

  it('allows a shared link or any resource without a resource ceiling', () => {
    const policy = anyCaller({});
    for (const req of [
      request({ scopes: ['item_preview'], sharedLink: 'https://app.box.com/s/abc' }),
      request({ scopes: ['item_preview'], resource: { type: 'file', id: '1' } }),
    ]) {
      expect(checkAccess(policy, DIRECT, req).allowed).toBe(true);
    }
  });
});

describe('Function: checkAccess — several rules', () => {
  const caller = assumed('etl-prod');

  it('allows when a later rule allows what an earlier one refuses', () => {
    // Prepare
    const policy = policyOf(
      { id: 'narrow', callers: ['*'], subjects: ['enterprise'], scopes: ['item_preview'] },
      { id: 'wide', callers: [`arn:aws:iam::${ACCT}:role/etl-*`], subjects: ['enterprise'] },
    );

    // Act
    const decision = checkAccess(policy, caller, request({ scopes: ['item_delete'] }));

    // Assess
    expect(decision).toEqual({ allowed: true, ruleId: 'wide', scopes: ['item_delete'] });
  });

  it('ignores rules that do not admit the caller', () => {
    const policy = policyOf(
      { id: 'other', callers: [`account:${OTHER}`], subjects: ['user:*'] },
      { id: 'mine', callers: [`account:${ACCT}`], subjects: ['enterprise'] },
    );
    const decision = checkAccess(policy, caller, request({ subjectType: 'user', subjectId: '5' }));
    expect(decision).toEqual({
      allowed: false,
      ruleId: 'mine',
      reason: 'subject user:5 not allowed',
    });
  });

  it.each([
    ['subject first', ['subject', 'scope']],
    ['scope first', ['scope', 'subject']],
  ])('reports the closest refusal (%s)', (_name, order) => {
    // Prepare
    const rules = {
      subject: { id: 'users-only', callers: ['*'], subjects: ['user:*'] },
      scope: {
        id: 'preview-only',
        callers: ['*'],
        subjects: ['enterprise'],
        scopes: ['item_preview'],
      },
    } as const;
    const policy = policyOf(...order.map((key) => rules[key as keyof typeof rules]));

    // Act
    const decision = checkAccess(policy, caller, request({ scopes: ['item_upload'] }));

    // Assess
    expect(decision).toEqual({
      allowed: false,
      ruleId: 'preview-only',
      reason: 'scope item_upload not allowed',
    });
  });

  it('names the normalised caller and no rule when none admits it', () => {
    const policy = policyOf({
      id: 'secret-rule-name',
      callers: [`arn:aws:iam::${OTHER}:role/hidden-*`],
      subjects: ['enterprise'],
    });
    const cases: [CallerIdentity, string][] = [
      [assumed('etl-prod', 'alice'), `no rule admits caller arn:aws:iam::${ACCT}:role/etl-prod`],
      [iam(`arn:aws:iam::${ACCT}:user/ci`), `no rule admits caller arn:aws:iam::${ACCT}:user/ci`],
      [iam('not an arn'), 'no rule admits caller (unrecognised IAM identity)'],
      [DIRECT, 'no rule admits direct invocation'],
      [ANONYMOUS, 'no rule admits anonymous caller'],
    ];
    for (const [who, reason] of cases) {
      const decision = checkAccess(policy, who, request());
      expect(decision).toEqual({ allowed: false, reason });
      expect(JSON.stringify(decision)).not.toMatch(/hidden|secret-rule-name|444455556666/);
    }
  });
});

describe('Constant: DEFAULT_POLICY_DOCUMENT', () => {
  /** What the runtime compiles when no policy is configured. */
  const DEFAULT_POLICY = compilePolicy(DEFAULT_POLICY_DOCUMENT);

  it('is the documented document', () => {
    expect(DEFAULT_POLICY_DOCUMENT).toEqual({
      version: 1,
      rules: [{ id: 'default', callers: ['*'], subjects: ['enterprise'] }],
    });
  });

  it.each([
    ['an IAM caller', assumed('anything')],
    ['a direct invocation', DIRECT],
    ['local open mode', ANONYMOUS],
  ])('gives %s the enterprise token, plain or downscoped', (_name, caller) => {
    expect(checkAccess(DEFAULT_POLICY, caller, request())).toEqual({
      allowed: true,
      ruleId: 'default',
      scopes: [],
    });
    expect(checkAccess(DEFAULT_POLICY, caller, request({ scopes: ['item_read'] }))).toEqual({
      allowed: true,
      ruleId: 'default',
      scopes: ['item_read'],
    });
  });

  it('refuses user subjects', () => {
    expect(
      checkAccess(DEFAULT_POLICY, DIRECT, request({ subjectType: 'user', subjectId: '42' })),
    ).toEqual({ allowed: false, ruleId: 'default', reason: 'subject user:42 not allowed' });
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.rules)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.rules[0])).toBe(true);
  });
});

describe('Function: principalsNamed', () => {
  it('lists what the example policy names, sorted and deduplicated', () => {
    const policy = parsePolicyJson(readFileSync('examples/access-policy.json', 'utf8'));
    expect(principalsNamed(policy)).toEqual({
      accounts: ['777788889999'],
      roleArns: [
        'arn:aws:iam::111122223333:role/etl-*',
        'arn:aws:iam::111122223333:role/hr-onboarding',
        'arn:aws:iam::111122223333:user/hr-onboarding-ci',
        'arn:aws:iam::444455556666:role/acme-box-connector',
      ],
      orgIds: ['o-a1b2c3d4e5'],
      anyCaller: false,
    });
  });

  it('reports * and leaves direct out', () => {
    const policy = policyOf(
      { id: 'a', callers: ['direct', `account:${ACCT}`], subjects: ['enterprise'] },
      { id: 'b', callers: ['*', `account:${ACCT}`], subjects: ['enterprise'] },
    );
    expect(principalsNamed(policy)).toEqual({
      accounts: [ACCT],
      roleArns: [],
      orgIds: [],
      anyCaller: true,
    });
  });
});

describe('Function: compilePolicy — validation', () => {
  const withRule = (rule: Record<string, unknown>) => ({ version: 1, rules: [rule] });
  const rule0 = (extra: Record<string, unknown>) => withRule({ ...validRule, ...extra });

  it.each<[string, unknown, string[]]>([
    ['null', null, ['$']],
    ['an array', [validRule], ['$']],
    ['a string', '{"version":1}', ['$']],
    ['an empty object', {}, ['$.version', '$.rules']],
    ['version 2', { version: 2, rules: [validRule] }, ['$.version']],
    ['version "1"', { version: '1', rules: [validRule] }, ['$.version']],
    ['version 1.5', { version: 1.5, rules: [validRule] }, ['$.version']],
    ['no rules', { version: 1, rules: [] }, ['$.rules']],
    ['rules as an object', { version: 1, rules: { a: validRule } }, ['$.rules']],
    ['an unknown top-level key', { version: 1, rules: [validRule], rule: [] }, ['$.rule']],
    ['an odd unknown key', { version: 1, rules: [validRule], 'a b': 1 }, ['$["a b"]']],
    [
      'a non-string description',
      { version: 1, rules: [validRule], description: 1 },
      ['$.description'],
    ],
    ['a rule that is not an object', { version: 1, rules: [validRule, 'x'] }, ['$.rules[1]']],
    ['an empty rule', withRule({}), ['$.rules[0].id', '$.rules[0].callers', '$.rules[0].subjects']],
    ['a misspelt rule key', rule0({ scope: ['item_read'] }), ['$.rules[0].scope']],
    ['a key from the prototype', rule0({ constructor: 1 }), ['$.rules[0].constructor']],
    ['an empty id', rule0({ id: '' }), ['$.rules[0].id']],
    ['an id with a space', rule0({ id: 'a b' }), ['$.rules[0].id']],
    ['an id too long', rule0({ id: 'x'.repeat(65) }), ['$.rules[0].id']],
    ['a numeric id', rule0({ id: 7 }), ['$.rules[0].id']],
    ['a null id', rule0({ id: null }), ['$.rules[0].id']],
    ['empty callers', rule0({ callers: [] }), ['$.rules[0].callers']],
    ['callers as a string', rule0({ callers: '*' }), ['$.rules[0].callers']],
    ['a non-string caller', rule0({ callers: ['*', 5] }), ['$.rules[0].callers[1]']],
    [
      'a duplicate caller',
      rule0({ callers: ['direct', '*', 'direct'] }),
      ['$.rules[0].callers[2]'],
    ],
    ['empty subjects', rule0({ subjects: [] }), ['$.rules[0].subjects']],
    ['empty scopes', rule0({ scopes: [] }), ['$.rules[0].scopes']],
    ['scopes as a string', rule0({ scopes: 'item_read' }), ['$.rules[0].scopes']],
    ['null scopes', rule0({ scopes: null }), ['$.rules[0].scopes']],
    [
      'an unknown scope',
      rule0({ scopes: ['item_read', 'item_destroy'] }),
      ['$.rules[0].scopes[1]'],
    ],
    ['a scope in the wrong case', rule0({ scopes: ['Item_read'] }), ['$.rules[0].scopes[0]']],
    ['a duplicate scope', rule0({ scopes: ['item_read', 'item_read'] }), ['$.rules[0].scopes[1]']],
    ['empty resources', rule0({ resources: [] }), ['$.rules[0].resources']],
    ['a non-string rule description', rule0({ description: ['x'] }), ['$.rules[0].description']],
    [
      'bad resources',
      rule0({ resources: ['folder:1', 'folder:x', 'file:01', 'item:3', 'folder:', 'folder:1 '] }),
      [1, 2, 3, 4, 5].map((index) => `$.rules[0].resources[${index}]`),
    ],
    [
      'duplicate ids',
      { version: 1, rules: [validRule, { ...validRule, id: 'b' }, validRule] },
      ['$.rules[2].id'],
    ],
    [
      'a duplicate id on a rule that is otherwise invalid',
      { version: 1, rules: [validRule, { ...validRule, subjects: ['all'] }] },
      ['$.rules[1].subjects[0]', '$.rules[1].id'],
    ],
  ])('reports %s at the right path', (_name, document, paths) => {
    // Act
    const errors = validationErrors(document);

    // Assess
    expect(errors.map((error) => error.path)).toEqual(paths);
    for (const error of errors) expect(error.message).not.toBe('');
  });

  it('collects every error in one pass', () => {
    // Prepare
    const document = {
      version: 2,
      extra: true,
      rules: [
        { id: 'a b', callers: ['arn:aws:iam::12:role/x'], subjects: ['user:x'], scopes: ['nope'] },
        { ...validRule, resources: ['folder:x'] },
        { ...validRule, id: 'ok' },
      ],
    };

    // Act
    const errors = validationErrors(document);

    // Assess
    expect(errors.map((error) => error.path)).toEqual([
      '$.extra',
      '$.version',
      '$.rules[0].id',
      '$.rules[0].callers[0]',
      '$.rules[0].subjects[0]',
      '$.rules[0].scopes[0]',
      '$.rules[1].resources[0]',
      '$.rules[2].id',
    ]);
  });

  it('keeps each offending value out of the message and in value (for the operator)', () => {
    // Prepare
    const bad = [
      'arn:aws:iam::999988887777:role/x:y',
      'account:99998888777',
      'user:0999',
      'folder:0999',
      'item_destroy_9999',
      'Tenant9999',
    ];
    const document = {
      version: 1,
      rules: [
        {
          id: 'r',
          callers: [bad[0], bad[1]],
          subjects: [bad[2]],
          resources: [bad[3]],
          scopes: [bad[4]],
          tenants: [bad[5]],
        },
        { id: 'r', callers: ['*'], subjects: ['enterprise'] },
      ],
    };

    // Act
    const errors = validationErrors(document) as {
      path: string;
      message: string;
      value?: string;
    }[];

    // Assess
    expect(errors).toHaveLength(7);
    for (const error of errors) expect(error.message).not.toMatch(/9999|"r"/);
    expect(errors.map((error) => error.value)).toEqual(
      [...bad.slice(0, 2), bad[5], bad[2], bad[4], bad[3], 'r'].map((value) =>
        JSON.stringify(value),
      ),
    );
  });

  it('lists every error in the thrown message', () => {
    expect(() => compilePolicy({ version: 3, rules: [{}] })).toThrow(
      /\$\.version: must be 1 \(got 3\)\n.*\$\.rules\[0\]\.id: is required/s,
    );
  });

  it.each([
    ['an account of 2 digits', 'arn:aws:iam::12:role/x', /12 digits/],
    ['an account with a letter', 'arn:aws:iam::11112222333a:role/x', /12 digits/],
    ['an S3 bucket', 'arn:aws:s3:::bucket', /service must be iam/],
    ['an IAM ARN with a region', `arn:aws:iam:us-east-1:${ACCT}:role/x`, /no region/],
    ['an assumed-role ARN', `arn:aws:sts::${ACCT}:assumed-role/x/y`, /name the role/],
    ['an unknown partition', `arn:aws-iso:iam::${ACCT}:role/x`, /partition/],
    ['a wildcard partition', `arn:*:iam::${ACCT}:role/x`, /partition/],
    ['a role without a name', `arn:aws:iam::${ACCT}:role/`, /non-empty/],
    ['a bare role', `arn:aws:iam::${ACCT}:role`, /must look like/],
    ['a group', `arn:aws:iam::${ACCT}:group/x`, /must look like/],
    ['a wildcard resource type', `arn:aws:iam::${ACCT}:*`, /must look like/],
    ['a wildcard principal type', `arn:aws:iam::${ACCT}:*/x`, /must look like/],
    ['root with a path', `arn:aws:iam::${ACCT}:root/x`, /must look like/],
    ['a space in a name', `arn:aws:iam::${ACCT}:role/a b`, /letters, digits/],
    ['an empty path segment', `arn:aws:iam::${ACCT}:role//x`, /non-empty/],
    ['a trailing newline', `arn:aws:iam::${ACCT}:role/x\n`, /letters, digits/],
    ['a : in the name', `arn:aws:iam::${ACCT}:role/x:y`, /must look like/],
    ['too few fields', 'arn:aws:iam:role/x', /must look like/],
    ['account: with 2 digits', 'account:12', /12-digit/],
    ['account: with 13 digits', 'account:1111222233334', /12-digit/],
    ['account: wildcard', 'account:*', /12-digit/],
    ['org: too short', 'org:o-short', /organization ID/],
    ['org: upper case', 'org:O-A1B2C3D4E5', /organization ID/],
    ['Direct', 'Direct', /expected an IAM ARN pattern/],
    ['**', '**', /expected an IAM ARN pattern/],
    ['a padded *', ' *', /expected an IAM ARN pattern/],
    ['a bare role path', 'role/x', /expected an IAM ARN pattern/],
    ['empty', '', /expected an IAM ARN pattern/],
  ])('rejects the caller pattern %s with its path', (_name, pattern, message) => {
    // Act
    const errors = validationErrors(rule0({ callers: ['*', pattern] }));

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('$.rules[0].callers[1]');
    expect(errors[0]?.message).toMatch(message);
  });

  it.each([
    `arn:aws:iam::${ACCT}:role/etl-*`,
    `arn:aws:iam::${ACCT}:role/team/etl-*`,
    `arn:aws:iam::${ACCT}:role/a+b=c,d.e@f_g-h`,
    `arn:aws:iam::${ACCT}:user/ci`,
    `arn:aws:iam::${ACCT}:root`,
    'arn:aws:iam::*:role/etl',
    'arn:aws:iam::*:root',
    'arn:aws:iam::1111*:role/*',
    `arn:aws-cn:iam::${ACCT}:role/x`,
    `arn:aws-us-gov:iam::${ACCT}:user/x`,
    `account:${ACCT}`,
    `org:${ORG}`,
    'org:o-abcdefghij0123456789abcdefghij01',
    'direct',
    '*',
  ])('accepts the caller pattern %s', (pattern) => {
    expect(validationErrors(rule0({ callers: [pattern] }))).toEqual([]);
  });

  it.each([
    'user',
    'user:',
    'user:abc',
    'user:012',
    'user:**',
    'user:-1',
    'enterprise:1',
    'Enterprise',
    '*',
  ])('rejects the subject %j', (subject) => {
    const errors = validationErrors(rule0({ subjects: ['enterprise', subject] }));
    expect(errors.map((error) => error.path)).toEqual(['$.rules[0].subjects[1]']);
  });

  it('accepts the documented example and optional descriptions', () => {
    const policy = parsePolicyJson(readFileSync('examples/access-policy.json', 'utf8'));
    expect(policy.rules.map((rule) => rule.id)).toEqual([
      'reports-etl',
      'hr-onboarding',
      'vendor-acme-uploads',
      'platform-admins',
      'org-previews',
      'customer-sync',
      'step-functions',
    ]);
  });

  it('accepts the format as docs/access-policy.md documents it', () => {
    const policy = compilePolicy({
      version: 1,
      rules: [
        {
          id: 'reports-etl',
          callers: [
            'arn:aws:iam::111122223333:role/etl-*',
            'account:444455556666',
            'org:o-a1b2c3d4e5',
          ],
          subjects: ['enterprise', 'user:12345'],
          scopes: ['item_preview', 'item_download'],
          resources: ['folder:123', 'file:456'],
        },
      ],
    });
    expect(policy.rules[0]?.scopes).toEqual(['item_download', 'item_preview']);
  });
});

describe('Function: parsePolicyJson', () => {
  it('throws PolicyValidationError at $ when the text is not JSON', () => {
    try {
      parsePolicyJson('{"version": 1,');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyValidationError);
      const { errors } = error as PolicyValidationError;
      expect(errors).toHaveLength(1);
      expect(errors[0]?.path).toBe('$');
      expect(errors[0]?.message).toMatch(/^not valid JSON/);
    }
  });

  it('reports a __proto__ key as unknown instead of obeying it', () => {
    const errors = (() => {
      try {
        parsePolicyJson(
          '{"version":1,"rules":[{"id":"a","callers":["*"],"subjects":["enterprise"]}],"__proto__":{"x":1}}',
        );
        return [];
      } catch (error) {
        return error instanceof PolicyValidationError ? error.errors : [];
      }
    })();
    expect(errors.map((error) => error.path)).toEqual(['$.__proto__']);
  });
});

describe('Properties', () => {
  it('compilePolicy throws nothing but PolicyValidationError for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (document) => {
        try {
          compilePolicy(document);
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyValidationError);
          expect((error as PolicyValidationError).errors.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('compilePolicy throws nothing but PolicyValidationError for near-valid policies', () => {
    const fragment = fc.constantFrom<unknown>(
      '*',
      'direct',
      'enterprise',
      'user:*',
      'user:1',
      'item_read',
      'folder:1',
      `arn:aws:iam::${ACCT}:role/x*`,
      'arn:aws:iam::*:',
      'account:',
      'org:o-',
      '',
      null,
      1,
      [],
      {},
    );
    const list = fc.oneof(fc.array(fragment, { maxLength: 4 }), fragment);
    const rule = fc.record(
      {
        id: fc.oneof(fc.constantFrom('a', 'b', 'a b', ''), fragment),
        callers: list,
        subjects: list,
        scopes: list,
        resources: list,
        description: fragment,
        extra: fragment,
      },
      { requiredKeys: [] },
    );
    const document = fc.record(
      {
        version: fc.constantFrom<unknown>(1, 2, '1', null),
        rules: fc.oneof(fc.array(rule, { maxLength: 3 }), fragment),
        description: fragment,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(document, (doc) => {
        try {
          compilePolicy(doc);
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyValidationError);
          for (const { path } of (error as PolicyValidationError).errors) {
            expect(path).toMatch(/^\$/);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('checkAccess never throws for arbitrary callers and requests', () => {
    const policy = compilePolicy({
      version: 1,
      rules: [
        {
          id: 'a',
          callers: [`arn:aws:iam::*:role/etl-*`, `arn:aws:iam::${ACCT}:root`],
          subjects: ['enterprise'],
        },
        {
          id: 'b',
          callers: [`account:${ACCT}`, `org:${ORG}`],
          subjects: ['user:12'],
          scopes: ['item_read'],
        },
        { id: 'c', callers: ['direct'], subjects: ['user:*'], resources: ['folder:1'] },
      ],
    });
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'arn',
        'aws',
        'sts',
        'iam',
        '',
        ACCT,
        'assumed-role',
        'role',
        'user',
        'root',
        '*',
      ),
    );
    const arn = fc.oneof(
      fc.string(),
      fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(':')),
      fc.array(piece, { maxLength: 8 }).map((parts) => `arn:aws:sts::${ACCT}:${parts.join('/')}`),
    );
    const caller = fc.record(
      {
        kind: fc.constantFrom('iam', 'direct', 'anonymous'),
        arn,
        accountId: fc.oneof(fc.string(), fc.constant(ACCT)),
        principalOrgId: fc.oneof(fc.string(), fc.constant(ORG)),
      },
      { requiredKeys: ['kind'] },
    );
    const req = fc.record(
      {
        subjectType: fc.constantFrom('enterprise', 'user'),
        subjectId: fc.string(),
        scopes: fc.array(fc.oneof(fc.string(), fc.constant('item_read'))),
        resource: fc.record({ type: fc.constantFrom('file', 'folder'), id: fc.string() }),
        sharedLink: fc.string(),
      },
      { requiredKeys: ['subjectType', 'subjectId', 'scopes'] },
    );
    fc.assert(
      fc.property(caller, req, (who, what) => {
        const decision = checkAccess(policy, who, what);
        expect(typeof decision.allowed).toBe('boolean');
        if (decision.allowed) expect(['a', 'b', 'c']).toContain(decision.ruleId);
        else expect(decision.reason).not.toBe('');
      }),
      { numRuns: 1000 },
    );
  });
});
