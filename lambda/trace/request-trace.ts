import type { CallerIdentity, Entry } from '../identity.js';

/**
 * What one request did, filled in as it goes (handler, then broker) and written once as the
 * request's log line: access record, audit event and metrics in one JSON object.
 */
export interface RequestTrace {
  requestId: string;
  /** The entry the function was invoked through (its ARN's qualifier), never the event's shape. */
  entry: Entry;
  /** `POST /token`, `GET /health`, `invoke` ... */
  route: string;
  /** What the request did, once known; metrics are decided from it, not from the route text. */
  operation?: TraceOperation;
  caller: CallerIdentity;
  /**
   * The tenant the request went to, once routed (`default` for the default tenant). A request
   * refused before routing (malformed) is logged under `default`; an onboarding request before its
   * code named a tenant is logged without one.
   */
  tenant?: string;
  startedAtMs: number;
  subject?: string;
  scopes?: readonly string[];
  resource?: string;
  decision?: 'allow' | 'deny';
  ruleId?: string;
  reason?: string;
  cacheHit?: boolean;
  secretVersionId?: string;
  /** Set when Box's `invalid_client` made the broker read the secret again. */
  credentialsReread?: boolean;
  /** Set when the token came from the previous secret version because Box rejects the current. */
  secretFallback?: boolean;
  /** Age of the secret version used for Box, in seconds (when Secrets Manager said). */
  secretAgeSeconds?: number;
  /** Set when a still-valid token inside the refresh margin was served (refresh in flight or Box down). */
  servedStale?: boolean;
  /** Set when a recent Box configuration error was answered again without calling Box. */
  negativeCacheHit?: boolean;
  /** Set when Box's error came from a call whose inputs the caller chose (a user subject, an exchange). */
  boxErrorCallerChosen?: boolean;
  /** Set when a failed refresh's back-off window served a still-valid token without Box. */
  backoffServed?: boolean;
  /** Set when a back-off window answered 503 at once (nothing valid met the request). */
  backoffRejected?: boolean;
  /**
   * Set when a caller-forced refresh (`dead_token_sha256`, `min_ttl`, a fresh parent, a revoke of
   * a token the broker does not know) was refused inside its `BOX_FORCED_REFRESH_SECONDS` window.
   */
  forcedRefreshRefused?: boolean;
  /** Set when the cached token was the one the caller reported dead (`dead_token_sha256`). */
  deadTokenDropped?: boolean;
  /** Set when a fallback's re-check of the current secret version failed (cache left alone). */
  fallbackRecheckFailed?: boolean;
  /** Fleet state: the token came from the shared table (another environment minted it). */
  stateHit?: boolean;
  /** Fleet state: calls to the table or the key that failed (the request went on without). */
  stateErrors?: number;
  /** Fleet state: how the last failed call failed (`throttled`, `denied`, `timeout` …). */
  stateError?: string;
  /** Fleet state: 1 when the request met a table item that did not decrypt under its key's context. */
  stateItemsRejected?: number;
  /** Fleet state: ms spent waiting for another environment's mint (its lease). */
  stateWaitMs?: number;
  /** Canary outcome (scheduled health check): 1 success, 0 failure. */
  canary?: 0 | 1;
  boxCalls: number;
  boxLatencyMs: number;
  /** Box's OAuth error code, or the broker's code for a Box failure. */
  boxError?: string | undefined;
  /** SHA-256 prefix of the token handed out or revoked; never the token. */
  tokenHash?: string;
  status?: number;
  errorCode?: string;
  /** Onboarding (contract v1.3): the setup check's outcome of this attempt. */
  onboardOutcome?: string;
  /** Onboarding: the required steps that failed. */
  failedSteps?: readonly string[];
  /** Onboarding: the client's address as API Gateway saw it (public route, no IAM caller). */
  sourceIp?: string;
  /** Cause of a `server_error` or `misconfigured` answer: for the operator, never the caller. */
  failure?: { name: string; message: string };
}

/** The operations a request can perform; the canary is the scheduled health check. */
export type TraceOperation = 'token' | 'revoke' | 'health' | 'canary' | 'onboard';

/** A fresh trace for a request that starts now. */
export function startTrace(
  requestId: string,
  entry: Entry,
  route: string,
  caller: CallerIdentity,
  startedAtMs: number,
): RequestTrace {
  return { requestId, entry, route, caller, startedAtMs, boxCalls: 0, boxLatencyMs: 0 };
}
