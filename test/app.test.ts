import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createHandler } from '../lambda/app.js';
import type { Broker } from '../lambda/broker/broker.js';
import type { RequestScope } from '../lambda/broker/types.js';
import { loadConfig } from '../lambda/config.js';
import { ANSWER_MARGIN_MS } from '../lambda/deadline.js';
import { MisconfiguredError } from '../lambda/errors.js';
import { buildBroker } from '../lambda/runtime.js';
import { RequestLogger } from '../lambda/trace/request-logger.js';
import { apiGatewayEvent, type LocalEntry, lambdaContext } from '../local/api-gateway-adapter.js';
import { StaticCredentials } from '../local/static-credentials.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function logger(lines: string[]): RequestLogger {
  return new RequestLogger({
    namespace: 'BoxTokenBroker',
    service: 'box-token-broker',
    sink: (line) => lines.push(line),
    now: () => T0,
  });
}

/** A broker whose Box is never reached: the spied method answers first. */
function quietBroker(): Broker {
  return buildBroker(loadConfig({ BOX_CREDENTIALS_SECRET: 'unused' }), {
    credentials: new StaticCredentials({
      clientId: 'id',
      clientSecret: 'secret',
      enterpriseId: '1234567',
    }),
    now: () => T0,
  });
}

function context(entry: LocalEntry, remainingMs?: number): Context {
  const base = lambdaContext('aws-req-1', entry);
  return remainingMs === undefined
    ? base
    : { ...base, getRemainingTimeInMillis: () => remainingMs };
}

/** The scope the broker was first called with. */
function scopeCalled(calls: readonly (readonly unknown[])[]): RequestScope {
  const scope = calls[0]?.[1];
  if (scope === undefined) throw new Error('the broker was not called');
  return scope as RequestScope;
}

const tokenEvent = () =>
  apiGatewayEvent({ method: 'POST', path: '/token', requestId: 'api-req-1' });

describe('Function: createHandler', () => {
  describe('one deadline per request', () => {
    async function scopeOf(remainingMs: number | undefined, requestBudgetMs: number) {
      const broker = quietBroker();
      const issue = vi
        .spyOn(broker, 'issueToken')
        .mockRejectedValue(new MisconfiguredError('stop'));
      const handler = createHandler({ broker, logger: logger([]), requestBudgetMs, now: () => T0 });
      await handler(tokenEvent(), context('api', remainingMs));
      expect(issue).toHaveBeenCalledTimes(1);
      return scopeCalled(issue.mock.calls);
    }

    it('gives the broker the configured budget when Lambda has more time left', async () => {
      const scope = await scopeOf(60_000, 10_000);
      expect(scope.deadline.atMs).toBe(T0 + 10_000);
      expect(scope.caller).toEqual({ kind: 'anonymous' });
      expect(scope.trace.operation).toBe('token');
    });

    it('cuts the budget to the time Lambda has left, minus the margin to answer', async () => {
      const scope = await scopeOf(3_000, 10_000);
      expect(scope.deadline.atMs).toBe(T0 + 3_000 - ANSWER_MARGIN_MS);
    });

    it('uses the budget alone when the context cannot say how much time is left', async () => {
      const broker = quietBroker();
      const issue = vi
        .spyOn(broker, 'issueToken')
        .mockRejectedValue(new MisconfiguredError('stop'));
      const handler = createHandler({
        broker,
        logger: logger([]),
        requestBudgetMs: 4_000,
        now: () => T0,
      });
      const { getRemainingTimeInMillis: _omitted, ...bare } = context('direct');
      await handler({}, bare as Context).catch(() => undefined);
      expect(scopeCalled(issue.mock.calls).deadline.atMs).toBe(T0 + 4_000);
    });
  });

  describe('errors before or while the trace opens', () => {
    const brokenClock = () => {
      throw new Error('clock failed');
    };

    it('answers the api entry with a contract-shaped 500 and logs the request', async () => {
      const lines: string[] = [];
      const handler = createHandler({
        broker: quietBroker(),
        logger: logger(lines),
        now: brokenClock,
      });

      const result = (await handler(tokenEvent(), context('api'))) as APIGatewayProxyResult;

      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toEqual({
        error: 'server_error',
        error_description: expect.not.stringContaining('clock'),
        retryable: false,
        request_id: 'aws-req-1',
      });
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        entry: 'api',
        status: 500,
        error: 'server_error',
        failure: { name: 'Error', message: 'clock failed' },
      });
    });

    it('fails a direct invocation with a function error whose errorType is the code', async () => {
      const lines: string[] = [];
      const handler = createHandler({
        broker: quietBroker(),
        logger: logger(lines),
        now: brokenClock,
      });

      const error = await handler({}, context('direct')).then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );

      expect(error?.name).toBe('server_error');
      expect(JSON.parse(error?.message ?? '{}')).toMatchObject({ error: 'server_error' });
      expect(error?.stack).not.toMatch(/\n\s+at /);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ entry: 'direct', status: 500 });
    });

    it('answers a configuration error to every entry in the shape of that entry', async () => {
      const lines: string[] = [];
      const broken = new MisconfiguredError('BOX_CREDENTIALS_SECRET is not set.');
      const handler = createHandler({ broker: broken, logger: logger(lines), now: () => T0 });

      const api = (await handler(tokenEvent(), context('api'))) as APIGatewayProxyResult;
      const direct = await handler({}, context('direct')).catch((thrown: Error) => thrown);

      expect(api.statusCode).toBe(500);
      expect(JSON.parse(api.body)).toMatchObject({
        error: 'misconfigured',
        request_id: 'api-req-1',
      });
      expect((direct as Error).name).toBe('misconfigured');
      expect(lines).toHaveLength(2);
    });
  });
});
