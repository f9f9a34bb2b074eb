/**
 * The access policy (v1): which callers may have which Box subject, scopes and resources, of
 * which tenants.
 *
 * Policy is data. {@link compilePolicy} validates a document once (at cold start, and at synth in
 * the construct) and collects every error with its JSON path; {@link checkAccess} then decides each
 * request against the compiled form without parsing anything. Both are pure: no I/O, no
 * environment. The format is defined once, in `document.ts` (a schema that also generates
 * `schema/access-policy.schema.json`); this module adds what a schema cannot say (unique IDs and
 * entries, what a caller pattern means) and the decision.
 */

import { DEFAULT_TENANT } from '../contract.js';
import type { CallerIdentity, CallerPrincipal } from './caller-match.js';
import { callerMatches, parseCallerArn } from './caller-match.js';
import type { CompiledPolicy, CompiledRule } from './compile.js';
import { coversTenant } from './tenant-match.js';

export type { CallerIdentity } from './caller-match.js';
export {
  type CompiledPolicy,
  type CompiledRule,
  compilePolicy,
  DEFAULT_POLICY_DOCUMENT,
  parsePolicyJson,
} from './compile.js';
export { type PolicyError, PolicyValidationError } from './policy-errors.js';

/** What a caller asks for, already parsed and validated by the request parser. */
export interface AccessRequest {
  /** The tenant asked for; absent means {@link DEFAULT_TENANT}. */
  tenant?: string;
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
 * `reason` names what was refused (caller, tenant, subject, scope or resource), never the policy's
 * text.
 */
export type AccessDecision =
  | { allowed: true; ruleId: string; scopes: readonly string[] }
  | { allowed: false; ruleId?: string; reason: string };

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** How far a rule got before refusing; the furthest refusal is the one reported. */
const Stage = { Tenant: 1, Subject: 2, Scope: 3, Resource: 4 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

interface Refusal {
  stage: Stage;
  ruleId: string;
  reason: string;
}

/**
 * Decides one request. Pure and cheap: the caller's ARN is parsed once, then each rule is a few
 * set lookups. Allowed when some rule that admits the caller and covers the tenant allows the
 * request; otherwise the reason names the furthest refusal among the rules that admitted the
 * caller.
 */
export function checkAccess(
  policy: CompiledPolicy,
  caller: CallerIdentity,
  request: AccessRequest,
): AccessDecision {
  const principal = principalOf(caller);
  const tenant = request.tenant ?? DEFAULT_TENANT;
  let closest: Refusal | undefined;
  for (const rule of policy.rules) {
    if (!rule.callers.some((pattern) => callerMatches(pattern, caller, principal))) continue;
    const outcome = evaluateRule(rule, tenant, request);
    if (outcome.allowed) return outcome;
    if (closest === undefined || outcome.stage > closest.stage) closest = outcome;
  }
  if (closest === undefined) {
    return { allowed: false, reason: `no rule admits ${describeCaller(caller, principal)}` };
  }
  return { allowed: false, ruleId: closest.ruleId, reason: closest.reason };
}

/**
 * Whether some rule admits `caller` at all and, when `tenant` is given, covers that tenant. The
 * broker asks this before anything that could reveal whether a tenant exists (a secret read).
 */
export function admitsCaller(
  policy: CompiledPolicy,
  caller: CallerIdentity,
  tenant?: string,
): boolean {
  const principal = principalOf(caller);
  return policy.rules.some(
    (rule) =>
      (tenant === undefined || coversTenant(rule.tenants, tenant)) &&
      rule.callers.some((pattern) => callerMatches(pattern, caller, principal)),
  );
}

function principalOf(caller: CallerIdentity): CallerPrincipal {
  return caller.kind === 'iam' && typeof caller.arn === 'string'
    ? parseCallerArn(caller.arn)
    : { type: 'unrecognised' };
}

function evaluateRule(
  rule: CompiledRule,
  tenant: string,
  request: AccessRequest,
): Extract<AccessDecision, { allowed: true }> | (Refusal & { allowed: false }) {
  const refuse = (stage: Stage, reason: string) =>
    ({ allowed: false, stage, ruleId: rule.id, reason }) as const;

  // The tenant is the caller's own input: naming it tells the caller nothing about others.
  if (!coversTenant(rule.tenants, tenant))
    return refuse(Stage.Tenant, `tenant ${tenant} not allowed`);
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
