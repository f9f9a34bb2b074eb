/**
 * `box-token-broker tenant suspend|resume` and the suspensions in `tenant list`, against a fleet
 * state table on dynalite (the CLI's real store, the real SDK client).
 */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noDeadline } from '../lambda/deadline.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { startTestFleetState, type TestFleetState, type TestState } from './support/fleet-state.js';
import { runSetup } from './support/setup-cli.js';

const PREFIX = 'box-token-broker/tenants/';
const OPS = 'arn:aws:iam::111122223333:role/ops';
const sm = mockClient(SecretsManagerClient);

let fleet: TestFleetState;
let state: TestState;
beforeAll(async () => {
  fleet = await startTestFleetState();
});
afterAll(async () => {
  sm.restore();
  await fleet?.close();
});
beforeEach(async () => {
  sm.reset();
  sm.on(ListSecretsCommand).resolves({ SecretList: [{ Name: `${PREFIX}acme` }] });
  state = await fleet.newState();
});

function run(args: string[], env: Record<string, string> = {}) {
  return runSetup(args, {
    env: { BOX_STATE_TABLE: state.tableName, BOX_TENANT_SECRET_PREFIX: PREFIX, ...env },
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    fleetControls: state.controls,
  });
}

describe('box-token-broker tenant suspend / resume', () => {
  it('suspends a tenant fleet-wide, shows it in tenant list, and resumes it', async () => {
    // Act
    const suspended = await run(['tenant', 'suspend', 'acme', '--added-by', OPS]);
    const controls = await state.controls.controls(noDeadline());
    const listed = await run(['tenant', 'list']);
    const resumed = await run(['tenant', 'resume', 'acme', '--json']);
    const after = await run(['tenant', 'list', '--json']);

    // Assess
    expect(suspended.code).toBe(SETUP_EXIT.ok);
    expect(suspended.stdout).toContain(`tenant acme suspended (by ${OPS})`);
    expect([...controls.suspendedTenants]).toEqual(['acme']);
    expect(listed.stdout).toMatch(
      /^acme\tlast check: never\tadded by: unknown\tSUSPENDED since \S+ by arn:aws:iam::111122223333:role\/ops$/m,
    );
    expect(resumed.code).toBe(SETUP_EXIT.ok);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ tenant: 'acme', suspended: false });
    const document = JSON.parse(after.stdout) as {
      tenants: Record<string, unknown>[];
      suspensions: unknown[];
    };
    expect(document.suspensions).toEqual([]);
    expect(document.tenants[0]).not.toHaveProperty('suspended');
  });

  it('shows a suspended tenant that has no secret, the default tenant included', async () => {
    await run(['tenant', 'suspend', 'globex']);
    expect((await run(['tenant', 'suspend', 'default'])).code).toBe(SETUP_EXIT.ok);

    const listed = await run(['tenant', 'list']);

    expect(listed.stdout).toMatch(/^default\t\(no secret under /m);
    expect(listed.stdout).toMatch(
      /^globex\t\(no secret under box-token-broker\/tenants\/\)\tSUSPENDED since .* by os-user:/m,
    );
  });

  it('refuses without BOX_STATE_TABLE, and refuses a bad tenant ID, both as usage errors', async () => {
    const noTable = await runSetup(['tenant', 'suspend', 'acme'], { env: {} });
    const badId = await run(['tenant', 'suspend', 'Not A Tenant']);

    expect(noTable.code).toBe(SETUP_EXIT.usage);
    expect(noTable.stderr).toContain('BOX_STATE_TABLE is not set');
    expect(badId.code).toBe(SETUP_EXIT.usage);
  });

  it('names the AWS error and the permission when the table refuses', async () => {
    const denied = await fleet.newState({ callTimeoutMs: 2000 });
    fleet.dynamodbProxy.fault = { kind: 'denied' };
    try {
      const result = await runSetup(['tenant', 'suspend', 'acme'], {
        env: { BOX_STATE_TABLE: denied.tableName, AWS_REGION: 'eu-west-1' },
        fleetControls: denied.controls,
      });
      expect(result.code).toBe(SETUP_EXIT.aws);
      expect(result.stderr).toContain(
        'suspending tenant acme failed (region eu-west-1): AccessDeniedException',
      );
      expect(result.stderr).toContain('dynamodb:PutItem');
    } finally {
      fleet.dynamodbProxy.fault = undefined;
    }
  });

  it('names the table, not Secrets Manager, when the table is missing or does not answer', async () => {
    const missing = fleet.attach('no-such-table');
    const unreachable = await fleet.newState();
    const env = { AWS_REGION: 'eu-west-1' };

    const noTable = await runSetup(['tenant', 'suspend', 'acme'], {
      env: { ...env, BOX_STATE_TABLE: 'no-such-table' },
      fleetControls: missing.controls,
    });
    fleet.dynamodbProxy.fault = { kind: 'reset' };
    let noAnswer: Awaited<ReturnType<typeof runSetup>>;
    try {
      noAnswer = await runSetup(['tenant', 'resume', 'acme'], {
        env: { ...env, BOX_STATE_TABLE: unreachable.tableName },
        fleetControls: unreachable.controls,
      });
    } finally {
      fleet.dynamodbProxy.fault = undefined;
    }

    expect(noTable.code).toBe(SETUP_EXIT.aws);
    expect(noTable.stderr).toContain('ResourceNotFoundException');
    expect(noTable.stderr).toContain('fix: no table named by BOX_STATE_TABLE in eu-west-1');
    expect(noAnswer.code).toBe(SETUP_EXIT.aws);
    expect(noAnswer.stderr).toContain('fix: DynamoDB (the BOX_STATE_TABLE table;');
    expect(noAnswer.stderr).not.toContain('Secrets Manager');
  });
});
