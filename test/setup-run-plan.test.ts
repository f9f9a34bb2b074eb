import { describe, expect, it } from 'vitest';
import { planRun } from '../lambda/setup/run-plan.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A Monday morning, not aligned to any interval. */
const START = Date.UTC(2026, 10, 30, 7, 3, 17);

function tenants(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `tenant-${String(i).padStart(4, '0')}`).sort();
}

/** Every run of one day on a `rate(interval)` schedule, with EventBridge's delivery jitter. */
function runTimes(intervalMs: number, jitterMs = 0): number[] {
  const times: number[] = [];
  for (let t = START; t < START + DAY; t += intervalMs) {
    // Deterministic jitter: up to `jitterMs` late, varying from run to run.
    times.push(t + ((times.length * 7919) % (jitterMs + 1)));
  }
  return times;
}

describe('Function: planRun', () => {
  it('covers 1,000 tenants within a day at the defaults (50 per run, every 5 minutes)', () => {
    // Arrange
    const ids = tenants(1000);
    const seen = new Set<string>();

    // Act
    for (const nowMs of runTimes(5 * MINUTE, 45_000)) {
      for (const id of planRun({ tenantIds: ids, perRun: 50, intervalMs: 5 * MINUTE, nowMs })
        .tenantIds)
        seen.add(id);
    }

    // Assess
    expect(seen.size).toBe(1000);
  });

  it('never gives a run more than its per-run bound, and slices cover each tenant once per pass', () => {
    const ids = tenants(1003);
    const perRun = 50;
    const counts = new Map<string, number>();
    const plan0 = planRun({ tenantIds: ids, perRun, intervalMs: 5 * MINUTE, nowMs: START });
    for (let run = 0; run < plan0.slices; run += 1) {
      const plan = planRun({
        tenantIds: ids,
        perRun,
        intervalMs: 5 * MINUTE,
        nowMs: START + run * 5 * MINUTE,
      });
      expect(plan.tenantIds.length).toBeLessThanOrEqual(perRun);
      expect(plan.slices).toBe(21);
      for (const id of plan.tenantIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // One pass (21 consecutive runs) checks every tenant exactly once.
    expect(counts.size).toBe(1003);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(plan0.cycleMs).toBe(21 * 5 * MINUTE);
  });

  it('is deterministic: the same clock gives the same plan, and order does not depend on input order', () => {
    const ids = tenants(300);
    const input = { tenantIds: ids, perRun: 40, intervalMs: 5 * MINUTE, nowMs: START };
    expect(planRun(input)).toEqual(planRun({ ...input }));
    // A run later in the same interval is the same run.
    expect(planRun({ ...input, nowMs: START + 1000 }).slice).toBe(planRun(input).slice);
    expect(planRun({ ...input, nowMs: START + 5 * MINUTE }).slice).not.toBe(planRun(input).slice);
  });

  it('still covers every tenant within a day when each run is cut short after its first 8 checks', () => {
    // Arrange: 1,000 tenants; the deadline lets each run check only 8 of its 50.
    const ids = tenants(1000);
    const seen = new Set<string>();

    // Act
    for (const nowMs of runTimes(5 * MINUTE)) {
      const plan = planRun({
        tenantIds: ids,
        perRun: 50,
        intervalMs: 5 * MINUTE,
        nowMs,
        rotationStep: 4,
      });
      for (const id of plan.tenantIds.slice(0, 8)) seen.add(id);
    }

    // Assess: the rotation moves each slice's start, so the tail is reached too.
    expect(seen.size).toBe(1000);
  });

  it('without rotation a run cut short would leave the same tenants out (why the rotation exists)', () => {
    const ids = tenants(1000);
    const seen = new Set<string>();
    for (const nowMs of runTimes(5 * MINUTE)) {
      const plan = planRun({ tenantIds: ids, perRun: 50, intervalMs: 5 * MINUTE, nowMs });
      for (const id of plan.tenantIds.slice(0, 8)) seen.add(id);
    }
    expect(seen.size).toBeLessThan(1000);
  });

  it('plans nothing for no tenants, and one slice for fewer tenants than the bound', () => {
    expect(planRun({ tenantIds: [], perRun: 50, intervalMs: MINUTE, nowMs: START })).toEqual({
      tenantIds: [],
      slice: 0,
      slices: 0,
      cycleMs: 0,
    });
    const plan = planRun({ tenantIds: tenants(3), perRun: 50, intervalMs: MINUTE, nowMs: START });
    expect(plan.slices).toBe(1);
    expect([...plan.tenantIds].sort()).toEqual(tenants(3));
  });
});
