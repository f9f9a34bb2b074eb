import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_GRANT } from '../local/box-simulator/index.js';
import { startLocalBroker } from '../local/local-broker.js';
import {
  type SignedBroker,
  startSignedBroker,
  TEST_KEYS,
  TEST_POLICY,
} from './support/signed-broker.js';

const EXAMPLE_DIR = resolve(import.meta.dirname, '..', 'examples', 'python');

/**
 * A Python that can import botocore: BOX_PYTHON if set (only that one), else Debian's /usr/bin/python3 (where
 * `apt-get install python3-botocore` puts it; a pyenv `python3` first on PATH would not see it),
 * else `python3`.
 */
function findPython(): string | undefined {
  const chosen = process.env.BOX_PYTHON;
  const candidates = chosen ? [chosen] : ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-c', 'import botocore'], { stdio: 'ignore', timeout: 15_000 });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const python = findPython();
/**
 * BOX_PYTHON_INSTALLED=1 (set by .ci/run after `pip install`ing the package into the venv that
 * BOX_PYTHON names): test the installed module and its `box-token-py` console script instead of
 * the source file. The suite then runs from a copy outside the source folder, so the import
 * cannot pick up the source file.
 */
const installed = process.env.BOX_PYTHON_INSTALLED === '1';
if (installed && process.env.BOX_PYTHON === undefined) {
  throw new Error('BOX_PYTHON_INSTALLED=1 needs BOX_PYTHON (the venv python).');
}
function suiteDir(): string {
  if (!installed) return EXAMPLE_DIR;
  const dir = mkdtempSync(join(tmpdir(), 'box-token-python-suite-'));
  copyFileSync(
    join(EXAMPLE_DIR, 'test_box_token_broker.py'),
    join(dir, 'test_box_token_broker.py'),
  );
  return dir;
}
/** The command line: the installed console script, or the source file run as a script. */
function commandLine(): { file: string; args: string[]; cwd: string } {
  if (installed) {
    return { file: join(dirname(python ?? ''), 'box-token-py'), args: [], cwd: tmpdir() };
  }
  return { file: python ?? 'python3', args: ['box_token_broker.py'], cwd: EXAMPLE_DIR };
}
if (python === undefined && process.env.BOX_PYTHON_EXAMPLE_REQUIRED === '1') {
  // CI sets this after installing python3-botocore, so a broken install fails instead of skipping.
  throw new Error('BOX_PYTHON_EXAMPLE_REQUIRED=1 but no python3 can import botocore.');
}
if (python === undefined) {
  console.warn(
    'SKIPPED test/python-example.test.ts: no python3 with botocore (apt-get install -y python3-botocore, or set BOX_PYTHON).',
  );
}

/** The test policy with the ETL rule also admitting tenant acme. */
function withAcmeForEtl(policy: string): string {
  const parsed = JSON.parse(policy) as { rules: { id: string; tenants?: string[] }[] };
  for (const rule of parsed.rules) if (rule.id === 'etl') rule.tenants = ['default', 'acme'];
  return JSON.stringify(parsed);
}

describe.skipIf(python === undefined)(
  `Python client (${installed ? 'installed package' : 'examples/python source'})`,
  () => {
    let signed: SignedBroker;

    beforeAll(async () => {
      signed = await startSignedBroker({
        env: {
          BOX_MAX_ATTEMPTS: '1',
          BOX_HTTP_TIMEOUT_MS: '200',
          BOX_RETRY_BUDGET_MS: '200',
          // Tenant acme, for the revoke test: the ETL role may use it as well as the default.
          BOX_LOCAL_TENANTS: 'acme',
          BOX_ACCESS_POLICY: withAcmeForEtl(TEST_POLICY),
        },
      });
    });
    afterAll(async () => {
      await signed.close();
    });

    it('passes its unittest suite against the local server with SigV4 emulation on', async () => {
      // Prepare: the fault the suite's box_unavailable test expects on its next exchange.
      signed.broker.simulator?.injectFault({
        kind: 'rate_limit',
        retryAfter: 7,
        grantType: TOKEN_EXCHANGE_GRANT,
      });
      const home = mkdtempSync(join(tmpdir(), 'box-token-python-'));
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: TEST_KEYS.etl.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEYS.etl.secretAccessKey,
        BOX_TOKEN_BROKER_URL: signed.url,
        BOX_TEST_KEYS: JSON.stringify({ temporary: TEST_KEYS.temporary }),
        BOX_TEST_FAULT_SCOPE: 'item_upload',
        PYTHONDONTWRITEBYTECODE: '1',
      };

      // Act
      const cwd = suiteDir();
      const result = await new Promise<{ code: number; output: string }>((done) => {
        execFile(
          python ?? 'python3',
          ['-m', 'unittest', '-v', 'test_box_token_broker'],
          { cwd, env, timeout: 60_000 },
          (error, stdout, stderr) =>
            done({
              code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
              output: `${stdout}${stderr}`,
            }),
        );
      });

      // Assess
      expect(result.output).toMatch(/Ran 24 tests/);
      expect(result.output).toMatch(
        installed
          ? /from \S*site-packages\/box_token_broker\.py/
          : /from \S*examples\/python\/box_token_broker\.py/,
      );
      expect(result.output).not.toMatch(/skipped/);
      expect(result.code, result.output).toBe(0);
      expect(signed.broker.simulator?.pendingFaults).toBe(0);
    });

    it('prints a token from its command line, with the CLI exit codes', async () => {
      const command = commandLine();
      const run = (args: string[], secret: string) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
          execFile(
            command.file,
            [...command.args, '--url', signed.url, ...args],
            {
              cwd: command.cwd,
              env: {
                PATH: process.env.PATH ?? '',
                HOME: tmpdir(),
                AWS_EC2_METADATA_DISABLED: 'true',
                AWS_ACCESS_KEY_ID: TEST_KEYS.etl.accessKeyId,
                AWS_SECRET_ACCESS_KEY: secret,
                PYTHONDONTWRITEBYTECODE: '1',
              },
              timeout: 30_000,
            },
            (error, stdout, stderr) =>
              done({
                code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
                stdout,
                stderr,
              }),
          );
        });

      const ok = await run(['--json'], TEST_KEYS.etl.secretAccessKey);
      const denied = await run(['--user', '99'], TEST_KEYS.etl.secretAccessKey);
      const badSignature = await run([], 'wrong');

      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ token_type: 'bearer' });
      expect(denied).toMatchObject({ code: 4, stdout: '' });
      expect(denied.stderr).toContain('access_denied');
      expect(badSignature.code).toBe(4);
      expect(badSignature.stderr).toContain('not_authorized');
    });

    it('exits 4, as box-token does, when the named tenant is not registered', async () => {
      const command = commandLine();
      const local = await startLocalBroker({
        port: 0,
        env: { BOX_LOCAL_TENANTS: 'acme' },
        sink: () => undefined,
      });
      try {
        const home = mkdtempSync(join(tmpdir(), 'box-token-py-'));
        const result = await new Promise<{ code: number; stderr: string }>((done) => {
          execFile(
            command.file,
            [...command.args, '--url', local.url, '--tenant', 'globex'],
            {
              cwd: command.cwd,
              // No AWS credentials: a loopback broker is called unsigned.
              env: {
                PATH: process.env.PATH ?? '',
                HOME: home,
                AWS_CONFIG_FILE: join(home, 'config'),
                AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
                AWS_EC2_METADATA_DISABLED: 'true',
                PYTHONDONTWRITEBYTECODE: '1',
              },
              timeout: 30_000,
            },
            (error, _stdout, stderr) =>
              done({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
          );
        });
        expect(result.code, result.stderr).toBe(4);
        expect(result.stderr).toContain('tenant_not_found');
      } finally {
        await local.close();
      }
    });
  },
);
