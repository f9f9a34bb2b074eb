/**
 * The shapes of the simulator's HTTP answers: Box's OAuth error body, its API `ClientError` body
 * and the bare 403 of a missing scope, plus the random values they carry.
 */
import { randomBytes } from 'node:crypto';
import { BOX_ERROR_DESCRIPTIONS } from './constants.js';

/** One HTTP answer, ready to send. */
export interface SimAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers of every JSON answer Box gives on the token endpoint. */
export const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimAnswer {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Box's OAuth error body `{error, error_description}`. */
export function oauthError(status: number, error: string, description: string): SimAnswer {
  return json(status, { error, error_description: description });
}

/** Box's `ClientError` shape, used by the API and (we assume) by 429/5xx on the token endpoint. */
export function clientError(status: number, code: string, message: string): SimAnswer {
  return json(status, {
    type: 'error',
    status,
    code,
    help_url: 'http://developers.box.com/docs/#errors',
    message,
    request_id: randomToken(12),
  });
}

/** Box's 403 for a token lacking a scope or the As-User feature (observed): header, empty body. */
export function insufficientScope(): SimAnswer {
  return {
    status: 403,
    headers: {
      'www-authenticate': `Bearer realm="Service", error="insufficient_scope", error_description="${BOX_ERROR_DESCRIPTIONS.insufficientScope}"`,
    },
    body: '',
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An opaque, Box-looking token: 32 random alphanumerics. */
export function randomToken(length = 32): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return token;
}
