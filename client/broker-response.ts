/**
 * Turns the broker's HTTP answers into typed values: the contract's bodies on success, a
 * {@link BrokerClientError} for everything else (the broker's own errors, API Gateway's, and
 * answers that are neither). Nothing here echoes a body, a token or a header value.
 */
import type { HealthResponse, TokenResponse } from '../lambda/contract.js';
import { BrokerClientError, type BrokerClientErrorCode, isContractCode } from './errors.js';

/** The parts of an HTTP answer the parsers read. */
export interface BrokerAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/** A token response, checked field by field before anything uses it. */
export function parseTokenResponse(answer: BrokerAnswer): TokenResponse {
  const body = successBody(answer);
  const fail = (what: string) =>
    new BrokerClientError('unexpected_response', `The broker's token response ${what}.`, {
      status: answer.status,
      ...requestIdOf(answer, undefined),
    });
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw fail('has no access_token');
  }
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw fail('is not a bearer token');
  }
  if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in)) {
    throw fail('has no numeric expires_in');
  }
  if (typeof body.expires_at !== 'string' || Number.isNaN(Date.parse(body.expires_at))) {
    throw fail('has no RFC 3339 expires_at');
  }
  if (!Array.isArray(body.restricted_to)) throw fail('has no restricted_to list');
  if (body.box_subject_type !== 'enterprise' && body.box_subject_type !== 'user') {
    throw fail('has no box_subject_type');
  }
  if (typeof body.box_subject_id !== 'string') throw fail('has no box_subject_id');
  return body as unknown as TokenResponse;
}

/** A `GET /health` response. */
export function parseHealthResponse(answer: BrokerAnswer): HealthResponse {
  const body = successBody(answer);
  if (body.status !== 'ok' || typeof body.token_expires_in !== 'number') {
    throw new BrokerClientError(
      'unexpected_response',
      "The broker's health response is malformed.",
      {
        status: answer.status,
      },
    );
  }
  return body as unknown as HealthResponse;
}

/** A `POST /revoke` response. */
export function parseRevokeResponse(answer: BrokerAnswer): void {
  const body = successBody(answer);
  if (body.revoked !== true) {
    throw new BrokerClientError(
      'unexpected_response',
      "The broker's revoke response is malformed.",
      {
        status: answer.status,
      },
    );
  }
}

/**
 * The error a non-2xx answer stands for. The broker's contract body gives the code, text,
 * `retryable` and `request_id`; API Gateway's `{"message"}` bodies map to client codes.
 */
export function errorFromAnswer(answer: BrokerAnswer, nowMs: number): BrokerClientError {
  const body = jsonObject(answer.text);
  const retryAfter = parseRetryAfter(answer.headers.get('retry-after'), nowMs);
  const common = {
    status: answer.status,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
  };
  if (body !== undefined && typeof body.error === 'string' && isContractCode(body.error)) {
    const description =
      typeof body.error_description === 'string' ? body.error_description : body.error;
    return new BrokerClientError(body.error, description, {
      ...common,
      ...(typeof body.retryable === 'boolean' ? { retryable: body.retryable } : {}),
      ...requestIdOf(answer, body),
    });
  }
  const gatewayMessage =
    body !== undefined && typeof body.message === 'string' ? body.message : undefined;
  const code = gatewayCode(answer.status, gatewayMessage);
  const text =
    gatewayMessage === undefined
      ? `The broker answered HTTP ${answer.status} without a contract error body.`
      : `API Gateway answered HTTP ${answer.status}: ${gatewayMessage.slice(0, 300)}`;
  return new BrokerClientError(code, text, {
    ...common,
    // An unexpected body is worth another try only when the status says the fault is transient.
    ...(code === 'unexpected_response' ? { retryable: isTransient(answer.status) } : {}),
    ...requestIdOf(answer, undefined),
  });
}

/** `Retry-After` in seconds: delta-seconds (what the broker sends) or an HTTP-date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (!/^[A-Za-z]{3},/.test(trimmed) || Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function gatewayCode(status: number, message: string | undefined): BrokerClientErrorCode {
  if (message === undefined) return 'unexpected_response';
  if (status === 403 || status === 401) return 'not_authorized';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'gateway_error';
  return 'unexpected_response';
}

function isTransient(status: number): boolean {
  return status === 429 || status >= 500;
}

function successBody(answer: BrokerAnswer): Record<string, unknown> {
  const body = jsonObject(answer.text);
  if (body === undefined) {
    throw new BrokerClientError(
      'unexpected_response',
      'The broker answered 200 without a JSON object.',
      {
        status: answer.status,
      },
    );
  }
  return body;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function requestIdOf(
  answer: BrokerAnswer,
  body: Record<string, unknown> | undefined,
): { requestId?: string } {
  const id =
    (typeof body?.request_id === 'string' ? body.request_id : undefined) ??
    answer.headers.get('x-request-id') ??
    answer.headers.get('x-amzn-requestid') ??
    undefined;
  return id === undefined ? {} : { requestId: id };
}
