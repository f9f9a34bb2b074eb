import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ErrorResponse } from '../contract.js';
import { type BrokerError, RouteError } from '../errors.js';

/** Tokens must never be stored by a proxy or a browser (RFC 6749 §5.1). */
const NO_STORE_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
} as const;

/** A 200 JSON response. */
export function jsonResponse(body: unknown, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { ...NO_STORE_HEADERS, 'X-Request-Id': requestId },
    body: JSON.stringify(body),
  };
}

/** The contract's error body for a broker error. */
export function errorBody(error: BrokerError, requestId: string): ErrorResponse {
  return {
    error: error.code,
    error_description: error.message,
    retryable: error.retryable,
    request_id: requestId,
  };
}

/**
 * An error as an HTTP response, with `Retry-After` when waiting can help and `Allow` on a 405
 * (RFC 9110 §15.5.6: a 405 must list the methods the resource accepts).
 */
export function errorResponse(error: BrokerError, requestId: string): APIGatewayProxyResult {
  const headers: Record<string, string> = { ...NO_STORE_HEADERS, 'X-Request-Id': requestId };
  if (error instanceof RouteError && error.allow.length > 0) headers.Allow = error.allow.join(', ');
  if (error.retryable) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds ?? 1)));
  }
  return {
    statusCode: error.status,
    headers,
    body: JSON.stringify(errorBody(error, requestId)),
  };
}

/**
 * The error a direct invocation throws: Lambda reports `name` as the function error's
 * `errorType` (the contract code) and `message` as its `errorMessage` (the contract's body as
 * JSON, so callers get `retryable` and `request_id` too). No stack leaves the function.
 */
export function directInvocationError(error: BrokerError, requestId: string): Error {
  const thrown = new Error(JSON.stringify(errorBody(error, requestId)));
  thrown.name = error.code;
  thrown.stack = `${error.code}: ${error.message}`;
  return thrown;
}
