import { createHash } from 'node:crypto';
import { type CallerIdentity, type CompiledPolicy, checkAccess } from './access-policy.js';
import type {
  BoxClientCredentials,
  BoxSubject,
  BoxToken,
  DownscopeRequest,
} from './box-oauth-client.js';
import type { BoxResourceScope, HealthResponse, TokenResponse } from './contract.js';
import type { BoxCredentials, CredentialsSource } from './credentials.js';
import {
  AccessDeniedError,
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BrokerError,
  InvalidRequestError,
} from './errors.js';
import type { RequestTrace } from './request-trace.js';
import type { TokenCache } from './token-cache.js';
import type { BoxItemRef, ParsedTokenRequest } from './token-request.js';

/** The Box calls the broker makes; {@link BoxOAuthClient} is the real one. */
export interface BoxTokenApi {
  requestToken(credentials: BoxClientCredentials, subject: BoxSubject): Promise<BoxToken>;
  exchangeToken(subjectToken: string, request: DownscopeRequest): Promise<BoxToken>;
  revokeToken(credentials: BoxClientCredentials, token: string): Promise<void>;
}

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
  now?: () => number;
}

/** What the token is for, after defaults are filled in. */
interface Target {
  subject: BoxSubject;
  scopes: readonly string[];
  resource?: BoxItemRef;
  sharedLink?: string;
}

/**
 * Decides and delivers: access policy → token cache → credentials → Box. Records what happened
 * on the request's trace for the one log line the handler writes.
 */
export class Broker {
  private readonly now: () => number;
  private activeVersionId: string | undefined;

  constructor(private readonly deps: BrokerDependencies) {
    this.now = deps.now ?? Date.now;
  }

  /** Issues a token for `request` if the policy allows `caller` to have it. */
  async issueToken(
    request: ParsedTokenRequest,
    caller: CallerIdentity,
    trace: RequestTrace,
  ): Promise<TokenResponse> {
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

    // Warm path: the last credentials read tell the enterprise and the version, without I/O.
    const known = this.deps.credentials.peek() ?? (await this.credentialsForBox(trace));
    const target = this.targetOf(request, decision.scopes, known);
    const hit = this.deps.cache.get(cacheKey(target, known.versionId), request.minTtlSeconds);
    const token = hit ?? (await this.mintThroughCache(target, request.minTtlSeconds, trace));
    trace.cacheHit = hit !== undefined;
    trace.secretVersionId = token.versionId;
    trace.tokenHash = token.tokenHash;
    return this.toResponse(token, target);
  }

  /** Revokes a token at Box and forgets it. */
  async revokeToken(token: string, trace: RequestTrace): Promise<void> {
    const credentials = await this.credentialsForBox(trace);
    await this.callBox(trace, () => this.deps.box.revokeToken(credentials, token));
    this.deps.cache.deleteWhere((issued) => issued.accessToken === token);
    trace.tokenHash = hashToken(token);
  }

  /** Proves the credentials are readable and Box issues a token (from the cache when possible). */
  async health(trace: RequestTrace): Promise<HealthResponse> {
    const known = this.deps.credentials.peek() ?? (await this.credentialsForBox(trace));
    const target: Target = { subject: { type: 'enterprise', id: known.enterpriseId }, scopes: [] };
    const hit = this.deps.cache.get(cacheKey(target, known.versionId));
    const token = hit ?? (await this.mintThroughCache(target, 0, trace));
    trace.cacheHit = hit !== undefined;
    trace.secretVersionId = token.versionId;
    return {
      status: 'ok',
      cached: hit !== undefined,
      token_expires_in: remainingSeconds(token, this.now()),
    };
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
   * A cache miss: fresh credentials (read again once their TTL is over), then one shared Box call
   * per key. When Box calls the client credentials invalid, the secret may have just been
   * rotated: read it again (rate-limited) and, if it changed, try once more.
   */
  private async mintThroughCache(
    target: Target,
    minTtlSeconds: number,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const credentials = await this.credentialsForBox(trace);
    try {
      return await this.loadCached(target, minTtlSeconds, credentials, trace);
    } catch (error) {
      if (!(error instanceof BoxCredentialsRejectedError) || error.boxError !== 'invalid_client') {
        throw error;
      }
      const fresh = await this.deps.credentials.forceRefresh();
      trace.credentialsReread = true;
      this.noteVersion(fresh);
      if (sameCredentials(fresh, credentials)) throw error;
      return await this.loadCached(target, minTtlSeconds, fresh, trace);
    }
  }

  private async loadCached(
    target: Target,
    minTtlSeconds: number,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    const key = cacheKey(target, credentials.versionId);
    const { value } = await this.deps.cache.getOrLoad(key, minTtlSeconds, () =>
      this.mint(target, credentials, trace),
    );
    const remaining = remainingSeconds(value, this.now());
    if (remaining < minTtlSeconds) {
      throw new BoxBadResponseError(
        `Box issued a token with ${remaining} s of life, less than the min_ttl of ${minTtlSeconds} s.`,
      );
    }
    return value;
  }

  private async mint(
    target: Target,
    credentials: BoxCredentials,
    trace: RequestTrace,
  ): Promise<IssuedToken> {
    if (target.scopes.length === 0) {
      const startedAt = this.now();
      const token = await this.callBox(trace, () =>
        this.deps.box.requestToken(credentials, target.subject),
      );
      return issued(token, startedAt, credentials.versionId);
    }
    // Downscoping exchanges the subject's full token, which is itself cached under its own key.
    const parent = await this.loadCached(
      { subject: target.subject, scopes: [] },
      0,
      credentials,
      trace,
    );
    const downscope: DownscopeRequest = { scopes: target.scopes };
    if (target.resource !== undefined) downscope.resource = target.resource.url;
    if (target.sharedLink !== undefined) downscope.sharedLink = target.sharedLink;
    const startedAt = this.now();
    const token = await this.callBox(trace, () =>
      this.deps.box.exchangeToken(parent.accessToken, downscope),
    );
    assertRestrictedAsAsked(token, target);
    return issued(token, startedAt, credentials.versionId);
  }

  private async credentialsForBox(trace: RequestTrace): Promise<BoxCredentials> {
    const credentials = await this.deps.credentials.get();
    this.noteVersion(credentials);
    trace.secretVersionId = credentials.versionId;
    return credentials;
  }

  /** A new secret version makes every token of the old one suspect: drop them. */
  private noteVersion(credentials: BoxCredentials): void {
    if (this.activeVersionId === credentials.versionId) return;
    if (this.activeVersionId !== undefined) {
      this.deps.cache.deleteWhere((token) => token.versionId !== credentials.versionId);
    }
    this.activeVersionId = credentials.versionId;
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

/**
 * Narrow, never widen: a downscoped token must carry exactly the scopes asked for, on the item
 * asked for. Box answering otherwise is a bad response, and its token is not handed out.
 */
function assertRestrictedAsAsked(token: BoxToken, target: Target): void {
  const granted = new Set(token.restrictedTo.map((entry) => entry.scope));
  const asked = new Set(target.scopes);
  const missing = target.scopes.filter((scope) => !granted.has(scope));
  const extra = [...granted].filter((scope) => !asked.has(scope));
  const wrongItem =
    target.resource !== undefined &&
    token.restrictedTo.some(
      (entry) =>
        entry.object === undefined ||
        entry.object.type !== target.resource?.type ||
        String(entry.object.id) !== target.resource.id,
    );
  if (missing.length > 0 || extra.length > 0 || wrongItem) {
    throw new BoxBadResponseError(
      'Box returned a downscoped token whose restrictions do not match the request; it was not handed out.',
    );
  }
}
