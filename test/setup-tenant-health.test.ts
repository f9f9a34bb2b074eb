/**
 * Each tenant's health in `box-token-broker tenant list`, read from a fleet state table on
 * dynalite (the CLI's real store, the real SDK client): after the existing columns, so scripts
 * that cut the first ones keep working.
 */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TenantHealthRecord, TenantHealthStore } from '../lambda/state/ports.js';
import { StateUnavailableError } from '../lambda/state/state-call.js';
import { TableTenantHealth } from '../lambda/state/table-tenant-health.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { TENANT_TAGS } from '../local/setup/tenant-registry.js';
import { startTestFleetState, type TestFleetState, type TestState } from './support/fleet-state.js';
import { runSetup } from './support/setup-cli.js';

const PREFIX = 'box-token-broker/tenants/';
const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const sm = mockClient(SecretsManagerClient);

let fleet: TestFleetState;
let state: TestState;
let health: TableTenantHealth;
beforeAll(async () => {
  fleet = await startTestFleetState();
});
afterAll(async () => {
  sm.restore();
  await fleet?.close();
});
beforeEach(async () => {
  sm.reset();
  sm.on(ListSecretsCommand).resolves({
    SecretList: [
      {
        Name: `${PREFIX}acme`,
        Tags: [{ Key: TENANT_TAGS.lastCheck, Value: 'pass 2026-12-07T08:00:00.000Z' }],
      },
      { Name: `${PREFIX}globex` },
      { Name: `${PREFIX}initech` },
    ],
  });
  state = await fleet.newState();
  health = new TableTenantHealth(state.table);
});

function run(args: string[], options: { store?: TenantHealthStore | 'none' } = {}) {
  return runSetup(args, {
    env: { BOX_STATE_TABLE: state.tableName, BOX_TENANT_SECRET_PREFIX: PREFIX },
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    fleetControls: state.controls,
    ...(options.store === 'none' ? {} : { tenantHealth: options.store ?? health }),
  });
}

describe('box-token-broker tenant list: health', () => {
  it('shows each tenant health and since when, after the existing columns', async () => {
    // Prepare: acme went bad, globex recovered, initech never judged, the default tenant is bad.
    await health.transition({
      tenant: 'acme',
      state: 'unhealthy',
      reason: 'credentials_rejected',
      sinceMs: T0,
      announced: true,
    });
    await health.transition({
      tenant: 'globex',
      state: 'healthy',
      reason: 'setup_check',
      sinceMs: T0 + 60_000,
      announced: true,
    });
    await health.transition({
      tenant: 'default',
      state: 'unhealthy',
      reason: 'setup_check',
      sinceMs: T0 + 120_000,
      announced: true,
    });

    // Act
    const text = await run(['tenant', 'list']);
    const json = await run(['tenant', 'list', '--json']);

    // Assess
    expect(text.code).toBe(SETUP_EXIT.ok);
    expect(text.stdout.trim().split('\n')).toEqual([
      'acme\tlast check: pass 2026-12-07T08:00:00.000Z\tadded by: unknown\thealth: UNHEALTHY (credentials_rejected) since 2026-12-07T09:00:00.000Z',
      'globex\tlast check: never\tadded by: unknown\thealth: healthy since 2026-12-07T09:01:00.000Z',
      'initech\tlast check: never\tadded by: unknown\thealth: not judged yet',
      'default\t(the default secret)\thealth: UNHEALTHY (setup_check) since 2026-12-07T09:02:00.000Z',
    ]);
    const document = JSON.parse(json.stdout) as {
      tenants: { tenantId: string; health: unknown }[];
      otherHealth: unknown[];
    };
    expect(document.tenants.map((t) => [t.tenantId, t.health])).toEqual([
      [
        'acme',
        { state: 'unhealthy', reason: 'credentials_rejected', since: '2026-12-07T09:00:00.000Z' },
      ],
      ['globex', { state: 'healthy', since: '2026-12-07T09:01:00.000Z' }],
      ['initech', null],
    ]);
    expect(document.otherHealth).toEqual([
      {
        tenant: 'default',
        state: 'unhealthy',
        reason: 'setup_check',
        since: '2026-12-07T09:02:00.000Z',
      },
    ]);
  });

  it('keeps the existing columns alone when no health store is configured', async () => {
    const result = await run(['tenant', 'list'], { store: 'none' });
    expect(result.stdout.trim().split('\n')[0]).toBe(
      'acme\tlast check: pass 2026-12-07T08:00:00.000Z\tadded by: unknown',
    );
  });

  it('says which permission is missing when the table refuses the read (exit 5)', async () => {
    // The table as an operator without rights on the health# partition sees it.
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:Query'), {
      name: 'AccessDeniedException',
    });
    class DeniedHealth extends TableTenantHealth {
      override list(): Promise<TenantHealthRecord[]> {
        return Promise.reject(new StateUnavailableError('denied', 'query', { cause: denied }));
      }
    }
    const result = await run(['tenant', 'list'], { store: new DeniedHealth(state.table) });
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(result.stderr).toContain('reading the tenants’ health');
    expect(result.stderr).toContain('AccessDeniedException');
    expect(result.stderr).toContain('dynamodb:Query');
  });
});
