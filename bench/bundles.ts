/**
 * The bundles the cold-start figures compare, built with esbuild exactly as the construct bundles
 * the handler (infra/bundling.ts: the AWS SDK bundled), each also with the SDK left to the runtime
 * (`RUNTIME_PROVIDED_MODULES` external), plus the one `cdk synth` produced when it can run. Sizes
 * are reported raw and gzipped (Lambda stores the zip), with the biggest inputs from the metafile.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { BROKER_BUNDLING, esbuildOptionsOf, RUNTIME_PROVIDED_MODULES } from '../infra/bundling.js';

const run = promisify(execFile);

/** Repository root (bench/..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');
/** Scratch space, git-ignored; bundles live inside the repo so `node_modules` resolves. */
export const BENCH_TMP = join(REPO_ROOT, '.bench-tmp');

/**
 * `broker`, `floor`, `box-sdk` and `box-sdk-secrets` are built with the deployed options (AWS SDK
 * bundled); the `-sdk-runtime` twins load `@aws-sdk/*` and `@smithy/*` from `node_modules`, as a
 * function using the runtime's SDK would from `/var/runtime/node_modules`.
 */
export type BundleId =
  | 'empty'
  | 'broker-synth'
  | 'broker'
  | 'broker-sdk-runtime'
  | 'floor'
  | 'floor-sdk-runtime'
  | 'box-sdk'
  | 'box-sdk-secrets'
  | 'box-sdk-secrets-sdk-runtime';

/** A built bundle and what is in it. */
export interface BundleInfo {
  id: BundleId;
  label: string;
  file: string;
  /** How it was built. */
  source:
    | 'cdk synth'
    | 'esbuild (infra/bundling.ts options)'
    | 'esbuild, SDK from the runtime'
    | 'none';
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number | undefined;
  /** The source map gzipped: it ships in the same asset zip as index.mjs. */
  sourceMapGzipBytes: number | undefined;
  /** Whether `@aws-sdk/*` and `@smithy/*` are loaded from the runtime instead of the bundle. */
  sdkExternal: boolean;
  /** For the `cdk synth` asset: whether its index.mjs is byte for byte the esbuild replica's. */
  matchesReplica?: boolean;
  /** For the `cdk synth` asset: the function's NODE_OPTIONS in the template (how Lambda runs it). */
  nodeOptions?: string;
  /** Largest contributors, grouped by package (bytes in the output). */
  topInputs: { name: string; bytes: number }[];
}

interface BundleSpec {
  id: Exclude<BundleId, 'empty' | 'broker-synth'>;
  label: string;
  entry: string;
  sdkExternal: boolean;
}

const SPECS: BundleSpec[] = [
  {
    id: 'broker',
    label: 'Broker, as deployed (AWS SDK bundled)',
    entry: 'lambda/handler.ts',
    sdkExternal: false,
  },
  {
    id: 'broker-sdk-runtime',
    label: 'Broker, SDK from the runtime',
    entry: 'lambda/handler.ts',
    sdkExternal: true,
  },
  {
    id: 'floor',
    label: 'Floor: Secrets Manager client + fetch (AWS SDK bundled)',
    entry: 'bench/fixtures/floor-entry.ts',
    sdkExternal: false,
  },
  {
    id: 'floor-sdk-runtime',
    label: 'Floor, SDK from the runtime',
    entry: 'bench/fixtures/floor-entry.ts',
    sdkExternal: true,
  },
  {
    id: 'box-sdk',
    label: 'Box SDK (box-node-sdk v10) CCG auth + client',
    entry: 'bench/fixtures/box-sdk-entry.ts',
    sdkExternal: false,
  },
  {
    id: 'box-sdk-secrets',
    label: 'Box SDK CCG + Secrets Manager client (AWS SDK bundled)',
    entry: 'bench/fixtures/box-sdk-secrets-entry.ts',
    sdkExternal: false,
  },
  {
    id: 'box-sdk-secrets-sdk-runtime',
    label: 'Box SDK CCG + Secrets Manager client, SDK from the runtime',
    entry: 'bench/fixtures/box-sdk-secrets-entry.ts',
    sdkExternal: true,
  },
];

/** Builds every bundle (and synthesises the stack unless `synth` is false). */
export async function buildBundles(options: { synth: boolean }): Promise<{
  bundles: BundleInfo[];
  synthNote: string;
}> {
  const built: BundleInfo[] = [];
  for (const spec of SPECS) built.push(await buildOne(spec));
  const bundles: BundleInfo[] = [emptyBundle()];
  let synthNote = 'skipped (--skip-synth)';
  if (options.synth) {
    const replica = built.find((b) => b.id === 'broker');
    const synth = await synthBundle(replica);
    synthNote = synth.note;
    if (synth.bundle !== undefined) bundles.push(synth.bundle);
  }
  bundles.push(...built);
  return { bundles, synthNote };
}

async function buildOne(spec: BundleSpec): Promise<BundleInfo> {
  const outfile = join(BENCH_TMP, 'bundles', spec.id, 'index.mjs');
  const options = esbuildOptionsOf(BROKER_BUNDLING);
  const result = await build({
    ...options,
    external: spec.sdkExternal
      ? [...options.external, ...RUNTIME_PROVIDED_MODULES]
      : options.external,
    entryPoints: [join(REPO_ROOT, spec.entry)],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
  return {
    ...describeFile(spec.id, spec.label, outfile),
    source: spec.sdkExternal
      ? 'esbuild, SDK from the runtime'
      : 'esbuild (infra/bundling.ts options)',
    sdkExternal: spec.sdkExternal,
    topInputs: topInputs(result.metafile, outfile),
  };
}

function emptyBundle(): BundleInfo {
  const file = join(BENCH_TMP, 'bundles', 'empty', 'index.mjs');
  mkdirSync(join(BENCH_TMP, 'bundles', 'empty'), { recursive: true });
  writeFileSync(file, 'export const handler = undefined;\n');
  return {
    ...describeFile('empty', 'Empty module (Node.js start-up alone)', file),
    source: 'none',
    sdkExternal: true,
    topInputs: [],
  };
}

/**
 * Runs `cdk synth` into .bench-tmp and finds the broker function's asset, then checks it against
 * the esbuild replica of the deployed bundle (`replica`): same bytes, and whether the AWS SDK is
 * imported from outside the bundle, so the "as deployed" rows measure what `cdk synth` ships.
 */
async function synthBundle(
  replica: BundleInfo | undefined,
): Promise<{ bundle?: BundleInfo; note: string }> {
  const out = join(BENCH_TMP, 'cdk.out');
  let failure: string | undefined;
  // Two attempts: a synth can fail on a transient state of the working tree.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await run('npx', ['cdk', 'synth', '--quiet', '--output', out], {
        cwd: REPO_ROOT,
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      failure = undefined;
      break;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      const lastLine = stderr.trim().split('\n').pop() ?? (error as Error).message;
      failure = `cdk synth failed: ${lastLine.slice(0, 200)}`;
    }
  }
  if (failure !== undefined) return { note: `${failure}; the esbuild replica stands in` };
  const asset = findHandlerAsset(out);
  if (asset === undefined) return { note: 'cdk synth produced no index.mjs asset; replica only' };
  const { dir: assetDir, nodeOptions } = asset;
  const file = join(assetDir, 'index.mjs');
  const code = readFileSync(file);
  const sdkExternal = bareSdkImports(code.toString('utf8')).length > 0;
  const matchesReplica = replica !== undefined && code.equals(readFileSync(replica.file));
  const comparison =
    replica === undefined
      ? 'no esbuild replica to compare with'
      : matchesReplica
        ? `its index.mjs is byte for byte the esbuild replica’s (${replica.label})`
        : `**its index.mjs differs from the esbuild replica’s** (${replica.label}): the replica rows may not measure what is deployed`;
  return {
    bundle: {
      ...describeFile('broker-synth', 'Broker, the asset `cdk synth` produced', file),
      source: 'cdk synth',
      sdkExternal,
      matchesReplica,
      ...(nodeOptions === undefined ? {} : { nodeOptions }),
      topInputs: [],
    },
    note:
      `asset ${relative(REPO_ROOT, assetDir)}; AWS SDK ${sdkExternal ? 'imported from the runtime' : 'bundled'}; ` +
      `${comparison}; the function runs with ${nodeOptions === undefined ? 'no NODE_OPTIONS' : `NODE_OPTIONS=${nodeOptions}`}`,
  };
}

/** `@aws-sdk/*` and `@smithy/*` specifiers a bundle imports (statically or dynamically) from outside. */
export function bareSdkImports(code: string): string[] {
  const found = code.matchAll(
    /(?:\bfrom\s*|\bimport\s*\(\s*)["'](@(?:aws-sdk|smithy)\/[^"']+)["']/g,
  );
  return [...new Set([...found].map((match) => match[1] ?? ''))];
}

/** The stack's nodejs function: the asset directory holding its index.mjs, and its NODE_OPTIONS. */
function findHandlerAsset(
  out: string,
): { dir: string; nodeOptions: string | undefined } | undefined {
  const templates = readdirSync(out).filter((name) => name.endsWith('.template.json'));
  for (const name of templates) {
    const template = JSON.parse(readFileSync(join(out, name), 'utf8')) as {
      Resources?: Record<
        string,
        {
          Type?: string;
          Metadata?: Record<string, unknown>;
          Properties?: { Handler?: unknown; Environment?: { Variables?: Record<string, unknown> } };
        }
      >;
    };
    for (const resource of Object.values(template.Resources ?? {})) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
      if (resource.Properties?.Handler !== 'index.handler') continue;
      const dir = join(out, assetPath);
      const nodeOptions = resource.Properties.Environment?.Variables?.NODE_OPTIONS;
      if (existsSync(join(dir, 'index.mjs')))
        return { dir, nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined };
    }
  }
  return undefined;
}

function describeFile(
  id: BundleId,
  label: string,
  file: string,
): Pick<
  BundleInfo,
  'id' | 'label' | 'file' | 'bytes' | 'gzipBytes' | 'sourceMapBytes' | 'sourceMapGzipBytes'
> {
  const content = readFileSync(file);
  const map = `${file}.map`;
  return {
    id,
    label,
    file,
    bytes: content.length,
    gzipBytes: gzipSync(content, { level: 9 }).length,
    sourceMapBytes: existsSync(map) ? statSync(map).size : undefined,
    sourceMapGzipBytes: existsSync(map)
      ? gzipSync(readFileSync(map), { level: 9 }).length
      : undefined,
  };
}

/** Output bytes per package (`node_modules/<pkg>`), or per top-level folder of our own code. */
function topInputs(
  metafile: Metafile,
  outfile: string,
  limit = 8,
): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(REPO_ROOT, path) === outfile,
  );
  if (output === undefined) return [];
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output[1].inputs)) {
    const name = packageOf(path);
    totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...totals.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit);
}

function packageOf(path: string): string {
  const marker = 'node_modules/';
  const at = path.lastIndexOf(marker);
  if (at === -1) return `${path.split('/')[0] ?? path}/ (this repository)`;
  const parts = path.slice(at + marker.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? path);
}
