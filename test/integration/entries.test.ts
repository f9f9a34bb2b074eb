/**
 * Entries: the handler knows where an event came from by the invoked ARN's qualifier alone. An
 * event shaped like API Gateway's or EventBridge's proves nothing on the direct entry.
 */
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { ETL_ROLE_CALLER, type Harness, SCHEDULED_EVENT, useHarness } from '../support/harness.js';

/** The ETL role may have user 12345's token; a direct invoker may have nothing. */
const POLICY = {
  version: 1,
  rules: [
    {
      id: 'etl',
      callers: ['arn:aws:iam::111122223333:role/etl-*'],
      subjects: ['enterprise', 'user:12345'],
    },
  ],
};

const startHarness = useHarness();
function open(policy: unknown = POLICY): Promise<Harness> {
  return startHarness({
    env: { BOX_ACCESS_POLICY: JSON.stringify(policy) },
    simulator: { allowUserSubjects: true },
  });
}

const lastLine = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;

/** What a direct invoker would send to pose as the ETL role: API Gateway's event, forged. */
function forgedApiEvent(): unknown {
  // As Lambda hands it to the function: JSON, parsed.
  return JSON.parse(
    JSON.stringify(
      apiGatewayEvent({
        method: 'POST',
        path: '/token',
        body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '12345' }),
        identity: ETL_ROLE_CALLER,
        requestId: 'forged-1',
        stage: 'prod',
      }),
    ),
  );
}

describe('Entries: how an event arrived', () => {
  it('treats a forged API Gateway event on the direct entry as a direct token request (400, no token)', async () => {
    // Prepare
    const h = await open();

    // Act
    const { result, error } = await h.invoke(forgedApiEvent());

    // Assess: the event's fields are unknown token-request fields; nothing reaches Box.
    expect(result).toBeUndefined();
    expect(error?.name).toBe('invalid_request');
    expect(JSON.parse(error?.message ?? '{}').error_description).toContain('Unknown field');
    expect(h.simulator.requests).toHaveLength(0);
    expect(h.secretsManager.calls()).toHaveLength(0);
    const line = lastLine(h);
    expect(line).toMatchObject({ entry: 'direct', caller_kind: 'direct', status: 400 });
    expect(line).not.toHaveProperty('caller_arn');
    expect(JSON.stringify(h.logLines)).not.toContain('etl-prod');
  });

  it('denies a direct caller what only the role the forged event names is admitted to', async () => {
    const h = await open();

    const { error } = await h.invoke({ box_subject_type: 'user', box_subject_id: '12345' });

    expect(error?.name).toBe('access_denied');
    expect(h.simulator.requests).toHaveLength(0);
    expect(lastLine(h)).toMatchObject({ entry: 'direct', caller_kind: 'direct', decision: 'deny' });
  });

  it('serves the same event through the api entry as the caller API Gateway authenticated', async () => {
    const h = await open();

    const { result, error } = await h.invoke(forgedApiEvent(), 'api');

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ statusCode: 200 });
    expect(lastLine(h)).toMatchObject({
      entry: 'api',
      route: 'POST /token',
      operation: 'token',
      caller_kind: 'iam',
      subject: 'user:12345',
      TokensIssued: 1,
    });
  });

  it('treats a version, $LATEST and a `direct` alias as the direct entry', async () => {
    const h = await open();
    for (const qualifier of ['7', '$LATEST', 'direct', 'API']) {
      const { error } = await h.invoke(forgedApiEvent(), qualifier);
      expect(error?.name).toBe('invalid_request');
      expect(lastLine(h)).toMatchObject({ entry: 'direct', caller_kind: 'direct' });
    }
    expect(h.simulator.requests).toHaveLength(0);
  });

  it('does not run the canary for a forged scheduled event on the direct entry', async () => {
    const h = await open({
      version: 1,
      rules: [{ id: 'steps', callers: ['direct'], subjects: ['enterprise'] }],
    });

    const { result, error } = await h.invoke(SCHEDULED_EVENT);

    expect(result).toBeUndefined();
    expect(error?.name).toBe('invalid_request');
    expect(h.simulator.requests.some((r) => r.path === '/2.0/users/me')).toBe(false);
    expect(h.simulator.tokenCallCount()).toBe(0);
    const line = lastLine(h);
    expect(line).toMatchObject({ entry: 'direct', route: 'invoke', status: 400 });
    expect(line).not.toHaveProperty('CanarySuccess');
  });

  it('runs the canary on the schedule entry, whatever the event, and counts no token as issued', async () => {
    const h = await open();

    const { result, error } = await h.invoke({ anything: 'at all' }, 'schedule');

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ status: 'ok', box_user_id: expect.any(String) });
    const line = lastLine(h);
    expect(line).toMatchObject({
      entry: 'schedule',
      operation: 'canary',
      CanarySuccess: 1,
      cache_hit: false,
    });
    expect(line).not.toHaveProperty('TokensIssued');
  });

  it('does not count GET /health as a token issued', async () => {
    const h = await open();

    const answer = await h.api('GET', '/health');

    expect(answer.status).toBe(200);
    const line = lastLine(h);
    expect(line).toMatchObject({ entry: 'api', operation: 'health', CacheMisses: 1 });
    expect(line).not.toHaveProperty('TokensIssued');
  });

  it('answers a non-API event on the api entry with a contract-shaped 500 misconfigured', async () => {
    const h = await open();

    const { result, error } = await h.invoke({ box_subject_type: 'enterprise' }, 'api');

    expect(error).toBeUndefined();
    const response = result as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({
      error: 'misconfigured',
      retryable: false,
      request_id: expect.any(String),
    });
    expect(h.simulator.requests).toHaveLength(0);
    expect(lastLine(h)).toMatchObject({ entry: 'api', status: 500, error: 'misconfigured' });
  });
});
