/**
 * Which registered tenants one scheduled run checks, chosen from the clock alone (no state to
 * store, nothing to lose): the sorted tenants are cut into slices of at most `perRun`, and run
 * number `floor(now / interval)` takes slice `run mod slices`. Consecutive runs walk the slices,
 * so every tenant is checked once per `slices × interval` (100 minutes for 1,000 tenants at the
 * defaults: 50 per run every 5 minutes).
 *
 * A run that runs out of time stops inside its slice. So that the same tenants are not always
 * the ones left over, each pass over the slices starts every slice `rotationStep` tenants later
 * than the pass before: a run that only gets through its first batch still moves on.
 */

export interface RunPlanInput {
  /** The registered tenants, sorted (the same order in every run). */
  tenantIds: readonly string[];
  /** The most tenants one run checks (`BOX_SETUP_CHECKS_PER_RUN`). */
  perRun: number;
  /** The schedule's interval in ms (`BOX_SETUP_CHECK_INTERVAL_SECONDS`). */
  intervalMs: number;
  /** This run's time, epoch ms. */
  nowMs: number;
  /** How far each pass rotates a slice's start (the run's concurrency). @default 1 */
  rotationStep?: number;
}

/** One run's share of the tenants. */
export interface RunPlan {
  /** The tenants to check, in order (at most `perRun`). */
  tenantIds: string[];
  /** Which slice (0-based) of how many. */
  slice: number;
  slices: number;
  /** How long one pass over every tenant takes, in ms (`slices × interval`). */
  cycleMs: number;
}

/** The slice of tenants this run checks. Deterministic in its input. */
export function planRun(input: RunPlanInput): RunPlan {
  const { tenantIds, intervalMs } = input;
  const perRun = Math.max(1, Math.floor(input.perRun));
  const slices = Math.ceil(tenantIds.length / perRun);
  if (slices === 0) return { tenantIds: [], slice: 0, slices: 0, cycleMs: 0 };
  const run = Math.floor(input.nowMs / intervalMs);
  const slice = run % slices;
  const pass = Math.floor(run / slices);
  const members = tenantIds.slice(slice * perRun, (slice + 1) * perRun);
  const step = Math.max(1, Math.floor(input.rotationStep ?? 1));
  const start = (pass * step) % members.length;
  return {
    tenantIds: [...members.slice(start), ...members.slice(0, start)],
    slice,
    slices,
    cycleMs: slices * intervalMs,
  };
}
