/**
 * What the broker is asked to do, after the edge (lambda/http) validated it. The broker owns
 * these types; the edge builds them and the broker never imports the edge.
 */
import type { BoxSubjectType } from '../contract.js';
import type { Deadline } from '../deadline.js';
import type { CallerIdentity } from '../policy/access-policy.js';
import type { RequestTrace } from '../trace/request-trace.js';

/** A Box item a downscoped token is restricted to. */
export interface BoxItemRef {
  type: 'file' | 'folder';
  id: string;
  /** The canonical API URL Box expects in the token exchange. */
  url: string;
}

/** A token request after validation: types are trustworthy, scopes sorted and unique. */
export interface ParsedTokenRequest {
  subjectType: BoxSubjectType;
  /** Absent for `enterprise` when the caller did not name it (the secret's ID applies). */
  subjectId?: string;
  scopes: readonly string[];
  resource?: BoxItemRef;
  sharedLink?: string;
  minTtlSeconds: number;
  /**
   * Contract v1.1 `dead_token_sha256`: full SHA-256 (64 lowercase hex) of a token the caller found
   * rejected by Box. The broker never returns that token.
   */
  deadTokenSha256?: string;
  /**
   * Contract v1.1: the tenant the request named (validated against TENANT_ID_PATTERN), `default`
   * included; absent when it named none. The response echoes it only when present.
   */
  tenant?: string;
}

/**
 * Everything one request carries into the broker besides its operation: who asks (as the entry
 * it came through proved), the trace its log line is written from, and its one deadline.
 */
export interface RequestScope {
  caller: CallerIdentity;
  trace: RequestTrace;
  deadline: Deadline;
}
