/**
 * The access policy document as its authors write it (format v1 in DESIGN.md, with the optional
 * v1.1 `tenants` on rules). A type only: the broker validates documents at cold start and the
 * construct at synth (lambda/policy/access-policy.ts), so this type never proves a value valid.
 */
export interface AccessPolicyDocument {
  /** Optional: the JSON Schema the file follows, for editors. Ignored by the broker. */
  readonly $schema?: string;
  /** The format version. Only 1 exists. */
  readonly version: 1;
  /** Free text for humans. Ignored by the broker. */
  readonly description?: string;
  /** The rules; a request is allowed when some rule that admits the caller allows it. */
  readonly rules: readonly AccessPolicyRule[];
}

/** One rule of an {@link AccessPolicyDocument}. */
interface AccessPolicyRule {
  /** Unique name of the rule (1–64 of `A-Za-z0-9._-`); appears in logs and denials. */
  readonly id: string;
  /** Free text for humans. Ignored by the broker. */
  readonly description?: string;
  /**
   * IAM ARN patterns (`*` within one segment), `account:ID`, `org:ID`, `direct` (direct Lambda
   * invocation) or `*` (any caller).
   */
  readonly callers: readonly string[];
  /** `enterprise`, `user:ID` or `user:*`. */
  readonly subjects: readonly string[];
  /** Optional ceiling: the request's scopes must be a subset. */
  readonly scopes?: readonly string[];
  /** Optional ceiling: `folder:ID` or `file:ID`; the request must name one of them. */
  readonly resources?: readonly string[];
  /**
   * Contract v1.1: the tenants this rule covers (IDs, `*` glob within an ID, `"*"` = every
   * tenant including `default`). Without it the rule covers only the default tenant.
   */
  readonly tenants?: readonly string[];
}
