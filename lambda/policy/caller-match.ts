/**
 * Caller patterns of the access policy (`callers` entries) and the caller identities they are
 * matched against.
 *
 * Matching is segment by segment: an ARN is cut at every `:` and `/`, and a pattern matches only an
 * ARN with the same number of segments, each matched on its own. That is what makes `*` unable to
 * cross `/` or `:` — by construction, not by a regular expression that has to get it right — and
 * it keeps matching linear (no backtracking, so no pattern can make a check slow).
 *
 * ARNs compare case-sensitively. IAM treats role and user names as case-insensitive for
 * uniqueness, but `requestContext.identity.userArn` carries the name exactly as it was created, so
 * an exact comparison can only refuse (a pattern with different casing matches nothing); folding
 * case would be a second, looser notion of identity that the API's resource policy does not share.
 */

import type { CallerIdentity } from '../identity.js';

export type { CallerIdentity } from '../identity.js';

/** The AWS partitions whose IAM principals a policy may name. */
const IAM_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

/** One `*`-glob within a single ARN segment, split at its stars once at compile time. */
export interface SegmentGlob {
  readonly source: string;
  /** The text between the stars; a single part means the segment is a literal. */
  readonly parts: readonly string[];
}

/** A compiled `callers` entry. `source` is the entry as written in the policy. */
export type CallerPattern =
  | { readonly kind: 'any'; readonly source: string }
  | { readonly kind: 'direct'; readonly source: string }
  | { readonly kind: 'account'; readonly source: string; readonly accountId: string }
  | { readonly kind: 'org'; readonly source: string; readonly orgId: string }
  | {
      readonly kind: 'arn';
      readonly source: string;
      readonly partition: string;
      readonly account: SegmentGlob;
      readonly principalType: 'role' | 'user' | 'root';
      /** Path segments then the name, for `role/…` and `user/…`; empty for `root`. */
      readonly segments: readonly SegmentGlob[];
    };

/** The outcome of parsing one `callers` entry. */
export type CallerPatternResult =
  | { readonly ok: true; readonly pattern: CallerPattern }
  | { readonly ok: false; readonly message: string };

/**
 * An IAM caller's ARN reduced to what patterns compare. Assumed roles become their role;
 * anything that is not a well-formed IAM principal ARN is `unrecognised` and matches no ARN
 * pattern (only `*`, `account:` and `org:` can admit it).
 */
export type CallerPrincipal =
  | {
      readonly type: 'role' | 'user' | 'root';
      readonly partition: string;
      readonly account: string;
      readonly segments: readonly string[];
      /** The ARN as compared: `arn:PARTITION:iam::ACCOUNT:role/NAME` for an assumed role. */
      readonly arn: string;
    }
  | { readonly type: 'federated-user'; readonly arn: string }
  | { readonly type: 'unrecognised' };

/**
 * The grammar {@link parseCallerPattern} accepts, as one regular expression: the access policy's
 * schema (and so the JSON Schema editors use) carries it, and a test keeps the two in agreement.
 * The parser stays the authority at run time because it explains what is wrong.
 */
export const CALLER_PATTERN_SHAPE =
  /^(?:\*|direct|account:[0-9]{12}|org:o-[a-z0-9]{10,32}|arn:(?:aws|aws-cn|aws-us-gov):iam::(?:[0-9]{12}|[0-9]*\*[0-9*]*):(?:root|(?:role|user)(?:\/[A-Za-z0-9+=,.@_*-]+)+))$/;

const ACCOUNT_ID = /^[0-9]{12}$/;
const ACCOUNT_GLOB = /^[0-9]*\*[0-9*]*$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
/** IAM's name alphabet (role names, user names, path segments), plus `*` in patterns. */
const NAME_SEGMENT = /^[A-Za-z0-9+=,.@_*-]+$/;

const ARN_SHAPE =
  'an IAM ARN pattern must look like arn:aws:iam::ACCOUNT:role/NAME, arn:aws:iam::ACCOUNT:user/NAME or arn:aws:iam::ACCOUNT:root';

/** Parses one `callers` entry; never throws. */
export function parseCallerPattern(source: string): CallerPatternResult {
  if (source === '*') return ok({ kind: 'any', source });
  if (source === 'direct') return ok({ kind: 'direct', source });
  if (source.startsWith('account:')) {
    const accountId = source.slice('account:'.length);
    return ACCOUNT_ID.test(accountId)
      ? ok({ kind: 'account', source, accountId })
      : fail('account:ID needs a 12-digit AWS account ID');
  }
  if (source.startsWith('org:')) {
    const orgId = source.slice('org:'.length);
    return ORG_ID.test(orgId)
      ? ok({ kind: 'org', source, orgId })
      : fail(
          'org:ID needs an organization ID like o-a1b2c3d4e5 (o- then 10 to 32 lowercase letters or digits)',
        );
  }
  if (source.startsWith('arn:')) return parseArnPattern(source);
  return fail(
    'expected an IAM ARN pattern (arn:aws:iam::ACCOUNT:role/NAME), account:ID, org:ID, direct or *',
  );
}

function parseArnPattern(source: string): CallerPatternResult {
  const fields = source.split(':');
  if (fields.length !== 6) return fail(ARN_SHAPE);
  const [, partition = '', service = '', region = '', account = '', resource = ''] = fields;
  if (!isPartition(partition)) return fail('the partition must be aws, aws-cn or aws-us-gov');
  if (service === 'sts') {
    return fail(
      'name the role (arn:PARTITION:iam::ACCOUNT:role/NAME): assumed-role ARNs are matched as their role',
    );
  }
  if (service !== 'iam') {
    return fail(
      'only IAM principals can call the broker: the service must be iam, as in arn:aws:iam::ACCOUNT:role/NAME',
    );
  }
  if (region !== '') return fail('IAM ARNs have no region: use arn:PARTITION:iam::ACCOUNT:…');
  if (!ACCOUNT_ID.test(account) && !ACCOUNT_GLOB.test(account)) {
    return fail('the account must be 12 digits (a * may stand for some of them)');
  }
  const accountGlob = compileGlob(account);
  if (resource === 'root') {
    return ok({
      kind: 'arn',
      source,
      partition,
      account: accountGlob,
      principalType: 'root',
      segments: [],
    });
  }
  const [principalType, ...names] = resource.split('/');
  if ((principalType !== 'role' && principalType !== 'user') || names.length === 0) {
    return fail(ARN_SHAPE);
  }
  if (!names.every((name) => NAME_SEGMENT.test(name))) {
    return fail(
      'role and user names and path segments must be non-empty and use only letters, digits, +=,.@_- and *',
    );
  }
  return ok({
    kind: 'arn',
    source,
    partition,
    account: accountGlob,
    principalType,
    segments: names.map(compileGlob),
  });
}

/**
 * Reduces a caller's ARN to the principal patterns compare. Never throws.
 *
 * `arn:P:sts::ACCT:assumed-role/ROLE/SESSION` becomes `arn:P:iam::ACCT:role/ROLE`. STS ARNs do
 * not carry the role's path, so an assumed role always has a single name segment and a pattern
 * that spells a path (`role/team/etl-*`) can never match it — such a pattern only matches an IAM
 * role ARN that arrives as such. `federated-user` sessions are not roles: only `*`, `account:` and
 * `org:` admit them.
 */
export function parseCallerArn(arn: string): CallerPrincipal {
  const fields = arn.split(':');
  if (fields.length !== 6) return UNRECOGNISED;
  const [prefix, partition = '', service, region, account = '', resource = ''] = fields;
  if (prefix !== 'arn' || !isPartition(partition) || region !== '' || !ACCOUNT_ID.test(account)) {
    return UNRECOGNISED;
  }
  const segments = resource.split('/');
  if (segments.some((segment) => segment === '')) return UNRECOGNISED;
  const [type, ...rest] = segments;
  if (service === 'iam') {
    if (resource === 'root') return { type: 'root', partition, account, segments: [], arn };
    if ((type === 'role' || type === 'user') && rest.length > 0) {
      return { type, partition, account, segments: rest, arn };
    }
    return UNRECOGNISED;
  }
  if (service === 'sts') {
    const [roleName] = rest;
    if (type === 'assumed-role' && roleName !== undefined && rest.length === 2) {
      return {
        type: 'role',
        partition,
        account,
        segments: [roleName],
        arn: `arn:${partition}:iam::${account}:role/${roleName}`,
      };
    }
    if (type === 'federated-user' && rest.length === 1) return { type: 'federated-user', arn };
  }
  return UNRECOGNISED;
}

/** Whether one compiled pattern admits the caller. `principal` is `parseCallerArn(caller.arn)`. */
export function callerMatches(
  pattern: CallerPattern,
  caller: CallerIdentity,
  principal: CallerPrincipal,
): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'direct':
      return caller.kind === 'direct';
    case 'account':
      return caller.kind === 'iam' && caller.accountId === pattern.accountId;
    case 'org':
      // A caller outside any organization has no principalOrgId: it never matches an org rule.
      return caller.kind === 'iam' && caller.principalOrgId === pattern.orgId;
    case 'arn':
      return caller.kind === 'iam' && arnMatches(pattern, principal);
  }
}

function arnMatches(
  pattern: Extract<CallerPattern, { kind: 'arn' }>,
  principal: CallerPrincipal,
): boolean {
  if (principal.type === 'federated-user' || principal.type === 'unrecognised') return false;
  if (principal.type !== pattern.principalType) return false;
  if (principal.partition !== pattern.partition) return false;
  if (principal.segments.length !== pattern.segments.length) return false;
  if (!globMatches(pattern.account, principal.account)) return false;
  return pattern.segments.every((glob, index) =>
    globMatches(glob, principal.segments[index] ?? ''),
  );
}

function compileGlob(source: string): SegmentGlob {
  return { source, parts: source.split('*') };
}

/**
 * Star-only glob match in linear time: the first part must be a prefix, the last a suffix, and
 * the parts between are found left to right (leftmost placement is always the best one).
 */
export function globMatches(glob: SegmentGlob, text: string): boolean {
  const { parts } = glob;
  const first = parts[0] ?? '';
  if (parts.length === 1) return text === first;
  const last = parts[parts.length - 1] ?? '';
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let position = first.length;
  const end = text.length - last.length;
  for (let index = 1; index < parts.length - 1; index++) {
    const part = parts[index] ?? '';
    const found = text.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

function isPartition(value: string): boolean {
  return (IAM_PARTITIONS as readonly string[]).includes(value);
}

const UNRECOGNISED: CallerPrincipal = Object.freeze({ type: 'unrecognised' });

function ok(pattern: CallerPattern): CallerPatternResult {
  return { ok: true, pattern };
}

function fail(message: string): CallerPatternResult {
  return { ok: false, message };
}
