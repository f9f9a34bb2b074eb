/**
 * The handler `cdk synth` bundles is the one that works: the asset from the cloud assembly is
 * imported as ESM in this process and answers requests against the Box simulator and a
 * wire-level Secrets Manager fake. The AWS SDK is inside the bundle (infra/bundling.ts): a copy of
 * the asset also runs in a plain `node` process outside the repository, where no node_modules
 * could supply the SDK, and its bundled client must still honour AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../infra/bundling.js';
import { apiGatewayEvent, lambdaContext } from '../local/api-gateway-adapter.js';
import { type BoxSimulator, startBoxSimulator } from '../local/box-simulator/index.js';
import { functionAssetDir, type Synthesized, synth } from './infra-synth.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET_NAME = 'box-token-broker/bundle-test';
const ENTERPRISE_ID = '7654321';
const CLIENT_ID = 'bundle-test-client-id';
const CLIENT_SECRET = 'bundle-test-client-S3CR3T';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A GetSecretValue call the fake received. */
interface SecretsCall {
  target: string | undefined;
  secretId: unknown;
  versionStage: unknown;
  signed: boolean;
}

/**
 * Secrets Manager on the wire (awsJson1_1): POST / with `X-Amz-Target`. Serves one secret's
 * AWSCURRENT; anything else is the error the real service gives.
 */
async function startSecretsManagerFake(
  secretString: string,
): Promise<{ url: string; calls: SecretsCall[]; close(): Promise<void> }> {
  const calls: SecretsCall[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      calls.push({
        target: typeof target === 'string' ? target : undefined,
        secretId: body.SecretId,
        versionStage: body.VersionStage,
        signed: String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 '),
      });
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(payload));
      };
      if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        send(400, { __type: 'UnknownOperationException', message: 'unsupported' });
        return;
      }
      const stage = body.VersionStage ?? 'AWSCURRENT';
      if (body.SecretId !== SECRET_NAME || stage !== 'AWSCURRENT') {
        send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      send(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${SECRET_NAME}-AbCdEf`,
        Name: SECRET_NAME,
        VersionId: 'b1e0a3a4-0000-4000-8000-000000000001',
        SecretString: secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.UTC(2026, 0, 1) / 1000),
      });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The REST proxy event API Gateway sends for a SigV4-signed `GET /token`. */
function getTokenEvent(): APIGatewayProxyEvent {
  return apiGatewayEvent({
    method: 'GET',
    path: '/token',
    identity: {
      userArn: 'arn:aws:sts::111122223333:assumed-role/etl/session',
      accountId: '111122223333',
    },
    requestId: 'bundle-req-1',
    sourceIp: '10.0.0.1',
    stage: 'prod',
  });
}

/** The function's ARN; the qualifier names the entry an event came through (contract v1.1). */
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:BoxTokenBroker-BrokerFunction';
const ENTRY_ARNS = {
  api: `${FUNCTION_ARN}:api`,
  schedule: `${FUNCTION_ARN}:schedule`,
  direct: `${FUNCTION_ARN}:direct`,
} as const;

/** Run by `node --eval` with the bundle's URL: one cold start and one direct invocation. */
const ISOLATED_INVOKE = `
const { handler } = await import(process.argv[1]);
const context = {
  awsRequestId: 'bundle-isolated-1',
  invokedFunctionArn: '${FUNCTION_ARN}',
  getRemainingTimeInMillis: () => 15000,
};
const result = await handler({}, context);
process.stdout.write('\\nISOLATED_RESULT ' + JSON.stringify(result) + '\\n');
`;

const SCHEDULED_EVENT = {
  version: '0',
  id: 'bundle-canary',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: '2026-11-28T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:111122223333:rule/canary'],
  detail: {},
};

/** Environment the bundle reads at import (cold start); restored afterwards. */
function bundleEnvironment(boxUrl: string, secretsUrl: string): Record<string, string | undefined> {
  return {
    BOX_CREDENTIALS_SECRET: SECRET_NAME,
    BOX_API_URL: boxUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-key',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    // nodejs24.x never prints the bundled SDK's "upgrade Node.js" warning; Node.js 20 here would.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

describe('The bundled handler (cdk.out asset)', () => {
  let s: Synthesized;
  let assetDir: string;
  /** A copy of the asset with no node_modules above it: only what the bundle holds can load. */
  let isolatedDir: string | undefined;
  let simulator: BoxSimulator;
  let secrets: Awaited<ReturnType<typeof startSecretsManagerFake>>;
  let handler: Handler;
  const savedEnv: Record<string, string | undefined> = {};
  const logLines: string[] = [];

  /** Calls the bundled handler, capturing what it writes to stdout (its log lines). */
  async function call(
    event: unknown,
    requestId: string,
    invokedFunctionArn: string,
  ): Promise<unknown> {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      logLines.push(String(chunk));
      return true;
    });
    try {
      return await handler(event, { ...lambdaContext(requestId, 'direct'), invokedFunctionArn });
    } finally {
      write.mockRestore();
    }
  }

  beforeAll(async () => {
    // Synthesize inside the repository so the source map's relative paths reach lambda/ (cdk.out
    // is the gitignored synth output).
    const parentDir = join(REPO_ROOT, 'cdk.out');
    mkdirSync(parentDir, { recursive: true });
    s = synth({}, { parentDir });
    assetDir = functionAssetDir(s);

    simulator = await startBoxSimulator({
      enterpriseId: ENTERPRISE_ID,
      credentials: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    });
    secrets = await startSecretsManagerFake(
      JSON.stringify({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        enterpriseId: ENTERPRISE_ID,
      }),
    );
    for (const [name, value] of Object.entries(bundleEnvironment(simulator.url, secrets.url))) {
      savedEnv[name] = process.env[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    const module = (await import(
      /* @vite-ignore */ pathToFileURL(join(assetDir, 'index.mjs')).href
    )) as { handler?: unknown };
    if (typeof module.handler !== 'function') throw new TypeError('the bundle exports no handler');
    handler = module.handler as Handler;
  }, 60_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await simulator?.close();
    await secrets?.close();
    s?.dispose();
    if (isolatedDir !== undefined) rmSync(isolatedDir, { recursive: true, force: true });
  });

  it('is one ESM file with the createRequire banner and the AWS SDK bundled in it', () => {
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(code).not.toContain('module.exports');
    // No static or dynamic import of the SDK is left for the runtime to resolve...
    const bareSdkImports = [
      ...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["'](@(?:aws-sdk|smithy)\/[^"']+)["']/g),
    ].map((match) => match[1]);
    expect(bareSdkImports).toEqual([]);
    // ...because the client is in the bundle, with its per-service endpoint override from the
    // environment (AWS_ENDPOINT_URL_<SERVICE>), which the wire test below relies on.
    expect(code).toContain('GetSecretValue');
    expect(code).toContain('AWS_ENDPOINT_URL');
  });

  it('has a source map pointing into the TypeScript sources, without their content', () => {
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as {
      version: number;
      sources: string[];
      sourcesContent?: unknown;
    };
    expect(map.version).toBe(3);
    const handlerSource = map.sources.find((source) => source.endsWith('lambda/handler.ts'));
    expect(handlerSource).toBeDefined();
    expect(resolve(assetDir, handlerSource ?? '')).toBe(join(REPO_ROOT, 'lambda', 'handler.ts'));
    expect(map.sourcesContent).toBeUndefined();
  });

  it('answers GET /token with 200 and the token from Box, reading the secret over the wire', async () => {
    // Act
    const result = (await call(
      getTokenEvent(),
      'bundle-api-1',
      ENTRY_ARNS.api,
    )) as APIGatewayProxyResult;

    // Assess
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as Record<string, unknown>;
    const issued = simulator.issuedTokens();
    expect(issued).toHaveLength(1);
    expect(body.access_token).toBe(issued[0]?.accessToken);
    expect(issued[0]).toMatchObject({
      subjectType: 'enterprise',
      subjectId: ENTERPRISE_ID,
      clientId: CLIENT_ID,
    });
    expect(simulator.tokenCallCount()).toBe(1);
    expect(secrets.calls.length).toBeGreaterThan(0);
    for (const secretsCall of secrets.calls) {
      expect(secretsCall).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        secretId: SECRET_NAME,
        signed: true,
      });
    }
  });

  it('serves a direct invocation from the cache: still exactly one Box call', async () => {
    // Act
    const result = (await call({}, 'bundle-direct-1', ENTRY_ARNS.direct)) as Record<
      string,
      unknown
    >;

    // Assess
    expect(result.access_token).toBe(simulator.issuedTokens()[0]?.accessToken);
    expect(result.token_type).toBe('bearer');
    expect(simulator.tokenCallCount()).toBe(1);
  });

  it('runs the scheduled canary: the token works at GET /2.0/users/me', async () => {
    // Act
    const result = (await call(SCHEDULED_EVENT, 'bundle-canary-1', ENTRY_ARNS.schedule)) as Record<
      string,
      unknown
    >;

    // Assess: the canary's token is the cached one; the default tenant's scheduled setup check
    // then asks Box afresh (its own grant and GET /2.0/users/me).
    expect(result.status).toBe('ok');
    expect(result.setup_checks).toMatchObject({ checked: 1, failing: 0 });
    expect(simulator.requests.filter((r) => r.path === '/2.0/users/me')).toHaveLength(2);
    expect(simulator.tokenCallCount()).toBe(2);
  });

  it('logs one JSON line per request with EMF metrics, and never the token or secret', () => {
    const lines = logLines
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.route ?? r.operation)).toEqual([
      'GET /token',
      'invoke',
      'setup_check',
      'canary',
    ]);
    expect(records[0]?._aws).toBeDefined();
    expect(records[2]).toMatchObject({ TenantsChecked: 1, TenantsFailing: 0 });
    expect(records[3]?.CanarySuccess).toBe(1);
    const token = simulator.issuedTokens()[0]?.accessToken ?? '';
    expect(token).not.toBe('');
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(CLIENT_SECRET);
    }
  });

  it('imports and answers in plain node with no node_modules in reach, through the Secrets Manager fake', async () => {
    // Prepare: a bare import of @aws-sdk/* or @smithy/* left in the bundle would not resolve from
    // the OS temp directory, at import or on the first request (the SDK loads its credential
    // chain lazily). vitest's own module runner would resolve it from the repository, so a
    // separate `node` process runs the copy, with only the bundle's environment.
    isolatedDir = mkdtempSync(join(tmpdir(), 'box-token-broker-bundle-'));
    copyFileSync(join(assetDir, 'index.mjs'), join(isolatedDir, 'index.mjs'));
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(bundleEnvironment(simulator.url, secrets.url)))
      if (value !== undefined) env[name] = value;
    const secretsCallsBefore = secrets.calls.length;
    const boxCallsBefore = simulator.tokenCallCount();

    // Act: a cold start and a direct invocation; the log line goes to stdout, the result last.
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--input-type=module',
        '--eval',
        ISOLATED_INVOKE,
        pathToFileURL(join(isolatedDir, 'index.mjs')).href,
      ],
      { cwd: isolatedDir, env, timeout: 30_000 },
    );

    // Assess: a fresh process has an empty cache, so it read the secret from the fake (not from
    // AWS) and minted its own token at the simulator.
    const marker = stdout.split('\n').find((line) => line.startsWith('ISOLATED_RESULT '));
    expect(marker).toBeDefined();
    const result = JSON.parse(marker?.slice('ISOLATED_RESULT '.length) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(result.token_type).toBe('bearer');
    expect(result.access_token).toBe(simulator.issuedTokens().at(-1)?.accessToken);
    expect(simulator.tokenCallCount()).toBe(boxCallsBefore + 1);
    const newCalls = secrets.calls.slice(secretsCallsBefore);
    expect(newCalls.length).toBeGreaterThan(0);
    for (const secretsCall of newCalls) {
      expect(secretsCall).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        secretId: SECRET_NAME,
        signed: true,
      });
    }
  }, 30_000);
});
