/**
 * Minting: the Box calls themselves (client-credentials grant, token exchange, revoke) through
 * the {@link BoxTokenApi} port, each inside the request's deadline, with what happened recorded
 * on the request's trace. No cache and no rotation here; the negative cache is consulted first.
 */
import { createHash } from 'node:crypto';
import type { BoxSubject, BoxToken, DownscopeRequest } from '../box/types.js';
import type { BoxResourceScope } from '../contract.js';
import {
  BoxCredentialsRejectedError,
  BoxTimeoutError,
  BoxUnavailableError,
  BrokerError,
} from '../errors.js';
import type { BoxCredentials } from './credentials.js';
import { untilDeadline } from './deadline-wait.js';
import type { NegativeCache } from './negative-cache.js';
import type { BoxTokenApi } from './ports.js';
import type { BoxItemRef, RequestScope } from './requests.js';

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
}

/** What a token is for, after defaults are filled in. */
export interface Target {
  subject: BoxSubject;
  scopes: readonly string[];
  resource?: BoxItemRef;
  sharedLink?: string;
}

/** Box answers after which a still-valid cached token may stand in: Box is sick. */
export const isOutage = (error: unknown): boolean =>
  error instanceof BoxUnavailableError || error instanceof BoxTimeoutError;

/** Box says the client ID / secret are wrong (or, for a caller's subject, claims so). */
export const isInvalidClient = (error: unknown): error is BoxCredentialsRejectedError =>
  error instanceof BoxCredentialsRejectedError && error.boxError === 'invalid_client';

export class TokenMinter {
  private readonly now: () => number;

  constructor(
    private readonly box: BoxTokenApi,
    private readonly negative: NegativeCache,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /**
   * Client Credentials Grant for `subject`. A configuration error Box gives is remembered
   * briefly (a user subject in its own bounded pool) and answered again without calling Box.
   */
  async grant(
    subject: BoxSubject,
    credentials: BoxCredentials,
    scope: RequestScope,
  ): Promise<IssuedToken> {
    const kind = subject.type === 'enterprise' ? 'enterprise' : 'caller';
    const negativeKey = `${subject.type}|${subject.id}|${credentials.versionId}`;
    const remembered = this.negative.get(kind, negativeKey);
    if (remembered !== undefined) {
      scope.trace.negativeCacheHit = true;
      throw remembered;
    }
    const startedAt = this.now();
    try {
      const token = await this.callBox(scope, kind === 'caller', (deadline) =>
        this.box.requestToken(credentials, subject, deadline),
      );
      this.negative.forget(kind, negativeKey);
      return issued(token, startedAt, credentials.versionId);
    } catch (error) {
      if (error instanceof BoxCredentialsRejectedError) {
        this.negative.remember(kind, negativeKey, error);
      }
      throw error;
    }
  }

  /** Token exchange: downscopes `parent` to the target's scopes and item. */
  async exchange(parent: IssuedToken, target: Target, scope: RequestScope): Promise<IssuedToken> {
    const downscope: DownscopeRequest =
      target.resource !== undefined
        ? { scopes: target.scopes, resource: target.resource.url }
        : target.sharedLink !== undefined
          ? { scopes: target.scopes, sharedLink: target.sharedLink }
          : { scopes: target.scopes };
    const startedAt = this.now();
    const token = await this.callBox(scope, true, (deadline) =>
      this.box.exchangeToken(parent.accessToken, downscope, deadline),
    );
    return issued(token, startedAt, parent.versionId);
  }

  /** Revokes `token` at Box (Box answers 200 for tokens it does not know). */
  async revoke(credentials: BoxCredentials, token: string, scope: RequestScope): Promise<void> {
    await this.callBox(scope, false, (deadline) =>
      this.box.revokeToken(credentials, token, deadline),
    );
  }

  /**
   * One Box call inside the request's deadline, counted on the trace. `callerChosen`: the call's
   * inputs were the caller's (a user subject, an exchange), so a refusal says nothing about the
   * deployment and is counted apart (`BoxSubjectErrors`), never as a fleet-wide signal.
   */
  private async callBox<T>(
    scope: RequestScope,
    callerChosen: boolean,
    call: (deadline: RequestScope['deadline']) => Promise<T>,
  ): Promise<T> {
    const trace = scope.trace;
    const startedAt = this.now();
    trace.boxCalls += 1;
    try {
      return await untilDeadline(call(scope.deadline), scope.deadline, 'Box');
    } catch (error) {
      trace.boxError =
        error instanceof BoxCredentialsRejectedError
          ? error.boxError
          : error instanceof BrokerError
            ? error.code
            : 'unknown';
      trace.boxErrorCallerChosen = callerChosen && !isOutage(error);
      throw error;
    } finally {
      trace.boxLatencyMs += this.now() - startedAt;
    }
  }
}

function issued(token: BoxToken, startedAtMs: number, versionId: string): IssuedToken {
  const value: IssuedToken = {
    accessToken: token.accessToken,
    // Counting from when the call started keeps the expiry on the safe side of Box's clock.
    expiresAtMs: startedAtMs + token.expiresInSeconds * 1000,
    grantedSeconds: Math.floor(token.expiresInSeconds),
    restrictedTo: token.restrictedTo,
    versionId,
    tokenHash: hashToken(token.accessToken),
  };
  if (token.issuedTokenType !== undefined) value.issuedTokenType = token.issuedTokenType;
  return value;
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
