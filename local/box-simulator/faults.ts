/**
 * Programmed misbehaviour: the fault kinds tests queue (429, 5xx, OAuth errors, malformed bodies,
 * raw answers, hangs, resets, delays), the queue that matches them to requests, and the answers
 * the answering kinds give.
 */
import {
  clientError,
  JSON_HEADERS,
  json,
  oauthError,
  randomToken,
  type SimAnswer,
} from './answers.js';

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** Exact request path. @default any path under `/oauth2/` */
  path?: string;
  /** Only requests with this `grant_type` form field (token endpoint). */
  grantType?: string;
  /**
   * Only requests whose `client_id` form field is this: one app's (one tenant's) Box misbehaves
   * while the others' answer normally.
   */
  clientId?: string;
}

/** Named ways to break a 200 token body. */
export type MalformedTokenBody =
  | 'not_json'
  | 'not_object'
  | 'missing_access_token'
  | 'empty_access_token'
  | 'string_expires_in'
  | 'zero_expires_in'
  | 'other_token_type'
  | 'restricted_to_not_array';

/**
 * A programmed misbehaviour, consumed by the first matching request (queue order).
 * - `rate_limit`: 429 with `retry-after` (seconds, or any string such as an HTTP-date) and Box's
 *   `rate_limit_exceeded` ClientError body.
 * - `server_error`: a 5xx (default 503), optionally with `retry-after`.
 * - `oauth_error`: a Box OAuth error answer (default 400), e.g. `unauthorized_client`.
 * - `malformed`: 200 with a broken token body.
 * - `response`: any raw answer (e.g. a 302).
 * - `hang`: never answer (until {@link BoxSimulator.close}).
 * - `reset`: reset the connection (TCP RST) after reading the request.
 * - `delay`: answer normally after `ms`.
 */
export type BoxFault = FaultMatch &
  (
    | { kind: 'rate_limit'; retryAfter?: number | string }
    | { kind: 'server_error'; status?: number; retryAfter?: number | string }
    | { kind: 'oauth_error'; status?: number; error: string; description: string }
    | { kind: 'malformed'; body: MalformedTokenBody }
    | { kind: 'response'; status: number; headers?: Record<string, string>; body?: string }
    | { kind: 'hang' }
    | { kind: 'reset' }
    | { kind: 'delay'; ms: number }
  );

/** A fault that answers (rather than hanging, resetting or delaying). */
export type AnsweringFault = Exclude<BoxFault, { kind: 'hang' | 'reset' | 'delay' }>;

/** The faults not yet consumed, in queue order. */
export class FaultQueue {
  #faults: BoxFault[] = [];

  /** Queues faults at the end. */
  push(...faults: BoxFault[]): void {
    this.#faults.push(...faults);
  }

  /** Removes and returns the first fault matching this request, if any. */
  take(
    path: string,
    grantType: string | undefined,
    clientId: string | undefined,
  ): BoxFault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (f.path === undefined ? path.startsWith('/oauth2/') : f.path === path) &&
        (f.grantType === undefined || f.grantType === grantType) &&
        (f.clientId === undefined || f.clientId === clientId),
    );
    if (index === -1) return undefined;
    return this.#faults.splice(index, 1)[0];
  }

  /** How many faults wait. */
  get pending(): number {
    return this.#faults.length;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#faults = [];
  }
}

/** Box's 5xx `code`s by status. */
const SERVER_ERROR_CODES: Record<number, string> = {
  500: 'internal_server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

/** The answer an answering fault gives; `tokenLifetime` fills a malformed body's `expires_in`. */
export function faultAnswer(fault: AnsweringFault, tokenLifetime: number): SimAnswer {
  switch (fault.kind) {
    case 'rate_limit': {
      const answer = clientError(
        429,
        'rate_limit_exceeded',
        'Request rate limit exceeded, please try again later',
      );
      answer.headers['retry-after'] = String(fault.retryAfter ?? 1);
      return answer;
    }
    case 'server_error': {
      const status = fault.status ?? 503;
      const code = SERVER_ERROR_CODES[status] ?? 'internal_server_error';
      const answer = clientError(status, code, 'Unavailable');
      if (fault.retryAfter !== undefined) answer.headers['retry-after'] = String(fault.retryAfter);
      return answer;
    }
    case 'oauth_error':
      return oauthError(fault.status ?? 400, fault.error, fault.description);
    case 'malformed':
      return malformedTokenAnswer(fault.body, tokenLifetime);
    case 'response':
      return { status: fault.status, headers: fault.headers ?? {}, body: fault.body ?? '' };
  }
}

function malformedTokenAnswer(kind: MalformedTokenBody, lifetime: number): SimAnswer {
  const valid: Record<string, unknown> = {
    access_token: randomToken(),
    expires_in: lifetime,
    restricted_to: [],
    token_type: 'bearer',
  };
  switch (kind) {
    case 'not_json':
      return { status: 200, headers: JSON_HEADERS, body: '<html>Service Unavailable</html>' };
    case 'not_object':
      return json(200, [valid]);
    case 'missing_access_token':
      return json(200, { ...valid, access_token: undefined });
    case 'empty_access_token':
      return json(200, { ...valid, access_token: '' });
    case 'string_expires_in':
      return json(200, { ...valid, expires_in: String(lifetime) });
    case 'zero_expires_in':
      return json(200, { ...valid, expires_in: 0 });
    case 'other_token_type':
      return json(200, { ...valid, token_type: 'mac' });
    case 'restricted_to_not_array':
      return json(200, { ...valid, restricted_to: {} });
  }
}
