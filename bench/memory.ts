/**
 * Memory: the deployed bundle in a fresh `node --expose-gc` process, after 10,000 cache hits and
 * after 10,000 requests for 10,000 distinct user subjects (each a cache miss and a Box call, the
 * cache's size bound evicting). Box and Secrets Manager are the fakes, in this (parent) process,
 * so their bookkeeping does not count against the handler.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CONFIG_DEFAULTS } from '../lambda/config.js';
import { type BundleInfo, REPO_ROOT } from './bundles.js';
import { APP_CALLER, BENCH_POLICY, tokenEvent } from './fakes/api-events.js';
import { startUpstreams } from './fakes/upstreams.js';

/** Memory after a full GC, at a number of requests served. */
export interface MemorySample {
  requests: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  /** Log bytes still queued on stdout (0: the pipe kept up, as Lambda's does). */
  stdoutQueuedKB: number;
}

export interface MemoryScenarioResult {
  id: 'cache-hits' | 'distinct-users';
  label: string;
  /** Lambda memory size whose V8 heap flags the process ran with. */
  lambdaMemoryMB: number;
  nodeFlags: string[];
  requests: number;
  concurrency: number;
  /** Before the import, after it, then after every 1,000 requests. */
  samples: MemorySample[];
  /** Peak resident set size of the process (getrusage maxrss). */
  peakRssMB: number;
  /** Heap used after GC: last sample minus the sample at 2,000 requests (cache full since 1,000). */
  heapGrowthAfterCacheFullMB: number;
  rssGrowthAfterCacheFullMB: number;
}

export interface MemoryResult {
  bundle: string;
  /** NODE_OPTIONS the children ran with: the deployed function's, from the synthesized template. */
  nodeOptions: string | undefined;
  tokenCacheMaxEntries: number;
  scenarios: MemoryScenarioResult[];
}

const CHILD = join(REPO_ROOT, 'bench', 'fixtures', 'memory-child.mjs');

/**
 * The V8 limits Lambda's Node.js bootstrap derives from the function's memory size: a tenth for
 * the young generation (two semi-spaces), the rest for the old generation.
 */
export function lambdaHeapFlags(memoryMB: number): string[] {
  const newSpace = Math.floor(memoryMB / 10);
  return [
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMB - newSpace}`,
  ];
}

/** Runs both memory scenarios against `bundle` (the deployed one), per Lambda memory size. */
export async function measureMemory(
  bundle: BundleInfo,
  requests: number,
  lambdaMemorySizesMB: readonly number[],
): Promise<MemoryResult> {
  const upstreams = await startUpstreams();
  try {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...upstreams.env(),
      BOX_ACCESS_POLICY: JSON.stringify(BENCH_POLICY),
      BENCH_EVENT: JSON.stringify(tokenEvent('', APP_CALLER).event),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // As Lambda runs it: with --enable-source-maps, Node keeps the parsed source map in memory.
      ...(bundle.nodeOptions === undefined ? {} : { NODE_OPTIONS: bundle.nodeOptions }),
    };
    const scenarios: MemoryScenarioResult[] = [];
    for (const memoryMB of lambdaMemorySizesMB) {
      for (const [id, label, concurrency] of [
        ['cache-hits', `${requests.toLocaleString('en-US')} cache hits (one key)`, 1],
        [
          'distinct-users',
          `${requests.toLocaleString('en-US')} distinct user subjects (each a miss and a Box call), 10 in flight`,
          10,
        ],
      ] as const) {
        const nodeFlags = lambdaHeapFlags(memoryMB);
        const { samples, peakRssMB } = await runChild(
          bundle.file,
          id,
          requests,
          concurrency,
          nodeFlags,
          env,
        );
        const last = samples[samples.length - 1] as MemorySample;
        const full = samples.find((s) => s.requests === 2_000) ?? last;
        scenarios.push({
          id,
          label,
          lambdaMemoryMB: memoryMB,
          nodeFlags,
          requests,
          concurrency,
          samples,
          peakRssMB,
          heapGrowthAfterCacheFullMB: last.heapUsedMB - full.heapUsedMB,
          rssGrowthAfterCacheFullMB: last.rssMB - full.rssMB,
        });
      }
    }
    return {
      bundle: bundle.label,
      nodeOptions: bundle.nodeOptions,
      tokenCacheMaxEntries: CONFIG_DEFAULTS.tokenCacheMaxEntries,
      scenarios,
    };
  } finally {
    await upstreams.close();
  }
}

function runChild(
  file: string,
  scenario: string,
  requests: number,
  concurrency: number,
  nodeFlags: string[],
  env: Record<string, string>,
): Promise<{ samples: MemorySample[]; peakRssMB: number }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...nodeFlags, CHILD, file, scenario, String(requests), String(concurrency)],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The handler writes one log line per request to stdout, as in Lambda; keep only our line.
    let tail = '';
    let result: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (tail + chunk.toString()).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('BENCH_RESULT ')) result = line;
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (tail.startsWith('BENCH_RESULT ')) result = tail;
      if (code !== 0 || result === undefined) {
        fail(new Error(`memory ${scenario}: child exited ${code}: ${stderr.slice(0, 500)}`));
        return;
      }
      done(JSON.parse(result.slice('BENCH_RESULT '.length)));
    });
  });
}
