import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, runCli } from '../client/cli-run.js';
import { TOKEN_EXCHANGE_GRANT } from '../local/box-simulator/index.js';
import { startLocalBroker } from '../local/local-broker.js';
import { type SignedBroker, startSignedBroker, TEST_KEYS } from './support/signed-broker.js';
import { startStubBroker } from './support/stub-broker.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'client', 'cli.ts');
/** An empty home: no AWS config or credentials files, no instance metadata. */
const EMPTY_HOME = mkdtempSync(join(tmpdir(), 'box-token-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment with only what the CLI needs: no ambient AWS settings leak into the test. */
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: EMPTY_HOME,
    AWS_CONFIG_FILE: join(EMPTY_HOME, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(EMPTY_HOME, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function signedAs(key: { accessKeyId: string; secretAccessKey: string }) {
  return cliEnv({ AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey });
}

/**
 * Runs `box-token` in this process through `runCli`, with `env` as the whole environment: the
 * AWS credential chain reads `process.env`, so it is swapped for the call and restored after.
 * Tests in a file run one at a time, so no two calls share the swap.
 */
async function run(args: string[], env: Record<string, string>): Promise<Run> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  try {
    const code = await runCli(args, {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env,
    });
    return { code, stdout, stderr };
  } finally {
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

/** Runs the real `box-token` bin in its own process (the smoke test of the entry point). */
function spawnCli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(TSX, [CLI, ...args], { env, cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

describe('CLI: box-token', () => {
  let signed: SignedBroker;

  beforeAll(async () => {
    signed = await startSignedBroker({
      env: { BOX_MAX_ATTEMPTS: '1', BOX_HTTP_TIMEOUT_MS: '200', BOX_RETRY_BUDGET_MS: '200' },
    });
  });
  afterAll(async () => {
    await signed.close();
  });

  it('prints the bare token and exits 0 (the bin, in its own process)', async () => {
    const result = await spawnCli(['--url', signed.url], signedAs(TEST_KEYS.etl));
    expect(result).toMatchObject({ code: EXIT_CODES.ok, stderr: '' });
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(signed.broker.simulator?.isTokenActive(token)).toBe(true);
  });

  it('prints the JSON response with --json, reading the URL from BOX_TOKEN_BROKER_URL', async () => {
    const env = { ...signedAs(TEST_KEYS.etl), BOX_TOKEN_BROKER_URL: signed.url };
    const result = await run(
      ['--json', '--user', '42', '--scope', 'item_preview', '--resource', 'folder:777'],
      env,
    );
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      box_subject_type: 'user',
      box_subject_id: '42',
      restricted_to: [{ scope: 'item_preview', object: { type: 'folder', id: '777' } }],
    });
  });

  it('exits 2 with the usage for an unknown option, a missing URL or a bad --min-ttl', async () => {
    const env = signedAs(TEST_KEYS.etl);
    const results = await Promise.all([
      run(['--url', signed.url, '--frobnicate'], env),
      run([], env),
      run(['--url', signed.url, '--min-ttl', 'soon'], env),
    ]);
    for (const result of results) {
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).toContain('Usage: box-token');
      expect(result.stdout).toBe('');
    }
  });

  it('exits 3 when the broker rejects the request (invalid_scope)', async () => {
    const result = await run(['--url', signed.url, '--scope', 'nope'], signedAs(TEST_KEYS.etl));
    expect(result.code).toBe(EXIT_CODES.rejected);
    expect(result.stderr).toMatch(/^box-token: invalid_scope: .*not retryable, HTTP 400, request /);
  });

  it('exits 4 when the named tenant is not registered (tenant_not_found)', async () => {
    const local = await startLocalBroker({
      port: 0,
      env: { BOX_LOCAL_TENANTS: 'acme' },
      sink: () => undefined,
    });
    try {
      const result = await run(['--url', local.url, '--tenant', 'globex', '--json'], cliEnv());
      expect(result.code).toBe(EXIT_CODES.denied);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: 'tenant_not_found', status: 404 });
    } finally {
      await local.close();
    }
  });

  it('exits 4 when the access policy denies (access_denied) and prints the error as JSON', async () => {
    const result = await run(
      ['--url', signed.url, '--user', '99', '--json'],
      signedAs(TEST_KEYS.etl),
    );
    expect(result.code).toBe(EXIT_CODES.denied);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: 'access_denied',
      retryable: false,
      status: 403,
    });
  });

  it('exits 4 when API Gateway (the emulation) refuses the signature (not_authorized)', async () => {
    const result = await run(
      ['--url', signed.url],
      signedAs({ accessKeyId: TEST_KEYS.etl.accessKeyId, secretAccessKey: 'wrong' }),
    );
    expect(result.code).toBe(EXIT_CODES.denied);
    expect(result.stderr).toContain('not_authorized');
  });

  it('without AWS credentials, calls a loopback broker unsigned and says so (emulation on: exit 4)', async () => {
    const result = await run(['--url', signed.url], cliEnv());
    expect(result.code).toBe(EXIT_CODES.denied);
    expect(result.stderr).toMatch(
      /warning: No AWS credentials found: calling the local broker .* unsigned/,
    );
    expect(result.stderr).toContain('not_authorized');
  });

  it('without AWS credentials, gets a token from an open local broker (npm start default)', async () => {
    const open = await startLocalBroker({ port: 0, env: {}, sink: () => undefined });
    try {
      const result = await run(['--url', open.url], cliEnv());
      expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
      expect(result.stderr).toContain('unsigned');
      expect(open.simulator?.isTokenActive(result.stdout.trim())).toBe(true);
    } finally {
      await open.close();
    }
  });

  it('exits 5 when no AWS credentials are available for a remote broker (never unsigned)', async () => {
    const result = await run(
      ['--url', 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'],
      cliEnv(),
    );
    expect(result.code).toBe(EXIT_CODES.configuration);
    expect(result.stderr).toContain('aws_credentials_unavailable');
    expect(result.stderr).not.toContain('unsigned');
  });

  it('keeps refusing plain http to a host that is not loopback (exit 2)', async () => {
    const result = await run(['--url', 'http://broker.example.com/prod'], cliEnv());
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain('must use https');
  });

  it('sends --tenant, and refuses a tenant ID outside the contract pattern (exit 2)', async () => {
    const stub = await startStubBroker();
    try {
      const ok = await run(
        ['--url', stub.url, '--tenant', 'acme', '--json'],
        signedAs(TEST_KEYS.etl),
      );
      const bad = await run(['--url', stub.url, '--tenant', 'ACME'], signedAs(TEST_KEYS.etl));
      expect(ok.code, ok.stderr).toBe(EXIT_CODES.ok);
      expect(JSON.parse(ok.stdout)).toMatchObject({ tenant: 'acme' });
      expect(stub.requests.map((r) => r.body)).toEqual([{ tenant: 'acme' }]);
      expect(bad.code).toBe(EXIT_CODES.usage);
      expect(bad.stderr).toContain('tenant must be');
    } finally {
      await stub.close();
    }
  });

  it('exits 5 when the broker is misconfigured', async () => {
    const broken = await startSignedBroker({
      env: { BOX_ACCESS_POLICY: '{"version":1' },
      checkPolicy: false,
    });
    try {
      const result = await run(['--url', broken.url], signedAs(TEST_KEYS.etl));
      expect(result.code).toBe(EXIT_CODES.configuration);
      expect(result.stderr).toContain('misconfigured');
    } finally {
      await broken.close();
    }
  });

  it('exits 6 for a retryable failure and says when to retry (box_unavailable)', async () => {
    signed.broker.simulator?.injectFault({
      kind: 'rate_limit',
      retryAfter: 7,
      grantType: TOKEN_EXCHANGE_GRANT,
    });
    const result = await run(
      ['--url', signed.url, '--scope', 'item_upload'],
      signedAs(TEST_KEYS.etl),
    );
    expect(result.code).toBe(EXIT_CODES.temporary);
    expect(result.stderr).toContain('box_unavailable');
    expect(result.stderr).toContain('retryable after 7 s');
  });

  it('exits 6 when the broker cannot be reached (network_error)', async () => {
    const result = await run(['--url', 'http://127.0.0.1:9'], signedAs(TEST_KEYS.etl));
    expect(result.code).toBe(EXIT_CODES.temporary);
    expect(result.stderr).toContain('network_error');
  });

  it('never prints the secret key or the token to stderr', async () => {
    const result = await run(['--url', signed.url, '--user', '99'], signedAs(TEST_KEYS.etl));
    expect(result.stderr).not.toContain(TEST_KEYS.etl.secretAccessKey);
    expect(result.stderr).not.toMatch(/AWS4-HMAC-SHA256/);
  });

  it('prints the help and exits 0', async () => {
    const result = await run(['--help'], cliEnv());
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain('Exit codes:');
  });
});

describe('CLI: box-token (unexpected failures)', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json', 'x-request-id': 'r-500' });
      response.end(
        JSON.stringify({
          error: 'server_error',
          error_description: 'The broker failed unexpectedly; the details are in its log.',
          retryable: false,
          request_id: 'r-500',
        }),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('exits 1 for server_error', async () => {
    const result = await run(['--url', url], signedAs(TEST_KEYS.etl));
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stderr).toContain('server_error');
    expect(result.stderr).toContain('request r-500');
  });
});

describe('npm start with BOX_LOCAL_IAM_KEYS', () => {
  it('announces the emulation, rejects unsigned calls and serves the signed CLI', async () => {
    // Prepare: the real `npm start` entry point on an ephemeral port.
    const server = spawn(TSX, [join(ROOT, 'local', 'server.ts')], {
      cwd: ROOT,
      env: cliEnv({ PORT: '0', BOX_LOCAL_IAM_KEYS: JSON.stringify([TEST_KEYS.etl]) }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const banner = await new Promise<string>((done, fail) => {
        let text = '';
        server.stderr.setEncoding('utf8');
        server.stderr.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('Try')) done(text);
        });
        server.once('exit', () => fail(new Error(`server exited: ${text}`)));
      });
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? '';

      // Act
      const unsigned = await fetch(`${url}/token`);
      const result = await run(['--url', url, '--json'], signedAs(TEST_KEYS.etl));

      // Assess
      expect(banner).toContain('Local IAM emulation ON');
      expect(unsigned.status).toBe(403);
      expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
      expect(result.code).toBe(EXIT_CODES.ok);
      expect(JSON.parse(result.stdout)).toMatchObject({ token_type: 'bearer' });
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('refuses to start with an invalid BOX_LOCAL_IAM_KEYS, naming the variable', async () => {
    const result = await new Promise<Run>((done) => {
      execFile(
        TSX,
        [join(ROOT, 'local', 'server.ts')],
        { cwd: ROOT, env: cliEnv({ PORT: '0', BOX_LOCAL_IAM_KEYS: '[{"accessKeyId":"x"}]' }) },
        (error, stdout, stderr) =>
          done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('BOX_LOCAL_IAM_KEYS[0].secretAccessKey');
  });
});
