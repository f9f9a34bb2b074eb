import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedTokenRequest } from '../lambda/broker/types.js';
import { BOX_DOWNSCOPE_SCOPES, type ErrorCode } from '../lambda/contract.js';
import { BrokerError } from '../lambda/errors.js';
import {
  MAX_MIN_TTL_SECONDS,
  parseTokenRequest,
  type RequestOrigin,
} from '../lambda/http/token-request.js';

const FILE_URL = 'https://api.box.com/2.0/files/123';
const FOLDER_URL = 'https://api.box.com/2.0/folders/0';
const SHARED_LINK = 'https://app.box.com/s/abc123';

/** The error a parse threw; fails the test when it returned. */
function parseError(input: unknown, origin: RequestOrigin): BrokerError {
  try {
    parseTokenRequest(input, origin);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error(`expected ${JSON.stringify(input)} (${origin}) to be rejected`);
}

interface BadCase {
  name: string;
  input: unknown;
  origin?: RequestOrigin;
  code: ErrorCode;
  /** Text the message must contain (usually the field name). */
  mentions?: string;
}

const BAD_INPUTS: BadCase[] = [
  // Shape
  { name: 'a JSON array', input: [], code: 'invalid_request' },
  { name: 'a JSON string', input: 'scope=item_preview', code: 'invalid_request' },
  { name: 'a JSON number', input: 42, code: 'invalid_request' },
  { name: 'a JSON boolean', input: true, code: 'invalid_request' },
  // Unknown fields
  {
    name: 'an unknown field',
    input: { grant_type: 'client_credentials' },
    code: 'invalid_request',
    mentions: 'grant_type',
  },
  { name: 'a misspelt field', input: { scopes: 'item_preview' }, code: 'invalid_request' },
  {
    name: 'client_secret smuggled in',
    input: { client_secret: 'x' },
    code: 'invalid_request',
    mentions: 'client_secret',
  },
  {
    name: 'an unknown field in the query',
    input: { foo: 'bar' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a __proto__ field',
    input: JSON.parse('{"__proto__": {"scope": "x"}}'),
    code: 'invalid_request',
  },
  // box_subject_type
  {
    name: 'an unknown subject type',
    input: { box_subject_type: 'group' },
    code: 'invalid_request',
    mentions: 'box_subject_type',
  },
  {
    name: 'a capitalised subject type',
    input: { box_subject_type: 'User' },
    code: 'invalid_request',
  },
  { name: 'a numeric subject type', input: { box_subject_type: 1 }, code: 'invalid_request' },
  { name: 'a null subject type', input: { box_subject_type: null }, code: 'invalid_request' },
  // box_subject_id
  {
    name: 'a number subject id',
    input: { box_subject_id: 12345 },
    code: 'invalid_request',
    mentions: 'box_subject_id',
  },
  { name: 'a null subject id', input: { box_subject_id: null }, code: 'invalid_request' },
  {
    name: 'a non-digit subject id',
    input: { box_subject_id: '12a45' },
    code: 'invalid_request',
    mentions: 'box_subject_id',
  },
  { name: 'a negative subject id', input: { box_subject_id: '-1' }, code: 'invalid_request' },
  { name: 'an empty subject id', input: { box_subject_id: '' }, code: 'invalid_request' },
  { name: 'a padded subject id', input: { box_subject_id: ' 123' }, code: 'invalid_request' },
  { name: 'a decimal subject id', input: { box_subject_id: '1.5' }, code: 'invalid_request' },
  {
    name: 'a 21-digit subject id',
    input: { box_subject_id: '1'.repeat(21) },
    code: 'invalid_request',
  },
  {
    name: 'a subject id with a newline',
    input: { box_subject_id: '123\n' },
    code: 'invalid_request',
  },
  {
    name: 'a user subject without an id',
    input: { box_subject_type: 'user' },
    code: 'invalid_request',
    mentions: 'box_subject_id',
  },
  {
    name: 'a user subject without an id (query)',
    input: { box_subject_type: 'user' },
    origin: 'query',
    code: 'invalid_request',
  },
  // scope
  {
    name: 'an array scope',
    input: { scope: ['item_preview'] },
    code: 'invalid_request',
    mentions: 'scope',
  },
  { name: 'a number scope', input: { scope: 1 }, code: 'invalid_request' },
  { name: 'an empty scope', input: { scope: '' }, code: 'invalid_request', mentions: 'scope' },
  { name: 'a blank scope', input: { scope: '   ' }, code: 'invalid_request' },
  {
    name: 'an empty scope (query)',
    input: { scope: '' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'an unknown scope',
    input: { scope: 'item_explode' },
    code: 'invalid_scope',
    mentions: 'item_explode',
  },
  {
    name: 'one unknown scope among known ones',
    input: { scope: 'item_preview root_everything' },
    code: 'invalid_scope',
    mentions: 'root_everything',
  },
  { name: 'a capitalised scope', input: { scope: 'Item_Preview' }, code: 'invalid_scope' },
  {
    name: 'comma-separated scopes',
    input: { scope: 'item_preview,item_download' },
    code: 'invalid_scope',
  },
  {
    name: 'an unknown scope (query)',
    input: { scope: 'admin' },
    origin: 'query',
    code: 'invalid_scope',
  },
  {
    name: 'a scope over 2048 characters',
    input: { scope: 'a'.repeat(2049) },
    code: 'invalid_request',
  },
  // resource
  {
    name: 'a resource without scope',
    input: { resource: FILE_URL },
    code: 'invalid_request',
    mentions: 'scope',
  },
  {
    name: 'a shared link without scope',
    input: { box_shared_link: SHARED_LINK },
    code: 'invalid_request',
  },
  {
    name: 'a resource and a shared link',
    input: { scope: 'item_preview', resource: FILE_URL, box_shared_link: SHARED_LINK },
    code: 'invalid_request',
  },
  {
    name: 'a number resource',
    input: { scope: 'item_preview', resource: 123 },
    code: 'invalid_request',
  },
  ...[
    ['a web URL', 'https://app.box.com/file/123'],
    ['an http URL', 'http://api.box.com/2.0/files/123'],
    ['a trailing slash', 'https://api.box.com/2.0/files/123/'],
    ['another host', 'https://api.box.com.evil.example/2.0/files/123'],
    ['a look-alike host', 'https://api-box.com/2.0/files/123'],
    ['a non-digit id', 'https://api.box.com/2.0/files/abc'],
    ['a bare path', 'files/abc'],
    ['a relative path with a digit id', '/2.0/files/123'],
    ['another API version', 'https://api.box.com/3.0/files/123'],
    ['an unsupported item type', 'https://api.box.com/2.0/web_links/123'],
    ['a singular item type', 'https://api.box.com/2.0/file/123'],
    ['a query string', 'https://api.box.com/2.0/files/123?fields=name'],
    ['a fragment', 'https://api.box.com/2.0/files/123#x'],
    ['a sub-resource', 'https://api.box.com/2.0/files/123/content'],
    ['an upper-case host', 'https://API.BOX.COM/2.0/files/123'],
    ['an explicit port', 'https://api.box.com:443/2.0/files/123'],
    ['a trailing newline', `${FILE_URL}\n`],
    ['an empty string', ''],
  ].map(
    ([what, resource]): BadCase => ({
      name: `a resource that is ${what}`,
      input: { scope: 'item_preview', resource },
      code: 'invalid_request',
      mentions: 'resource',
    }),
  ),
  // box_shared_link
  ...[
    ['on a non-Box host', 'https://example.com/s/abc'],
    ['on a look-alike host', 'https://evilbox.com/s/abc'],
    ['on a Box-prefixed host', 'https://app.box.com.evil.example/s/abc'],
    ['over http', 'http://app.box.com/s/abc'],
    ['not a URL', 'app.box.com/s/abc'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['an empty string', ''],
  ].map(
    ([what, box_shared_link]): BadCase => ({
      name: `a shared link ${what}`,
      input: { scope: 'item_preview', box_shared_link },
      code: 'invalid_request',
      mentions: 'box_shared_link',
    }),
  ),
  {
    name: 'an array shared link',
    input: { scope: 'item_preview', box_shared_link: [SHARED_LINK] },
    code: 'invalid_request',
  },
  // min_ttl
  {
    name: 'a boolean min_ttl',
    input: { min_ttl: true },
    code: 'invalid_request',
    mentions: 'min_ttl',
  },
  {
    name: 'a string min_ttl in JSON',
    input: { min_ttl: '60' },
    code: 'invalid_request',
    mentions: 'min_ttl',
  },
  { name: 'a null min_ttl', input: { min_ttl: null }, code: 'invalid_request' },
  { name: 'an object min_ttl', input: { min_ttl: { seconds: 60 } }, code: 'invalid_request' },
  {
    name: 'a negative min_ttl',
    input: { min_ttl: -1 },
    code: 'invalid_request',
    mentions: 'min_ttl',
  },
  { name: 'a fractional min_ttl', input: { min_ttl: 1.5 }, code: 'invalid_request' },
  {
    name: 'a min_ttl above the maximum',
    input: { min_ttl: MAX_MIN_TTL_SECONDS + 1 },
    code: 'invalid_request',
  },
  { name: 'a huge min_ttl', input: { min_ttl: 1e300 }, code: 'invalid_request' },
  {
    name: 'a dead_token_sha256 in upper case',
    input: { dead_token_sha256: 'A'.repeat(64) },
    code: 'invalid_request',
    mentions: 'dead_token_sha256',
  },
  {
    name: 'a dead_token_sha256 one digit short',
    input: { dead_token_sha256: 'a'.repeat(63) },
    code: 'invalid_request',
    mentions: 'dead_token_sha256',
  },
  {
    name: 'a dead_token_sha256 that is the token itself',
    input: { dead_token_sha256: 'T9xk2mQ8rLpZ4vB7nW1cY6dF3hJ5sA0e' },
    code: 'invalid_request',
  },
  { name: 'a dead_token_sha256 number', input: { dead_token_sha256: 1 }, code: 'invalid_request' },
  {
    name: 'a number min_ttl in the query',
    input: { min_ttl: 60 },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a negative min_ttl (query)',
    input: { min_ttl: '-1' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a fractional min_ttl (query)',
    input: { min_ttl: '1.5' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a non-numeric min_ttl (query)',
    input: { min_ttl: 'ten' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'an empty min_ttl (query)',
    input: { min_ttl: '' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a hex min_ttl (query)',
    input: { min_ttl: '0x10' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'an exponent min_ttl (query)',
    input: { min_ttl: '1e3' },
    origin: 'query',
    code: 'invalid_request',
  },
  {
    name: 'a min_ttl above the maximum (query)',
    input: { min_ttl: String(MAX_MIN_TTL_SECONDS + 1) },
    origin: 'query',
    code: 'invalid_request',
  },
];

describe('Function: parseTokenRequest', () => {
  describe('rejects every bad input of the contract with 400', () => {
    for (const { name, input, origin = 'json', code, mentions } of BAD_INPUTS) {
      it(`throws ${code} when given ${name}`, () => {
        const error = parseError(input, origin);
        expect(error.code).toBe(code);
        expect(error.status).toBe(400);
        expect(error.retryable).toBe(false);
        if (mentions !== undefined) expect(error.message).toContain(mentions);
      });
    }
  });

  describe('accepts good input and normalises it', () => {
    const GOOD: {
      name: string;
      input: unknown;
      origin?: RequestOrigin;
      expected: ParsedTokenRequest;
    }[] = [
      {
        name: 'no input (empty body)',
        input: undefined,
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
      },
      {
        name: 'an empty object',
        input: {},
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
      },
      {
        name: 'an empty query',
        input: {},
        origin: 'query',
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
      },
      {
        name: 'the enterprise with its id',
        input: { box_subject_type: 'enterprise', box_subject_id: '987654' },
        expected: {
          subjectType: 'enterprise',
          subjectId: '987654',
          scopes: [],
          minTtlSeconds: 0,
        },
      },
      {
        name: 'a user subject',
        input: { box_subject_type: 'user', box_subject_id: '12345' },
        expected: { subjectType: 'user', subjectId: '12345', scopes: [], minTtlSeconds: 0 },
      },
      {
        name: 'scopes out of order, repeated and spaced',
        input: { scope: '  item_upload item_preview  item_upload base_explorer ' },
        expected: {
          subjectType: 'enterprise',
          scopes: ['base_explorer', 'item_preview', 'item_upload'],
          minTtlSeconds: 0,
        },
      },
      {
        name: 'a file resource',
        input: { scope: 'item_download', resource: FILE_URL },
        expected: {
          subjectType: 'enterprise',
          scopes: ['item_download'],
          resource: { type: 'file', id: '123', url: FILE_URL },
          minTtlSeconds: 0,
        },
      },
      {
        name: 'a folder resource',
        input: { scope: 'item_upload', resource: FOLDER_URL },
        expected: {
          subjectType: 'enterprise',
          scopes: ['item_upload'],
          resource: { type: 'folder', id: '0', url: FOLDER_URL },
          minTtlSeconds: 0,
        },
      },
      {
        name: 'a shared link on app.box.com',
        input: { scope: 'item_preview', box_shared_link: SHARED_LINK },
        expected: {
          subjectType: 'enterprise',
          scopes: ['item_preview'],
          sharedLink: SHARED_LINK,
          minTtlSeconds: 0,
        },
      },
      {
        name: 'a shared link on a custom Box subdomain',
        input: { scope: 'item_preview', box_shared_link: 'https://acme.app.box.com/s/xyz' },
        expected: {
          subjectType: 'enterprise',
          scopes: ['item_preview'],
          sharedLink: 'https://acme.app.box.com/s/xyz',
          minTtlSeconds: 0,
        },
      },
      {
        name: 'min_ttl as a JSON number',
        input: { min_ttl: 600 },
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 600 },
      },
      {
        name: 'min_ttl at its bounds',
        input: { min_ttl: MAX_MIN_TTL_SECONDS },
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: MAX_MIN_TTL_SECONDS },
      },
      {
        name: 'min_ttl 4000 (contract v1.1: Box grants about 4,100 s)',
        input: { min_ttl: 4000 },
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 4000 },
      },
      {
        name: 'min_ttl 86400 from a query string',
        input: { min_ttl: '86400' },
        origin: 'query',
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 86_400 },
      },
      {
        name: 'a dead_token_sha256',
        input: { dead_token_sha256: 'ab'.repeat(32) },
        expected: {
          subjectType: 'enterprise',
          scopes: [],
          minTtlSeconds: 0,
          deadTokenSha256: 'ab'.repeat(32),
        },
      },
      {
        name: 'min_ttl 0',
        input: { min_ttl: 0 },
        expected: { subjectType: 'enterprise', scopes: [], minTtlSeconds: 0 },
      },
      {
        name: 'every field from a query string',
        input: {
          box_subject_type: 'user',
          box_subject_id: '42',
          scope: 'item_read item_preview',
          resource: FILE_URL,
          min_ttl: '900',
        },
        origin: 'query',
        expected: {
          subjectType: 'user',
          subjectId: '42',
          scopes: ['item_preview', 'item_read'],
          resource: { type: 'file', id: '123', url: FILE_URL },
          minTtlSeconds: 900,
        },
      },
    ];

    for (const { name, input, origin = 'json', expected } of GOOD) {
      it(`parses ${name}`, () => {
        expect(parseTokenRequest(input, origin)).toEqual(expected);
      });
    }

    it('accepts every scope the contract lists', () => {
      const parsed = parseTokenRequest({ scope: BOX_DOWNSCOPE_SCOPES.join(' ') }, 'json');
      expect(parsed.scopes).toEqual([...BOX_DOWNSCOPE_SCOPES].sort());
    });
  });

  it('echoes an unknown field name only bounded and printable', () => {
    const error = parseError({ [`\u0000evil\n${'x'.repeat(500)}`]: 1 }, 'json');
    expect(error.message).not.toMatch(/[^\x20-\x7e]/);
    expect(error.message.length).toBeLessThan(300);
  });

  describe('prototype keys are unknown fields, never dropped', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      it(`refuses ${name} from parsed JSON (an own key there), json and query origin`, () => {
        // JSON.parse makes "__proto__" an own property; Object.keys must (and does) list it.
        const json = JSON.parse(`{"${name}":{"scope":"item_preview"}}`) as unknown;
        expect(parseError(json, 'json').message).toContain(`Unknown field "${name}"`);
        const query: Record<string, string> = Object.create(null);
        query[name] = 'x';
        expect(parseError(query, 'query').message).toContain(`Unknown field "${name}"`);
      });
    }

    it('does not read fields through a polluted prototype of the input', () => {
      const json = JSON.parse('{"__proto__":{"box_subject_type":"user"}}') as unknown;
      expect(parseError(json, 'json').code).toBe('invalid_request');
    });
  });

  describe('Property: only 400 BrokerErrors', () => {
    const field = fc.constantFrom(
      'box_subject_type',
      'box_subject_id',
      'scope',
      'resource',
      'box_shared_link',
      'min_ttl',
    );
    const plausibleString = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'enterprise',
        'user',
        '123',
        '',
        'item_preview item_download',
        FILE_URL,
        SHARED_LINK,
        '60',
        '-1',
        '3601',
      ),
    );

    /** Inspects what a parse did: undefined when it was fine, else a description of the fault. */
    function outcome(input: unknown, origin: RequestOrigin): string | undefined {
      try {
        const parsed = parseTokenRequest(input, origin);
        return Array.isArray(parsed.scopes) ? undefined : 'scopes is not an array';
      } catch (error) {
        if (!(error instanceof BrokerError)) return `threw a non-BrokerError: ${String(error)}`;
        return error.status === 400 ? undefined : `threw status ${error.status}`;
      }
    }

    it('returns or throws 400 for arbitrary JSON values', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(outcome(value, 'json')).toBeUndefined();
        }),
        { numRuns: 500 },
      );
    });

    it('returns or throws 400 for arbitrary objects over the known fields', () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.oneof(field, fc.string()), fc.oneof(fc.jsonValue(), plausibleString)),
          (value) => {
            expect(outcome(value, 'json')).toBeUndefined();
          },
        ),
        { numRuns: 500 },
      );
    });

    it('returns or throws 400 for arbitrary string maps (query origin)', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.oneof(field, fc.string()), plausibleString), (value) => {
          expect(outcome(value, 'query')).toBeUndefined();
        }),
        { numRuns: 500 },
      );
    });
  });
});
