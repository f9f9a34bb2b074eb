/**
 * Minting: the Box calls themselves (client-credentials grant, token exchange, revoke) through
 * the {@link BoxTokenApi} port, each inside the request's deadline, with what happened recorded
 * on the request's trace. No cache and no rotation here; the negative cache is consulted first.
 */
import type { BoxClientCredentials, BoxSubject, BoxToken, DownscopeRequest } from '../box/types.js';
import type { Deadline } from '../deadline.js';
import {
  BoxCredentialsRejectedError,
  BoxDownscopeMismatchError,
  BoxTimeoutError,
  BoxUnavailableError,
  BrokerError,
} from '../errors.js';
import type { BoxCredentials } from './credentials.js';
import type { NegativeCache } from './negative-cache.js';
import { untilDeadline } from './shared-flight.js';
import { hashToken, type IssuedToken, type RequestScope, type Target } from './types.js';

/**
 * The Box OAuth calls the broker makes (lambda/box implements them; tests and the local server
 * swap them). Every call runs inside the request's deadline: when it passes, the call stops (no
 * further attempt, no wait) and rejects with `BoxTimeoutError`.
 */
export interface BoxTokenApi {
  /** Client Credentials Grant for the enterprise's service account or a user. */
  requestToken(
    credentials: BoxClientCredentials,
    subject: BoxSubject,
    deadline: Deadline,
  ): Promise<BoxToken>;
  /** Token exchange: downscopes `subjectToken`; the answer is proven no wider than asked. */
  exchangeToken(
    subjectToken: string,
    request: DownscopeRequest,
    deadline: Deadline,
  ): Promise<BoxToken>;
  /** Revokes a token at Box. */
  revokeToken(credentials: BoxClientCredentials, token: string, deadline: Deadline): Promise<void>;
}

/** Box answers after which a still-valid cached token may stand in: Box is sick. */
export const isOutage = (error: unknown): boolean =>
  error instanceof BoxUnavailableError || error instanceof BoxTimeoutError;

/**
 * Box's answers to a wrong or reset client secret: `invalid_client`, or `invalid_grant` "Grant
 * credentials are invalid" (Box's CCG guide documents the latter; docs/box.md "A wrong or reset
 * client secret"). Only the enterprise grant's answer proves anything about the secret.
 */
const STALE_SECRET_ANSWERS: ReadonlySet<string> = new Set(['invalid_client', 'invalid_grant']);

/** Box says the client ID / secret may be wrong (or, for a caller's subject, claims so). */
export const saysSecretWrong = (error: unknown): error is BoxCredentialsRejectedError =>
  error instanceof BoxCredentialsRejectedError && STALE_SECRET_ANSWERS.has(error.boxError);

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
      trace.boxError = boxErrorLabel(error);
      trace.boxErrorCallerChosen = callerChosen && !isOutage(error);
      throw error;
    } finally {
      trace.boxLatencyMs += this.now() - startedAt;
    }
  }
}

/**
 * The `box_error` a failed call is counted under: Box's own code for a credentials refusal, a
 * label of its own for a downscoped token wider than asked (so such answers, which rest on an
 * assumption about Box, show apart on the dashboard: docs/box.md), else the broker's code.
 */
function boxErrorLabel(error: unknown): string {
  if (error instanceof BoxCredentialsRejectedError) return error.boxError;
  if (error instanceof BoxDownscopeMismatchError) return 'downscope_wider';
  return error instanceof BrokerError ? error.code : 'unknown';
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
