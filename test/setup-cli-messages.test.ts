/**
 * `box-token-broker` messages and exit codes a newcomer meets first: unknown commands, the help,
 * missing credentials, AWS failures that say what to configure, BOX_API_URL's origin rule, and
 * `--json` making every outcome one JSON document.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  DecryptionFailure,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SETUP_USAGE } from '../local/setup/arguments.js';
import { SETUP_COMMANDS } from '../local/setup/cli.js';
import { SETUP_EXIT } from '../local/setup/exit-codes.js';
import { runSetup } from './support/setup-cli.js';

const ROOT = resolve(import.meta.dirname, '..');
const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

beforeEach(() => sm.reset());
afterAll(() => sm.restore());

const run = (args: string[], env: Record<string, string> = {}) =>
  runSetup(args, { env, secretsManager: client });

function accessDenied(action: string): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: `User: arn:aws:iam::111122223333:user/ops is not authorized to perform: ${action}`,
    $metadata: {},
  });
}

describe('box-token-broker: commands and usage', () => {
  it('says "unknown command" for a misspelt command (exit 2, usage on stderr)', async () => {
    const result = await run(['chek']);
    expect(result.code).toBe(SETUP_EXIT.usage);
    expect(result.stderr).toMatch(/^box-token-broker: unknown command "chek"\n\nUsage:/);
    expect(result.stdout).toBe('');
    const tenantTypo = await run(['tenant', 'ad', 'acme']);
    expect(tenantTypo.stderr).toContain('unknown command "tenant ad"');
  });

  it('says what a known command takes when its operands are wrong', async () => {
    const results = await Promise.all([run(['tenant', 'add']), run(['tenant', 'list', 'x'])]);
    expect(results.map((result) => result.code)).toEqual([SETUP_EXIT.usage, SETUP_EXIT.usage]);
    expect(results[0]?.stderr).toContain('"tenant add" takes one tenant ID (got none)');
    expect(results[1]?.stderr).toContain('"tenant list" takes no operands (got "x")');
  });

  it('--help lists every command, validate-policy included, on stdout (exit 0)', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(SETUP_EXIT.ok);
    expect(result.stdout).toContain('box-token-broker validate-policy FILE');
    for (const command of SETUP_COMMANDS) {
      expect(result.stdout).toContain(`box-token-broker ${command.words.join(' ')}`);
    }
    expect(SETUP_USAGE).toContain('--json');
  });

  it('--json: a usage error is one JSON document on stdout', async () => {
    for (const args of [
      ['chek', '--json'],
      ['check', '--frobnicate', '--json'],
      ['check', '--as-user', 'me', '--json'],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(SETUP_EXIT.usage);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: 'usage', exitCode: 2 });
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toContain('Usage:');
    }
  });
});

describe('box-token-broker check: credentials', () => {
  it('without credentials or a terminal, names the three variables and --secret/--tenant (exit 4)', async () => {
    const result = await run(['check']);
    expect(result.code).toBe(SETUP_EXIT.credentials);
    expect(result.stderr).toBe(
      'box-token-broker: no Box credentials: set BOX_CLIENT_ID, BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID, give --secret NAME or --tenant ID (read from Secrets Manager), or run on a terminal to be prompted\n',
    );
    const json = await run(['check', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: 'credentials_unavailable',
      exitCode: 4,
      missing: ['BOX_CLIENT_ID', 'BOX_CLIENT_SECRET', 'BOX_ENTERPRISE_ID'],
    });
  });

  it('with only BOX_CLIENT_ID set, names the two missing variables', async () => {
    const result = await run(['check'], { BOX_CLIENT_ID: 'abc' });
    expect(result.code).toBe(SETUP_EXIT.credentials);
    expect(result.stderr).toContain(
      'incomplete Box credentials: BOX_CLIENT_SECRET and BOX_ENTERPRISE_ID are not set',
    );
  });
});

describe('box-token-broker: BOX_API_URL must be https (or loopback) before a secret is sent', () => {
  const credentials = {
    BOX_CLIENT_ID: 'id',
    BOX_CLIENT_SECRET: 'secret-Must-Not-Travel',
    BOX_ENTERPRISE_ID: '1',
  };

  it('refuses plain http to another host, sending nothing (exit 2)', async () => {
    const sent: string[] = [];
    const fetchSpy: typeof fetch = async (input) => {
      sent.push(String(input));
      return new Response('{}', { status: 500 });
    };
    for (const url of ['http://box.example.com', 'http://10.0.0.5:8080', 'ftp://api.box.com']) {
      let stderr = '';
      const { runSetupCli } = await import('../local/setup/cli.js');
      const code = await runSetupCli(
        ['check'],
        {
          stdout: () => undefined,
          stderr: (text) => {
            stderr += text;
          },
          env: { ...credentials, BOX_API_URL: url },
        },
        { secretsManager: () => client, fetch: fetchSpy },
      );
      expect(code).toBe(SETUP_EXIT.usage);
      expect(stderr).toContain(
        'BOX_API_URL must use https (http is allowed only for a loopback host)',
      );
      expect(stderr).not.toContain('secret-Must-Not-Travel');
    }
    expect(sent).toEqual([]);
  });

  it('refuses it before reading a secret from Secrets Manager', async () => {
    const result = await run(['check', '--secret', 'prod/box'], {
      BOX_API_URL: 'http://box.example.com',
    });
    expect(result.code).toBe(SETUP_EXIT.usage);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('box-token-broker: AWS failures say what failed, the AWS error and the fix', () => {
  it('tenant list, access denied: the AWS message and the permission needed (exit 5)', async () => {
    sm.on(ListSecretsCommand).rejects(accessDenied('secretsmanager:ListSecrets'));
    const result = await run(['tenant', 'list'], { AWS_REGION: 'eu-west-1' });
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(result.stderr).toBe(
      'box-token-broker: listing tenants failed (region eu-west-1): AccessDeniedException: User: arn:aws:iam::111122223333:user/ops is not authorized to perform: secretsmanager:ListSecrets\n' +
        '  fix: your AWS identity needs secretsmanager:ListSecrets (on resource "*") (see docs/setup-check.md, "IAM for the operator")\n',
    );
  });

  it('--json: the AWS failure is one document with awsError, region and fix', async () => {
    sm.on(DeleteSecretCommand).rejects(accessDenied('secretsmanager:DeleteSecret'));
    const result = await run(['tenant', 'remove', 'acme', '--json'], { AWS_REGION: 'eu-west-1' });
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: 'aws_call_failed',
      exitCode: 5,
      awsError: 'AccessDeniedException',
      region: 'eu-west-1',
      fix: expect.stringContaining('secretsmanager:DeleteSecret on box-token-broker/tenants/acme'),
    });
  });

  it('a secret Secrets Manager cannot decrypt is an AWS failure naming kms:Decrypt (exit 5)', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new DecryptionFailure({ message: 'Access to KMS is not allowed', $metadata: {} }),
    );
    const result = await run(['check', '--tenant', 'acme']);
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(result.stderr).toContain(
      'reading the secret box-token-broker/tenants/acme failed (AWS_REGION not set): DecryptionFailure: Access to KMS is not allowed',
    );
    expect(result.stderr).toContain('kms:Decrypt');
  });

  it('a secret with unusable JSON is "credentials unavailable", naming the key, not the value (exit 4)', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ clientId: 'id', clientSecret: '', enterpriseId: '1' }),
      VersionId: 'v1',
    });
    const result = await run(['check', '--secret', 'prod/box', '--json']);
    expect(result.code).toBe(SETUP_EXIT.credentials);
    const document = JSON.parse(result.stdout) as { error: string; message: string };
    expect(document.error).toBe('credentials_unavailable');
    expect(document.message).toMatch(/^the secret prod\/box is not usable: .*clientSecret/);
  });

  it('tenant remove --json prints the removal as one document', async () => {
    sm.on(DeleteSecretCommand).resolves({ DeletionDate: new Date(Date.UTC(2026, 11, 7)) });
    const result = await run(['tenant', 'remove', 'acme', '--recovery-days', '7', '--json']);
    expect(result.code).toBe(SETUP_EXIT.ok);
    expect(JSON.parse(result.stdout)).toEqual({
      tenant: 'acme',
      removed: true,
      secretName: 'box-token-broker/tenants/acme',
      recoveryDays: 7,
      deletionDate: '2026-12-07T00:00:00.000Z',
      undo: 'aws secretsmanager restore-secret --secret-id box-token-broker/tenants/acme',
    });
  });
});

describe('box-token-broker, the bin in its own process with the real AWS SDK chain', () => {
  const home = mkdtempSync(join(tmpdir(), 'box-token-broker-cli-'));
  const bare: Record<string, string> = {
    // The test's own node first: the bin runs on the same runtime as the tests.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const spawnBin = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'local', 'box-token-broker-cli.ts'), ...args],
        { env, cwd: ROOT, timeout: 30_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          done({ code, stdout, stderr });
        },
      );
    });

  it('no AWS credentials: says so and how to set them (exit 5, one JSON document)', async () => {
    const result = await spawnBin(['tenant', 'list', '--json'], {
      ...bare,
      AWS_REGION: 'eu-west-1',
    });
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: 'aws_call_failed',
      awsError: 'CredentialsProviderError',
      region: 'eu-west-1',
      fix: expect.stringContaining('AWS_PROFILE'),
    });
  });

  it('no AWS region: says to set AWS_REGION (exit 5, not 4)', async () => {
    const result = await spawnBin(['check', '--secret', 'prod/box'], {
      ...bare,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
    });
    expect(result.code).toBe(SETUP_EXIT.aws);
    expect(result.stderr).toContain('reading the secret prod/box failed (AWS_REGION not set)');
    expect(result.stderr).toContain('fix: no AWS region: set AWS_REGION');
  });

  it('an unknown command and --help, from the bin', async () => {
    const [typo, help] = await Promise.all([spawnBin(['chek'], bare), spawnBin(['--help'], bare)]);
    expect(typo.code).toBe(SETUP_EXIT.usage);
    expect(typo.stderr).toContain('unknown command "chek"');
    expect(help.code).toBe(SETUP_EXIT.ok);
    expect(help.stdout).toContain('box-token-broker validate-policy FILE');
  });
});
