import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BoxSimulator, startBoxSimulator } from '../local/box-simulator/index.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { TENANT_TAGS } from '../local/setup/tenant-registry.js';
import { appEnv, runSetup } from './support/setup-cli.js';

const ACME = {
  clientId: 'acme-client',
  clientSecret: 'acme-secret-R2d2C3po',
  enterpriseId: '6660001',
};
const GLOBEX = {
  clientId: 'globex-client',
  clientSecret: 'globex-secret-Hal9000',
  enterpriseId: '6660002',
};
const PREFIX = 'box-token-broker/tenants/';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });
let sim: BoxSimulator;

beforeAll(async () => {
  sim = await startBoxSimulator();
  sim.addApp(ACME);
  sim.addApp(GLOBEX);
});

afterAll(async () => {
  await sim.close();
  sm.restore();
});

beforeEach(() => {
  sm.reset();
  sim.app(ACME.clientId)?.setMisconfigurations([]);
});

function run(args: string[], env: Record<string, string | undefined> = {}) {
  return runSetup(args, { env: { BOX_API_URL: sim.url, ...env }, secretsManager: client });
}

describe('box-token-broker tenant add', () => {
  it('refuses credentials that fail the check and stores nothing', async () => {
    sim.app(ACME.clientId)?.misconfigure('not_authorized');
    const result = await run(['tenant', 'add', 'acme', '--added-by', 'alice'], appEnv(sim, ACME));
    expect(result.code).toBe(SETUP_EXIT.failed);
    expect(result.stderr).toContain('NOT added');
    expect(result.stdout).toContain('✖ 5. The app is authorised by the enterprise admin');
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });

  it('refuses a wrong secret for another app and stores nothing', async () => {
    const env = appEnv(sim, { ...ACME, clientSecret: GLOBEX.clientSecret });
    const result = await run(['tenant', 'add', 'acme'], env);
    expect(result.code).toBe(SETUP_EXIT.failed);
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(result.stdout + result.stderr).not.toContain(GLOBEX.clientSecret);
  });

  it('stores <prefix><id> with the three values and tags naming the tenant, who and the check', async () => {
    sm.on(CreateSecretCommand).resolves({
      ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      Name: `${PREFIX}acme`,
    });
    const result = await run(['tenant', 'add', 'acme'], {
      ...appEnv(sim, ACME),
      BOX_TENANT_ADDED_BY: 'arn:aws:iam::111122223333:user/alice',
    });
    expect(result.code).toBe(SETUP_EXIT.ok);
    const [call] = sm.commandCalls(CreateSecretCommand);
    const input = call?.args[0].input;
    expect(input?.Name).toBe(`${PREFIX}acme`);
    expect(JSON.parse(input?.SecretString ?? '')).toEqual(ACME);
    expect(input?.Tags).toEqual([
      { Key: TENANT_TAGS.tenant, Value: 'acme' },
      { Key: TENANT_TAGS.addedBy, Value: 'arn:aws:iam::111122223333:user/alice' },
      { Key: TENANT_TAGS.lastCheck, Value: 'pass 2026-11-30T09:00:00.000Z' },
    ]);
    expect(result.stdout).not.toContain(ACME.clientSecret);
  });

  it('honours --tenant-prefix and refuses a reserved or malformed tenant ID', async () => {
    sm.on(CreateSecretCommand).resolves({});
    const ok = await run(['tenant', 'add', 'acme', '--tenant-prefix', 'team/'], appEnv(sim, ACME));
    expect(ok.code).toBe(0);
    expect(sm.commandCalls(CreateSecretCommand)[0]?.args[0].input.Name).toBe('team/acme');
    for (const id of ['default', 'Acme', '-acme', 'a/b']) {
      const bad = await run(['tenant', 'add', id], appEnv(sim, ACME));
      expect(bad.code).toBe(SETUP_EXIT.usage);
    }
  });

  it('reports an existing tenant with the AWS error and what to do (exit 5)', async () => {
    sm.on(CreateSecretCommand).rejects(
      new ResourceExistsException({ message: 'The secret already exists.', $metadata: {} }),
    );
    const result = await run(['tenant', 'add', 'acme'], appEnv(sim, ACME));
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(result.stderr).toContain(
      `storing the secret ${PREFIX}acme failed (AWS_REGION not set): ResourceExistsException: The secret already exists.`,
    );
    expect(result.stderr).toContain('fix: the tenant already exists; run "tenant check acme"');
    expect(result.stderr).not.toContain(ACME.clientSecret);
  });
});

describe('box-token-broker check --secret / --tenant and tenant check', () => {
  it('reads the tenant secret <prefix><id> and checks that app', async () => {
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}globex` }).resolves({
      SecretString: JSON.stringify(GLOBEX),
      VersionId: 'v1',
    });
    const result = await run(['check', '--tenant', 'globex', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'pass', enterpriseId: '6660002' });
  });

  it('names a missing secret, the region and what to check (exit 4)', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const result = await run(['check', '--secret', 'prod/box'], { AWS_REGION: 'eu-west-1' });
    expect(result.code).toBe(SETUP_EXIT.credentials);
    expect(result.stderr).toBe(
      "box-token-broker: reading the secret prod/box failed (region eu-west-1): ResourceNotFoundException: Secrets Manager can't find the specified secret.\n" +
        '  fix: no such secret in eu-west-1: check the name, the tenant prefix and AWS_REGION\n',
    );
  });

  it('tenant check records the result as the last-check tag', async () => {
    sim.app(ACME.clientId)?.misconfigure('secret_reset');
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(ACME), VersionId: 'v1' });
    sm.on(TagResourceCommand).resolves({});
    const result = await run(['tenant', 'check', 'acme']);
    expect(result.code).toBe(SETUP_EXIT.failed);
    expect(sm.commandCalls(TagResourceCommand)[0]?.args[0].input).toEqual({
      SecretId: `${PREFIX}acme`,
      Tags: [{ Key: TENANT_TAGS.lastCheck, Value: 'fail 2026-11-30T09:00:00.000Z credentials' }],
    });
  });
});

describe('box-token-broker tenant list', () => {
  it('pages through ListSecrets under the prefix and shows each last check', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({
        SecretList: [
          {
            Name: `${PREFIX}globex`,
            Tags: [
              { Key: TENANT_TAGS.lastCheck, Value: 'fail 2026-11-29T00:00:00.000Z authorized' },
            ],
          },
          { Name: `other/${PREFIX}zeta` },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        SecretList: [
          {
            Name: `${PREFIX}acme`,
            Tags: [
              { Key: TENANT_TAGS.lastCheck, Value: 'pass 2026-11-30T00:00:00.000Z' },
              { Key: TENANT_TAGS.addedBy, Value: 'alice' },
            ],
          },
        ],
      });
    const result = await run(['tenant', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'acme\tlast check: pass 2026-11-30T00:00:00.000Z\tadded by: alice',
      'globex\tlast check: fail 2026-11-29T00:00:00.000Z authorized\tadded by: unknown',
    ]);
    const calls = sm.commandCalls(ListSecretsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.Filters).toEqual([{ Key: 'name', Values: [PREFIX] }]);
    expect(calls[1]?.NextToken).toBe('page-2');
  });
});

describe('box-token-broker tenant remove', () => {
  it('schedules deletion with a 30-day recovery window by default, never forced', async () => {
    sm.on(DeleteSecretCommand).resolves({ DeletionDate: new Date('2026-12-30T09:00:00Z') });
    const result = await run(['tenant', 'remove', 'acme']);
    expect(result.code).toBe(0);
    expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input).toEqual({
      SecretId: `${PREFIX}acme`,
      RecoveryWindowInDays: 30,
    });
    expect(result.stdout).toContain('restore-secret');
  });

  it('takes --recovery-days 7 to 30 and refuses anything else', async () => {
    sm.on(DeleteSecretCommand).resolves({});
    expect((await run(['tenant', 'remove', 'acme', '--recovery-days', '7'])).code).toBe(0);
    expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input.RecoveryWindowInDays).toBe(7);
    for (const days of ['0', '6', '31', 'x']) {
      expect((await run(['tenant', 'remove', 'acme', '--recovery-days', days])).code).toBe(
        SETUP_EXIT.usage,
      );
    }
    expect(sm.commandCalls(DeleteSecretCommand)).toHaveLength(1);
  });
});
