import { createHash } from 'node:crypto';
import type { BoxSubject, BoxToken, DownscopeRequest } from '../box/types.js';
import type { BoxResourceScope, HealthResponse, TokenResponse } from '../contract.js';
import { noDeadline } from '../deadline.js';
import {
  AccessDeniedError,
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BoxSubjectTokenRejectedError,
  BoxTimeoutError,
  BoxUnavailableError,
  BrokerError,
  InvalidRequestError,
} from '../errors.js';
import { type CompiledPolicy, checkAccess } from '../policy/access-policy.js';
import type { RequestTrace } from '../trace/request-trace.js';
import type { BoxCredentials, CredentialsSource } from './credentials.js';
import type { BoxTokenApi } from './ports.js';
import type { BoxItemRef, ParsedTokenRequest, RequestScope } from './requests.js';
import type { TokenCache } from './token-cache.js';

export type { BoxTokenApi } from './ports.js';

/** A Box token as the broker caches it. */
export interface IssuedToken {
  accessToken: string;
  /** Absolute expiry: the time the Box call started plus Box's `expires_in`. */
  expiresAtMs: number;
  restrictedTo: BoxResourceScope[];
  issuedTokenType?: string;
  /** Secret version that minted it; tokens of an older version are dropped. */
  versionId: string;
  /** First 16 hex digits of the token's SHA-256: lets logs correlate without the token. */
  tokenHash: string;
}

export interface BrokerDependencies {
  policy: CompiledPolicy;
  cache: TokenCache<IssuedToken>;
  credentials: CredentialsSource;
  box: BoxTokenApi;
  /**
   * How long a Box configuration error (`invalid_client`, `invalid_grant`,
   * `unauthorized_client`) is answered again without calling Box. @default 10000
   */
  negativeCacheMs?: number;
  /**
   * While serving from the previous secret version, how often the current one is tried again.
   * @default 10000
   */
  fallbackRecheckMs?: number;
  now?: () => number;
}

/** What the token is for, after defaults are filled in. */
interface Target {
  subject: BoxSubject;
  scopes: readonly string[];
  resource?: BoxItemRef;
  sharedLink?: string;
}

/** Serving from `AWSPREVIOUS` because Box rejects the current secret version. */
interface Fallback {
  previous: BoxCredentials;
  rejectedVersionId: string;
  recheckAtMs: number;
}

/** Box answers that a still-valid cached token may stand in for. */
const isOutage = (error: unknown) =>
  error instanceof BoxUnavailableError || error instanceof BoxTimeoutError;

const isInvalidClient = (error: unknown): error is BoxCredentialsRejectedError =>
  error instanceof BoxCredentialsRejectedError && error.boxError === 'invalid_client';

/** Bound on remembered Box configuration errors (one per subject and secret version). */
const MAX_NEGATIVE_ENTRIES = 256;

/**
 * Decides and delivers: access policy → token cache → credentials → Box. Records what happened
 * on the request's trace for the one log line the handler writes.
 */
export class Broker {
  private readonly now: () => number;
  /** The credentials tokens are being minted with: current, or previous during a fallback. */
  private active: BoxCredentials | undefined;
  private fallback: Fallback | undefined;
  private readonly negative = new Map<string, { error: BrokerError; untilMs: number }>();
  private readonly negativeCacheMs: number;
  private readonly fallbackRecheckMs: number;

  constructor(private readonly deps: BrokerDependencies) {
    this.now = deps.now ?? Date.now;
    this.negativeCacheMs = deps.negativeCacheMs ?? 10_000;
    this.fallbackRecheckMs = deps.fallbackRecheckMs ?? 10_000;
  }

  /** Issues a token for `request` if the policy allows the scope's caller to have it. */
  async issueToken(request: ParsedTokenRequest, scope: RequestScope): Promise<TokenResponse> {
    const { caller, trace } = scope;
    trace.subject = request.subjectType === 'user' ? `user:${request.subjectId}` : 'enterprise';
    trace.scopes = request.scopes;
    if (request.resource !== undefined) {
      trace.resource = `${request.resource.type}:${request.resource.id}`;
    }
    if (request.sharedLink !== undefined) trace.resource = 'shared_link';

    const decision = checkAccess(this.deps.policy, caller, {
      subjectType: request.subjectType,
      subjectId: request.subjectId ?? '',
      scopes: request.scopes,
      ...(request.resource === undefined
        ? {}
        : { resource: { type: request.resource.type, id: request.resource.id } }),
      ...(request.sharedLink === undefined ? {} : { sharedLink: request.sharedLink }),
    });
    trace.decision = decision.allowed ? 'allow' : 'deny';
    if (decision.ruleId !== undefined) trace.ruleId = decision.ruleId;
    if (!decision.allowed) {
      trace.reason = decision.reason;
      throw new AccessDeniedError(`Access denied: ${decision.reason}.`, decision.ruleId);
    }
    trace.scopes = decision.scopes;

    const token = await this.tokenFor(
      (credentials) => this.targetOf(request, decision.scopes, credentials),
      request.minTtlSeconds,
      trace,
    );
    return this.toResponse(token.value, token.target);
  }

  /** Revokes a token at Box and forgets it. */
  async revokeToken(token: string, scope: RequestScope): Promise<void> {
    const { trace } = scope;
    const credentials = await this.credentialsForBox(trace);
    await this.callBox(trace, () => this.deps.box.revokeToken(credentials, token, noDeadline()));
    this.deps.cache.deleteWhere((issued) => issued.accessToken === token);
    trace.tokenHash = hashToken(token);
  }

  /**
   * Proves the credentials are readable and Box issues a token (from the cache when possible).
   * The token itself is for the canary's Box API probe; it is never part of the response.
   */
  async health(scope: RequestScope): Promise<{ response: HealthResponse; accessToken: string }> {
    const { trace } = scope;
    const token = await this.tokenFor(
      (credentials) => ({
        subject: { type: 'enterprise', id: credentials.enterpriseId },
        scopes: [],
      }),
      0,
      trace,
    );
    return {
      response: {
        status: 'ok',
        cached: trace.cacheHit === true,
        token_expires_in: remainingSeconds(token.value, this.now()),
      },
      accessToken: token.value.accessToken,
    };
  }

  /**
   * The cache, then Box. The warm path reads only memory: the active credentials tell the
   * enterprise and the secret version of the cache key without any I/O.
   */
  private async tokenFor(
    targetOf: (credentials: BoxCredentials) => Target,
    minTtlSeconds: number,
    trace: RequestTrace,
  ): Promise<{ value: IssuedToken; target: Target }> {
    const known = this.active ?? (await this.credentialsForBox(trace));
    const target = targetOf(known);
    // During a fallback, a due re-check of the current secret goes to Box even on a hit.
    const recheckDue = this.fallback !== undefined && this.now() >= this.fallback.recheckAtMs;
    const hit = recheckDue
      ? undefined
      : this.deps.cache.get(cacheKey(target, known.versionId), minTtlSeconds);
    const value = hit ?? (await this.mintThroughCache(target, minTtlSeconds, trace));
    trace.cacheHit ??= hit !== undefined;
    trace.secretVersionId = value.versionId;
    trace.tokenHash = value.tokenHash;
    if (this.fallback !== undefined && value.versionId === this.fallback.previous.versionId) {
      trace.secretFallback = true;
    }
    return { value, target };
  }

  private targetOf(
    request: ParsedTokenRequest,
    scopes: readonly string[],
    credentials: BoxCredentials,
  ): Target {
    if (
      request.subjectType === 'enterprise' &&
      request.subjectId !== undefined &&
      request.subjectId !== credentials.enterpriseId
    ) {
      throw new InvalidRequestError(
        'box_subject_id does not match the enterprise this broker serves; omit it for the enterprise token.',
      );
    }
    const target: Target = {
      subject: {
        type: request.subjectType,
        id: request.subjectType === 'user' ? (request.subjectId ?? '') : credentials.enterpriseId,
      },
      scopes,
    };
    if (request.resource !== undefined) target.resource = request.resource;
    if (request.sharedLink !== undefined) target.sharedLink = request.sharedLink;
    return target;
  }

  /**
   * A cache miss. When Box calls the client credentials invalid, the secret may have just been
   * rotated: read it again (rate-limited) and, if it changed, try once more. When Box rejects
   * the current version even then, the previous version (`AWSPREVIOUS`) is the last known good:
   * serve with it, loudly, until the current version works.
   */
  private async mintThroughCache(
    target: Target,
    minTtlSeconds: number,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const credentials = await this.credentialsForBox(trace);
    let rejection: BoxCredentialsRejectedError;
    try {
      const token = await this.loadCached(target, minTtlSeconds, credentials, trace);
      this.endFallbackIfCurrent(credentials);
      return token;
    } catch (error) {
      if (!isInvalidClient(error)) throw error;
      rejection = error;
    }
    if (this.fallback !== undefined && credentials === this.fallback.previous) {
      // The last known good is rejected too: nothing left to fall back on.
      this.fallback = undefined;
      throw rejection;
    }

    const current = await this.deps.credentials.forceRefresh();
    trace.credentialsReread = true;
    if (!sameCredentials(current, credentials)) {
      this.noteCredentials(current);
      try {
        const token = await this.loadCached(target, minTtlSeconds, current, trace);
        this.endFallbackIfCurrent(current);
        // A rotation handled as designed: counted as a re-read, not as a Box error.
        trace.boxError = undefined;
        return token;
      } catch (error) {
        if (!isInvalidClient(error)) throw error;
        rejection = error;
      }
    }

    const previous = await this.deps.credentials.previous();
    if (previous === undefined || sameCredentials(previous, current)) throw rejection;
    this.noteCredentials(previous);
    const token = await this.loadCached(target, minTtlSeconds, previous, trace);
    this.fallback = {
      previous,
      rejectedVersionId: current.versionId,
      recheckAtMs: this.now() + this.fallbackRecheckMs,
    };
    return token;
  }

  private endFallbackIfCurrent(credentials: BoxCredentials): void {
    if (this.fallback !== undefined && credentials !== this.fallback.previous) {
      this.fallback = undefined;
    }
  }

  private async loadCached(
    target: Target,
    minTtlSeconds: number,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const key = cacheKey(target, credentials.versionId);
    const result = await this.deps.cache.getOrLoad(
      key,
      minTtlSeconds,
      () => this.mint(target, credentials, trace),
      { serveStaleOn: isOutage },
    );
    if (result.stale) {
      trace.servedStale = true;
      trace.cacheHit = true;
    }
    const remaining = remainingSeconds(result.value, this.now());
    if (remaining < minTtlSeconds) {
      throw new BoxBadResponseError(
        `Box issued a token with ${remaining} s of life, less than the min_ttl of ${minTtlSeconds} s.`,
      );
    }
    return result.value;
  }

  private async mint(
    target: Target,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    if (target.scopes.length === 0) return this.mintFullToken(target.subject, credentials, trace);
    // Downscoping exchanges the subject's full token, which is itself cached under its own key.
    const parentTarget: Target = { subject: target.subject, scopes: [] };
    const parent = await this.loadCached(parentTarget, 0, credentials, trace);
    try {
      return await this.exchange(parent, target, credentials, trace);
    } catch (error) {
      if (!(error instanceof BoxSubjectTokenRejectedError)) throw error;
      // Box no longer honours the cached parent (revoked or expired early): drop it, retry once.
      this.deps.cache.delete(cacheKey(parentTarget, credentials.versionId));
      const fresh = await this.loadCached(parentTarget, 0, credentials, trace);
      return this.exchange(fresh, target, credentials, trace);
    }
  }

  private async mintFullToken(
    subject: BoxSubject,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const negativeKey = `${subject.type}|${subject.id}|${credentials.versionId}`;
    const remembered = this.negative.get(negativeKey);
    if (remembered !== undefined && this.now() < remembered.untilMs) {
      trace.negativeCacheHit = true;
      throw remembered.error;
    }
    const startedAt = this.now();
    try {
      const token = await this.callBox(trace, () =>
        this.deps.box.requestToken(credentials, subject, noDeadline()),
      );
      this.negative.delete(negativeKey);
      return issued(token, startedAt, credentials.versionId);
    } catch (error) {
      if (error instanceof BoxCredentialsRejectedError) this.remember(negativeKey, error);
      throw error;
    }
  }

  private async exchange(
    parent: IssuedToken,
    target: Target,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const downscope: DownscopeRequest =
      target.resource !== undefined
        ? { scopes: target.scopes, resource: target.resource.url }
        : target.sharedLink !== undefined
          ? { scopes: target.scopes, sharedLink: target.sharedLink }
          : { scopes: target.scopes };
    const startedAt = this.now();
    const token = await this.callBox(trace, () =>
      this.deps.box.exchangeToken(parent.accessToken, downscope, noDeadline()),
    );
    return issued(token, startedAt, credentials.versionId);
  }

  /** Remembers a Box configuration error briefly, so a broken app does not hammer Box. */
  private remember(key: string, error: BrokerError): void {
    if (this.negative.size >= MAX_NEGATIVE_ENTRIES) {
      const oldest = this.negative.keys().next().value;
      if (oldest !== undefined) this.negative.delete(oldest);
    }
    this.negative.set(key, { error, untilMs: this.now() + this.negativeCacheMs });
  }

  /** Credentials to call Box with: the current secret, or the previous one during a fallback. */
  private async credentialsForBox(trace: RequestTrace): Promise<BoxCredentials> {
    const current = await this.deps.credentials.get();
    const fallback = this.fallback;
    const useFallback =
      fallback !== undefined &&
      fallback.rejectedVersionId === current.versionId &&
      this.now() < fallback.recheckAtMs;
    const credentials = useFallback ? fallback.previous : current;
    if (fallback !== undefined && !useFallback) {
      // Time to give the current version another chance (or a new one was saved).
      fallback.recheckAtMs = this.now() + this.fallbackRecheckMs;
    }
    this.noteCredentials(credentials);
    trace.secretVersionId = credentials.versionId;
    if (credentials.createdAtMs !== undefined) {
      trace.secretAgeSeconds = Math.max(
        0,
        Math.floor((this.now() - credentials.createdAtMs) / 1000),
      );
    }
    return credentials;
  }

  /** Switching credentials makes every token of another version suspect: drop them. */
  private noteCredentials(credentials: BoxCredentials): void {
    const previousVersion = this.active?.versionId;
    this.active = credentials;
    if (previousVersion !== undefined && previousVersion !== credentials.versionId) {
      this.deps.cache.deleteWhere((token) => token.versionId !== credentials.versionId);
    }
  }

  private async callBox<T>(trace: RequestTrace, call: () => Promise<T>): Promise<T> {
    const startedAt = this.now();
    trace.boxCalls += 1;
    try {
      return await call();
    } catch (error) {
      trace.boxError =
        error instanceof BoxCredentialsRejectedError
          ? error.boxError
          : error instanceof BrokerError
            ? error.code
            : 'unknown';
      throw error;
    } finally {
      trace.boxLatencyMs += this.now() - startedAt;
    }
  }

  private toResponse(token: IssuedToken, target: Target): TokenResponse {
    const response: TokenResponse = {
      access_token: token.accessToken,
      token_type: 'bearer',
      expires_in: remainingSeconds(token, this.now()),
      expires_at: new Date(token.expiresAtMs).toISOString(),
      restricted_to: token.restrictedTo,
      box_subject_type: target.subject.type,
      box_subject_id: target.subject.id,
    };
    if (token.issuedTokenType !== undefined) {
      response.issued_token_type = token.issuedTokenType as NonNullable<
        TokenResponse['issued_token_type']
      >;
    }
    return response;
  }
}

function cacheKey(target: Target, versionId: string): string {
  const item =
    target.resource !== undefined
      ? `${target.resource.type}:${target.resource.id}`
      : (target.sharedLink ?? '');
  return `${target.subject.type}|${target.subject.id}|${target.scopes.join(' ')}|${item}|${versionId}`;
}

function issued(token: BoxToken, startedAtMs: number, versionId: string): IssuedToken {
  const value: IssuedToken = {
    accessToken: token.accessToken,
    // Counting from when the call started keeps the expiry on the safe side of Box's clock.
    expiresAtMs: startedAtMs + token.expiresInSeconds * 1000,
    restrictedTo: token.restrictedTo,
    versionId,
    tokenHash: hashToken(token.accessToken),
  };
  if (token.issuedTokenType !== undefined) value.issuedTokenType = token.issuedTokenType;
  return value;
}

/** First 16 hex digits of SHA-256: enough to correlate, useless to an attacker. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

function remainingSeconds(token: IssuedToken, nowMs: number): number {
  return Math.max(0, Math.floor((token.expiresAtMs - nowMs) / 1000));
}

function sameCredentials(a: BoxCredentials, b: BoxCredentials): boolean {
  return (
    a.versionId === b.versionId && a.clientId === b.clientId && a.clientSecret === b.clientSecret
  );
}
