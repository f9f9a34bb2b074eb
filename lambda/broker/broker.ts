/**
 * The broker: one request, top to bottom. {@link Broker.issueToken} authenticates nothing itself
 * (the entry proved the caller), then: picks the tenant, asks the access policy, looks up the
 * tenant's token supply, and serves the token (cache, else Box) as the contract's answer. What
 * happened is written on the request's trace for the one log line the handler writes; decisions
 * read the request scope, never the trace. The policy is always asked before anything touches a
 * tenant's secret.
 *
 * The broker's files (lambda/runtime.ts builds them all; nothing here builds another unit):
 * - broker.ts             this class: route, check, serve, answer
 * - types.ts              the data: parsed requests, the request scope, targets, issued tokens
 * - tenants.ts            tenant ID → that tenant's token supply (bounded, built on first use)
 * - token-supply.ts       one tenant's tokens: warm path, rotation retry, cache-through, proof
 * - credential-selection.ts  which secret version to mint with (the rotation state machine)
 * - credentials.ts        the Box app credentials read from Secrets Manager
 * - token-minter.ts       the Box calls (grant, exchange, revoke) behind the BoxTokenApi port
 * - negative-cache.ts     Box refusals remembered briefly
 * - token-cache.ts        the shared token cache (LRU, single-flight loads, refresh-ahead)
 * - refresh-backoff.ts    the shared back-off windows after a failed refresh
 * - forced-refresh.ts     the shared windows bounding Box work a caller can force
 * - bounded-map.ts        the one "oldest goes first" map every bounded memory above uses
 * - shared-flight.ts      one upstream call shared by concurrent requests, inside deadlines
 */
import {
  DEFAULT_TENANT,
  type HealthResponse,
  type RevokeResponse,
  type TokenResponse,
} from '../contract.js';
import { AccessDeniedError, InvalidRequestError, TenantSuspendedError } from '../errors.js';
import {
  admitsCaller,
  type CallerIdentity,
  type CompiledPolicy,
  checkAccess,
} from '../policy/access-policy.js';
import { parseCallerArn } from '../policy/caller-match.js';
import type { FleetLink } from './fleet-link.js';
import type { TenantRegistry } from './tenants.js';
import type { TokenSupply } from './token-supply.js';
import {
  hashToken,
  type ParsedTokenRequest,
  type RequestScope,
  remainingSeconds,
  type ServedToken,
  type Target,
  type TokenAsk,
} from './types.js';

export type { IssuedToken } from './types.js';
export { hashToken } from './types.js';

export interface BrokerDependencies {
  policy: CompiledPolicy;
  /** The tenants served: the default tenant's supply and the named tenants'. */
  tenants: TenantRegistry;
  /** Fleet state (contract v1.2): suspensions and revocations of every environment. */
  fleet?: FleetLink | undefined;
  now?: () => number;
}

/** The token every health check and canary takes: the enterprise's, no scopes, any life. */
const ENTERPRISE_TOKEN: TokenAsk = {
  subject: { type: 'enterprise' },
  scopes: [],
  minTtlSeconds: 0,
};

export class Broker {
  private readonly now: () => number;
  private readonly policy: CompiledPolicy;
  private readonly tenants: TenantRegistry;
  private readonly fleet: FleetLink | undefined;

  constructor(deps: BrokerDependencies) {
    this.now = deps.now ?? Date.now;
    this.policy = deps.policy;
    this.tenants = deps.tenants;
    this.fleet = deps.fleet;
  }

  /** Issues a token for `request` if the policy allows the scope's caller to have it. */
  async issueToken(request: ParsedTokenRequest, scope: RequestScope): Promise<TokenResponse> {
    recordRequest(request, scope);
    const tenant = this.tenantFor(request.tenant, scope);
    const scopes = this.check(request, tenant, scope);
    // Without fleet state there is nothing to ask: no await on the warm path.
    if (this.fleet !== undefined) await this.requireNotSuspended(this.fleet, tenant, scope);
    const supply = await this.tenants.supplyFor(tenant, scope.deadline);
    let served: ServedToken;
    try {
      await requireServedEnterprise(request, supply, scope);
      served = await supply.token(askOf(request, scopes), scope);
    } catch (error) {
      this.tenants.failed(tenant, supply, error);
      throw error;
    }
    const response = tokenResponse(served, this.now());
    if (request.tenant !== undefined) response.tenant = request.tenant;
    return response;
  }

  /**
   * Revokes a token at Box (with the tenant's Box app) and forgets it; only for callers some rule
   * admits for that tenant and, for a token this broker minted, only for a caller the policy would
   * have given it (its subject, scopes and item). A token it does not know goes to Box within a
   * per-caller budget (TokenSupply.revoke).
   */
  async revokeToken(
    token: string,
    scope: RequestScope,
    requestedTenant?: string,
  ): Promise<RevokeResponse> {
    const tenant = this.tenantFor(requestedTenant, scope);
    this.requireAdmitted(scope, tenant);
    const supply = await this.tenants.supplyFor(tenant, scope.deadline);
    const minted = supply.findMinted(token);
    if (
      minted !== undefined &&
      (minted.target === undefined || !this.mayHave(scope.caller, tenant, minted.target))
    ) {
      const reason =
        'the token was issued for a subject, scopes or item no rule allows this caller';
      scope.trace.tokenHash = hashToken(token);
      scope.trace.decision = 'deny';
      scope.trace.reason = reason;
      throw new AccessDeniedError(`Access denied: ${reason}.`);
    }
    try {
      await supply.revoke(token, scope, callerKeyOf(scope.caller));
    } catch (error) {
      this.tenants.failed(tenant, supply, error);
      throw error;
    }
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
    const tenant = this.tenantFor(requestedTenant, scope);
    if (scope.entry !== 'schedule') {
      this.requireAdmitted(scope, tenant);
      if (this.fleet !== undefined) await this.requireNotSuspended(this.fleet, tenant, scope);
    }
    const supply = await this.tenants.supplyFor(tenant, scope.deadline);
    let served: ServedToken;
    try {
      served = await supply.token(ENTERPRISE_TOKEN, scope);
    } catch (error) {
      this.tenants.failed(tenant, supply, error);
      throw error;
    }
    const response: HealthResponse = {
      status: 'ok',
      cached: served.cacheHit,
      token_expires_in: remainingSeconds(served.value, this.now()),
    };
    if (requestedTenant !== undefined) response.tenant = requestedTenant;
    return { response, accessToken: served.value.accessToken };
  }

  /** Whether the deployment has a default tenant (`BOX_CREDENTIALS_SECRET`). */
  get hasDefaultTenant(): boolean {
    return this.tenants.hasDefault;
  }

  /**
   * The tenant a request goes to (absent or `default` = the default tenant), recorded on the
   * trace. A deployment without a default tenant needs the request to name one.
   */
  private tenantFor(requested: string | undefined, scope: RequestScope): string {
    const tenant = requested ?? DEFAULT_TENANT;
    scope.trace.tenant = tenant;
    if (tenant === DEFAULT_TENANT && !this.tenants.hasDefault) {
      throw new InvalidRequestError(
        'tenant is required: this broker has no default tenant; name one with the tenant field.',
      );
    }
    return tenant;
  }

  /** The access policy's decision on `request`, recorded: the scopes granted; a denial is thrown. */
  private check(
    request: ParsedTokenRequest,
    tenant: string,
    scope: RequestScope,
  ): readonly string[] {
    const trace = scope.trace;
    const decision = checkAccess(this.policy, scope.caller, {
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
    return decision.scopes;
  }

  /** Whether the policy would give `caller` a token for exactly `target` in `tenant`. */
  private mayHave(caller: CallerIdentity, tenant: string, target: Target): boolean {
    const decision = checkAccess(this.policy, caller, {
      tenant,
      subjectType: target.subject.type,
      subjectId: target.subject.id,
      scopes: target.scopes,
      ...(target.resource === undefined
        ? {}
        : { resource: { type: target.resource.type, id: target.resource.id } }),
      ...(target.sharedLink === undefined ? {} : { sharedLink: target.sharedLink }),
    });
    // A rule with a scope ceiling downscopes an unscoped ask: its callers never get the full token.
    return (
      decision.allowed &&
      decision.scopes.length === target.scopes.length &&
      decision.scopes.every((granted, i) => granted === target.scopes[i])
    );
  }

  /**
   * Fleet state: the controls in force (synced at most once per `BOX_STATE_SYNC_SECONDS`, never
   * on every request); a suspended tenant's tokens go and its admitted callers get 403. Asked
   * only after the policy admitted the caller: nobody else learns a tenant is suspended.
   */
  private async requireNotSuspended(
    fleet: FleetLink,
    tenant: string,
    scope: RequestScope,
  ): Promise<void> {
    const controls = await fleet.controls(scope);
    if (!controls.suspendedTenants.has(tenant)) return;
    this.tenants.dropTokens(tenant);
    scope.trace.reason = 'tenant_suspended';
    throw new TenantSuspendedError(tenant);
  }

  /**
   * A caller no rule admits (for this tenant) learns nothing and costs nothing: no secret read,
   * no Box call, and the answer is the same whether the tenant exists or not.
   */
  private requireAdmitted(scope: RequestScope, tenant: string): void {
    if (admitsCaller(this.policy, scope.caller, tenant)) return;
    const reason =
      tenant === DEFAULT_TENANT
        ? 'no rule admits this caller'
        : `no rule admits this caller for tenant ${tenant}`;
    scope.trace.decision = 'deny';
    scope.trace.reason = reason;
    throw new AccessDeniedError(`Access denied: ${reason}.`);
  }
}

/** What the request asks for, written on the trace before anything is decided. */
function recordRequest(request: ParsedTokenRequest, scope: RequestScope): void {
  const trace = scope.trace;
  trace.subject = request.subjectType === 'user' ? `user:${request.subjectId}` : 'enterprise';
  trace.scopes = request.scopes;
  if (request.resource !== undefined) {
    trace.resource = `${request.resource.type}:${request.resource.id}`;
  }
  if (request.sharedLink !== undefined) trace.resource = 'shared_link';
}

/**
 * A request naming the enterprise by ID must name the one the tenant's credentials serve (400
 * otherwise). Only such a request pays for the check (a secret read on a cold start).
 */
async function requireServedEnterprise(
  request: ParsedTokenRequest,
  supply: TokenSupply,
  scope: RequestScope,
): Promise<void> {
  if (request.subjectType !== 'enterprise' || request.subjectId === undefined) return;
  if (request.subjectId === (await supply.enterpriseId(scope))) return;
  throw new InvalidRequestError(
    'box_subject_id does not match the enterprise this broker serves; omit it for the enterprise token.',
  );
}

/** What the supply is asked for: the request's subject and item with the scopes granted. */
function askOf(request: ParsedTokenRequest, scopes: readonly string[]): TokenAsk {
  return {
    subject:
      request.subjectType === 'user'
        ? { type: 'user', id: request.subjectId ?? '' }
        : { type: 'enterprise' },
    scopes,
    resource: request.resource,
    sharedLink: request.sharedLink,
    minTtlSeconds: request.minTtlSeconds,
    deadTokenSha256: request.deadTokenSha256,
  };
}

/** The contract's token response for a served token (remaining life counted at `nowMs`). */
function tokenResponse({ value: token, target }: ServedToken, nowMs: number): TokenResponse {
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

/**
 * Who asks, as one key for budgets: an assumed role's sessions count as the role (a caller cannot
 * get a fresh budget by naming a new session), other principals as their ARN.
 */
function callerKeyOf(caller: CallerIdentity): string {
  if (caller.kind !== 'iam' || caller.arn === undefined) return caller.kind;
  const principal = parseCallerArn(caller.arn);
  return `iam:${principal.type === 'unrecognised' ? caller.arn : principal.arn}`;
}
