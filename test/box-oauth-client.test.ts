import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BoxOAuthClient, type BoxOAuthClientOptions } from '../lambda/box/oauth-client.js';
import { BOX_USER_AGENT } from '../lambda/box/user-agent.js';
import type { Deadline } from '../lambda/deadline.js';
import {
  BoxBadResponseError,
  BoxCredentialsRejectedError,
  BoxDownscopeMismatchError,
  BoxSubjectTokenRejectedError,
  BoxTimeoutError,
  BoxUnavailableError,
  InvalidRequestError,
  InvalidScopeError,
} from '../lambda/errors.js';
import {
  ACCESS_TOKEN_TYPE,
  BOX_ERROR_DESCRIPTIONS,
  type BoxSimulator,
  CLIENT_CREDENTIALS_GRANT,
  type MalformedTokenBody,
  startBoxSimulator,
  TOKEN_EXCHANGE_GRANT,
} from '../local/box-simulator/index.js';

const ENTERPRISE = '987654';
const CREDENTIALS = { clientId: 'client-under-test', clientSecret: 'S3cr3t-never-shown-9f2' };
const ENTERPRISE_SUBJECT = { type: 'enterprise', id: ENTERPRISE } as const;
const START = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A hung attempt's real-time timeout: short, yet ample for a request to reach loopback. */
const HUNG_ATTEMPT_TIMEOUT_MS = 400;

let sim: BoxSimulator;
let clock: number;
let sleeps: number[];

beforeEach(async () => {
  clock = START;
  sleeps = [];
  sim = await startBoxSimulator({
    enterpriseId: ENTERPRISE,
    credentials: [CREDENTIALS],
    allowUserSubjects: ['1001'],
  });
});

afterEach(async () => {
  await sim.close();
});

/**
 * The request's deadline on the fake clock: `budgetMs` from now. Its signal never fires by
 * itself (the fake clock does not move real time); the client must respect `atMs`.
 */
function deadline(budgetMs = 10_000): Deadline {
  return { signal: new AbortController().signal, atMs: clock + budgetMs };
}

/** A client on the simulator whose waits advance a fake clock instead of taking real time. */
function client(overrides: Partial<BoxOAuthClientOptions> = {}): BoxOAuthClient {
  return new BoxOAuthClient({
    apiUrl: sim.url,
    attemptTimeoutMs: 2000,
    maxAttempts: 4,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
}

/** Runs `promise`, expects it to reject, and checks nothing secret leaked into the message. */
async function failure(promise: Promise<unknown>, ...secrets: string[]): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  for (const secret of [CREDENTIALS.clientSecret, ...secrets]) {
    expect(message).not.toContain(secret);
  }
  return error as Error;
}

/** A fetch that answers every call with `status`, `body` and `headers`, counting calls. */
function fixedFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: string[] = [];
  const fake = (async (input: string | URL | Request) => {
    calls.push(String(input));
    return new Response(body, { status, headers });
  }) as typeof fetch;
  return { fetch: fake, calls };
}

async function parentToken(): Promise<string> {
  return (await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline())).accessToken;
}

describe('Class: BoxOAuthClient', () => {
  describe('requestToken', () => {
    it('returns the validated token for the enterprise service account', async () => {
      const token = await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(token).toEqual({
        accessToken: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
        expiresInSeconds: 3992,
        restrictedTo: [],
        attempts: 1,
      });
      expect(sim.isTokenActive(token.accessToken)).toBe(true);
    });

    it('posts exactly the CCG form fields, url-encoded', async () => {
      await client().requestToken(CREDENTIALS, { type: 'user', id: '1001' }, deadline());

      expect(sim.requests).toHaveLength(1);
      expect(sim.requests[0]).toMatchObject({
        method: 'POST',
        path: '/oauth2/token',
        query: '',
        contentType: 'application/x-www-form-urlencoded',
        form: {
          grant_type: CLIENT_CREDENTIALS_GRANT,
          client_id: CREDENTIALS.clientId,
          client_secret: CREDENTIALS.clientSecret,
          box_subject_type: 'user',
          box_subject_id: '1001',
        },
      });
    });

    it('accepts an apiUrl with a trailing slash', async () => {
      await client({ apiUrl: `${sim.url}/` }).requestToken(
        CREDENTIALS,
        ENTERPRISE_SUBJECT,
        deadline(),
      );
      expect(sim.requests[0]?.path).toBe('/oauth2/token');
    });

    it('throws BoxCredentialsRejectedError(invalid_client) for a wrong secret, once, without the secret', async () => {
      const wrong = { ...CREDENTIALS, clientSecret: 'wrong-secret-value-77' };

      const error = await failure(
        client().requestToken(wrong, ENTERPRISE_SUBJECT, deadline()),
        wrong.clientSecret,
      );

      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(error).toMatchObject({
        code: 'box_credentials_rejected',
        boxError: 'invalid_client',
        boxErrorDescription: BOX_ERROR_DESCRIPTIONS.invalidClient,
      });
      expect(error.message).toMatch(/clientId and clientSecret/);
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('throws BoxCredentialsRejectedError(invalid_grant) with an authorisation hint for another enterprise', async () => {
      const error = await failure(
        client().requestToken(CREDENTIALS, { type: 'enterprise', id: '1' }, deadline()),
      );

      expect(error).toMatchObject({
        boxError: 'invalid_grant',
        boxErrorDescription: BOX_ERROR_DESCRIPTIONS.invalidGrant,
      });
      expect(error.message).toMatch(/Admin Console/);
      expect(error.message).toMatch(/Generate user access tokens/);
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('throws BoxCredentialsRejectedError(invalid_grant) for a user subject the app may not use', async () => {
      const error = await failure(
        client().requestToken(CREDENTIALS, { type: 'user', id: '2002' }, deadline()),
      );
      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(error).toMatchObject({ boxError: 'invalid_grant' });
    });

    it.each([
      BOX_ERROR_DESCRIPTIONS.subjectTypeUnauthorized,
      BOX_ERROR_DESCRIPTIONS.appNotAuthorized,
      BOX_ERROR_DESCRIPTIONS.grantTypeUnauthorized,
    ])('throws BoxCredentialsRejectedError(unauthorized_client) for "%s"', async (description) => {
      sim.injectFault({ kind: 'oauth_error', error: 'unauthorized_client', description });

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(error).toMatchObject({
        boxError: 'unauthorized_client',
        boxErrorDescription: description,
      });
      expect(error.message).toMatch(/Client Credentials Grant/);
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('sends User-Agent box-token-broker/<version> on every call', async () => {
      const parent = await parentToken();
      await client().exchangeToken(parent, { scopes: ['item_preview'] }, deadline());
      await client().revokeToken(CREDENTIALS, parent, deadline());

      expect(sim.requests.map((r) => r.userAgent)).toEqual([
        BOX_USER_AGENT,
        BOX_USER_AGENT,
        BOX_USER_AGENT,
      ]);
    });

    it('accepts a 200 without token_type (the OpenAPI schema does not require it)', async () => {
      sim.setOmitTokenType(true);

      const token = await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());
      const downscoped = await client().exchangeToken(
        token.accessToken,
        { scopes: ['item_preview'] },
        deadline(),
      );

      expect(sim.isTokenActive(token.accessToken)).toBe(true);
      expect(sim.isTokenActive(downscoped.accessToken)).toBe(true);
    });

    it('throws BoxCredentialsRejectedError with the authentication-method hint when the app is not a CCG app', async () => {
      sim.setCredentials([{ ...CREDENTIALS, clientCredentialsGrant: false }]);

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(error).toMatchObject({
        code: 'box_credentials_rejected',
        retryable: false,
        boxError: 'invalid_request',
        boxErrorDescription: 'The grant type is unauthorized for this client_id.',
      });
      expect(error.message).toContain('Server Authentication Method');
      expect(error.message).toContain('no re-authorisation is needed');
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('throws BoxBadResponseError, not retried, for invalid_request (a broker bug)', async () => {
      sim.injectFault({
        kind: 'oauth_error',
        error: 'invalid_request',
        description: BOX_ERROR_DESCRIPTIONS.invalidRequest,
      });

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).toContain(`invalid_request (${BOX_ERROR_DESCRIPTIONS.invalidRequest})`);
      expect(sim.tokenCallCount()).toBe(1);
      expect(sleeps).toEqual([]);
    });

    it.each([
      'not_json',
      'not_object',
      'missing_access_token',
      'empty_access_token',
      'string_expires_in',
      'zero_expires_in',
      'other_token_type',
      'restricted_to_not_array',
    ] satisfies MalformedTokenBody[])(
      'throws BoxBadResponseError for a 200 with a %s body',
      async (body) => {
        sim.injectFault({ kind: 'malformed', body });

        const error = await failure(
          client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
        );

        expect(error).toBeInstanceOf(BoxBadResponseError);
        expect(error.message).toMatch(/^Box answered HTTP 200 with /);
        expect(sim.tokenCallCount()).toBe(1);
      },
    );

    it('throws BoxBadResponseError for a redirect without following it', async () => {
      sim.injectFault({
        kind: 'response',
        status: 302,
        headers: { location: `${sim.url}/elsewhere` },
      });

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).toContain('unexpected HTTP status 302');
      expect(sim.requests.map((r) => r.path)).toEqual(['/oauth2/token']);
    });

    it('throws BoxBadResponseError for an unexpected 4xx such as 404', async () => {
      const error = await failure(
        new BoxOAuthClient({
          apiUrl: sim.url,
          attemptTimeoutMs: 1000,
          maxAttempts: 3,
          now: () => clock,
          fetch: fixedFetch(404, '{"type":"error","status":404,"code":"not_found"}').fetch,
        }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );
      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).toBe('Box answered with unexpected HTTP status 404 (not_found).');
    });
  });

  describe('retries', () => {
    it('honours Retry-After: 2 as 2000 ms and then succeeds', async () => {
      sim.injectFault({ kind: 'rate_limit', retryAfter: 2 });

      const token = await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(token.accessToken).not.toBe('');
      expect(sleeps).toEqual([2000]);
      expect(sim.tokenCallCount()).toBe(2);
    });

    it('honours Retry-After given as an HTTP-date', async () => {
      sim.injectFault({ kind: 'rate_limit', retryAfter: new Date(START + 3000).toUTCString() });

      await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(sleeps).toEqual([3000]);
    });

    it('reads Retry-After whatever the case of the header name', async () => {
      const { fetch, calls } = fixedFetch(429, '', { 'Retry-After': '1' });

      const error = await failure(
        client({ fetch, maxAttempts: 2 }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toMatchObject({ retryAfterSeconds: 1 });
      expect(sleeps).toEqual([1000]);
      expect(calls).toHaveLength(2);
    });

    it("throws BoxUnavailableError with Box's Retry-After when every attempt is throttled", async () => {
      sim.injectFault({ kind: 'rate_limit', retryAfter: 1 }, 3);

      const error = await failure(
        client({ maxAttempts: 3 }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(error).toMatchObject({ code: 'box_unavailable', retryAfterSeconds: 1 });
      expect(error.message).toContain('HTTP 429');
      expect(sleeps).toEqual([1000, 1000]);
      expect(sim.tokenCallCount()).toBe(3);
    });

    it('gives up at once when Retry-After is longer than the remaining budget', async () => {
      sim.injectFault({ kind: 'rate_limit', retryAfter: 30 });

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: 30 });
      expect(sleeps).toEqual([]);
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('retries 5xx with exponential backoff and then succeeds', async () => {
      sim.injectFaults(
        { kind: 'server_error', status: 500 },
        { kind: 'server_error', status: 502 },
        { kind: 'server_error', status: 503 },
      );

      await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(sleeps).toEqual([200, 400, 800]);
      expect(sim.tokenCallCount()).toBe(4);
    });

    it('throws BoxUnavailableError without retryAfterSeconds when 5xx persists and Box sent none', async () => {
      sim.injectFault({ kind: 'server_error' }, 4);

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: undefined });
      expect(error.message).toBe('Box is unavailable (HTTP 503 after 4 attempts).');
      expect(sim.tokenCallCount()).toBe(4);
    });

    it('stops before a backoff that would outlast the budget', async () => {
      sim.injectFault({ kind: 'server_error' }, 4);

      const error = await failure(
        client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline(500)),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(sleeps).toEqual([200]);
      expect(sim.tokenCallCount()).toBe(2);
    });

    it('retries a reset connection and then succeeds', async () => {
      sim.injectFault({ kind: 'reset' });

      const token = await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(sim.isTokenActive(token.accessToken)).toBe(true);
      expect(sim.tokenCallCount()).toBe(2);
    });

    it('throws BoxUnavailableError, with the network error as cause, when the connection always fails', async () => {
      sim.injectFault({ kind: 'reset' }, 2);

      const error = await failure(
        client({ maxAttempts: 2 }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(error.message).toBe('Box could not be reached (2 attempts).');
      expect(error.cause).toBeInstanceOf(TypeError);
    });

    it('throws BoxUnavailableError when nothing listens at the API URL', async () => {
      const url = sim.url;
      await sim.close();

      const error = await failure(
        client({ apiUrl: url, maxAttempts: 2 }).requestToken(
          CREDENTIALS,
          ENTERPRISE_SUBJECT,
          deadline(),
        ),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
    });

    it('times out a hung attempt, retries, and throws BoxTimeoutError when all time out', async () => {
      sim.injectFault({ kind: 'hang' }, 2);

      // The attempt timeout is real time: long enough that each attempt reaches the simulator
      // even on a loaded machine (the count below is the simulator's, not the client's).
      const error = await failure(
        client({ attemptTimeoutMs: HUNG_ATTEMPT_TIMEOUT_MS, maxAttempts: 2 }).requestToken(
          CREDENTIALS,
          ENTERPRISE_SUBJECT,
          deadline(),
        ),
      );

      expect(error).toBeInstanceOf(BoxTimeoutError);
      expect(error).toMatchObject({ code: 'box_timeout' });
      expect(error.message).toContain('(2 attempts)');
      expect(sim.tokenCallCount()).toBe(2);
      expect(sleeps).toHaveLength(1);
    });

    it('succeeds after a hung attempt times out', async () => {
      sim.injectFault({ kind: 'hang' });

      await client({ attemptTimeoutMs: HUNG_ATTEMPT_TIMEOUT_MS }).requestToken(
        CREDENTIALS,
        ENTERPRISE_SUBJECT,
        deadline(),
      );

      expect(sim.tokenCallCount()).toBe(2);
    });

    it('times out a slow answer', async () => {
      sim.injectFault({ kind: 'delay', ms: 300 });

      const error = await failure(
        client({ attemptTimeoutMs: 30, maxAttempts: 1 }).requestToken(
          CREDENTIALS,
          ENTERPRISE_SUBJECT,
          deadline(),
        ),
      );

      expect(error).toBeInstanceOf(BoxTimeoutError);
    });

    it('stops after the attempt the deadline cut short, without another try', async () => {
      sim.injectFault({ kind: 'server_error' }, 4);

      const error = await failure(
        client({
          sleep: async (ms) => {
            clock += ms + 10_000;
          },
        }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      // The wait itself fit; afterwards the fake clock is past atMs, so no attempt is started.
      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(sim.tokenCallCount()).toBe(1);
    });

    it('returns how many attempts the answer took', async () => {
      sim.injectFaults({ kind: 'rate_limit', retryAfter: 1 }, { kind: 'reset' });

      const token = await client().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline());

      expect(token.attempts).toBe(3);
      expect(sim.tokenCallCount()).toBe(3);
    });
  });

  describe('one deadline per request (real HTTP; the test passes the deadline)', () => {
    /** A client with real timers: only the deadline can end a hang before 5 s. */
    function realClient(): BoxOAuthClient {
      return new BoxOAuthClient({ apiUrl: sim.url, attemptTimeoutMs: 5000, maxAttempts: 4 });
    }

    /** A request's deadline the test passes itself, when Box holds the request: no timing. */
    function heldDeadline(): { deadline: Deadline; pass: () => void } {
      const controller = new AbortController();
      return {
        deadline: { signal: controller.signal, atMs: Date.now() + 60_000 },
        pass: () => controller.abort(new DOMException('The deadline passed.', 'TimeoutError')),
      };
    }

    it.each([
      [
        'requestToken',
        (c: BoxOAuthClient, d: Deadline) => c.requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, d),
      ],
      [
        'exchangeToken',
        (c: BoxOAuthClient, d: Deadline) =>
          c.exchangeToken(
            'parent-token',
            { scopes: ['item_preview'], resource: 'https://api.box.com/2.0/files/1' },
            d,
          ),
      ],
      ['revokeToken', (c: BoxOAuthClient, d: Deadline) => c.revokeToken(CREDENTIALS, 'a-token', d)],
    ] as const)(
      '%s: a Box that accepts and never answers ends in BoxTimeoutError when the deadline passes',
      async (_name, call) => {
        sim.injectFault({ kind: 'hang' }, 4);
        const { deadline, pass } = heldDeadline();

        const pending = failure(call(realClient(), deadline));
        await vi.waitFor(() => expect(sim.requests).toHaveLength(1));
        pass();
        const error = await pending;

        expect(error).toBeInstanceOf(BoxTimeoutError);
        expect(error).toMatchObject({ code: 'box_timeout', status: 504, retryable: true });
        expect((error as BoxTimeoutError).retryAfterSeconds).toBeGreaterThan(0);
        expect(sim.requests).toHaveLength(1);
      },
    );

    it('shares one deadline between calls: the second call of a request gets only what is left', async () => {
      const { deadline: shared, pass } = heldDeadline();
      const parent = await realClient().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, shared);
      sim.injectFault({ kind: 'hang' });

      const pending = failure(
        realClient().exchangeToken(parent.accessToken, { scopes: ['item_preview'] }, shared),
        parent.accessToken,
      );
      await vi.waitFor(() => expect(sim.requests).toHaveLength(2));
      // The request's one deadline passes while its second call waits: that call ends with it.
      pass();
      const error = await pending;

      expect(error).toBeInstanceOf(BoxTimeoutError);
      expect(sim.requests).toHaveLength(2);
    });

    it('does not call Box once the deadline has passed', async () => {
      const { deadline: passed, pass } = heldDeadline();
      pass();

      const error = await failure(
        realClient().requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, passed),
      );

      expect(error).toBeInstanceOf(BoxTimeoutError);
      expect(sim.requests).toHaveLength(0);
    });

    it('never lets the abort escape unmapped when the deadline fires during a real wait', async () => {
      sim.injectFault({ kind: 'server_error', retryAfter: 0.1 });
      const error = await failure(
        new BoxOAuthClient({
          apiUrl: sim.url,
          attemptTimeoutMs: 5000,
          maxAttempts: 4,
          // Box's 0.1 s Retry-After fits; this clock is behind real time, so the deadline's
          // real timer fires while the (real) wait runs.
          now: () => Date.now() - 1000,
        }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, {
          signal: AbortSignal.timeout(30),
          atMs: Date.now() - 1000 + 5000,
        }),
      );

      expect(error).toBeInstanceOf(BoxUnavailableError);
      expect(error.message).toContain('HTTP 503');
      expect(sim.tokenCallCount()).toBe(1);
    });
  });

  describe('exchangeToken', () => {
    it('downscopes to a folder and returns the grants and issued_token_type', async () => {
      const parent = await parentToken();

      const token = await client().exchangeToken(
        parent,
        {
          scopes: ['item_preview', 'item_download'],
          resource: 'https://api.box.com/2.0/folders/123',
        },
        deadline(),
      );

      expect(token.issuedTokenType).toBe(ACCESS_TOKEN_TYPE);
      expect(token.expiresInSeconds).toBe(4175);
      expect(token.restrictedTo).toEqual([
        { scope: 'item_preview', object: expect.objectContaining({ type: 'folder', id: '123' }) },
        { scope: 'item_download', object: expect.objectContaining({ type: 'folder', id: '123' }) },
      ]);
      const sent = sim.requests.at(-1);
      expect(sent?.form).toEqual({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: parent,
        subject_token_type: ACCESS_TOKEN_TYPE,
        scope: 'item_preview item_download',
        resource: 'https://api.box.com/2.0/folders/123',
      });
    });

    it("downscopes to the Content Sidebar's item_comment and item_task scopes", async () => {
      const token = await client().exchangeToken(
        await parentToken(),
        {
          scopes: ['base_sidebar', 'item_comment', 'item_task'],
          resource: 'https://api.box.com/2.0/files/7',
        },
        deadline(),
      );

      expect(token.restrictedTo.map((grant) => grant.scope)).toEqual([
        'base_sidebar',
        'item_comment',
        'item_task',
      ]);
    });

    it("downscopes to the Open With UI Element's item_execute_integration and item_readwrite scopes", async () => {
      const token = await client().exchangeToken(
        await parentToken(),
        {
          scopes: ['item_execute_integration', 'item_readwrite'],
          resource: 'https://api.box.com/2.0/folders/7',
        },
        deadline(),
      );

      expect(token.restrictedTo.map((grant) => grant.scope)).toEqual([
        'item_execute_integration',
        'item_readwrite',
      ]);
    });

    it('sends box_shared_link instead of resource', async () => {
      const link = 'https://app.box.com/s/abcdef';
      await client().exchangeToken(
        await parentToken(),
        {
          scopes: ['item_preview'],
          sharedLink: link,
        },
        deadline(),
      );
      expect(sim.requests.at(-1)?.form.box_shared_link).toBe(link);
    });

    it('throws InvalidRequestError naming the resource Box refused', async () => {
      const resource = 'https://app.box.com/file/123';
      const parent = await parentToken();

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview'], resource }, deadline()),
        parent,
      );

      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ code: 'invalid_request' });
      expect(error.message).toContain(resource);
      expect(error.message).toContain(BOX_ERROR_DESCRIPTIONS.invalidResource);
      expect(sim.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(1);
    });

    it('does not echo a refused shared link', async () => {
      const link = 'https://example.com/s/capability-link';
      const parent = await parentToken();

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview'], sharedLink: link }, deadline()),
        parent,
        link,
      );

      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain('the shared link');
    });

    it('throws InvalidScopeError when the Box app does not hold the scope (401)', async () => {
      sim.setAppScopes(['item_preview']);
      const parent = await parentToken();

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview', 'item_delete'] }, deadline()),
        parent,
      );

      expect(error).toBeInstanceOf(InvalidScopeError);
      expect(error).toMatchObject({ code: 'invalid_scope' });
      expect(error.message).toContain('does not hold');
      expect(error.message).toContain('item_delete');
      expect(sim.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(1);
    });

    it('throws InvalidScopeError for a scope Box does not define', async () => {
      const error = await failure(
        client().exchangeToken(await parentToken(), { scopes: ['make_coffee'] }, deadline()),
      );
      expect(error).toBeInstanceOf(InvalidScopeError);
    });

    it('throws BoxBadResponseError, not credentials rejected, when the parent token was revoked', async () => {
      const parent = await parentToken();
      await client().revokeToken(CREDENTIALS, parent, deadline());

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview'] }, deadline()),
        parent,
      );

      expect(error).toBeInstanceOf(BoxSubjectTokenRejectedError);
      expect(error.message).toMatch(/expired or been revoked/);
    });

    it.each([
      ['400 invalid_grant', { kind: 'oauth_error', error: 'invalid_grant', description: 'gone' }],
      ['400 invalid_token', { kind: 'oauth_error', error: 'invalid_token', description: 'gone' }],
      [
        '401 invalid_token',
        { kind: 'oauth_error', status: 401, error: 'invalid_token', description: 'gone' },
      ],
      [
        '401 with WWW-Authenticate invalid_token and no body',
        {
          kind: 'response',
          status: 401,
          headers: {
            'www-authenticate':
              'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
          },
        },
      ],
    ] as const)(
      'classifies an exchange refused with %s as a dead parent (BoxSubjectTokenRejectedError)',
      async (_name, fault) => {
        const parent = await parentToken();
        sim.injectFault({ ...fault, grantType: TOKEN_EXCHANGE_GRANT });

        const error = await failure(
          client().exchangeToken(parent, { scopes: ['item_preview'] }, deadline()),
          parent,
        );

        expect(error).toBeInstanceOf(BoxSubjectTokenRejectedError);
        expect(error).toMatchObject({ code: 'box_bad_response' });
      },
    );

    it('keeps a bare 401 on the exchange as the scope refusal Box documents', async () => {
      const parent = await parentToken();
      sim.injectFault({ kind: 'response', status: 401, grantType: TOKEN_EXCHANGE_GRANT });

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview'] }, deadline()),
      );

      expect(error).toBeInstanceOf(InvalidScopeError);
    });

    it('throws the non-retryable BoxDownscopeMismatchError for a wider token, without retrying', async () => {
      sim.overrideRestrictedTo([{ scope: 'item_delete' }]);
      const parent = await parentToken();

      const error = await failure(
        client().exchangeToken(parent, { scopes: ['item_preview'] }, deadline()),
      );

      expect(error).toBeInstanceOf(BoxDownscopeMismatchError);
      expect(error).toMatchObject({ code: 'box_bad_response', status: 502, retryable: false });
      expect(sim.tokenCallCount(TOKEN_EXCHANGE_GRANT)).toBe(1);
    });

    it('accepts a token that names fewer of the requested scopes (narrower)', async () => {
      sim.overrideRestrictedTo([{ scope: 'item_preview', object: { type: 'folder', id: '123' } }]);

      const token = await client().exchangeToken(
        await parentToken(),
        {
          scopes: ['item_preview', 'item_download'],
          resource: 'https://api.box.com/2.0/folders/123',
        },
        deadline(),
      );

      expect(token.restrictedTo).toHaveLength(1);
    });

    it('throws BoxBadResponseError when Box grants scopes that were not requested', async () => {
      sim.overrideRestrictedTo([{ scope: 'item_preview' }, { scope: 'item_delete' }]);

      const error = await failure(
        client().exchangeToken(await parentToken(), { scopes: ['item_preview'] }, deadline()),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).toMatch(/not requested/);
    });

    it('throws BoxBadResponseError when Box grants another item than the requested resource', async () => {
      sim.overrideRestrictedTo([{ scope: 'item_preview', object: { type: 'folder', id: '999' } }]);

      const error = await failure(
        client().exchangeToken(
          await parentToken(),
          {
            scopes: ['item_preview'],
            resource: 'https://api.box.com/2.0/folders/123',
          },
          deadline(),
        ),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
    });

    it('throws InvalidRequestError without calling Box for no scopes', async () => {
      await expect(client().exchangeToken('t', { scopes: [] }, deadline())).rejects.toBeInstanceOf(
        InvalidRequestError,
      );
      expect(sim.requests).toHaveLength(0);
    });
  });

  describe('revokeToken', () => {
    it('revokes the token at Box', async () => {
      const token = await parentToken();

      await client().revokeToken(CREDENTIALS, token, deadline());

      expect(sim.isTokenActive(token)).toBe(false);
      expect(sim.requests.at(-1)?.form).toEqual({
        client_id: CREDENTIALS.clientId,
        client_secret: CREDENTIALS.clientSecret,
        token,
      });
    });

    it('throws BoxCredentialsRejectedError(invalid_client) for wrong credentials', async () => {
      const token = await parentToken();
      const wrong = { ...CREDENTIALS, clientSecret: 'not-the-secret-123' };

      const error = await failure(
        client().revokeToken(wrong, token, deadline()),
        token,
        wrong.clientSecret,
      );

      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      expect(error).toMatchObject({ boxError: 'invalid_client' });
      expect(sim.isTokenActive(token)).toBe(true);
    });

    it('throws BoxBadResponseError for another OAuth error', async () => {
      sim.injectFault({ kind: 'oauth_error', error: 'invalid_grant', description: 'nope' });
      const error = await failure(client().revokeToken(CREDENTIALS, 'tok', deadline()));
      expect(error).toBeInstanceOf(BoxBadResponseError);
    });

    it('retries a 503 like the token calls', async () => {
      sim.injectFault({ kind: 'server_error', path: '/oauth2/revoke', retryAfter: 1 });

      await client().revokeToken(CREDENTIALS, 'tok', deadline());

      expect(sleeps).toEqual([1000]);
      expect(sim.revokeCallCount()).toBe(2);
    });
  });

  describe('error hygiene', () => {
    it('masks the secret and token, strips control characters and truncates a description', async () => {
      const token = 'tok-ABCDEFG-123456';
      const description = `bad ${CREDENTIALS.clientSecret}\n\u0007${token} ${'x'.repeat(1000)}`;
      const { fetch } = fixedFetch(
        400,
        JSON.stringify({ error: 'invalid_client', error_description: description }),
      );

      const error = await failure(
        client({ fetch }).revokeToken(CREDENTIALS, token, deadline()),
        token,
      );

      expect(error).toBeInstanceOf(BoxCredentialsRejectedError);
      const { boxErrorDescription } = error as BoxCredentialsRejectedError;
      expect(boxErrorDescription).toMatch(/^bad \[redacted\] \[redacted\] x+…$/);
      expect(boxErrorDescription).toHaveLength(200);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none survive.
      expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    });

    it("reads Box's ClientError shape on a 400", async () => {
      const { fetch } = fixedFetch(
        400,
        JSON.stringify({ type: 'error', status: 400, code: 'bad_request', message: 'Bad thing' }),
      );

      const error = await failure(
        client({ fetch }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).toContain('bad_request (Bad thing)');
    });

    it('never echoes an unparseable error body', async () => {
      const { fetch } = fixedFetch(400, `<html>${CREDENTIALS.clientSecret} leaked</html>`);

      const error = await failure(
        client({ fetch }).requestToken(CREDENTIALS, ENTERPRISE_SUBJECT, deadline()),
      );

      expect(error).toBeInstanceOf(BoxBadResponseError);
      expect(error.message).not.toContain('html');
    });
  });
});
