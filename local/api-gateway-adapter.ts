import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ONBOARD_ROUTE, ROUTES } from '../lambda/contract.js';
import { queryPairsOf } from './query-string.js';

/** The identity API Gateway would put in `requestContext.identity` after IAM auth. */
export interface LocalIdentity {
  userArn: string;
  accountId: string;
  principalOrgId?: string;
}

/** Decides who a local request comes from, or answers it itself (e.g. 403 for a bad signature). */
export type LocalAuthenticator = (
  request: IncomingMessage,
  body: string,
) => { identity: LocalIdentity | undefined } | { reject: APIGatewayProxyResult };

/** The handler the adapter serves: the Lambda handler, as deployed. */
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

const KNOWN_RESOURCES: ReadonlySet<string> = new Set([...Object.values(ROUTES), ONBOARD_ROUTE]);
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves the Lambda handler over node:http the way API Gateway's REST proxy integration would:
 * each request becomes an `APIGatewayProxyEvent`, each result an HTTP response.
 */
export function apiGatewayListener(
  handler: ApiHandler,
  authenticate: LocalAuthenticator = () => ({ identity: undefined }),
  stage: { stageVariables?: Readonly<Record<string, string>> } = {},
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let body: string;
    try {
      body = await readBody(request);
    } catch {
      send(response, { statusCode: 413, body: '{"message":"Request too large"}' });
      return;
    }
    const auth = authenticate(request, body);
    if ('reject' in auth) {
      send(response, auth.reject);
      return;
    }
    try {
      const event = toApiGatewayEvent(request, body, auth.identity, stage.stageVariables);
      // API Gateway invokes the function's `api` alias: that, not the event, makes it an API event.
      const context = lambdaContext(event.requestContext.requestId, 'api');
      const result = (await handler(event, context)) as APIGatewayProxyResult | undefined;
      send(response, result ?? { statusCode: 502, body: '{"message":"Internal server error"}' });
    } catch {
      // API Gateway answers a crashed integration with exactly this.
      send(response, { statusCode: 502, body: '{"message":"Internal server error"}' });
    }
  };
}

/** The parts of a REST API request that the proxy event is made from. */
export interface ApiEventParts {
  method: string;
  /** The path as the client sent it; also the matched resource when it is one of the routes. */
  path: string;
  headers?: Record<string, string[]>;
  query?: Record<string, string[]>;
  body?: string | null;
  /** The IAM caller API Gateway authenticated; none = an unsigned (anonymous) request. */
  identity?: LocalIdentity | undefined;
  requestId?: string;
  sourceIp?: string;
  stage?: string;
  /** The stage's variables, as API Gateway adds them to every event (the entry key among them). */
  stageVariables?: Readonly<Record<string, string>> | undefined;
}

/**
 * A REST API proxy event exactly as API Gateway sends it (every field present, nulls where API
 * Gateway sends null). The local server and the tests build their events here.
 */
export function apiGatewayEvent(parts: ApiEventParts): APIGatewayProxyEvent {
  // Caller-chosen names (headers, query parameters) go into maps without a prototype, so that
  // `__proto__` or `constructor` arrive as keys, as they do in the JSON Lambda parses.
  const headers: Record<string, string> = Object.create(null);
  for (const [name, values] of Object.entries(parts.headers ?? {}))
    headers[name] = values.join(',');
  const query: Record<string, string> = Object.create(null);
  for (const [name, values] of Object.entries(parts.query ?? {})) {
    query[name] = values.at(-1) ?? '';
  }
  const hasQuery = Object.keys(query).length > 0;
  const identity = parts.identity;
  const stage = parts.stage ?? 'local';
  return {
    resource: KNOWN_RESOURCES.has(parts.path) ? parts.path : '/{proxy+}',
    path: parts.path,
    httpMethod: parts.method,
    headers,
    multiValueHeaders: parts.headers ?? {},
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? (parts.query ?? null) : null,
    pathParameters: null,
    stageVariables: parts.stageVariables === undefined ? null : { ...parts.stageVariables },
    body: parts.body === undefined || parts.body === '' ? null : parts.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: identity?.accountId ?? '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: parts.method,
      path: `/${stage}${parts.path}`,
      stage,
      requestId: parts.requestId ?? randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: parts.path,
      identity: {
        accessKey: null,
        accountId: identity?.accountId ?? null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: identity?.principalOrgId ?? null,
        sourceIp: parts.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: parts.headers?.['user-agent']?.[0] ?? null,
        userArn: identity?.userArn ?? null,
      },
    },
  };
}

/** Builds the REST proxy event API Gateway would send for this HTTP request. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: string,
  identity: LocalIdentity | undefined,
  stageVariables?: Readonly<Record<string, string>>,
): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string[]> = Object.create(null);
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value : [value];
  }
  const query: Record<string, string[]> = Object.create(null);
  for (const [name, value] of queryPairsOf(request.url ?? '/'))
    query[name] = [...(query[name] ?? []), value];
  return apiGatewayEvent({
    method: request.method ?? 'GET',
    path: url.pathname,
    headers,
    query,
    body,
    identity,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    stageVariables,
  });
}

/**
 * The entry a local invocation comes through. `api` and `schedule` are the aliases API Gateway
 * and the schedule invoke; `direct` is the unqualified function, as a direct caller invokes it.
 */
export type LocalEntry = 'api' | 'schedule' | 'direct';

const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:box-token-broker-local';

/** The ARN Lambda reports as invoked: the function, qualified by an alias or version if given. */
export function localFunctionArn(qualifier?: string): string {
  return qualifier === undefined ? LOCAL_FUNCTION_ARN : `${LOCAL_FUNCTION_ARN}:${qualifier}`;
}

/**
 * A Lambda context good enough for the handler: a request id, a time budget, and the invoked
 * ARN that tells the handler which entry the event came through.
 */
export function lambdaContext(requestId: string, entry: LocalEntry, timeoutMs = 15_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'box-token-broker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(entry === 'direct' ? undefined : entry),
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new RangeError('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  response.writeHead(result.statusCode, headers);
  response.end(result.body);
}
