/**
 * Waiting inside a request's deadline, and one upstream call shared by concurrent requests.
 */
import { describe, expect, it } from 'vitest';
import { SharedFlight, untilDeadline } from '../lambda/broker/shared-flight.js';
import { type Deadline, noDeadline } from '../lambda/deadline.js';

/** A deadline the test passes by hand. */
function manualDeadline(): { deadline: Deadline; pass: () => void } {
  const controller = new AbortController();
  return { deadline: { signal: controller.signal, atMs: 1 }, pass: () => controller.abort() };
}

/** A promise the test settles by hand. */
function pending<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Function: untilDeadline', () => {
  it('answers box_timeout when the deadline passes first, naming what it waited for', async () => {
    const { deadline, pass } = manualDeadline();
    const waiting = untilDeadline(new Promise(() => undefined), deadline, 'Box');
    pass();
    await expect(waiting).rejects.toMatchObject({
      code: 'box_timeout',
      message: "The request's time budget ran out waiting for Box; retry.",
    });
  });

  it('passes the work through when it settles first, and fails at once past the deadline', async () => {
    const { deadline, pass } = manualDeadline();
    await expect(untilDeadline(Promise.resolve(7), deadline, 'Box')).resolves.toBe(7);
    await expect(untilDeadline(Promise.reject(new Error('x')), deadline, 'Box')).rejects.toThrow(
      'x',
    );
    pass();
    await expect(untilDeadline(Promise.resolve(7), deadline, 'Box')).rejects.toMatchObject({
      code: 'box_timeout',
    });
  });
});

describe('Class: SharedFlight', () => {
  it('shares one call among concurrent waiters and starts a new one after it settles', async () => {
    const flight = new SharedFlight<number>();
    let starts = 0;
    const call = pending<number>();
    const start = () => {
      starts += 1;
      return call.promise;
    };
    const a = flight.run(noDeadline(), 'x', start);
    const b = flight.run(noDeadline(), 'x', start);
    call.resolve(1);
    expect([await a, await b]).toEqual([1, 1]);
    expect(starts).toBe(1);
    await flight.run(noDeadline(), 'x', async () => {
      starts += 1;
      return 2;
    });
    expect(starts).toBe(2);
  });

  it('aborts the shared call only when every waiter has given up', async () => {
    const flight = new SharedFlight<number>();
    let signal: AbortSignal | undefined;
    const call = pending<number>();
    const first = manualDeadline();
    const second = manualDeadline();
    const a = flight.run(first.deadline, 'x', (s) => {
      signal = s;
      return call.promise;
    });
    const b = flight.run(second.deadline, 'x', () => call.promise);
    first.pass();
    await expect(a).rejects.toMatchObject({ code: 'box_timeout' });
    expect(signal?.aborted).toBe(false);
    second.pass();
    await expect(b).rejects.toMatchObject({ code: 'box_timeout' });
    expect(signal?.aborted).toBe(true);
  });
});
