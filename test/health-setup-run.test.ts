/**
 * What a scheduled setup check run hands to tenant health: the failed steps with the fixes
 * `box-token-broker check` prints, Box's answers with the client ID and secret masked.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { noDeadline } from '../lambda/deadline.js';
import { HealthMonitor } from '../lambda/health/health-monitor.js';
import { judgeSetupRun, observationOf } from '../lambda/health/setup-run-health.js';
import {
  ScheduledSetupChecks,
  SECRET_STEP_FIXES,
  type SetupCheckRun,
} from '../lambda/setup/scheduled-checks.js';
import { STEPS } from '../lambda/setup/steps.js';
import { MemoryTenantHealthStore } from '../lambda/state/tenant-health-memory.js';
import type { LogEvent } from '../lambda/trace/request-logger.js';

const APP = { clientId: 'acme-client-0042', clientSecret: 'acme-S3CR3T', enterpriseId: '1111' };

const client = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-key' },
});
const secrets = mockClient(client);
afterEach(() => secrets.reset());

/** A run over the default tenant only, against a Box that answers every call with `answer`. */
async function runWith(secretString: string, answer: () => Response) {
  secrets.on(GetSecretValueCommand).resolves({ VersionId: 'v1', SecretString: secretString });
  const checks = new ScheduledSetupChecks({
    client,
    defaultSecretId: 'box/ccg',
    tenantSecretPrefix: undefined,
    perRun: 10,
    concurrency: 1,
    intervalMs: 300_000,
    perCheckMs: 5_000,
    boxApiUrl: 'https://box.example',
    fetch: async () => answer(),
  });
  const run = await checks.run(noDeadline());
  const [check] = run.tenants;
  if (check === undefined) throw new Error('no tenant checked');
  return check;
}

describe('Function: observationOf (a scheduled run for tenant health)', () => {
  it('carries the failed step with its fix, and masks the client ID and secret Box echoed', async () => {
    const check = await runWith(JSON.stringify(APP), () =>
      Response.json(
        {
          error: 'invalid_client',
          error_description: `The client credentials are invalid for ${APP.clientId} / ${APP.clientSecret}`,
        },
        { status: 400 },
      ),
    );

    const observation = observationOf(check);

    expect(observation).toMatchObject({
      kind: 'setup_check_failed',
      tenant: 'default',
      steps: [{ id: 'credentials', title: STEPS.credentials.title, fix: STEPS.credentials.fix }],
    });
    const text = JSON.stringify(observation);
    expect(text).not.toContain(APP.clientId);
    expect(text).not.toContain(APP.clientSecret);
    expect(text).toContain('The client credentials are invalid for [redacted] / [redacted]');
  });

  it('names the secret step and its fix when the secret holds no credentials', async () => {
    const check = await runWith('{"clientId":"x"}', () => new Response('', { status: 500 }));
    expect(observationOf(check)).toEqual({
      kind: 'setup_check_failed',
      tenant: 'default',
      steps: [{ id: 'secret_value', ...SECRET_STEP_FIXES.secret_value }],
      evidence: [],
    });
  });

  it('judges nothing on an undecided check (Box down)', async () => {
    const check = await runWith(JSON.stringify(APP), () => new Response('', { status: 503 }));
    expect(check.outcome).toBe('inconclusive');
    expect(observationOf(check)).toBeUndefined();
  });
});

describe('Function: judgeSetupRun', () => {
  it('counts unhealthy only the tenants that still exist when the listing says which do', async () => {
    // Prepare: acme and a tenant removed since are both remembered unhealthy.
    const store = new MemoryTenantHealthStore();
    for (const tenant of ['acme', 'removed']) {
      await store.transition({
        tenant,
        state: 'unhealthy',
        reason: 'setup_check',
        sinceMs: 1,
        announced: true,
      });
    }
    const lines: LogEvent[] = [];
    const monitor = new HealthMonitor({
      store,
      publisher: { publish: async () => {} },
      log: (line) => lines.push(line),
    });
    const run = (registeredIds: string[] | undefined): SetupCheckRun => ({
      registered: registeredIds?.length,
      ...(registeredIds === undefined ? { listingError: 'AccessDeniedException' } : {}),
      registeredIds,
      ignored: 0,
      slice: 0,
      slices: 1,
      cycleMs: 300_000,
      tenants: [{ tenant: 'default', outcome: 'pass', failedSteps: [], durationMs: 5 }],
    });

    // Act: a run that listed acme (and not the removed one), then one whose listing failed.
    await judgeSetupRun(monitor, run(['acme', 'globex']), (line) => lines.push(line));
    await judgeSetupRun(monitor, run(undefined), (line) => lines.push(line));

    // Assess
    const counts = lines.filter((line) => line.metrics?.[0]?.[0] === 'TenantsUnhealthy');
    expect(counts.map((line) => [line.metrics?.[0]?.[1], line.fields?.unhealthy_tenants])).toEqual([
      [1, ['acme']],
      [2, ['acme', 'removed']],
    ]);
  });
});
