/**
 * The access policy (v1): which callers may have which Box subject, scopes and resources.
 *
 * Policy is data. {@link compilePolicy} validates a document once (at cold start, and at synth in
 * the construct) and collects every error with its JSON path; {@link checkAccess} then decides each
 * request against the compiled form without parsing anything. Both are pure: no I/O, no
 * environment. The format is public (callers write these files): extend it behind new keys, never
 * change what a v1 file means. `schema/access-policy.schema.json` describes the same format and a
 * test keeps the two in step.
 */

import { BOX_DOWNSCOPE_SCOPES } from '../contract.js';
import {
  type CallerIdentity,
  type CallerPattern,
  type CallerPrincipal,
  callerMatches,
  parseCallerArn,
  parseCallerPattern,
} from './caller-match.js';

export type { CallerIdentity } from './caller-match.js';

/** What a caller asks for, already parsed and validated by the request parser. */
export interface AccessRequest {
  subjectType: 'enterprise' | 'user';
  /** Digits; for `enterprise`, the enterprise ID. */
  subjectId: string;
  /** Requested scopes (may be empty). */
  scopes: readonly string[];
  resource?: { type: 'file' | 'folder'; id: string };
  sharedLink?: string;
}

/**
 * The decision. When allowed, `scopes` are the effective scopes: the requested ones, or the rule's
 * ceiling when none were requested (sorted, deduplicated); `[]` means no downscoping. When denied,
 * `reason` names what was refused (caller, subject, scope or resource), never the policy's text.
 */
export type AccessDecision =
  | { allowed: true; ruleId: string; scopes: readonly string[] }
  | { allowed: false; ruleId?: string; reason: string };

/** One compiled rule. */
export interface CompiledRule {
  readonly id: string;
  readonly callers: readonly CallerPattern[];
  readonly subjects: {
    readonly enterprise: boolean;
    readonly anyUser: boolean;
    readonly users: ReadonlySet<string>;
  };
  /** The scope ceiling, sorted; `undefined` = any scopes. */
  readonly scopes: readonly string[] | undefined;
  readonly scopeSet: ReadonlySet<string> | undefined;
  /** The resource ceiling as `folder:ID` / `file:ID`; `undefined` = any resource. */
  readonly resources: ReadonlySet<string> | undefined;
}

/** A validated policy, ready for {@link checkAccess}. */
export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  /** `default` when no policy was configured. */
  readonly source: 'default' | 'configured';
}

/** One problem in a policy document; `path` is a JSON path such as `$.rules[2].callers[0]`. */
export interface PolicyError {
  path: string;
  message: string;
}

/** Thrown by {@link compilePolicy} with every problem found, not just the first. */
export class PolicyValidationError extends Error {
  readonly errors: PolicyError[];

  constructor(errors: PolicyError[]) {
    const lines = errors.map((error) => `  ${error.path}: ${error.message}`);
    super(`The access policy is invalid:\n${lines.join('\n')}`);
    this.name = 'PolicyValidationError';
    this.errors = errors;
  }
}

/** The only format version this broker reads. */
export const POLICY_VERSION = 1;
/**
 * Keys a policy document may carry. `$schema` lets editors validate a policy file against
 * `schema/access-policy.schema.json`; it is ignored otherwise.
 */
export const POLICY_KEYS = ['$schema', 'version', 'description', 'rules'] as const;
export const POLICY_REQUIRED_KEYS = ['version', 'rules'] as const;
/** Keys a rule may carry. */
export const RULE_KEYS = [
  'id',
  'description',
  'callers',
  'subjects',
  'scopes',
  'resources',
] as const;
export const RULE_REQUIRED_KEYS = ['id', 'callers', 'subjects'] as const;
/** Rule IDs appear in logs and metrics: keep them short and plain. */
export const RULE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** `enterprise`, `user:ID` (no leading zeros) or `user:*`. */
export const SUBJECT_PATTERN = /^(?:enterprise|user:(?:\*|[1-9][0-9]*))$/;
/** `folder:ID` or `file:ID` (folder `0` is a user's root folder). */
export const RESOURCE_PATTERN = /^(?:folder|file):(?:0|[1-9][0-9]*)$/;

/** What applies when no policy is configured: the enterprise token for any admitted caller. */
export const DEFAULT_POLICY_DOCUMENT: unknown = Object.freeze({
  version: 1,
  rules: Object.freeze([
    Object.freeze({
      id: 'default',
      callers: Object.freeze(['*']),
      subjects: Object.freeze(['enterprise']),
    }),
  ]),
});

/**
 * Validates a policy document and compiles it. Throws {@link PolicyValidationError} listing every
 * problem (and nothing else, whatever the input).
 */
export function compilePolicy(document: unknown): CompiledPolicy {
  return compile(document, 'configured');
}

/** Parses and compiles a policy given as JSON text; a syntax error is reported at path `$`. */
export function parsePolicyJson(text: string): CompiledPolicy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new PolicyValidationError([{ path: '$', message: `not valid JSON (${detail})` }]);
  }
  return compilePolicy(document);
}

/** {@link DEFAULT_POLICY_DOCUMENT}, compiled. */
export const DEFAULT_POLICY: CompiledPolicy = compile(DEFAULT_POLICY_DOCUMENT, 'default');

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** How far a rule got before refusing; the furthest refusal is the one reported. */
const Stage = { Subject: 1, Scope: 2, Resource: 3 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

interface Refusal {
  stage: Stage;
  ruleId: string;
  reason: string;
}

/**
 * Decides one request. Pure and cheap: the caller's ARN is parsed once, then each rule is a few
 * set lookups. Allowed when some rule that admits the caller allows the request; otherwise the
 * reason names the furthest refusal among the rules that admitted the caller.
 */
export function checkAccess(
  policy: CompiledPolicy,
  caller: CallerIdentity,
  request: AccessRequest,
): AccessDecision {
  const principal: CallerPrincipal =
    caller.kind === 'iam' && typeof caller.arn === 'string'
      ? parseCallerArn(caller.arn)
      : { type: 'unrecognised' };
  let closest: Refusal | undefined;
  for (const rule of policy.rules) {
    if (!rule.callers.some((pattern) => callerMatches(pattern, caller, principal))) continue;
    const outcome = evaluateRule(rule, request);
    if (outcome.allowed) return outcome;
    if (closest === undefined || outcome.stage > closest.stage) closest = outcome;
  }
  if (closest === undefined) {
    return { allowed: false, reason: `no rule admits ${describeCaller(caller, principal)}` };
  }
  return { allowed: false, ruleId: closest.ruleId, reason: closest.reason };
}

/**
 * Whether some rule's `callers` matches `caller`: who may use `/revoke` and `/health` at all.
 */
export function admitsCaller(policy: CompiledPolicy, caller: CallerIdentity): boolean {
  const principal: CallerPrincipal =
    caller.kind === 'iam' && typeof caller.arn === 'string'
      ? parseCallerArn(caller.arn)
      : { type: 'unrecognised' };
  return policy.rules.some((rule) =>
    rule.callers.some((pattern) => callerMatches(pattern, caller, principal)),
  );
}

function evaluateRule(
  rule: CompiledRule,
  request: AccessRequest,
): Extract<AccessDecision, { allowed: true }> | (Refusal & { allowed: false }) {
  const refuse = (stage: Stage, reason: string) =>
    ({ allowed: false, stage, ruleId: rule.id, reason }) as const;

  if (!subjectAllowed(rule, request)) {
    return refuse(Stage.Subject, `subject ${describeSubject(request)} not allowed`);
  }
  if (rule.scopeSet !== undefined) {
    for (const scope of request.scopes) {
      if (!rule.scopeSet.has(scope)) return refuse(Stage.Scope, `scope ${scope} not allowed`);
    }
  }
  const scopes =
    request.scopes.length > 0 ? sortedUnique(request.scopes) : (rule.scopes ?? NO_SCOPES);
  if (rule.resources !== undefined) {
    // A resource ceiling means nothing on a token that is not downscoped: refuse, don't widen.
    if (scopes.length === 0) {
      return refuse(Stage.Scope, 'a token without scope is not allowed (resources are limited)');
    }
    if (request.sharedLink !== undefined) {
      return refuse(Stage.Resource, 'shared link not allowed (resources are limited)');
    }
    if (request.resource === undefined) {
      return refuse(Stage.Resource, 'a resource is required (folder or file)');
    }
    const key = `${request.resource.type}:${request.resource.id}`;
    if (!rule.resources.has(key)) return refuse(Stage.Resource, `resource ${key} not allowed`);
  }
  return { allowed: true, ruleId: rule.id, scopes };
}

function subjectAllowed(rule: CompiledRule, request: AccessRequest): boolean {
  if (request.subjectType === 'enterprise') return rule.subjects.enterprise;
  if (request.subjectType === 'user') {
    return rule.subjects.anyUser || rule.subjects.users.has(request.subjectId);
  }
  return false;
}

function describeSubject(request: AccessRequest): string {
  return request.subjectType === 'user' ? `user:${request.subjectId}` : 'enterprise';
}

/** The caller's own identity, which is fine to tell that caller; nothing from the policy. */
function describeCaller(caller: CallerIdentity, principal: CallerPrincipal): string {
  if (caller.kind === 'direct') return 'direct invocation';
  if (caller.kind === 'anonymous') return 'anonymous caller';
  if (principal.type !== 'unrecognised') return `caller ${principal.arn}`;
  return 'caller (unrecognised IAM identity)';
}

function sortedUnique(values: readonly string[]): readonly string[] {
  return [...new Set(values)].sort();
}

/**
 * The principals a policy names, for the construct to derive or check the API's resource policy.
 * `roleArns` holds every ARN pattern (roles, users, root) as written, `*` included, so it suits an
 * `ArnLike` condition on `aws:PrincipalArn`. `anyCaller` is true when some rule admits `*`.
 * `direct` needs no API permission and is not listed. All lists are sorted and deduplicated.
 */
export function principalsNamed(policy: CompiledPolicy): {
  accounts: string[];
  roleArns: string[];
  orgIds: string[];
  anyCaller: boolean;
} {
  const accounts = new Set<string>();
  const roleArns = new Set<string>();
  const orgIds = new Set<string>();
  let anyCaller = false;
  for (const rule of policy.rules) {
    for (const pattern of rule.callers) {
      if (pattern.kind === 'any') anyCaller = true;
      else if (pattern.kind === 'account') accounts.add(pattern.accountId);
      else if (pattern.kind === 'org') orgIds.add(pattern.orgId);
      else if (pattern.kind === 'arn') roleArns.add(pattern.source);
    }
  }
  return {
    accounts: [...accounts].sort(),
    roleArns: [...roleArns].sort(),
    orgIds: [...orgIds].sort(),
    anyCaller,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation and compilation

type JsonObject = Record<string, unknown>;

function compile(document: unknown, source: CompiledPolicy['source']): CompiledPolicy {
  const errors: PolicyError[] = [];
  const rules = compileDocument(document, errors);
  if (errors.length > 0 || rules === undefined) throw new PolicyValidationError(errors);
  return Object.freeze({ rules: Object.freeze(rules), source });
}

function compileDocument(document: unknown, errors: PolicyError[]): CompiledRule[] | undefined {
  if (!isObject(document)) {
    errors.push({ path: '$', message: 'the policy must be a JSON object' });
    return undefined;
  }
  checkKeys(document, '$', POLICY_KEYS, POLICY_REQUIRED_KEYS, errors);
  const version = own(document, 'version');
  if (version !== undefined && version !== POLICY_VERSION) {
    errors.push({ path: '$.version', message: `must be ${POLICY_VERSION}` });
  }
  optionalString(document, '$', '$schema', errors);
  optionalString(document, '$', 'description', errors);
  const rulesValue = own(document, 'rules');
  if (rulesValue === undefined) return undefined;
  if (!Array.isArray(rulesValue) || rulesValue.length === 0) {
    errors.push({ path: '$.rules', message: 'must be a non-empty array of rules' });
    return undefined;
  }
  const rules: CompiledRule[] = [];
  const firstUse = new Map<string, number>();
  rulesValue.forEach((value: unknown, index) => {
    const path = `$.rules[${index}]`;
    const { id, rule } = compileRule(value, path, errors);
    if (rule !== undefined) rules.push(rule);
    if (id === undefined) return;
    const earlier = firstUse.get(id);
    if (earlier === undefined) firstUse.set(id, index);
    else {
      errors.push({
        path: `${path}.id`,
        message: `duplicate rule id ${JSON.stringify(id)} (also $.rules[${earlier}])`,
      });
    }
  });
  return rules;
}

/** Compiles one rule; `id` is returned whenever it is valid, so duplicates are found even then. */
function compileRule(
  value: unknown,
  path: string,
  errors: PolicyError[],
): { id: string | undefined; rule: CompiledRule | undefined } {
  if (!isObject(value)) {
    errors.push({ path, message: 'a rule must be a JSON object' });
    return { id: undefined, rule: undefined };
  }
  const before = errors.length;
  checkKeys(value, path, RULE_KEYS, RULE_REQUIRED_KEYS, errors);
  optionalString(value, path, 'description', errors);

  const idValue = own(value, 'id');
  let id: string | undefined;
  if (typeof idValue === 'string' && RULE_ID_PATTERN.test(idValue)) {
    id = idValue;
  } else if (idValue !== undefined) {
    errors.push({
      path: `${path}.id`,
      message: 'must be 1 to 64 characters of letters, digits, ".", "_" or "-"',
    });
  }

  const callers: CallerPattern[] = [];
  for (const [entry, entryPath] of stringList(value, path, 'callers', true, errors)) {
    const parsed = parseCallerPattern(entry);
    if (parsed.ok) callers.push(parsed.pattern);
    else errors.push({ path: entryPath, message: `${quote(entry)}: ${parsed.message}` });
  }

  let enterprise = false;
  let anyUser = false;
  const users = new Set<string>();
  for (const [entry, entryPath] of stringList(value, path, 'subjects', true, errors)) {
    if (!SUBJECT_PATTERN.test(entry)) {
      errors.push({
        path: entryPath,
        message: `${quote(entry)}: expected enterprise, user:ID (digits, no leading zero) or user:*`,
      });
    } else if (entry === 'enterprise') enterprise = true;
    else if (entry === 'user:*') anyUser = true;
    else users.add(entry.slice('user:'.length));
  }

  let scopes: string[] | undefined;
  if (own(value, 'scopes') !== undefined) {
    scopes = [];
    const known: readonly string[] = BOX_DOWNSCOPE_SCOPES;
    for (const [entry, entryPath] of stringList(value, path, 'scopes', true, errors)) {
      if (known.includes(entry)) scopes.push(entry);
      else
        errors.push({ path: entryPath, message: `${quote(entry)} is not a Box downscoping scope` });
    }
    scopes.sort();
  }

  let resources: Set<string> | undefined;
  if (own(value, 'resources') !== undefined) {
    resources = new Set();
    for (const [entry, entryPath] of stringList(value, path, 'resources', true, errors)) {
      if (RESOURCE_PATTERN.test(entry)) resources.add(entry);
      else {
        errors.push({
          path: entryPath,
          message: `${quote(entry)}: expected folder:ID or file:ID (digits, no leading zero)`,
        });
      }
    }
  }

  if (errors.length > before || id === undefined) return { id, rule: undefined };
  const rule: CompiledRule = Object.freeze({
    id,
    callers: Object.freeze(callers),
    subjects: Object.freeze({ enterprise, anyUser, users }),
    scopes: scopes === undefined ? undefined : Object.freeze(scopes),
    scopeSet: scopes === undefined ? undefined : new Set(scopes),
    resources,
  });
  return { id, rule };
}

/**
 * Reads `key` of `owner` as a non-empty array of unique strings and yields each valid entry with
 * its path; reports everything else. A missing required key is reported by `checkKeys`.
 */
function stringList(
  owner: JsonObject,
  path: string,
  key: string,
  nonEmpty: boolean,
  errors: PolicyError[],
): [string, string][] {
  const value = own(owner, key);
  const listPath = `${path}.${key}`;
  if (value === undefined) return [];
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
    errors.push({ path: listPath, message: 'must be a non-empty array of strings' });
    return [];
  }
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const entryPath = `${listPath}[${index}]`;
    if (typeof entry !== 'string') {
      errors.push({ path: entryPath, message: 'must be a string' });
    } else if (seen.has(entry)) {
      errors.push({ path: entryPath, message: `${quote(entry)} is listed twice` });
    } else {
      seen.add(entry);
      entries.push([entry, entryPath]);
    }
  });
  return entries;
}

function checkKeys(
  object: JsonObject,
  path: string,
  allowed: readonly string[],
  required: readonly string[],
  errors: PolicyError[],
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      errors.push({
        path: childPath(path, key),
        message: `unknown key (allowed: ${allowed.join(', ')})`,
      });
    }
  }
  for (const key of required) {
    if (own(object, key) === undefined)
      errors.push({ path: childPath(path, key), message: 'is required' });
  }
}

function optionalString(
  object: JsonObject,
  path: string,
  key: string,
  errors: PolicyError[],
): void {
  const value = own(object, key);
  if (value !== undefined && typeof value !== 'string') {
    errors.push({ path: childPath(path, key), message: 'must be a string' });
  }
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

/** Own properties only: a key like `constructor` must not be read off the prototype. */
function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quotes a policy value for an error message, cut short so one bad entry cannot flood a log. */
function quote(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}
