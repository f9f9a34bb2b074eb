import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ParsedTokenRequest } from '../broker/types.js';
import { ONBOARD_ROUTE, ROUTES } from '../contract.js';
import { InvalidRequestError, MisconfiguredError, RouteError } from '../errors.js';
import type { CallerIdentity } from '../policy/access-policy.js';
import { parseTenant, parseTokenRequest, printable } from './token-request.js';

/** What the caller asked the broker to do. */
export type Operation =
  | { kind: 'token'; request: ParsedTokenRequest }
  | { kind: 'revoke'; token: string; tenant?: string }
  | { kind: 'health'; tenant?: string }
  /** Contract v1.3: the onboarding page and its submit (public routes, no SigV4 caller). */
  | { kind: 'onboard_page' }
  | { kind: 'onboard_submit'; body: unknown; sourceIp: string | undefined };

/** API Gateway accepts up to 10 MB; a token request is a few hundred bytes. */
const MAX_BODY_BYTES = 8 * 1024;

/**
 * The event of the `api` entry as a REST API proxy event. Only API Gateway can invoke that entry,
 * so another shape means the deployment is wired wrong (say, an HTTP API's v2 payload).
 */
export function apiEventOf(event: unknown): APIGatewayProxyEvent {
  if (typeof event === 'object' && event !== null) {
    const candidate = event as Partial<Record<keyof APIGatewayProxyEvent, unknown>>;
    if (
      typeof candidate.httpMethod === 'string' &&
      typeof candidate.requestContext === 'object' &&
      candidate.requestContext !== null
    ) {
      return event as APIGatewayProxyEvent;
    }
  }
  throw new MisconfiguredError(
    'The api entry received an event that is not an API Gateway REST proxy event; check the integration.',
  );
}

/** The caller API Gateway authenticated (SigV4), or the anonymous caller of an open local server. */
export function callerOf(event: APIGatewayProxyEvent): CallerIdentity {
  const identity = event.requestContext.identity;
  const arn = identity?.userArn;
  if (typeof arn !== 'string' || arn === '') return { kind: 'anonymous' };
  const caller: CallerIdentity = { kind: 'iam', arn };
  if (typeof identity.accountId === 'string' && identity.accountId !== '') {
    caller.accountId = identity.accountId;
  }
  // principalOrgId is present on REST API events for callers in an AWS Organization.
  const orgId = (identity as { principalOrgId?: unknown }).principalOrgId;
  if (typeof orgId === 'string' && orgId !== '') caller.principalOrgId = orgId;
  return caller;
}

/** The operation an API Gateway event asks for; 400/404/405 on anything malformed. */
export function apiOperation(event: APIGatewayProxyEvent): Operation {
  const path = routePath(event);
  const method = event.httpMethod.toUpperCase();
  if (path === ROUTES.token) {
    if (method === 'POST') {
      rejectQuery(event);
      return { kind: 'token', request: parseTokenRequest(jsonBody(event), 'json') };
    }
    if (method === 'GET')
      return { kind: 'token', request: parseTokenRequest(queryOf(event), 'query') };
    throw methodNotAllowed(method, path, ['GET', 'POST']);
  }
  if (path === ROUTES.revoke) {
    if (method !== 'POST') throw methodNotAllowed(method, path, ['POST']);
    return { kind: 'revoke', ...parseRevokeBody(jsonBody(event)) };
  }
  if (path === ROUTES.health) {
    if (method !== 'GET') throw methodNotAllowed(method, path, ['GET']);
    // v1 ignored the query of /health; only `tenant` means something now.
    const tenant = parseTenant(queryOf(event)?.tenant);
    return tenant === undefined ? { kind: 'health' } : { kind: 'health', tenant };
  }
  if (path === ONBOARD_ROUTE) {
    if (method === 'GET') return { kind: 'onboard_page' };
    if (method !== 'POST') throw methodNotAllowed(method, path, ['GET', 'POST']);
    rejectQuery(event);
    requireJsonContentType(event);
    const sourceIp = event.requestContext.identity?.sourceIp;
    return {
      kind: 'onboard_submit',
      body: jsonBody(event),
      sourceIp: typeof sourceIp === 'string' && sourceIp !== '' ? sourceIp : undefined,
    };
  }
  throw new RouteError(
    'not_found',
    'No such route; the broker serves /token, /revoke and /health.',
  );
}

/**
 * Whether the event is for the public onboarding route, whatever its method or body: its
 * refusals carry the page's security headers and its log line claims no tenant before the code
 * names one.
 */
export function isOnboardRoute(event: APIGatewayProxyEvent): boolean {
  return routePath(event) === ONBOARD_ROUTE;
}

/** A direct invocation's event is the token request object itself. */
export function directTokenRequest(event: unknown): ParsedTokenRequest {
  return parseTokenRequest(event, 'json');
}

/**
 * The route as the API defines it. `resource` is the template API Gateway matched; `path` may
 * carry a stage prefix on custom domains, so it is only the fallback (local server, tests).
 */
function routePath(event: APIGatewayProxyEvent): string {
  const resource = event.resource;
  if (typeof resource === 'string' && resource !== '' && resource !== '/{proxy+}') return resource;
  const path = event.path ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function methodNotAllowed(method: string, path: string, allow: readonly string[]): RouteError {
  return new RouteError(
    'method_not_allowed',
    `${path} does not accept ${method.slice(0, 10)}.`,
    allow,
  );
}

function rejectQuery(event: APIGatewayProxyEvent): void {
  const query = event.queryStringParameters;
  if (query !== null && query !== undefined && Object.keys(query).length > 0) {
    throw new InvalidRequestError(
      `POST ${routePath(event)} takes its fields in the JSON body, not the query.`,
    );
  }
}

/**
 * The public submit takes only `application/json`: a cross-site form can send `text/plain` or a
 * form encoding without a CORS preflight, never JSON, so refusing the rest keeps other sites'
 * pages from posting to it.
 */
function requireJsonContentType(event: APIGatewayProxyEvent): void {
  const headers = event.headers ?? {};
  const name = Object.keys(headers).find((header) => header.toLowerCase() === 'content-type');
  const value = name === undefined ? undefined : headers[name];
  const mediaType = value?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new InvalidRequestError(
      `POST ${routePath(event)} takes a JSON body: send Content-Type: application/json.`,
    );
  }
}

function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined) return undefined;
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new InvalidRequestError(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

/**
 * The query string as a token-request map. The map has no prototype: `?__proto__=x` must stay a
 * key (and be refused as an unknown field), not set the map's prototype and vanish.
 */
function queryOf(event: APIGatewayProxyEvent): Record<string, string> | undefined {
  const multi = event.multiValueQueryStringParameters;
  if (multi !== null && multi !== undefined) {
    for (const name of Object.keys(multi)) {
      const values = multi[name];
      if (values !== undefined && values.length > 1) {
        throw new InvalidRequestError(`Query parameter "${printable(name)}" is repeated.`);
      }
    }
  }
  const query = event.queryStringParameters;
  if (query === null || query === undefined) return undefined;
  const fields: Record<string, string> = Object.create(null);
  for (const name of Object.keys(query)) {
    const value = query[name];
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

function parseRevokeBody(body: unknown): { token: string; tenant?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('POST /revoke takes the JSON body {"token": "..."}.');
  }
  // Own keys only: JSON.parse makes `__proto__` an own key, and it must be refused like any other.
  for (const key of Object.keys(body)) {
    if (key !== 'token' && key !== 'tenant') {
      throw new InvalidRequestError(`Unknown field "${printable(key)}"; allowed: token, tenant.`);
    }
  }
  const token = Object.hasOwn(body, 'token') ? (body as { token?: unknown }).token : undefined;
  if (typeof token !== 'string' || token === '' || token.length > 2048) {
    throw new InvalidRequestError('token must be a non-empty string.');
  }
  const tenant = parseTenant(
    Object.hasOwn(body, 'tenant') ? (body as { tenant?: unknown }).tenant : undefined,
  );
  return tenant === undefined ? { token } : { token, tenant };
}
