import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../lambda/contract.js';
import { BrokerError, InvalidRequestError, toBrokerError } from '../lambda/errors.js';
import {
  directInvocationError,
  errorBody,
  errorResponse,
  jsonResponse,
} from '../lambda/http/responses.js';

const REQUEST_ID = 'c0ffee00-1111-2222-3333-444455556666';
const NO_STORE = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
};

/**
 * The public contract's error codes, written out (docs/api.md "Errors"): the status each answers
 * with and whether a caller may retry. Compared with ERROR_CODES and with the documented table, so
 * a change to either is a deliberate change of the contract.
 */
const CONTRACT: Readonly<Record<ErrorCode, { status: number; retryable: boolean }>> = {
  invalid_request: { status: 400, retryable: false },
  invalid_scope: { status: 400, retryable: false },
  access_denied: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  tenant_not_found: { status: 404, retryable: false },
  tenant_suspended: { status: 403, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  misconfigured: { status: 500, retryable: false },
  credentials_unavailable: { status: 503, retryable: true },
  box_credentials_rejected: { status: 502, retryable: false },
  box_bad_response: { status: 502, retryable: true },
  box_unavailable: { status: 503, retryable: true },
  box_timeout: { status: 504, retryable: true },
  server_error: { status: 500, retryable: false },
  invitation_not_found: { status: 404, retryable: false },
  rate_limited: { status: 429, retryable: true },
  tenant_exists: { status: 409, retryable: false },
};
const ALL_CODES = Object.keys(CONTRACT) as ErrorCode[];

describe('ERROR_CODES', () => {
  it('is the contract table', () => {
    expect(ERROR_CODES).toEqual(CONTRACT);
  });

  it('is the table docs/api.md documents, row for row', () => {
    const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \| .* \| (yes|no) \|$/gm)];
    const documented = new Map<string, { statuses: Set<number>; retryable: Set<boolean> }>();
    for (const [, status, code, retryable] of rows) {
      const entry = documented.get(code ?? '') ?? { statuses: new Set(), retryable: new Set() };
      entry.statuses.add(Number(status));
      entry.retryable.add(retryable === 'yes');
      documented.set(code ?? '', entry);
    }
    expect([...documented.keys()].sort()).toEqual([...ALL_CODES].sort());
    for (const code of ALL_CODES) {
      expect([...(documented.get(code)?.statuses ?? [])], code).toEqual([CONTRACT[code].status]);
      // A code may document an exception (a non-retryable box_bad_response); its default is listed.
      expect(documented.get(code)?.retryable.has(CONTRACT[code].retryable), code).toBe(true);
    }
  });
});

describe('Function: jsonResponse', () => {
  it('answers 200 with the JSON body and no-store headers', () => {
    const response = jsonResponse({ access_token: 'T', expires_in: 10 }, REQUEST_ID);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ ...NO_STORE, 'X-Request-Id': REQUEST_ID });
    expect(JSON.parse(response.body)).toEqual({ access_token: 'T', expires_in: 10 });
  });
});

describe('Function: errorBody', () => {
  it('carries the contract fields and nothing else', () => {
    const body = errorBody(new InvalidRequestError('scope must be a string.'), REQUEST_ID);
    expect(body).toEqual({
      error: 'invalid_request',
      error_description: 'scope must be a string.',
      retryable: false,
      request_id: REQUEST_ID,
    });
  });

  it('does not expose the cause', () => {
    const error = new BrokerError('server_error', 'generic', { cause: new Error('db password x') });
    expect(JSON.stringify(errorBody(error, REQUEST_ID))).not.toContain('password');
  });
});

describe('Function: errorResponse', () => {
  for (const code of ALL_CODES) {
    it(`answers ${code} with status ${CONTRACT[code].status} and no-store headers`, () => {
      const response = errorResponse(new BrokerError(code, 'why'), REQUEST_ID);
      expect(response.statusCode).toBe(CONTRACT[code].status);
      expect(response.headers).toMatchObject({ ...NO_STORE, 'X-Request-Id': REQUEST_ID });
      expect(JSON.parse(response.body)).toEqual({
        error: code,
        error_description: 'why',
        retryable: CONTRACT[code].retryable,
        request_id: REQUEST_ID,
      });
    });
  }

  it('sends Retry-After only for retryable errors', () => {
    for (const code of ALL_CODES) {
      const headers = errorResponse(
        new BrokerError(code, 'x', { retryAfterSeconds: 5 }),
        REQUEST_ID,
      ).headers;
      if (CONTRACT[code].retryable) expect(headers?.['Retry-After']).toBe('5');
      else expect(headers).not.toHaveProperty('Retry-After');
    }
  });

  it('rounds Retry-After up to whole seconds and never below 1', () => {
    const cases: [number | undefined, string][] = [
      [undefined, '1'],
      [0, '1'],
      [-3, '1'],
      [0.2, '1'],
      [1, '1'],
      [1.01, '2'],
      [2, '2'],
      [29.5, '30'],
    ];
    for (const [seconds, header] of cases) {
      const error = new BrokerError(
        'box_unavailable',
        'Box is down',
        seconds === undefined ? {} : { retryAfterSeconds: seconds },
      );
      expect(errorResponse(error, REQUEST_ID).headers?.['Retry-After']).toBe(header);
    }
  });
});

describe('Function: directInvocationError', () => {
  it('uses the code as the name and the contract body as the message', () => {
    const source = new BrokerError('box_timeout', 'Box did not answer in time.');
    const thrown = directInvocationError(source, REQUEST_ID);
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown.name).toBe('box_timeout');
    expect(JSON.parse(thrown.message)).toEqual({
      error: 'box_timeout',
      error_description: 'Box did not answer in time.',
      retryable: true,
      request_id: REQUEST_ID,
    });
  });

  it('carries no stack frames', () => {
    const thrown = directInvocationError(new InvalidRequestError('bad'), REQUEST_ID);
    expect(thrown.stack).toBeDefined();
    expect(thrown.stack).not.toMatch(/\n\s+at /);
    expect(thrown.stack).not.toContain('.ts');
    expect(thrown.stack).not.toContain('.js');
  });

  it('does not carry the cause of the original error', () => {
    const source = new BrokerError('server_error', 'generic', { cause: new Error('inner secret') });
    const thrown = directInvocationError(source, REQUEST_ID);
    expect(thrown.cause).toBeUndefined();
    expect(`${thrown.message}${thrown.stack}`).not.toContain('inner secret');
  });
});

describe('Function: toBrokerError', () => {
  it('keeps a BrokerError as it is', () => {
    const error = new InvalidRequestError('bad');
    expect(toBrokerError(error)).toBe(error);
  });

  it('turns anything unexpected into a generic server_error that keeps the cause for the log', () => {
    const cause = new TypeError('secret detail');
    const error = toBrokerError(cause);
    expect(error.code).toBe('server_error');
    expect(error.message).not.toContain('secret detail');
    expect(error.cause).toBe(cause);
  });

  it('maps an escaped deadline abort (TimeoutError, AbortError) to a retryable 504 box_timeout', async () => {
    // Prepare: the real rejection of an expired AbortSignal.timeout, and an abort's DOMException.
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    const aborts: unknown[] = [
      signal.reason,
      new DOMException('This operation was aborted', 'AbortError'),
      // What @middy/core throws just before the Lambda timeout.
      Object.assign(new Error('[AbortError]: The operation was aborted.'), {
        name: 'TimeoutError',
      }),
    ];
    for (const abort of aborts) {
      // Act
      const error = toBrokerError(abort);
      const response = errorResponse(error, REQUEST_ID);

      // Assess
      expect(error.code).toBe('box_timeout');
      expect(error.cause).toBe(abort);
      expect(response.statusCode).toBe(504);
      expect(response.headers?.['Retry-After']).toBe('1');
      expect(JSON.parse(response.body)).toMatchObject({ error: 'box_timeout', retryable: true });
    }
  });

  it('does not mistake another DOMException for a timeout', () => {
    expect(toBrokerError(new DOMException('bad', 'SyntaxError')).code).toBe('server_error');
  });
});
