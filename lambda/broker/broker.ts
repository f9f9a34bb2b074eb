/**
 * The broker: decides (access policy) and delivers (the token supply), recording what happened
 * on the request's trace for the one log line the handler writes.
 */
import type { HealthResponse, TokenResponse } from '../contract.js';
import { AccessDeniedError, InvalidRequestError } from '../errors.js';
import { admitsCaller, type CompiledPolicy, checkAccess } from '../policy/access-policy.js';
import type { BoxCredentials } from './credentials.js';
import type { ParsedTokenRequest, RequestScope } from './requests.js';
import type { IssuedToken, Target } from './token-minter.js';
import { remainingSeconds, type TokenSupply } from './token-supply.js';

export type { IssuedToken } from './token-minter.js';
export { hashToken } from './token-minter.js';

export interface BrokerDependencies {
  policy: CompiledPolicy;
  /** Tokens of the deployment's secret (one supply per secret, per future tenant). */
  supply: TokenSupply;
  now?: () => number;
}

export class Broker {
  private readonly now: () => number;

  constructor(private readonly deps: BrokerDependencies) {
    this.now = deps.now ?? Date.now;
  }

  /** Issues a token for `request` if the policy allows the scope's caller to have it. */
  async issueToken(request: ParsedTokenRequest, scope: RequestScope): Promise<TokenResponse> {
    const trace = scope.trace;
    trace.subject = request.subjectType === 'user' ? `user:${request.subjectId}` : 'enterprise';
    trace.scopes = request.scopes;
    if (request.resource !== undefined) {
      trace.resource = `${request.resource.type}:${request.resource.id}`;
    }
    if (request.sharedLink !== undefined) trace.resource = 'shared_link';

    const decision = checkAccess(this.deps.policy, scope.caller, {
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

    const { value, target } = await this.deps.supply.token(
      {
        targetOf: (credentials) => targetOf(request, decision.scopes, credentials),
        minTtlSeconds: request.minTtlSeconds,
        deadTokenSha256: request.deadTokenSha256,
      },
      scope,
    );
    return this.toResponse(value, target);
  }

  /** Revokes a token at Box and forgets it; only for callers some rule admits. */
  async revokeToken(token: string, scope: RequestScope): Promise<void> {
    this.requireAdmitted(scope);
    await this.deps.supply.revoke(token, scope);
  }

  /**
   * Proves the credentials are readable and Box issues a token (from the cache when possible);
   * only for callers some rule admits, or the scheduled canary. The token is for the canary's
   * Box API probe; it is never part of the response.
   */
  async health(scope: RequestScope): Promise<{ response: HealthResponse; accessToken: string }> {
    if (scope.trace.entry !== 'schedule') this.requireAdmitted(scope);
    const { value } = await this.deps.supply.token(
      {
        targetOf: (credentials) => ({
          subject: { type: 'enterprise', id: credentials.enterpriseId },
          scopes: [],
        }),
        minTtlSeconds: 0,
      },
      scope,
    );
    return {
      response: {
        status: 'ok',
        cached: scope.trace.cacheHit === true,
        token_expires_in: remainingSeconds(value, this.now()),
      },
      accessToken: value.accessToken,
    };
  }

  /** A caller no rule admits learns nothing and costs nothing: no secret read, no Box call. */
  private requireAdmitted(scope: RequestScope): void {
    if (admitsCaller(this.deps.policy, scope.caller)) return;
    scope.trace.decision = 'deny';
    scope.trace.reason = 'no rule admits this caller';
    throw new AccessDeniedError('Access denied: no rule admits this caller.');
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

/** The target of a token request, with the enterprise the credentials serve. */
function targetOf(
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
