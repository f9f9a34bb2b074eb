/** Latency sampling with `process.hrtime.bigint()`: one sample per awaited call. */

/** Awaits `call(i)` `count` times in sequence; returns each call's duration in microseconds. */
export async function sampleLatencies(
  count: number,
  call: (index: number) => Promise<unknown>,
): Promise<Float64Array> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const started = process.hrtime.bigint();
    await call(i);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return samples;
}

/** Runs `count` calls through `concurrency` workers, each awaiting its call before the next. */
export async function runConcurrently(
  count: number,
  concurrency: number,
  call: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await call(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Collects garbage if the process runs with `--expose-gc`, so one variant's garbage is not
 * billed to the next. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}
