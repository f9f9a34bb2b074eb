import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { BoxUserProbe } from './box/user-probe.js';
import type { Broker } from './broker/broker.js';
import type { RequestScope } from './broker/requests.js';
import type { HealthResponse, RevokeResponse, TokenResponse } from './contract.js';
import { ANSWER_MARGIN_MS, startDeadline } from './deadline.js';
import { BrokerError, toBrokerError } from './errors.js';
import {
  apiOperation,
  callerOf,
  directTokenRequest,
  type Operation,
  transportOf,
} from './http/invocation.js';
import { directInvocationError, errorResponse, jsonResponse } from './http/responses.js';
import type { RequestLogger } from './trace/log-line.js';
import { type RequestTrace, startTrace } from './trace/request-trace.js';

/** The Lambda context while the broker handles a request: it carries the request's trace. */
export interface BrokerContext extends Context {
  trace?: RequestTrace | undefined;
}

export type BrokerResult = APIGatewayProxyResult | TokenResponse | CanaryResult;

export interface HandlerDependencies {
  /** The broker, or the configuration error that kept it from being built (every request gets it). */
  broker: Broker | BrokerError;
  logger: RequestLogger;
  /** Proves a token works at Box; used by the scheduled canary. */
  probe?: BoxUserProbe;
  /** The budget of one request's upstream work (`BOX_RETRY_BUDGET_MS`). @default 10000 */
  requestBudgetMs?: number;
  now?: () => number;
}

/** What the scheduled canary returns (and logs). */
export interface CanaryResult {
  status: 'ok';
  box_user_id: string;
  token_expires_in: number;
}

/**
 * The function's handler: middleware opens a trace and writes its log line; the core reads the
 * operation, asks the broker, and shapes the answer for the transport it came by.
 */
export function createHandler(deps: HandlerDependencies) {
  const now = deps.now ?? Date.now;
  return middy<unknown, BrokerResult, Error, BrokerContext>()
    .use(requestLog(deps.logger))
    .use(openTrace(now))
    .handler(async (event, context) => {
      const trace = traceOf(context);
      if (deps.broker instanceof BrokerError) throw deps.broker;
      const broker = deps.broker;
      const scope: RequestScope = {
        caller: trace.caller,
        trace,
        deadline: startDeadline({
          budgetMs: deps.requestBudgetMs ?? 10_000,
          remainingMs: context.getRemainingTimeInMillis?.(),
          answerMarginMs: ANSWER_MARGIN_MS,
          now,
        }),
      };
      if (trace.transport === 'schedule') return canary(broker, deps.probe, scope);
      if (trace.transport === 'direct') {
        const response = await broker.issueToken(directTokenRequest(event), scope);
        trace.status = 200;
        return response;
      }
      const body = await perform(broker, apiOperation(event as APIGatewayProxyEvent), scope);
      trace.status = 200;
      return jsonResponse(body, trace.requestId);
    });
}

async function perform(
  broker: Broker,
  operation: Operation,
  scope: RequestScope,
): Promise<TokenResponse | RevokeResponse | HealthResponse> {
  switch (operation.kind) {
    case 'token':
      return broker.issueToken(operation.request, scope);
    case 'revoke':
      await broker.revokeToken(operation.token, scope);
      return { revoked: true };
    case 'health':
      return (await broker.health(scope)).response;
  }
}

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
  trace.canary = 0;
  const health = await broker.health(scope);
  if (probe === undefined) throw new TypeError('the canary needs a Box user probe');
  const userId = await probe.whoAmI(health.accessToken);
  trace.canary = 1;
  trace.status = 200;
  return { status: 'ok', box_user_id: userId, token_expires_in: health.response.token_expires_in };
}

function traceOf(context: BrokerContext): RequestTrace {
  if (context.trace === undefined) throw new TypeError('openTrace middleware is missing');
  return context.trace;
}

/** Opens the request's trace: who calls, by which transport, which route. */
function openTrace(now: () => number): MiddlewareObj<unknown, BrokerResult, Error, BrokerContext> {
  return {
    name: 'openTrace',
    before: (request) => {
      const event = request.event;
      const startedAt = now();
      const transport = transportOf(event);
      if (transport === 'api') {
        const apiEvent = event as APIGatewayProxyEvent;
        request.context.trace = startTrace(
          apiEvent.requestContext.requestId ?? request.context.awsRequestId,
          'api',
          `${apiEvent.httpMethod} ${apiEvent.resource ?? apiEvent.path}`,
          callerOf(apiEvent),
          startedAt,
        );
      } else {
        request.context.trace = startTrace(
          request.context.awsRequestId,
          transport,
          transport === 'schedule' ? 'canary' : 'invoke',
          { kind: 'direct' },
          startedAt,
        );
      }
    },
    onError: (request) => {
      // Errors thrown before the trace opened still get a contract-shaped answer.
      const trace = request.context.trace;
      if (trace === undefined) return;
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
      if (trace.transport !== 'api') {
        request.error = directInvocationError(error, trace.requestId);
      } else {
        request.response = errorResponse(error, trace.requestId);
      }
    },
  };
}

/** Writes the request's one log line, success or failure, after the answer is shaped. */
function requestLog(
  logger: RequestLogger,
): MiddlewareObj<unknown, BrokerResult, Error, BrokerContext> {
  const write = (request: { context: BrokerContext }) => {
    const trace = request.context.trace;
    if (trace !== undefined) logger.write(trace);
    request.context.trace = undefined;
  };
  return { name: 'requestLog', after: write, onError: write };
}
