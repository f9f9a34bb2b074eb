import { Token } from 'aws-cdk-lib';
import {
  AccountPrincipal,
  AnyPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { ConfigError } from './config-checks.js';

/** Who the API's resource policy lets in. At least one field is non-empty. */
export interface AdmittedCallers {
  /** 12-digit account IDs (may hold the deploying account's `AWS::AccountId` token). */
  accountIds: readonly string[];
  /** IAM role or user ARNs; `*` and `?` wildcards allowed (`ArnLike`). */
  principalArns: readonly string[];
  /** An AWS Organizations ID (`o-…`), matched with `aws:PrincipalOrgID`. */
  organizationId: string | undefined;
}

/** The resource every statement covers: all stages, methods and paths of this API. */
const ALL_METHODS = 'execute-api:/*';

/**
 * Methods open to anyone (authorisation `NONE`, contract v1.3 onboarding), and the paths of every
 * other method, which stay behind SigV4 and the admitted callers.
 */
export interface PublicMethods {
  /** `[method, path]` pairs, e.g. `['GET', '/onboard']`. */
  readonly open: readonly (readonly [string, string])[];
  /** The paths of the `AWS_IAM` methods (all methods of each). */
  readonly guardedPaths: readonly string[];
}

/**
 * The API's resource policy: one Allow per kind of admitted caller plus one Deny for everyone
 * else.
 *
 * The Deny is what makes the list exact. With IAM auth, API Gateway lets a caller of the API's
 * own account in when *either* the caller's IAM policy or the resource policy allows, so an
 * Allow-only policy would still admit every same-account principal that holds
 * `execute-api:Invoke`. The Deny's conditions are ANDed and each negated operator matches when
 * the value equals none of the listed values, so it applies exactly to callers outside every
 * admitted set. A missing `aws:PrincipalOrgID` (caller outside any organization) counts as
 * "not equal", so such callers fall to the other conditions.
 *
 * Cross-account callers are evaluated on both sides: this policy must allow them *and* their own
 * IAM policy must grant `execute-api:Invoke` on the API.
 */
export function apiResourcePolicy(
  admitted: AdmittedCallers,
  publicMethods?: PublicMethods,
): PolicyDocument {
  const statements: PolicyStatement[] = [];
  const denyConditions: Record<string, Record<string, string[]>> = {};

  if (admitted.accountIds.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'AllowAdmittedAccounts',
        effect: Effect.ALLOW,
        principals: admitted.accountIds.map((id) => new AccountPrincipal(id)),
        actions: ['execute-api:Invoke'],
        resources: [ALL_METHODS],
      }),
    );
    denyConditions.StringNotEquals = { 'aws:PrincipalAccount': [...admitted.accountIds] };
  }
  if (admitted.principalArns.length > 0) {
    // A condition instead of a Principal element: principals in resource policies must exist when
    // the policy is saved and cannot hold wildcards; `aws:PrincipalArn` does not care and, for
    // an assumed role, carries the role ARN (with its path) rather than the session ARN.
    statements.push(
      new PolicyStatement({
        sid: 'AllowAdmittedPrincipals',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [ALL_METHODS],
        conditions: { ArnLike: { 'aws:PrincipalArn': [...admitted.principalArns] } },
      }),
    );
    denyConditions.ArnNotLike = { 'aws:PrincipalArn': [...admitted.principalArns] };
  }
  if (admitted.organizationId !== undefined) {
    statements.push(
      new PolicyStatement({
        sid: 'AllowAdmittedOrganization',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [ALL_METHODS],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': admitted.organizationId } },
      }),
    );
    denyConditions.StringNotEquals = {
      ...denyConditions.StringNotEquals,
      'aws:PrincipalOrgID': [admitted.organizationId],
    };
  }
  if (statements.length === 0) {
    throw new ConfigError(
      'The API resource policy must admit at least one account, principal or organization.',
    );
  }
  // With public methods, the Deny names the guarded paths one by one (every method of each, on
  // every stage) instead of the whole API, so it cannot shut the public ones; the Allow admits
  // exactly the public methods to anyone, signed or not.
  const guarded =
    publicMethods === undefined
      ? [ALL_METHODS]
      : publicMethods.guardedPaths.map((path) => `execute-api:/*/*${path}`);
  if (publicMethods !== undefined) {
    statements.push(
      new PolicyStatement({
        sid: 'AllowPublicOnboarding',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: publicMethods.open.map(([method, path]) => `execute-api:/*/${method}${path}`),
      }),
    );
  }
  statements.push(
    new PolicyStatement({
      sid: 'DenyEveryoneElse',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['execute-api:Invoke'],
      resources: guarded,
      conditions: denyConditions,
    }),
  );
  return new PolicyDocument({ statements });
}

/** The principals an access policy names (see `principalsNamed` in lambda/policy/access-policy.ts). */
export interface NamedPrincipals {
  accounts: readonly string[];
  roleArns: readonly string[];
  orgIds: readonly string[];
  anyCaller: boolean;
}

/**
 * Lists the principals an access policy names that the resource policy does not admit: such
 * rules can never match an API caller, which is almost always a deployment mistake.
 *
 * Returns human-readable findings, one per principal. Membership of an organization cannot be
 * known at synth time, so nothing is reported about accounts or roles when an organization is
 * admitted; an account that is an unresolved token (an environment-agnostic stack's own account)
 * is compared as "the deploying account".
 */
export function unadmittedPrincipals(admitted: AdmittedCallers, named: NamedPrincipals): string[] {
  const findings: string[] = [];
  const orgAdmitted = admitted.organizationId !== undefined;
  const concreteAccounts = admitted.accountIds.filter((id) => !Token.isUnresolved(id));
  const deployingAccountOnly =
    admitted.accountIds.length > 0 && concreteAccounts.length < admitted.accountIds.length;

  const accountAdmitted = (account: string): boolean =>
    orgAdmitted ||
    concreteAccounts.includes(account) ||
    // The deploying account is unknown at synth in an environment-agnostic stack: give it the
    // benefit of the doubt rather than warn on every policy that names it.
    deployingAccountOnly;

  for (const account of named.accounts) {
    if (!accountAdmitted(account)) {
      findings.push(
        `The access policy names account ${account}, which the API resource policy does not admit.`,
      );
    }
  }
  for (const arn of named.roleArns) {
    const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
    const byArn = admitted.principalArns.some((pattern) => arnMatches(pattern, arn));
    if (!byArn && (account === undefined || !accountAdmitted(account))) {
      findings.push(
        `The access policy names ${arn}, which the API resource policy does not admit.`,
      );
    }
  }
  for (const orgId of named.orgIds) {
    if (orgId !== admitted.organizationId) {
      findings.push(
        `The access policy names organization ${orgId}, which the API resource policy does not ` +
          'admit; only its members among the admitted accounts and principals can call.',
      );
    }
  }
  return findings;
}

/**
 * `ArnLike` semantics, good enough for a synth-time hint: `*` matches any run of characters and
 * `?` one character. A policy pattern that itself holds wildcards is compared literally.
 */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .split('')
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${regex}$`).test(arn);
}
