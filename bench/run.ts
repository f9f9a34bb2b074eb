/**
 * `npm run bench`: measures the warm path, upstream calls, cold start and memory in one run and
 * writes BENCHMARKS.md and BENCHMARKS.json at the repository root. Not a test: nothing fails on a
 * timing. Flags: `--quick` (fewer repetitions, for trying changes), `--skip-synth` (no `cdk synth`),
 * `--render` (only re-render BENCHMARKS.md from BENCHMARKS.json, after editing bench/report.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import { buildBundles, REPO_ROOT } from './bundles.js';
import { measureColdStart } from './cold-start.js';
import { measureFleet } from './fleet.js';
import { measureMemory } from './memory.js';
import { measureMultiTenant } from './multi-tenant.js';
import { renderMarkdown, verdicts } from './report.js';
import type { BenchResults, MachineInfo } from './results.js';
import { measureUpstreamCalls } from './upstream-calls.js';
import { measureWarmPath } from './warm-path.js';

// nodejs24.x never prints the SDK's "upgrade Node.js" warning; this machine's Node.js 20 would.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const args = new Set(process.argv.slice(2));
if (args.has('--render')) {
  const saved = JSON.parse(
    readFileSync(join(REPO_ROOT, 'BENCHMARKS.json'), 'utf8'),
  ) as BenchResults;
  writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(saved));
  process.stderr.write('bench: re-rendered BENCHMARKS.md from BENCHMARKS.json\n');
  process.exit(0);
}
const quick = args.has('--quick');
const settings = {
  warm: quick
    ? { runs: 2, requestsPerRun: 10_000, naiveRequestsPerRun: 500, warmup: 1_000 }
    : { runs: 5, requestsPerRun: 10_000, naiveRequestsPerRun: 2_000, warmup: 2_000 },
  coldProcesses: quick ? 5 : 31,
  memoryRequests: 10_000,
  multiTenant: { tenants: 1000, warmRequests: quick ? 10_000 : 50_000 },
  fleet: {
    environments: 20,
    keys: quick ? 20 : 100,
    boxDelayMs: 300,
    warmRequests: quick ? 10_000 : 50_000,
  },
  lambdaMemorySizesMB: quick ? [256] : [128, 256],
};

const started = Date.now();
const loadAverage: Record<string, number> = {};
const section = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  loadAverage[name] = loadavg()[0] ?? 0;
  const at = Date.now();
  process.stderr.write(`bench: ${name}…`);
  const result = await work();
  process.stderr.write(` ${((Date.now() - at) / 1000).toFixed(1)} s\n`);
  return result;
};

const bundles = await section('bundles', () => buildBundles({ synth: !args.has('--skip-synth') }));
const coldStart = await section('cold start', () =>
  measureColdStart(bundles.bundles, settings.coldProcesses),
);
const warmPath = await section('warm path', () => measureWarmPath(settings.warm));
const upstreamCalls = await section('upstream calls', () =>
  measureUpstreamCalls(warmPath.naiveUpstreamCalls),
);
const deployed =
  bundles.bundles.find((b) => b.id === 'broker-synth') ??
  bundles.bundles.find((b) => b.id === 'broker');
if (deployed === undefined) throw new Error('no broker bundle was built');
const memory = await section('memory', () =>
  measureMemory(deployed, settings.memoryRequests, settings.lambdaMemorySizesMB),
);
const multiTenant = await section('1,000 tenants', () => measureMultiTenant(settings.multiTenant));
const fleet = await section('fleet state', () => measureFleet(settings.fleet));

const cpu = cpus()[0];
const machine: MachineInfo = {
  cpuModel: cpu?.model.trim() ?? 'unknown',
  cpus: cpus().length,
  memoryGB: totalmem() / 1024 ** 3,
  os: `${type()} ${release()} ${process.arch}`,
  node: process.version,
  v8: process.versions.v8,
  esbuild: esbuildVersion,
  command: `npm run bench${args.size > 0 ? ` -- ${[...args].join(' ')}` : ''}`,
  startedAt: new Date(started).toISOString(),
  durationSeconds: (Date.now() - started) / 1000,
  loadAverage,
};
const results: BenchResults = {
  machine,
  warmPath,
  upstreamCalls,
  bundles: { items: bundles.bundles, synthNote: bundles.synthNote },
  coldStart,
  memory,
  multiTenant,
  fleet,
};
const relativeFiles = (items: BenchResults['bundles']['items']) =>
  items.map((b) => ({
    ...b,
    file: b.file.startsWith(REPO_ROOT) ? b.file.slice(REPO_ROOT.length + 1) : b.file,
  }));
writeFileSync(
  join(REPO_ROOT, 'BENCHMARKS.json'),
  `${JSON.stringify({ ...results, bundles: { ...results.bundles, items: relativeFiles(results.bundles.items) }, targets: verdicts(results) }, null, 2)}\n`,
);
writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(results));
for (const verdict of verdicts(results)) {
  process.stderr.write(
    `${verdict.met ? 'met   ' : verdict.partly ? 'PARTLY' : 'MISSED'}  ${verdict.target}: ${verdict.measured}\n`,
  );
}
process.stderr.write(
  `bench: wrote BENCHMARKS.md and BENCHMARKS.json in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
