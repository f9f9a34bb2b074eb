/**
 * Runs work over a list with at most `limit` items in flight, starting an item only while
 * `mayStart()` says so; items never started get `notStarted(item)`. Results keep the list's order.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  options: {
    limit: number;
    mayStart: () => boolean;
    work: (item: T) => Promise<R>;
    notStarted: (item: T) => R;
  },
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      // Once one worker has stopped, none starts again: the run is out of time.
      if (stopped || !options.mayStart()) {
        stopped = true;
        results[index] = options.notStarted(item);
        continue;
      }
      results[index] = await options.work(item);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(options.limit), items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
