import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ROUTES } from '../lambda/contract.js';

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

const KNOWN_RESOURCES: ReadonlySet<string> = new Set(Object.values(ROUTES));
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves the Lambda handler over node:http the way API Gateway's REST proxy integration would:
 * each request becomes an `APIGatewayProxyEvent`, each result an HTTP response.
 */
export function apiGatewayListener(
  handler: ApiHandler,
  authenticate: LocalAuthenticator = () => ({ identity: undefined }),
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
    const event = toApiGatewayEvent(request, body, auth.identity);
    try {
      const result = (await handler(event, lambdaContext(event.requestContext.requestId))) as
        | APIGatewayProxyResult
        | undefined;
      send(response, result ?? { statusCode: 502, body: '{"message":"Internal server error"}' });
    } catch {
      // API Gateway answers a crashed integration with exactly this.
      send(response, { statusCode: 502, body: '{"message":"Internal server error"}' });
    }
  };
}

/** Builds the REST proxy event API Gateway would send for this request. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: string,
  identity: LocalIdentity | undefined,
): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const requestId = randomUUID();
  return {
    resource: KNOWN_RESOURCES.has(url.pathname) ? url.pathname : '/{proxy+}',
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: identity?.accountId ?? '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: request.method ?? 'GET',
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: url.pathname,
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
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: identity?.userArn ?? null,
      },
    },
  };
}

/** A Lambda context good enough for the handler: a request id and a time budget. */
export function lambdaContext(requestId: string, timeoutMs = 15_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'box-token-broker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:box-token-broker-local',
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
