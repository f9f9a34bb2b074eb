/**
 * Order statistics for benchmark samples. Timings are summarised by the median and the spread
 * (min, max, interquartile range) over repeated runs, never by a single run or a mean alone.
 */

/** A figure measured over several runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** 25th and 75th percentiles. */
  p25: number;
  p75: number;
  /** Number of runs (or samples) behind the figure. */
  n: number;
}

/** The `q`-quantile (0..1) of sorted values, by the nearest-rank method. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Sorts a copy ascending (typed arrays sort numerically). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Median, extremes and quartiles of a set of values. */
export function spreadOf(values: ArrayLike<number>): Spread {
  const sorted = sortedCopy(values);
  return {
    median: quantileSorted(sorted, 0.5),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    p25: quantileSorted(sorted, 0.25),
    p75: quantileSorted(sorted, 0.75),
    n: sorted.length,
  };
}

/** Latency percentiles of one run, in microseconds. */
export interface RunPercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

/** Percentiles of one run's samples. */
export function percentilesOf(samples: ArrayLike<number>): RunPercentiles {
  const sorted = sortedCopy(samples);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
    n: sorted.length,
  };
}

/** Rounds for display and JSON: enough digits to compare, no float noise. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
