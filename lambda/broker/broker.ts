/**
 * The broker: routes a request to its tenant, decides (access policy) and delivers (the tenant's
 * token supply), recording what happened on the request's trace for the one log line the
 * handler writes. The policy is always asked before anything touches a tenant's secret.
 */
import type { HealthResponse, RevokeResponse, TokenResponse } from '../contract.js';
import { AccessDeniedError, InvalidRequestError } from '../errors.js';
import { admitsCaller, type CompiledPolicy, checkAccess } from '../policy/access-policy.js';
import type { BoxCredentials } from './credentials.js';
import type { ParsedTokenRequest, RequestScope } from './requests.js';
import { DEFAULT_TENANT_ID, TenantRegistry } from './tenant-registry.js';
import { type IssuedToken, remainingSeconds, type Target } from './token-minter.js';
import type { TokenNeed, TokenSupply } from './token-supply.js';

export type { IssuedToken } from './token-minter.js';
export { hashToken } from './token-minter.js';

export interface BrokerDependencies {
  policy: CompiledPolicy;
  /** The tenants served: the default tenant's supply and the named tenants'. */
  tenants?: TenantRegistry;
  /** A single-secret broker: shorthand for a registry with only this default tenant. */
  supply?: TokenSupply;
  now?: () => number;
}

export class Broker {
  private readonly now: () => number;
  private readonly tenants: TenantRegistry;

  constructor(private readonly deps: BrokerDependencies) {
    this.now = deps.now ?? Date.now;
    this.tenants =
      deps.tenants ??
      new TenantRegistry({
        defaultSupply: deps.supply,
        build: undefined,
        maxTenants: 1,
        notFoundMs: 0,
        secretTtlMs: 0,
      });
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
    const tenant = this.route(request.tenant, scope);

    const decision = checkAccess(this.deps.policy, scope.caller, {
      tenant,
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

    const need: TokenNeed = {
      targetOf: (credentials) => targetOf(request, decision.scopes, credentials),
      minTtlSeconds: request.minTtlSeconds,
      deadTokenSha256: request.deadTokenSha256,
    };
    const defaultSupply = this.tenants.defaultSupplyFor(tenant);
    const { value, target } =
      defaultSupply !== undefined
        ? await defaultSupply.token(need, scope)
        : await this.tenants.run(tenant, scope.deadline, (supply) => supply.token(need, scope));
    const response = tokenResponse(value, target, this.now());
    if (request.tenant !== undefined) response.tenant = request.tenant;
    return response;
  }

  /**
   * Revokes a token at Box (with the tenant's Box app) and forgets it; only for callers some rule
   * admits for that tenant.
   */
  async revokeToken(
    token: string,
    scope: RequestScope,
    requestedTenant?: string,
  ): Promise<RevokeResponse> {
    const tenant = this.route(requestedTenant, scope);
    this.requireAdmitted(scope, tenant);
    await this.tenants.run(tenant, scope.deadline, (supply) => supply.revoke(token, scope));
    return requestedTenant === undefined
      ? { revoked: true }
      : { revoked: true, tenant: requestedTenant };
  }

  /**
   * Proves the credentials are readable and Box issues a token (from the cache when possible);
   * only for callers some rule admits, or the scheduled canary. The token is for the canary's
   * Box API probe; it is never part of the response.
   */
  async health(
    scope: RequestScope,
    requestedTenant?: string,
  ): Promise<{ response: HealthResponse; accessToken: string }> {
    const tenant = this.route(requestedTenant, scope);
    if (scope.trace.entry !== 'schedule') this.requireAdmitted(scope, tenant);
    const { value } = await this.tenants.run(tenant, scope.deadline, (supply) =>
      supply.token(
        {
          targetOf: (credentials) => ({
            subject: { type: 'enterprise', id: credentials.enterpriseId },
            scopes: [],
          }),
          minTtlSeconds: 0,
        },
        scope,
      ),
    );
    const response: HealthResponse = {
      status: 'ok',
      cached: scope.trace.cacheHit === true,
      token_expires_in: remainingSeconds(value, this.now()),
    };
    if (requestedTenant !== undefined) response.tenant = requestedTenant;
    return { response, accessToken: value.accessToken };
  }

  /** Whether the deployment has a default tenant (`BOX_CREDENTIALS_SECRET`). */
  get hasDefaultTenant(): boolean {
    return this.tenants.hasDefault;
  }

  /**
   * The tenant a request goes to (absent or `default` = the default tenant), recorded on the
   * trace. A deployment without a default tenant needs the request to name one.
   */
  private route(requested: string | undefined, scope: RequestScope): string {
    const tenant = requested ?? DEFAULT_TENANT_ID;
    scope.trace.tenant = tenant;
    if (tenant === DEFAULT_TENANT_ID && !this.tenants.hasDefault) {
      throw new InvalidRequestError(
        'tenant is required: this broker has no default tenant; name one with the tenant field.',
      );
    }
    return tenant;
  }

  /**
   * A caller no rule admits (for this tenant) learns nothing and costs nothing: no secret read,
   * no Box call, and the answer is the same whether the tenant exists or not.
   */
  private requireAdmitted(scope: RequestScope, tenant: string): void {
    if (admitsCaller(this.deps.policy, scope.caller, tenant)) return;
    scope.trace.decision = 'deny';
    scope.trace.reason =
      tenant === DEFAULT_TENANT_ID
        ? 'no rule admits this caller'
        : `no rule admits this caller for tenant ${tenant}`;
    throw new AccessDeniedError(`Access denied: ${scope.trace.reason}.`);
  }
}

/** The contract's token response for a served token (remaining life counted at `nowMs`). */
function tokenResponse(token: IssuedToken, target: Target, nowMs: number): TokenResponse {
  const response: TokenResponse = {
    access_token: token.accessToken,
    token_type: 'bearer',
    expires_in: remainingSeconds(token, nowMs),
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
