/**
 * `npm run test:package`: checks box-token-broker-client the way a user meets it, as a published
 * package. Packs the workspace, installs the tarball into a fresh project outside the repository
 * (dependencies from the npm cache or registry, nothing from this repository), then:
 * `npx box-token` gets a token from the local broker; an `.mjs` and a `.cjs` script each call
 * `getBoxToken`; TypeScript files using the types compile (ESM and CommonJS) and prove the
 * package's contract types equal lambda/contract.ts's; publint and attw report no problems; the
 * tarball holds only built files, declarations, README and LICENSE. Exits non-zero on any failure.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLIENT_VERSION } from '../client/version.js';
import { startLocalBroker } from './local-broker.js';

const CLIENT = resolve(import.meta.dirname, '..', 'client');
const REPO = resolve(CLIENT, '..');
const BIN = join(REPO, 'node_modules', '.bin');
const PACKAGE = 'box-token-broker-client';
/**
 * What a tarball may hold: the bin launcher, built JavaScript and declarations, the CJS marker,
 * docs, manifest.
 */
const ALLOWED_FILE =
  /^(bin\/box-token\.js|dist\/(esm|cjs)\/(client|lambda)\/[a-z0-9-]+\.(js|d\.ts)|dist\/cjs\/package\.json|README\.md|LICENSE|package\.json)$/;

let failures = 0;
function check(name: string, ok: boolean, detail = ''): void {
  const shown = ok || detail === '' ? '' : `: ${detail}`;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${shown}\n`);
  if (!ok) failures += 1;
}

/** Runs a command without blocking: the local broker answers from this same event loop. */
function run(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd, env, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({
          code,
          stdout,
          stderr: `${stderr}${error !== null && code === -1 ? String(error) : ''}`,
        });
      },
    );
  });
}

function directorySize(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += directorySize(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

// ---- pack --------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'box-token-client-package-'));
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: CLIENT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
) as { filename: string; files: { path: string }[]; version: string }[];
const tarball = join(work, packed[0]?.filename ?? 'missing.tgz');
const files = (packed[0]?.files ?? []).map((file) => file.path);
const stray = files.filter((path) => !ALLOWED_FILE.test(path));
check(
  'tarball holds only built files, declarations, README and LICENSE',
  stray.length === 0,
  stray.join(', '),
);
for (const needed of [
  'README.md',
  'LICENSE',
  'bin/box-token.js',
  'dist/esm/client/cli.js',
  'dist/cjs/client/index.js',
]) {
  check(`tarball has ${needed}`, files.includes(needed));
}
check('package version equals the User-Agent version', packed[0]?.version === CLIENT_VERSION);

// ---- install into a fresh project outside the repository -----------------------------------------
const project = join(work, 'consumer');
mkdirSync(project);
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
);
const install = await run(
  'npm',
  ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball],
  project,
);
check('npm install <tarball> in a fresh project', install.code === 0, install.stderr.slice(-500));
const installed = join(project, 'node_modules');
let peerInstalled = true;
try {
  statSync(join(installed, 'box-node-sdk'));
} catch {
  peerInstalled = false;
}
check('box-node-sdk (optional peer) is not installed', !peerInstalled);
const size = directorySize(installed);
process.stdout.write(`     install size: ${(size / 1024 / 1024).toFixed(1)} MB in node_modules\n`);

// ---- run it against the local broker -------------------------------------------------------------
const broker = await startLocalBroker({ port: 0, env: {}, sink: () => undefined });
const noCredentials: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '',
  HOME: project,
  AWS_CONFIG_FILE: join(project, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(project, 'no-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};
const withCredentials: NodeJS.ProcessEnv = {
  ...noCredentials,
  AWS_ACCESS_KEY_ID: 'AKIDLOCALPACKAGE0001',
  AWS_SECRET_ACCESS_KEY: 'local-package-check-secret',
  BOX_TOKEN_BROKER_URL: broker.url,
};
try {
  const cli = await run(
    'npx',
    ['--no-install', 'box-token', '--url', broker.url, '--json'],
    project,
    noCredentials,
  );
  const token =
    cli.code === 0 ? (JSON.parse(cli.stdout) as { access_token?: string }).access_token : undefined;
  check(
    'npx box-token (plain node, no credentials: unsigned to loopback) prints a token',
    token !== undefined && broker.simulator?.isTokenActive(token) === true,
    cli.stderr.slice(-500),
  );
  check('npx box-token warns that the call is unsigned', cli.stderr.includes('unsigned'));

  writeFileSync(
    join(project, 'esm.mjs'),
    `import { getBoxToken, CLIENT_VERSION } from '${PACKAGE}';
import { BrokerAuth } from '${PACKAGE}/box-sdk';
const token = await getBoxToken({ scope: ['item_preview'], resource: 'folder:1' });
console.log(JSON.stringify({ token: token.access_token, version: CLIENT_VERSION, auth: typeof BrokerAuth }));
`,
  );
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { getBoxToken, CLIENT_VERSION } = require('${PACKAGE}');
const { BrokerAuth } = require('${PACKAGE}/box-sdk');
getBoxToken({ scope: 'item_download' }).then((token) => {
  console.log(JSON.stringify({ token: token.access_token, version: CLIENT_VERSION, auth: typeof BrokerAuth }));
});
`,
  );
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    const result = await run(process.execPath, [script], project, withCredentials);
    let parsed: { token?: string; version?: string; auth?: string } = {};
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      // reported below
    }
    check(
      `${script} calls getBoxToken (and loads ${PACKAGE}/box-sdk without box-node-sdk)`,
      result.code === 0 &&
        parsed.version === CLIENT_VERSION &&
        parsed.auth === 'function' &&
        broker.simulator?.isTokenActive(parsed.token ?? '') === true,
      result.stderr.slice(-500),
    );
  }
} finally {
  await broker.close();
}

// ---- types ---------------------------------------------------------------------------------------
const contractSource = join(REPO, 'lambda', 'contract.js');
writeFileSync(
  join(project, 'uses-types.ts'),
  `import {
  BrokerClient,
  BrokerClientError,
  type BrokerClientErrorCode,
  getBoxToken,
  TENANT_ID_PATTERN,
  type TokenOptions,
  type TokenResponse,
} from '${PACKAGE}';
const options: TokenOptions = { subject: 'user:42', scope: ['item_preview'], tenant: 'acme', minTtl: 600 };
export const pending: Promise<TokenResponse> = getBoxToken({ url: 'https://example.com/prod', ...options });
export const client = new BrokerClient({ url: 'https://example.com/prod', region: 'eu-west-1' });
export function codeOf(error: unknown): BrokerClientErrorCode | undefined {
  return error instanceof BrokerClientError ? error.code : undefined;
}
export const valid: boolean = TENANT_ID_PATTERN.test('acme');
`,
);
writeFileSync(
  join(project, 'uses-types.cts'),
  `import { BrokerClientError, getBoxToken, type TokenResponse } from '${PACKAGE}';
export const pending: Promise<TokenResponse> = getBoxToken({ tenant: 'acme' });
export const retryable = (error: unknown): boolean => error instanceof BrokerClientError && error.retryable;
`,
);
// The package's contract types are lambda/contract.ts's, compiled: identical, field for field.
writeFileSync(
  join(project, 'contract-match.ts'),
  `import type * as Package from '${PACKAGE}';
import type * as Source from '${contractSource}';
import { ERROR_CODES, TENANT_ID_PATTERN, BOX_DOWNSCOPE_SCOPES } from '${PACKAGE}';
import * as source from '${contractSource}';
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const sameTypes: [
  Equals<Package.TokenRequest, Source.TokenRequest>,
  Equals<Package.TokenResponse, Source.TokenResponse>,
  Equals<Package.ErrorResponse, Source.ErrorResponse>,
  Equals<Package.ErrorCode, Source.ErrorCode>,
  Equals<Package.HealthResponse, Source.HealthResponse>,
  Equals<Package.RevokeResponse, Source.RevokeResponse>,
  Equals<Package.BoxResourceScope, Source.BoxResourceScope>,
  Equals<typeof ERROR_CODES, typeof source.ERROR_CODES>,
  Equals<typeof BOX_DOWNSCOPE_SCOPES, typeof source.BOX_DOWNSCOPE_SCOPES>,
] = [true, true, true, true, true, true, true, true, true];
export const samePattern: boolean = TENANT_ID_PATTERN.source === source.TENANT_ID_PATTERN.source;
`,
);
writeFileSync(
  join(project, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(REPO, 'node_modules', '@types')],
    },
    files: ['uses-types.ts', 'uses-types.cts', 'contract-match.ts'],
  }),
);
const tsc = await run(
  process.execPath,
  [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
  project,
);
check(
  'TypeScript using the types compiles (ESM and CJS), contract types equal lambda/contract.ts',
  tsc.code === 0,
  `${tsc.stdout}${tsc.stderr}`.slice(-1500),
);
const runtimeContract = await run(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { ERROR_CODES, BOX_DOWNSCOPE_SCOPES, TENANT_ID_PATTERN } from '${PACKAGE}';
console.log(JSON.stringify([ERROR_CODES, BOX_DOWNSCOPE_SCOPES, TENANT_ID_PATTERN.source]));`,
  ],
  project,
);
const { ERROR_CODES, BOX_DOWNSCOPE_SCOPES, TENANT_ID_PATTERN } = await import(
  '../lambda/contract.js'
);
check(
  "the package's contract values equal lambda/contract.ts's",
  runtimeContract.stdout.trim() ===
    JSON.stringify([ERROR_CODES, BOX_DOWNSCOPE_SCOPES, TENANT_ID_PATTERN.source]),
  runtimeContract.stderr.slice(-300),
);

// ---- lint the package as published ---------------------------------------------------------------
const publint = await run(join(BIN, 'publint'), ['--strict', join(installed, PACKAGE)], project);
check(
  'publint --strict reports no problems',
  publint.code === 0 && !/warning|error|suggestion/i.test(publint.stdout),
  publint.stdout.slice(-1000),
);
// Profile node16: the package is for Node 20+, whose resolution (and bundlers') honours the
// exports map; TypeScript's legacy node10 resolution cannot see the ./box-sdk subpath.
const attw = await run(
  join(BIN, 'attw'),
  [tarball, '--format', 'ascii', '--profile', 'node16'],
  project,
);
check(
  'attw (profile node16) reports no problems',
  attw.code === 0,
  `${attw.stdout}${attw.stderr}`.slice(-2000),
);

process.stdout.write(
  failures === 0
    ? `client package checks passed (${tarball})\n`
    : `${failures} client package check(s) failed (work dir ${work})\n`,
);
process.exitCode = failures === 0 ? 0 : 1;
