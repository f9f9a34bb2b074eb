/**
 * The broker's data: what it is asked to do (after the edge, lambda/http, validated it), the
 * request scope it runs in, and the tokens it serves. The broker owns these types; the edge
 * builds the requests and the broker never imports the edge.
 */
import { createHash } from 'node:crypto';
import type { BoxSubject } from '../box/types.js';
import type { BoxResourceScope, BoxSubjectType } from '../contract.js';
import type { Deadline } from '../deadline.js';
import type { CallerIdentity, Entry } from '../identity.js';
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
 * Everything one request carries into the broker besides its operation: the entry it came
 * through and who asks (as that entry proved), its one deadline, and the trace its log line is
 * written from. The trace is only written to: decisions read `entry` and `caller` from here.
 */
export interface RequestScope {
  entry: Entry;
  caller: CallerIdentity;
  trace: RequestTrace;
  deadline: Deadline;
}

/**
 * What a token supply is asked for, after the policy allowed it: the subject (a user, or the
 * enterprise the tenant's credentials serve, whose ID only the credentials tell), the scopes
 * granted, the item, and the caller's demands on the token.
 */
export interface TokenAsk {
  subject: { type: 'enterprise' } | BoxSubject;
  scopes: readonly string[];
  resource?: BoxItemRef | undefined;
  sharedLink?: string | undefined;
  minTtlSeconds: number;
  /** Full SHA-256 (hex) of a token the caller found dead: never returned. */
  deadTokenSha256?: string | undefined;
}

/** What a token is for, with the enterprise filled in from the credentials. */
export interface Target {
  subject: BoxSubject;
  scopes: readonly string[];
  resource?: BoxItemRef;
  sharedLink?: string;
}

/** A Box token as the broker caches it. */
export interface IssuedToken {
  accessToken: string;
  /** Absolute expiry: the time the Box call started plus Box's `expires_in`. */
  expiresAtMs: number;
  /** Box's `expires_in`: the life Box grants (for the `min_ttl` answer). */
  grantedSeconds: number;
  restrictedTo: BoxResourceScope[];
  issuedTokenType?: string;
  /** Secret version that minted it; tokens of an older version are dropped. */
  versionId: string;
  /** First 16 hex digits of the token's SHA-256: lets logs correlate without the token. */
  tokenHash: string;
  /** What it was minted for (set when cached): `/revoke` checks the caller against it. */
  target?: Target;
}

/** A token and the target it was served for. */
export interface ServedToken {
  value: IssuedToken;
  target: Target;
  /** Whether it came from the cache (a stale token standing in for a failed refresh included). */
  cacheHit: boolean;
}

/** First 16 hex digits of SHA-256: enough to correlate, useless to an attacker. */
export function hashToken(token: string): string {
  return fullTokenHash(token).slice(0, 16);
}

/** The full SHA-256 of a token, hex: only to compare with a caller's `dead_token_sha256`. */
export function fullTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whole seconds of life `token` has left at `nowMs`. */
export function remainingSeconds(token: IssuedToken, nowMs: number): number {
  return Math.max(0, Math.floor((token.expiresAtMs - nowMs) / 1000));
}

/**
 * Where a tenant's supply reports what Box proved about its credentials (contract v1.2 tenant
 * health events). Synchronous and never throwing: the receiver does its work beside the request.
 */
export interface CredentialHealthSignals {
  /** Box refused the tenant's current and previous credentials (`boxError`: Box's error code). */
  rejected(tenant: string, boxError: string): void;
  /** Box accepted a client-credentials grant with the tenant's credentials. */
  accepted(tenant: string): void;
}
