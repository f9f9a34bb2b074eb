/**
 * Who is calling and through which entry: the facts the edge establishes before anything else
 * runs. A leaf module, so the policy, the broker and the trace can all name them without
 * depending on the edge.
 */

/**
 * Where an event came from: API Gateway (HTTP semantics, caller from `requestContext`), the
 * scheduled canary, or a direct invocation (the event is a token request; the caller is `direct`).
 */
export type Entry = 'api' | 'direct' | 'schedule';

/** Who is calling, as the entry point saw it. */
export interface CallerIdentity {
  /** 'iam' = SigV4 via API Gateway; 'direct' = direct Lambda invocation (no SigV4 identity); 'anonymous' = local open mode */
  kind: 'iam' | 'direct' | 'anonymous';
  /** `requestContext.identity.userArn`. */
  arn?: string;
  /** `requestContext.identity.accountId`. */
  accountId?: string;
  /** `requestContext.identity.principalOrgId` (may be missing). */
  principalOrgId?: string;
}
