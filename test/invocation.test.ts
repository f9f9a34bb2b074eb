import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../lambda/contract.js';
import { BrokerError } from '../lambda/errors.js';
import { entryOf } from '../lambda/http/entries.js';
import {
  apiEventOf,
  apiOperation,
  callerOf,
  directTokenRequest,
  type Operation,
} from '../lambda/http/invocation.js';
import { apiGatewayEvent } from '../local/api-gateway-adapter.js';

const ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/etl/session';

/** A REST API proxy event as API Gateway sends it, with the given parts replaced. */
function apiEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const base = apiGatewayEvent({
    method: 'POST',
    path: '/token',
    identity: { userArn: ROLE_ARN, accountId: '111122223333', principalOrgId: 'o-a1b2c3d4e5' },
    requestId: 'req-1',
    sourceIp: '10.0.0.1',
    stage: 'prod',
  });
  return { ...base, ...overrides };
}

/** A route event: resource and path both set to the route. */
function route(method: string, path: string, overrides: Partial<APIGatewayProxyEvent> = {}) {
  return apiEvent({ httpMethod: method, resource: path, path, ...overrides });
}

/** The error an operation threw; fails the test when it returned. */
function operationError(event: APIGatewayProxyEvent): BrokerError {
  try {
    apiOperation(event);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the event to be rejected');
}

function withIdentity(identity: Record<string, unknown> | undefined): APIGatewayProxyEvent {
  const event = apiEvent();
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      identity: identity as unknown as APIGatewayProxyEvent['requestContext']['identity'],
    },
  };
}

describe('Function: entryOf', () => {
  const FUNCTION = 'arn:aws:lambda:us-east-1:111122223333:function:box-token-broker';

  it('reads the api and schedule entries from the alias of the invoked ARN', () => {
    expect(entryOf(`${FUNCTION}:api`)).toBe('api');
    expect(entryOf(`${FUNCTION}:schedule`)).toBe('schedule');
    expect(entryOf('arn:aws-cn:lambda:cn-north-1:111122223333:function:broker:api')).toBe('api');
  });

  it('treats the unqualified function, a version, $LATEST and any other alias as direct', () => {
    for (const arn of [
      FUNCTION,
      `${FUNCTION}:7`,
      `${FUNCTION}:$LATEST`,
      `${FUNCTION}:direct`,
      `${FUNCTION}:API`,
      `${FUNCTION}:api-v2`,
      `${FUNCTION}:apischedule`,
    ]) {
      expect(entryOf(arn)).toBe('direct');
    }
  });

  it('treats a missing or malformed ARN as direct, the entry with the least privilege', () => {
    for (const arn of [
      undefined,
      null,
      42,
      '',
      'api',
      ':api',
      'function:box-token-broker:api',
      `${FUNCTION}:api:extra`,
      `${FUNCTION}:`,
    ]) {
      expect(entryOf(arn)).toBe('direct');
    }
  });
});

describe('Function: apiEventOf', () => {
  it('accepts a REST API proxy event', () => {
    const event = apiEvent();
    expect(apiEventOf(event)).toBe(event);
  });

  it('calls anything else on the api entry a misconfigured integration (never a crash)', () => {
    for (const event of [
      null,
      undefined,
      'x',
      {},
      { httpMethod: 'GET' },
      { requestContext: {} },
      { httpMethod: 1, requestContext: {} },
      { httpMethod: 'GET', requestContext: null },
      // An HTTP API (payload v2) event: no httpMethod at the top.
      { version: '2.0', routeKey: 'GET /token', requestContext: { http: { method: 'GET' } } },
    ]) {
      expect(() => apiEventOf(event)).toThrow(
        expect.objectContaining({ code: 'misconfigured', status: 500 }),
      );
    }
  });
});

describe('Function: callerOf', () => {
  it('returns the IAM caller with account and organization', () => {
    expect(callerOf(apiEvent())).toEqual({
      kind: 'iam',
      arn: ROLE_ARN,
      accountId: '111122223333',
      principalOrgId: 'o-a1b2c3d4e5',
    });
  });

  it('omits the organization when the caller is in none', () => {
    expect(callerOf(withIdentity({ userArn: ROLE_ARN, accountId: '111122223333' }))).toEqual({
      kind: 'iam',
      arn: ROLE_ARN,
      accountId: '111122223333',
    });
  });

  it('omits empty or non-string account and organization', () => {
    expect(callerOf(withIdentity({ userArn: ROLE_ARN, accountId: '', principalOrgId: 7 }))).toEqual(
      { kind: 'iam', arn: ROLE_ARN },
    );
  });

  it('returns the anonymous caller when there is no userArn', () => {
    for (const identity of [
      undefined,
      {},
      { userArn: null, accountId: '111122223333' },
      { userArn: '' },
      { userArn: 42 },
    ]) {
      expect(callerOf(withIdentity(identity))).toEqual({ kind: 'anonymous' });
    }
  });
});

describe('Function: apiOperation', () => {
  describe('routes', () => {
    it('parses POST /token from the JSON body', () => {
      const op = apiOperation(
        route('POST', '/token', { body: '{"scope":"item_preview item_download","min_ttl":60}' }),
      );
      expect(op).toEqual({
        kind: 'token',
        request: {
          subjectType: 'enterprise',
          scopes: ['item_download', 'item_preview'],
          minTtlSeconds: 60,
        },
      } satisfies Operation);
    });

    it('treats an empty or missing POST /token body as the enterprise request', () => {
      for (const body of [null, '', '  \n']) {
        expect(apiOperation(route('POST', '/token', { body }))).toEqual({
          kind: 'token',
          request: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
        });
      }
    });

    it('decodes a base64 body', () => {
      const body = Buffer.from('{"box_subject_type":"user","box_subject_id":"5"}').toString(
        'base64',
      );
      const op = apiOperation(route('POST', '/token', { body, isBase64Encoded: true }));
      expect(op).toEqual({
        kind: 'token',
        request: { subjectType: 'user', subjectId: '5', scopes: [], minTtlSeconds: 0 },
      });
    });

    it('parses GET /token from the query, min_ttl as a string', () => {
      const op = apiOperation(
        route('GET', '/token', {
          queryStringParameters: { scope: 'item_preview', min_ttl: '120' },
          multiValueQueryStringParameters: { scope: ['item_preview'], min_ttl: ['120'] },
        }),
      );
      expect(op).toEqual({
        kind: 'token',
        request: { subjectType: 'enterprise', scopes: ['item_preview'], minTtlSeconds: 120 },
      });
    });

    it('parses GET /token without a query as the enterprise request', () => {
      expect(apiOperation(route('GET', '/token'))).toEqual({
        kind: 'token',
        request: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
      });
    });

    it('parses POST /revoke', () => {
      expect(apiOperation(route('POST', '/revoke', { body: '{"token":"abc"}' }))).toEqual({
        kind: 'revoke',
        token: 'abc',
      });
    });

    it('parses GET /health', () => {
      expect(apiOperation(route('GET', '/health'))).toEqual({ kind: 'health' });
    });

    it('accepts a lower-case method', () => {
      expect(apiOperation(route('get', '/health'))).toEqual({ kind: 'health' });
    });

    it('prefers the matched resource over a stage-prefixed path', () => {
      const event = route('GET', '/health', { path: '/prod/health' });
      expect(apiOperation(event)).toEqual({ kind: 'health' });
    });

    it('falls back to the path (trailing slash trimmed) for a proxy resource', () => {
      expect(apiOperation(route('GET', '/{proxy+}', { path: '/health/' }))).toEqual({
        kind: 'health',
      });
    });
  });

  describe('rejections', () => {
    const cases: { name: string; event: APIGatewayProxyEvent; code: ErrorCode; status: number }[] =
      [
        {
          name: 'an unknown route',
          event: route('GET', '/tokens'),
          code: 'not_found',
          status: 404,
        },
        { name: 'the root', event: route('GET', '/'), code: 'not_found', status: 404 },
        {
          name: 'PUT /token',
          event: route('PUT', '/token'),
          code: 'method_not_allowed',
          status: 405,
        },
        {
          name: 'DELETE /token',
          event: route('DELETE', '/token'),
          code: 'method_not_allowed',
          status: 405,
        },
        {
          name: 'GET /revoke',
          event: route('GET', '/revoke'),
          code: 'method_not_allowed',
          status: 405,
        },
        {
          name: 'POST /health',
          event: route('POST', '/health'),
          code: 'method_not_allowed',
          status: 405,
        },
        {
          name: 'POST /token with a query',
          event: route('POST', '/token', { queryStringParameters: { scope: 'item_preview' } }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with invalid JSON',
          event: route('POST', '/token', { body: '{"scope":' }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with a form body',
          event: route('POST', '/token', { body: 'scope=item_preview' }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with a JSON array',
          event: route('POST', '/token', { body: '[]' }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with a body over 8 KiB',
          event: route('POST', '/token', {
            body: JSON.stringify({ scope: `item_preview${' '.repeat(9000)}` }),
          }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with a base64 body over 8 KiB once decoded',
          event: route('POST', '/token', {
            body: Buffer.from(`{"scope":"${'x'.repeat(9000)}"}`).toString('base64'),
            isBase64Encoded: true,
          }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'POST /token with an unknown scope',
          event: route('POST', '/token', { body: '{"scope":"everything"}' }),
          code: 'invalid_scope',
          status: 400,
        },
        {
          name: 'GET /token with a repeated query parameter',
          event: route('GET', '/token', {
            queryStringParameters: { scope: 'item_upload' },
            multiValueQueryStringParameters: { scope: ['item_preview', 'item_upload'] },
          }),
          code: 'invalid_request',
          status: 400,
        },
        {
          name: 'GET /token with an unknown query parameter',
          event: route('GET', '/token', { queryStringParameters: { foo: 'bar' } }),
          code: 'invalid_request',
          status: 400,
        },
        ...(
          [
            ['no body', null],
            ['invalid JSON', '{'],
            ['a JSON string', '"abc"'],
            ['a JSON array', '["abc"]'],
            ['no token', '{}'],
            ['an empty token', '{"token":""}'],
            ['a number token', '{"token":1}'],
            ['an over-long token', JSON.stringify({ token: 'x'.repeat(2049) })],
            ['an unknown field', '{"token":"abc","reason":"leak"}'],
          ] satisfies [string, string | null][]
        ).map(([what, body]) => ({
          name: `POST /revoke with ${what}`,
          event: route('POST', '/revoke', { body }),
          code: 'invalid_request' as const,
          status: 400,
        })),
      ];

    for (const { name, event, code, status } of cases) {
      it(`throws ${code} for ${name}`, () => {
        const error = operationError(event);
        expect(error.code).toBe(code);
        expect(error.status).toBe(status);
      });
    }

    describe('prototype keys are fields like any other (400 Unknown field, never dropped)', () => {
      const names = ['__proto__', 'constructor', 'prototype'];
      /** As Lambda hands the event over: parsed from JSON, so the key is an own property. */
      const parsedQuery = (name: string) => JSON.parse(`{"${name}":"x"}`) as Record<string, string>;
      for (const name of names) {
        it(`refuses ${name} in the GET /token query`, () => {
          const error = operationError(
            route('GET', '/token', {
              queryStringParameters: parsedQuery(name),
              multiValueQueryStringParameters: JSON.parse(`{"${name}":["x"]}`),
            }),
          );
          expect(error.code).toBe('invalid_request');
          expect(error.message).toContain(`Unknown field "${name}"`);
        });

        it(`refuses ${name} in the POST /token JSON body`, () => {
          const error = operationError(route('POST', '/token', { body: `{"${name}":{}}` }));
          expect(error.code).toBe('invalid_request');
          expect(error.message).toContain(`Unknown field "${name}"`);
        });

        it(`refuses ${name} in the POST /revoke JSON body`, () => {
          const error = operationError(
            route('POST', '/revoke', { body: `{"token":"abc","${name}":{"token":"x"}}` }),
          );
          expect(error.code).toBe('invalid_request');
          expect(error.message).toContain(`Unknown field "${name}"`);
        });

        it(`refuses ${name} in a direct invocation's event`, () => {
          expect(() => directTokenRequest(JSON.parse(`{"${name}":{"scope":"x"}}`))).toThrow(
            `Unknown field "${name}"`,
          );
        });
      }

      it('does not take a revoke token from the prototype', () => {
        const error = operationError(
          route('POST', '/revoke', { body: '{"__proto__":{"token":"abc"}}' }),
        );
        expect(error.code).toBe('invalid_request');
      });
    });

    it('names the repeated query parameter', () => {
      const error = operationError(
        route('GET', '/token', {
          queryStringParameters: { min_ttl: '2' },
          multiValueQueryStringParameters: { min_ttl: ['1', '2'] },
        }),
      );
      expect(error.message).toContain('min_ttl');
    });
  });

  describe('Property: only 4xx BrokerErrors', () => {
    const method = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'get', 'post'),
      fc.string({ maxLength: 12 }),
    );
    const path = fc.oneof(
      fc.constantFrom('/token', '/revoke', '/health', '/token/', '/', '/{proxy+}', ''),
      fc.string({ maxLength: 20 }),
    );
    const stringMap = fc.option(fc.dictionary(fc.string({ maxLength: 16 }), fc.string()), {
      nil: null,
    });
    const multiMap = fc.option(
      fc.dictionary(fc.string({ maxLength: 16 }), fc.array(fc.string(), { maxLength: 3 })),
      { nil: null },
    );
    const body = fc.option(
      fc.oneof(
        fc.string(),
        fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
        fc
          .dictionary(
            fc.constantFrom('scope', 'token', 'min_ttl', 'box_subject_id', 'resource', 'x'),
            fc.jsonValue(),
          )
          .map((value) => JSON.stringify(value)),
      ),
      { nil: null },
    );
    const event = fc
      .record({
        httpMethod: method,
        resource: path,
        path,
        body,
        isBase64Encoded: fc.boolean(),
        queryStringParameters: stringMap,
        multiValueQueryStringParameters: multiMap,
      })
      .map((parts) => apiEvent(parts));

    it('returns an operation or throws a 4xx BrokerError for any API event', () => {
      fc.assert(
        fc.property(event, (generated) => {
          expect(apiEventOf(generated)).toBe(generated);
          try {
            apiOperation(generated);
          } catch (error) {
            expect(error).toBeInstanceOf(BrokerError);
            const status = (error as BrokerError).status;
            expect(status).toBeGreaterThanOrEqual(400);
            expect(status).toBeLessThan(500);
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('returns an operation or throws a 400 BrokerError for any direct invocation', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          try {
            directTokenRequest(value);
          } catch (error) {
            expect(error).toBeInstanceOf(BrokerError);
            expect((error as BrokerError).status).toBe(400);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('Function: directTokenRequest', () => {
  it('parses the event as a token request', () => {
    expect(directTokenRequest({ scope: 'item_preview' })).toEqual({
      subjectType: 'enterprise',
      scopes: ['item_preview'],
      minTtlSeconds: 0,
    });
  });

  it('takes min_ttl as a JSON number, not a string', () => {
    expect(() => directTokenRequest({ min_ttl: '60' })).toThrow(BrokerError);
  });
});
