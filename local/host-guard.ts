/**
 * DNS-rebinding guard for the local server. `npm start` listens on 127.0.0.1 only, but a web
 * page can rebind its own name to 127.0.0.1: the browser then sends the page's requests to the
 * local broker with `Host: evil.example`, and, the origin being the page's own, lets the page
 * read the answers, real Box tokens included. Requests addressed to any name other than a
 * loopback one are therefore refused before they reach the handler (or the SigV4 check).
 *
 * A request that carries an `Origin` (only browsers send one) is also refused unless that origin
 * is a loopback one, so a page elsewhere cannot make the broker act (mint, revoke) either, even
 * though it could not read the answer.
 *
 * There is no knob to allow other names: the server binds to 127.0.0.1 only, so a request with
 * another Host can only come from a rebinding browser or a deliberate tunnel, and a tunnel can
 * rewrite the Host header to `127.0.0.1`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ErrorResponse } from '../lambda/contract.js';
import type { LocalAuthenticator } from './api-gateway-adapter.js';

/** The HTTP status and contract code of a refused request. */
export const HOST_REFUSAL = { status: 403, code: 'access_denied' } as const;

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const PORT = /^\d{1,5}$/;

/**
 * Whether an HTTP `Host` (or an origin's host) names this machine's loopback interface:
 * `localhost`, `127.0.0.0/8` in dotted-quad form, or `[::1]`, each with or without a port.
 * Anything else, an absent value included, is not.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const value = host.trim().toLowerCase();
  let name = value;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return false;
    name = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== '' && !(rest.startsWith(':') && PORT.test(rest.slice(1)))) return false;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon !== -1) {
      if (!PORT.test(value.slice(colon + 1))) return false;
      name = value.slice(0, colon);
    }
  }
  if (name === 'localhost' || name === '[::1]') return true;
  const octets = IPV4_LOOPBACK.exec(name);
  return octets?.slice(1).every((octet) => Number(octet) <= 255) ?? false;
}

/** Whether a request's `Origin` header is absent (not a browser) or a loopback origin. */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.host)
  );
}

/**
 * Wraps the local server's authenticator: requests whose `Host` is not a loopback name, or that
 * come from a browser page on a non-loopback origin, get `403 access_denied` (the contract's
 * error shape) and reach neither `next` nor the handler.
 */
export function hostGuard(next: LocalAuthenticator): LocalAuthenticator {
  return (request, body) => {
    const refusal = refusalOf(request);
    return refusal === undefined ? next(request, body) : { reject: refusal };
  };
}

function refusalOf(request: IncomingMessage): APIGatewayProxyResult | undefined {
  if (!isLoopbackHost(request.headers.host)) {
    return refuse(
      'The local broker answers only requests addressed to localhost, 127.0.0.1 or [::1]; this one named another host (DNS rebinding protection).',
    );
  }
  const origin = request.headers.origin;
  if (!isLoopbackOrigin(Array.isArray(origin) ? origin[0] : origin)) {
    return refuse(
      'The local broker does not answer web pages from other origins (cross-site request protection).',
    );
  }
  return undefined;
}

function refuse(description: string): APIGatewayProxyResult {
  const body: ErrorResponse = {
    error: HOST_REFUSAL.code,
    error_description: description,
    retryable: false,
    request_id: randomUUID(),
  };
  return {
    statusCode: HOST_REFUSAL.status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}
