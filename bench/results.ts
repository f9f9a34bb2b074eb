/** Everything one `npm run bench` measured: the content of BENCHMARKS.json. */
import type { BundleInfo } from './bundles.js';
import type { ColdStartResult } from './cold-start.js';
import type { FleetResult } from './fleet.js';
import type { MemoryResult } from './memory.js';
import type { MultiTenantResult } from './multi-tenant.js';
import type { UpstreamScenarioResult } from './upstream-calls.js';
import type { WarmPathResult } from './warm-path.js';

/** Where and how the figures were taken. */
export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryGB: number;
  os: string;
  node: string;
  v8: string;
  esbuild: string;
  command: string;
  startedAt: string;
  durationSeconds: number;
  /** 1-minute load average at the start of each section: other work on the machine. */
  loadAverage: Record<string, number>;
}

export interface BenchResults {
  machine: MachineInfo;
  warmPath: WarmPathResult;
  upstreamCalls: UpstreamScenarioResult[];
  bundles: { items: BundleInfo[]; synthNote: string };
  coldStart: ColdStartResult;
  memory: MemoryResult;
  /** The 1,000-tenant scenario (absent in results saved before it existed). */
  multiTenant?: MultiTenantResult;
  /** Fleet state on and off side by side (absent in results saved before it existed). */
  fleet?: FleetResult;
}
