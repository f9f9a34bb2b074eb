import { describe, expect, it } from 'vitest';
import { checkDownscopedToken, parseTokenResponse } from '../lambda/box/answers.js';
import { errorForAnswer } from '../lambda/box/error-answers.js';
import type { BoxAnswer } from '../lambda/box/send.js';
import type { BoxToken, DownscopeRequest } from '../lambda/box/types.js';
import type { BoxResourceScope } from '../lambda/contract.js';
import {
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BoxDownscopeMismatchError,
  BoxScopeRefusedError,
  BoxSubjectTokenRejectedError,
  InvalidScopeError,
} from '../lambda/errors.js';

const FOLDER_123 = { type: 'folder', id: '123', etag: '0', name: 'Reports' };
const FOLDER_999 = { type: 'folder', id: '999' };
const FILE_123 = { type: 'file', id: '123' };
const RESOURCE = 'https://api.box.com/2.0/folders/123';
const LINK = 'https://app.box.com/s/abcdef';

function token(restrictedTo: BoxResourceScope[]): BoxToken {
  return { accessToken: 'downscoped', expiresInSeconds: 4175, restrictedTo };
}

const TWO_SCOPES = ['item_preview', 'item_download'];

describe('Function: checkDownscopedToken', () => {
  const accepted: [string, DownscopeRequest, BoxResourceScope[]][] = [
    [
      'resource: every requested scope on the item',
      { scopes: TWO_SCOPES, resource: RESOURCE },
      [
        { scope: 'item_preview', object: FOLDER_123 },
        { scope: 'item_download', object: FOLDER_123 },
      ],
    ],
    [
      'resource: fewer scopes than requested (narrower)',
      { scopes: TWO_SCOPES, resource: RESOURCE },
      [{ scope: 'item_preview', object: FOLDER_123 }],
    ],
    [
      'shared link: entries without object',
      { scopes: ['item_preview'], sharedLink: LINK },
      [{ scope: 'item_preview' }],
    ],
    [
      'shared link: entries naming one item',
      { scopes: TWO_SCOPES, sharedLink: LINK },
      [
        { scope: 'item_preview', object: FILE_123 },
        { scope: 'item_download', object: FILE_123 },
      ],
    ],
    ['no item: root_readonly answered with []', { scopes: ['root_readonly'] }, []],
    [
      'no item: manage_groups and ai.readwrite without object',
      { scopes: ['manage_groups', 'ai.readwrite'] },
      [{ scope: 'manage_groups' }, { scope: 'ai.readwrite' }],
    ],
    [
      'no item: an entry pinned to an item (narrower still)',
      { scopes: ['item_preview'] },
      [{ scope: 'item_preview', object: FOLDER_999 }],
    ],
    [
      'no item: fewer scopes than requested',
      { scopes: ['sign_requests.readwrite', 'root_readwrite'] },
      [{ scope: 'sign_requests.readwrite' }],
    ],
  ];

  it.each(accepted)('accepts %s', (_name, request, restrictedTo) => {
    expect(() => checkDownscopedToken(token(restrictedTo), request)).not.toThrow();
  });

  const rejected: [string, DownscopeRequest, BoxResourceScope[], RegExp][] = [
    [
      'a scope that was not requested (no item)',
      { scopes: ['item_preview'] },
      [{ scope: 'item_preview' }, { scope: 'item_delete' }],
      /scopes that were not requested/,
    ],
    [
      'a scope that was not requested (resource)',
      { scopes: ['item_preview'], resource: RESOURCE },
      [{ scope: 'root_readwrite', object: FOLDER_123 }],
      /scopes that were not requested/,
    ],
    [
      'another folder than the resource',
      { scopes: ['item_preview'], resource: RESOURCE },
      [{ scope: 'item_preview', object: FOLDER_999 }],
      /an item other than the requested resource/,
    ],
    [
      'a file with the folder resource ID',
      { scopes: ['item_preview'], resource: RESOURCE },
      [{ scope: 'item_preview', object: FILE_123 }],
      /an item other than the requested resource/,
    ],
    [
      'an entry without object for a resource (could be any item)',
      { scopes: TWO_SCOPES, resource: RESOURCE },
      [{ scope: 'item_preview', object: FOLDER_123 }, { scope: 'item_download' }],
      /an item other than the requested resource/,
    ],
    [
      'an empty list for a resource',
      { scopes: ['item_preview'], resource: RESOURCE },
      [],
      /no item restriction for the resource/,
    ],
    [
      'an empty list for a shared link',
      { scopes: ['item_preview'], sharedLink: LINK },
      [],
      /no restriction for the shared link/,
    ],
    [
      'two different items for one shared link',
      { scopes: TWO_SCOPES, sharedLink: LINK },
      [
        { scope: 'item_preview', object: FILE_123 },
        { scope: 'item_download', object: FOLDER_999 },
      ],
      /more than one item for the shared link/,
    ],
  ];

  it.each(rejected)(
    'rejects %s as a non-retryable mismatch',
    (_name, request, restrictedTo, why) => {
      let thrown: unknown;
      try {
        checkDownscopedToken(token(restrictedTo), request);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BoxDownscopeMismatchError);
      expect(thrown).toBeInstanceOf(BoxBadResponseError);
      expect(thrown).toMatchObject({ code: 'box_bad_response', status: 502, retryable: false });
      expect((thrown as Error).message).toMatch(why);
    },
  );
});

describe('Function: parseTokenResponse', () => {
  const body = (fields: Record<string, unknown>) =>
    JSON.stringify({ access_token: 'tok', expires_in: 4102, restricted_to: [], ...fields });

  it('accepts a body without token_type', () => {
    expect(parseTokenResponse(200, body({}))).toEqual({
      accessToken: 'tok',
      expiresInSeconds: 4102,
      restrictedTo: [],
    });
  });

  it.each(['bearer', 'Bearer', 'BEARER'])('accepts token_type %s', (tokenType) => {
    expect(parseTokenResponse(200, body({ token_type: tokenType })).accessToken).toBe('tok');
  });

  it.each([['mac'], ['DPoP'], [''], [null], [42]])('rejects token_type %j', (tokenType) => {
    expect(() => parseTokenResponse(200, body({ token_type: tokenType }))).toThrow(
      /token_type other than bearer/,
    );
  });

  it('forwards issued_token_type only when it is the access-token URN (docs/box.md)', () => {
    const urn = 'urn:ietf:params:oauth:token-type:access_token';
    expect(parseTokenResponse(200, body({ issued_token_type: urn })).issuedTokenType).toBe(urn);
    // A Box doc sample shows "bearer" on a plain CCG token: not what the contract promises.
    for (const other of ['bearer', 'urn:ietf:params:oauth:token-type:jwt', 42, null]) {
      const parsed = parseTokenResponse(200, body({ issued_token_type: other }));
      expect(parsed.issuedTokenType, String(other)).toBeUndefined();
      expect(parsed.accessToken).toBe('tok');
    }
  });
});

describe('Function: errorForAnswer', () => {
  function answer(status: number, json: unknown, wwwAuthenticate: string | null = null): BoxAnswer {
    return {
      status,
      text: json === undefined ? '' : JSON.stringify(json),
      retryAfter: null,
      wwwAuthenticate,
    };
  }

  it.each([
    ['invalid_request', 'The grant type is unauthorized for this client_id.'],
    ['invalid_request', 'The grant type is unauthorized for this client_id'],
    ['unauthorized_client', 'The grant type is unauthorized for this client_id'],
  ])(
    'maps %s "%s" on the CCG call to box_credentials_rejected with the authentication-method hint',
    (error, description) => {
      const mapped = errorForAnswer({
        operation: 'token',
        answer: answer(400, { error, error_description: description }),
        secrets: [],
      });

      expect(mapped).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(mapped).toMatchObject({
        code: 'box_credentials_rejected',
        retryable: false,
        boxError: error,
        boxErrorDescription: description,
      });
      expect(mapped.message).toContain('Server Authentication Method');
      expect(mapped.message).toContain('Allow developers to switch server app auth type');
      expect(mapped.message).toContain('Create Platform App > Platform App');
    },
  );

  it('keeps any other invalid_request a bad response (a broker bug, not configuration)', () => {
    const mapped = errorForAnswer({
      operation: 'token',
      answer: answer(400, {
        error: 'invalid_request',
        error_description: 'Invalid grant_type parameter or parameter missing',
      }),
      secrets: [],
    });
    expect(mapped).toBeInstanceOf(BoxBadResponseError);
    expect(mapped).not.toBeInstanceOf(BoxCredentialsRejectedError);
  });

  it.each([
    ['400 invalid_grant', answer(400, { error: 'invalid_grant', error_description: 'x' })],
    ['400 invalid_token', answer(400, { error: 'invalid_token', error_description: 'x' })],
    ['401 invalid_token', answer(401, { error: 'invalid_token' })],
    [
      '401 with WWW-Authenticate error="invalid_token"',
      answer(401, undefined, 'Bearer realm="Service", error="invalid_token"'),
    ],
  ])('maps an exchange refused with %s to BoxSubjectTokenRejectedError', (_name, refused) => {
    const mapped = errorForAnswer({ operation: 'exchange', answer: refused, secrets: [] });
    expect(mapped).toBeInstanceOf(BoxSubjectTokenRejectedError);
  });

  it.each([
    ['a bare 401', answer(401, undefined)],
    ['401 insufficient_scope', answer(401, { error: 'insufficient_scope' })],
  ])(
    'maps an exchange refused with %s to invalid_scope (Box documents 401 for scopes)',
    (_n, a) => {
      const mapped = errorForAnswer({
        operation: 'exchange',
        answer: a,
        secrets: [],
        scopes: ['item_preview'],
      });
      expect(mapped).toBeInstanceOf(InvalidScopeError);
      // Marked so the broker retries once with a fresh parent (re-authorisation), then answers it.
      expect(mapped).toBeInstanceOf(BoxScopeRefusedError);
      expect(mapped.message).toContain('re-authorise');
      expect(mapped.retryable).toBe(false);
    },
  );

  it("maps Box's invalid_scope on an exchange to the same re-authorisation-aware error", () => {
    const mapped = errorForAnswer({
      operation: 'exchange',
      answer: answer(400, { error: 'invalid_scope', error_description: 'bad scope' }),
      secrets: [],
      scopes: ['item_execute_integration'],
    });
    expect(mapped).toBeInstanceOf(BoxScopeRefusedError);
    expect(mapped.message).toContain('item_execute_integration');
  });

  it("says in the invalid_resource answer that the token's own subject needs access (As-User does not carry)", () => {
    const mapped = errorForAnswer({
      operation: 'exchange',
      answer: answer(400, {
        error: 'invalid_resource',
        error_description: 'The target resource is invalid.',
      }),
      secrets: [],
      scopes: ['item_preview'],
      resource: 'https://api.box.com/2.0/folders/5',
    });
    expect(mapped.code).toBe('invalid_request');
    expect(mapped.message).toContain("token's own subject");
    expect(mapped.message).toContain('As-User does not carry');
  });

  it('names the client secret in the invalid_grant hint (Box documents a wrong secret as invalid_grant)', () => {
    const mapped = errorForAnswer({
      operation: 'token',
      answer: answer(400, {
        error: 'invalid_grant',
        error_description: 'Grant credentials are invalid',
      }),
      secrets: [],
    });
    expect(mapped.message).toContain('wrong or reset secret');
  });

  it('does not read invalid_grant on the CCG call as a dead parent token', () => {
    const mapped = errorForAnswer({
      operation: 'token',
      answer: answer(400, {
        error: 'invalid_grant',
        error_description: 'Grant credentials are invalid',
      }),
      secrets: [],
    });
    expect(mapped).toBeInstanceOf(BoxCredentialsRejectedError);
  });
});
