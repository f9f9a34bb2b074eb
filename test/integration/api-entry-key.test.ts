/**
 * The `api` entry's key (docs/api.md "Entries"): an identity policy can allow invoking the `api`
 * alias to anyone in the account, wildcards included, so the alias alone does not prove API
 * Gateway sent the event. API Gateway adds the deployment's key (a stage variable); an event
 * without it is refused before its claimed caller is believed, logged or reaches Box.
 */
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { FakeSecrets } from '../support/fake-secrets.js';
import {
  ETL_ROLE_CALLER,
  type Harness,
  SECRET_V1,
  secretJson,
  useHarness,
} from '../support/harness.js';

const ENTRY_SECRET = 'box-token-broker/api-entry-key';
const ENTRY_KEY = 'k3Y0fTh1sDeploymentW1thAtLeast32Characters0123';
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
let secrets: FakeSecrets;

function open(): Promise<Harness> {
  secrets = new FakeSecrets();
  secrets.put('box-token-broker/credentials', {
    versionId: 'v1',
    secretString: secretJson(SECRET_V1),
  });
  secrets.put(ENTRY_SECRET, { versionId: 'k1', secretString: ENTRY_KEY });
  return startHarness({
    env: { BOX_ACCESS_POLICY: JSON.stringify(POLICY), BOX_API_ENTRY_SECRET: ENTRY_SECRET },
    simulator: { allowUserSubjects: true },
    secrets,
  });
}

/** An API Gateway event for user 12345's token as the ETL role, with these stage variables. */
function apiEvent(stageVariables: unknown): unknown {
  const event = JSON.parse(
    JSON.stringify(
      apiGatewayEvent({
        method: 'POST',
        path: '/token',
        body: JSON.stringify({ box_subject_type: 'user', box_subject_id: '12345' }),
        identity: ETL_ROLE_CALLER,
        requestId: 'req-1',
        stage: 'prod',
      }),
    ),
  ) as Record<string, unknown>;
  // As Lambda hands a JSON payload to the function: parsed, so `__proto__` is an own key.
  event.stageVariables =
    typeof stageVariables === 'string' ? JSON.parse(stageVariables) : stageVariables;
  return event;
}

const lastLine = (h: Harness) => JSON.parse(h.logLines.at(-1) ?? '{}') as Record<string, unknown>;

describe('Entries: the api entry key', () => {
  it.each([
    ['no stage variables', null, 'api_entry_key_missing'],
    ['another variable only', { stage: 'prod' }, 'api_entry_key_missing'],
    ['a wrong key', { brokerEntryKey: 'guess' }, 'api_entry_key_mismatch'],
    [
      'the key with one character changed',
      { brokerEntryKey: `${ENTRY_KEY.slice(0, -1)}4` },
      'api_entry_key_mismatch',
    ],
    ['the key as a number', { brokerEntryKey: 42 }, 'api_entry_key_missing'],
    [
      'the key under __proto__',
      `{"__proto__":{"brokerEntryKey":"${ENTRY_KEY}"}}`,
      'api_entry_key_missing',
    ],
  ])(
    'refuses a forged API event on the api alias with %s (403, caller not believed, no Box call)',
    async (_case, stageVariables, reason) => {
      // Prepare
      const h = await open();

      // Act
      const { result, error } = await h.invoke(apiEvent(stageVariables), 'api');

      // Assess
      expect(error).toBeUndefined();
      const answer = result as { statusCode: number; body: string };
      expect(answer.statusCode).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'access_denied', retryable: false });
      expect(h.simulator.requests).toHaveLength(0);
      const line = lastLine(h);
      expect(line).toMatchObject({ entry: 'api', decision: 'deny', reason, status: 403 });
      expect(line.caller_kind).not.toBe('iam');
      expect(JSON.stringify(h.logLines)).not.toContain('etl-prod');
      expect(JSON.stringify(h.logLines)).not.toContain(ENTRY_KEY);
    },
  );

  it('serves an event that carries the key as the caller API Gateway authenticated', async () => {
    const h = await open();

    const { result } = await h.invoke(apiEvent({ brokerEntryKey: ENTRY_KEY }), 'api');

    expect(result).toMatchObject({ statusCode: 200 });
    expect(lastLine(h)).toMatchObject({ entry: 'api', caller_kind: 'iam', subject: 'user:12345' });
    expect(JSON.stringify(h.logLines)).not.toContain(ENTRY_KEY);
  });

  it('reads the key once per execution environment', async () => {
    const h = await open();

    for (let i = 0; i < 3; i += 1) {
      await h.invoke(apiEvent({ brokerEntryKey: ENTRY_KEY }), 'api');
      await h.invoke(apiEvent(null), 'api');
    }

    expect(secrets.callsFor(ENTRY_SECRET)).toBe(1);
  });

  it('answers 500 misconfigured, naming the variable, when the key secret does not exist', async () => {
    const h = await open();
    secrets.delete(ENTRY_SECRET);
    // The cold start's read already holds the key; a new environment would not.
    const fresh = await startHarness({
      env: {
        BOX_API_ENTRY_SECRET: 'box-token-broker/missing',
        BOX_ACCESS_POLICY: JSON.stringify(POLICY),
      },
      secrets,
    });

    const { result } = await fresh.invoke(apiEvent({ brokerEntryKey: ENTRY_KEY }), 'api');

    const answer = result as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(500);
    const body = JSON.parse(answer.body) as { error: string; error_description: string };
    expect(body.error).toBe('misconfigured');
    expect(body.error_description).toContain('BOX_API_ENTRY_SECRET');
    expect(body.error_description).not.toContain('box-token-broker/missing');
    expect(h.simulator.requests).toHaveLength(0);
  });

  it('leaves the direct and schedule entries alone: they never carry the key', async () => {
    const h = await open();

    const direct = await h.invoke({ box_subject_type: 'enterprise' });
    const schedule = await h.invoke({}, 'schedule');

    expect(direct.error?.name).toBe('access_denied');
    expect(schedule.result).toMatchObject({ status: 'ok' });
  });
});
