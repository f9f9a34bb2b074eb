/**
 * Cold start: each bundle is imported by fresh `node` processes (interleaved between bundles so
 * drift hits all alike), which then serve one first request against the fakes on loopback.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BundleId, type BundleInfo, REPO_ROOT } from './bundles.js';
import { APP_CALLER, BENCH_POLICY, tokenEvent } from './fakes/api-events.js';
import { BENCH_CREDENTIALS, startUpstreams } from './fakes/upstreams.js';
import { type Spread, spreadOf } from './stats.js';

/** Timings of one process. */
interface ChildTiming {
  /** Node.js start-up until the runner began the import. */
  beforeImportMs: number;
  importMs: number;
  /** Process start until the import finished (`performance.now()`). */
  readyMs: number;
  /** The first request after the import (secret read + Box call over loopback). */
  firstRequestMs: number | undefined;
}

/** One timed configuration: a bundle, optionally with the deployed NODE_OPTIONS. */
export interface ColdVariantResult {
  id: string;
  bundle: BundleId;
  label: string;
  nodeOptions: string | undefined;
  importMs: Spread;
  readyMs: Spread;
  firstRequestMs: Spread | undefined;
  /** Import plus first request: what an Init plus first invoke costs in CPU here. */
  importAndFirstRequestMs: Spread | undefined;
}

export interface ColdStartResult {
  processesPerVariant: number;
  variants: ColdVariantResult[];
}

interface ColdVariant {
  id: string;
  bundle: BundleInfo;
  label: string;
  nodeOptions?: string;
  firstRequest: boolean;
}

const RUNNER = join(REPO_ROOT, 'bench', 'fixtures', 'cold-child.mjs');

/** Times `processes` fresh imports of every bundle, round-robin. */
export async function measureColdStart(
  bundles: BundleInfo[],
  processes: number,
): Promise<ColdStartResult> {
  const byId = new Map(bundles.map((b) => [b.id, b]));
  const deployed = byId.get('broker-synth') ?? byId.get('broker');
  const variants: ColdVariant[] = [];
  const add = (id: string, bundleId: BundleId, label: string, extra: Partial<ColdVariant> = {}) => {
    const bundle = bundleId === 'broker' && deployed !== undefined ? deployed : byId.get(bundleId);
    if (bundle !== undefined)
      variants.push({ id, bundle, label, firstRequest: bundleId !== 'empty', ...extra });
  };
  const deployedSdk = deployed?.sdkExternal === true ? 'SDK from the runtime' : 'AWS SDK bundled';
  // Without a synthesized template, assume the construct's NODE_OPTIONS as of this writing.
  const constructSetsMaps =
    deployed?.source !== 'cdk synth' ||
    deployed.nodeOptions?.includes('--enable-source-maps') === true;
  add('empty', 'empty', 'Empty module (Node.js start-up alone)');
  add('broker', 'broker', `Broker, as deployed (${deployedSdk}; ${deployed?.source ?? 'esbuild'})`);
  add(
    'broker-source-maps',
    'broker',
    `Broker, as deployed, with NODE_OPTIONS=--enable-source-maps (${constructSetsMaps ? 'the construct sets it' : 'not set by the construct'})`,
    {
      nodeOptions: '--enable-source-maps',
    },
  );
  add('broker-sdk-runtime', 'broker-sdk-runtime', 'Broker, SDK from the runtime');
  add('floor', 'floor', 'Floor: Secrets Manager client + fetch (AWS SDK bundled)');
  // The comparators with the deployed NODE_OPTIONS too: a like-for-like reading of the targets.
  add(
    'floor-source-maps',
    'floor',
    'Floor (AWS SDK bundled), with NODE_OPTIONS=--enable-source-maps',
    {
      nodeOptions: '--enable-source-maps',
    },
  );
  add('floor-sdk-runtime', 'floor-sdk-runtime', 'Floor, SDK from the runtime');
  add('box-sdk', 'box-sdk', 'Box SDK (box-node-sdk v10) CCG');
  add('box-sdk-source-maps', 'box-sdk', 'Box SDK CCG, with NODE_OPTIONS=--enable-source-maps', {
    nodeOptions: '--enable-source-maps',
  });
  add(
    'box-sdk-secrets',
    'box-sdk-secrets',
    'Box SDK CCG + Secrets Manager client, AWS SDK bundled (what a service calling Box itself loads)',
  );
  add(
    'box-sdk-secrets-sdk-runtime',
    'box-sdk-secrets-sdk-runtime',
    'Box SDK CCG + Secrets Manager client, SDK from the runtime',
  );

  const upstreams = await startUpstreams();
  try {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...upstreams.env(),
      BOX_ACCESS_POLICY: JSON.stringify(BENCH_POLICY),
      BOX_CLIENT_ID: BENCH_CREDENTIALS.clientId,
      BOX_CLIENT_SECRET: BENCH_CREDENTIALS.clientSecret,
      BOX_ENTERPRISE_ID: BENCH_CREDENTIALS.enterpriseId,
      BENCH_EVENT: JSON.stringify(tokenEvent('', APP_CALLER).event),
      AWS_EC2_METADATA_DISABLED: 'true',
      // Lambda's nodejs24.x never prints the SDK's "upgrade Node.js" warning; this machine would.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const timings = new Map<string, ChildTiming[]>(variants.map((v) => [v.id, []]));
    // One unmeasured round warms the OS file cache, as a warm Lambda host's would be.
    for (const variant of variants) await runChild(variant, env);
    for (let round = 0; round < processes; round += 1) {
      for (let k = 0; k < variants.length; k += 1) {
        const variant = variants[(round + k) % variants.length] as ColdVariant;
        timings.get(variant.id)?.push(await runChild(variant, env));
      }
    }
    return {
      processesPerVariant: processes,
      variants: variants.map((variant) => {
        const samples = timings.get(variant.id) ?? [];
        const first = samples.flatMap((s) =>
          s.firstRequestMs === undefined ? [] : [s.firstRequestMs],
        );
        return {
          id: variant.id,
          bundle: variant.bundle.id,
          label: variant.label,
          nodeOptions: variant.nodeOptions,
          importMs: spreadOf(samples.map((s) => s.importMs)),
          readyMs: spreadOf(samples.map((s) => s.readyMs)),
          firstRequestMs: first.length > 0 ? spreadOf(first) : undefined,
          importAndFirstRequestMs:
            first.length > 0
              ? spreadOf(samples.map((s) => s.importMs + (s.firstRequestMs ?? 0)))
              : undefined,
        };
      }),
    };
  } finally {
    await upstreams.close();
  }
}

function runChild(variant: ColdVariant, baseEnv: Record<string, string>): Promise<ChildTiming> {
  const env = {
    ...baseEnv,
    ...(variant.nodeOptions === undefined ? {} : { NODE_OPTIONS: variant.nodeOptions }),
  };
  const args = [RUNNER, variant.bundle.file, ...(variant.firstRequest ? ['first-request'] : [])];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || line === undefined) {
        fail(new Error(`${variant.id}: child exited ${code}: ${stderr.slice(0, 500)}`));
        return;
      }
      done(JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildTiming);
    });
  });
}
