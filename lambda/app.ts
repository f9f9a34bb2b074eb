import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { BoxUserProbe } from './box/user-probe.js';
import type { Broker } from './broker/broker.js';
import type { RequestScope } from './broker/types.js';
import { CONFIG_DEFAULTS } from './config.js';
import type { HealthResponse, RevokeResponse, TokenResponse } from './contract.js';
import { ANSWER_MARGIN_MS, startDeadline } from './deadline.js';
import { BrokerError, RouteError, toBrokerError } from './errors.js';
import type { TenantHealth } from './health/tenant-health.js';
import { ApiEntryKey, type ApiEntrySecret } from './http/api-entry-key.js';
import { entryOf } from './http/entries.js';
import {
  apiEventOf,
  apiOperation,
  callerOf,
  directTokenRequest,
  isOnboardRoute,
  type Operation,
} from './http/invocation.js';
import { directInvocationError, errorResponse, jsonResponse } from './http/responses.js';
import type { CallerIdentity, Entry } from './identity.js';
import type { Onboarding } from './onboard/onboarding.js';
import { ONBOARD_SECURITY_HEADERS } from './onboard/page.js';
import { runLogEvents, type SetupRunSummary, summarize } from './setup/run-report.js';
import type { ScheduledSetupChecks } from './setup/scheduled-checks.js';
import type { RequestLogger } from './trace/request-logger.js';
import { type RequestTrace, startTrace } from './trace/request-trace.js';

/**
 * The Lambda context while the broker handles a request: what the entry established (the entry
 * and the caller it proved) and the trace the request's log line is written from. The handler
 * reads the entry and the caller from here; the trace is only written to.
 */
export interface BrokerContext extends Context {
  entry?: Entry | undefined;
  caller?: CallerIdentity | undefined;
  trace?: RequestTrace | undefined;
}

export type BrokerResult = APIGatewayProxyResult | TokenResponse | CanaryResult;

export interface HandlerDependencies {
  /** The broker, or the configuration error that kept it from being built (every request gets it). */
  broker: Broker | BrokerError;
  logger: RequestLogger;
  /** Proves a token works at Box; used by the scheduled canary. */
  probe?: BoxUserProbe;
  /** The setup checks the schedule runs after the canary (default and registered tenants). */
  setupChecks?: ScheduledSetupChecks;
  /**
   * The time one request may spend on Box and Secrets Manager (`BOX_RETRY_BUDGET_MS`), cut short
   * when Lambda has less left. @default 10000
   */
  requestBudgetMs?: number;
  /**
   * Where the `api` entry's key is kept; every `api` event must carry it (docs/api.md "Entries").
   * Absent = the `api` alias is trusted on its resource policy alone.
   */
  apiEntrySecret?: ApiEntrySecret;
  /** The `api` entry's key check itself (the local server's); takes precedence over the secret. */
  apiEntryKey?: ApiEntryKey;
  /** Tenant health events (`BOX_EVENT_BUS`): judged by the setup checks and by live traffic. */
  health?: TenantHealth;
  /**
   * Contract v1.3: the onboarding page and its submit; absent = `/onboard` is not served (404),
   * as when the deployment leaves onboarding off.
   */
  onboarding?: Onboarding;
  now?: () => number;
}

/** What the scheduled canary returns (and logs). */
export interface CanaryResult {
  status: 'ok';
  /** The Box user the default tenant's token acts as; absent when there is no default tenant. */
  box_user_id?: string;
  token_expires_in?: number;
  /**
   * Set when the token probe did not run: a tenants-only deployment has no default tenant to
   * take a token for, and its tenants are proven by the setup checks (`TenantsFailing`).
   */
  skipped?: 'no_default_tenant';
  /** The scheduled setup checks' counts, when they ran. */
  setup_checks?: SetupRunSummary;
}

/**
 * The function's handler: middleware opens a trace and writes its log line; the core reads the
 * operation, asks the broker, and shapes the answer for the entry it came through.
 */
export function createHandler(deps: HandlerDependencies) {
  const now = deps.now ?? Date.now;
  const budgetMs = deps.requestBudgetMs ?? CONFIG_DEFAULTS.boxRetryBudgetMs;
  const entryKey =
    deps.apiEntryKey ??
    (deps.apiEntrySecret === undefined
      ? undefined
      : ApiEntryKey.fromSecret(deps.apiEntrySecret, now));
  entryKey?.prefetch();
  const handler = middy<unknown, BrokerResult, Error, BrokerContext>();
  // Without health events there is nothing to settle: no middleware, no await per request.
  if (deps.health !== undefined) handler.use(settleHealth(deps.health));
  return handler
    .use(requestLog(deps.logger))
    .use(openTrace(now, entryKey))
    .handler(async (event, context) => {
      const { entry, caller, trace } = openedRequestOf(context);
      // One deadline for all of the request's upstream calls, inside the time Lambda has left.
      const deadline = startDeadline({
        budgetMs,
        remainingMs: remainingTimeOf(context),
        answerMarginMs: ANSWER_MARGIN_MS,
        now,
      });
      const scope: RequestScope = { entry, caller, trace, deadline };
      if (entry === 'schedule') {
        const remainingMs = () => remainingTimeOf(context);
        return scheduled(deps, scope, remainingMs, now);
      }
      if (deps.broker instanceof BrokerError) throw deps.broker;
      const broker = deps.broker;
      switch (entry) {
        case 'direct': {
          trace.operation = 'token';
          const response = await broker.issueToken(directTokenRequest(event), scope);
          trace.status = 200;
          return response;
        }
        case 'api': {
          const operation = apiOperation(apiEventOf(event));
          if (operation.kind === 'onboard_page' || operation.kind === 'onboard_submit') {
            return onboard(deps.onboarding, operation, scope);
          }
          trace.operation = operation.kind;
          const body = await perform(broker, operation, scope);
          trace.status = 200;
          return jsonResponse(body, trace.requestId);
        }
      }
    });
}

/** The onboarding routes, when this deployment serves them. */
async function onboard(
  onboarding: Onboarding | undefined,
  operation: Extract<Operation, { kind: 'onboard_page' | 'onboard_submit' }>,
  scope: RequestScope,
): Promise<APIGatewayProxyResult> {
  if (onboarding === undefined) {
    throw new RouteError(
      'not_found',
      'No such route; the broker serves /token, /revoke and /health.',
    );
  }
  if (operation.kind === 'onboard_page') return onboarding.page(scope.trace);
  return onboarding.submit(operation.body, {
    trace: scope.trace,
    deadline: scope.deadline,
    sourceIp: operation.sourceIp,
  });
}

async function perform(
  broker: Broker,
  operation: Exclude<Operation, { kind: 'onboard_page' | 'onboard_submit' }>,
  scope: RequestScope,
): Promise<TokenResponse | RevokeResponse | HealthResponse> {
  switch (operation.kind) {
    case 'token':
      return broker.issueToken(operation.request, scope);
    case 'revoke':
      return broker.revokeToken(operation.token, scope, operation.tenant);
    case 'health':
      return (await broker.health(scope, operation.tenant)).response;
  }
}

/**
 * The schedule's run: the canary, then the setup checks in the time left. The checks run even
 * when the canary fails (a failing tenant is worth knowing about during a Box outage too); the
 * canary's failure is thrown afterwards, so it still shows as a function error and as
 * `CanarySuccess` = 0.
 */
async function scheduled(
  deps: HandlerDependencies,
  scope: RequestScope,
  remainingMs: () => number | undefined,
  now: () => number,
): Promise<CanaryResult> {
  let result: CanaryResult | undefined;
  let failure: unknown;
  try {
    if (deps.broker instanceof BrokerError) throw deps.broker;
    result = await canary(deps.broker, deps.probe, scope);
  } catch (error) {
    failure = error;
  }
  let summary: SetupRunSummary | undefined;
  if (deps.setupChecks !== undefined) {
    // Whatever the function has left after the canary; the budget only applies off Lambda.
    const endDeadline = startDeadline({
      budgetMs: SETUP_RUN_BUDGET_MS,
      remainingMs: remainingMs(),
      answerMarginMs: ANSWER_MARGIN_MS,
      now,
    });
    // With health events, the checks leave time to judge what they found.
    const reserveMs = deps.health === undefined ? 0 : HEALTH_RESERVE_MS;
    const runDeadline = startDeadline({
      budgetMs: endDeadline.atMs - now() - reserveMs,
      remainingMs: undefined,
      answerMarginMs: 0,
      now,
    });
    const run = await deps.setupChecks.run(runDeadline);
    for (const line of runLogEvents(run, scope.trace.requestId)) deps.logger.writeEvent(line);
    summary = summarize(run);
    // Only transitions become events; a tenant not judged now is judged on its next check.
    await deps.health?.afterSetupRun(run, () => endDeadline.atMs - now() >= HEALTH_CHECK_START_MS);
  }
  if (result === undefined) throw failure;
  return summary === undefined ? result : { ...result, setup_checks: summary };
}

/**
 * A tenant's health is not judged with less than this left of the invocation: a read, a write,
 * a claim (a few hundred ms each at most) and a PutEvents (1 s at most).
 */
const HEALTH_CHECK_START_MS = 3000;
/** What the setup checks leave of the invocation for judging health (a little over one judgement). */
const HEALTH_RESERVE_MS = 3500;

/** The setup checks' time when Lambda does not say how much is left (local runs, tests). */
const SETUP_RUN_BUDGET_MS = 60_000;

/**
 * The scheduled canary: a token from the broker (cache allowed) must also work at Box. A failure
 * is thrown, so it shows as a function error and as `CanarySuccess` = 0.
 */
async function canary(
  broker: Broker,
  probe: BoxUserProbe | undefined,
  scope: RequestScope,
): Promise<CanaryResult> {
  const trace = scope.trace;
  trace.operation = 'canary';
  if (!broker.hasDefaultTenant) {
    // Nothing to probe: the run's setup checks prove each tenant's app instead.
    trace.canary = 1;
    trace.status = 200;
    return { status: 'ok', skipped: 'no_default_tenant' };
  }
  trace.canary = 0;
  const health = await broker.health(scope);
  if (probe === undefined) throw new TypeError('the canary needs a Box user probe');
  const userId = await probe.whoAmI(health.accessToken, scope.deadline);
  trace.canary = 1;
  trace.status = 200;
  return { status: 'ok', box_user_id: userId, token_expires_in: health.response.token_expires_in };
}

/** What Lambda says is left of the invocation; undefined off Lambda (no such method). */
function remainingTimeOf(context: Context): number | undefined {
  return typeof context.getRemainingTimeInMillis === 'function'
    ? context.getRemainingTimeInMillis()
    : undefined;
}

/** What openTrace established for the request. */
function openedRequestOf(context: BrokerContext): {
  entry: Entry;
  caller: CallerIdentity;
  trace: RequestTrace;
} {
  const { entry, caller, trace } = context;
  if (entry === undefined || caller === undefined || trace === undefined) {
    throw new TypeError('openTrace middleware is missing');
  }
  return { entry, caller, trace };
}

/** The route a trace names until the event says more (an API event names its own). */
const ENTRY_ROUTES: Readonly<Record<Entry, string>> = {
  api: 'api',
  direct: 'invoke',
  schedule: 'canary',
};

/**
 * The entry (from the invoked ARN alone), its caller as far as known before the event is read,
 * and a trace for them, set on the context.
 */
function openEntry(context: BrokerContext, startedAtMs: number): RequestTrace {
  const entry = entryOf(context.invokedFunctionArn);
  // Only the `api` entry carries an authenticated identity, read from the event afterwards.
  const caller: CallerIdentity = entry === 'api' ? { kind: 'anonymous' } : { kind: 'direct' };
  const requestId = typeof context.awsRequestId === 'string' ? context.awsRequestId : 'unknown';
  const trace = startTrace(requestId, entry, ENTRY_ROUTES[entry], caller, startedAtMs);
  context.entry = entry;
  context.caller = caller;
  context.trace = trace;
  return trace;
}

/**
 * Opens the request's trace: the entry it came through (from the invoked ARN alone), then, for
 * the `api` entry, the route, the deployment's entry key (a 403 without it) and the caller API
 * Gateway authenticated.
 */
function openTrace(
  now: () => number,
  entryKey: ApiEntryKey | undefined,
): MiddlewareObj<unknown, BrokerResult, Error, BrokerContext> {
  return {
    name: 'openTrace',
    before: async (request) => {
      const trace = openEntry(request.context, now());
      if (request.context.entry !== 'api') return;
      // The trace is open, so a malformed event below still gets a contract-shaped answer.
      const apiEvent = apiEventOf(request.event);
      const requestId = apiEvent.requestContext.requestId;
      if (typeof requestId === 'string' && requestId !== '') trace.requestId = requestId;
      trace.route = `${apiEvent.httpMethod} ${apiEvent.resource ?? apiEvent.path}`;
      // Known before the body is parsed, so a refused submit is still an onboarding request.
      if (isOnboardRoute(apiEvent)) trace.operation = 'onboard';
      // Only an event that carries the deployment's key came through its API: before that, the
      // identity in it is a claim, and it is never logged as the caller.
      await entryKey?.verify(apiEvent, trace);
      const caller = callerOf(apiEvent);
      request.context.caller = caller;
      trace.caller = caller;
    },
    onError: (request) => {
      // An error thrown before the trace opened (say, by the clock) still gets a trace, so the
      // caller gets a contract-shaped answer and the operator a log line.
      const trace = request.context.trace ?? openEntry(request.context, Date.now());
      const error = toBrokerError(request.error);
      trace.status = error.status;
      trace.errorCode = error.code;
      // Unexpected and configuration failures keep their cause for the operator's log only.
      if (error.code === 'server_error' || error.code === 'misconfigured') {
        const cause = error.cause ?? error;
        if (cause instanceof Error) {
          trace.failure = { name: cause.name, message: cause.message.slice(0, 500) };
        }
      }
      if (request.context.entry !== 'api') {
        request.error = directInvocationError(error, trace.requestId);
      } else {
        const response = errorResponse(error, trace.requestId);
        // The public page's refusals are as uncacheable and unframeable as its answers.
        if (trace.operation === 'onboard') {
          response.headers = { ...response.headers, ...ONBOARD_SECURITY_HEADERS };
        }
        request.response = response;
      }
    },
  };
}

/**
 * Waits, bounded, for the health checks the request started (a rejection Box just answered)
 * before the answer leaves: Lambda freezes the environment once it has answered, and an event
 * still in flight would wait for the next invocation. The wait never fails the request.
 */
function settleHealth(
  health: TenantHealth,
): MiddlewareObj<unknown, BrokerResult, Error, BrokerContext> {
  // Nothing in flight (the usual request): answered synchronously, so middy does not await.
  const settle = () => (health.pending === 0 ? undefined : health.settle());
  return { name: 'settleHealth', after: settle, onError: settle };
}

/** Writes the request's one log line, success or failure, after the answer is shaped. */
function requestLog(
  logger: RequestLogger,
): MiddlewareObj<unknown, BrokerResult, Error, BrokerContext> {
  const write = (request: { context: BrokerContext }) => {
    const trace = request.context.trace;
    if (trace !== undefined) logger.write(trace);
    request.context.trace = undefined;
    request.context.entry = undefined;
    request.context.caller = undefined;
  };
  return { name: 'requestLog', after: write, onError: write };
}
