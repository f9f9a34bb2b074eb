/**
 * Box refusals remembered briefly, in two bounded pools.
 */
import { describe, expect, it } from 'vitest';
import { NegativeCache } from '../lambda/broker/negative-cache.js';
import { clock, rejected } from './support/broker-fakes.js';

describe('Unit: NegativeCache', () => {
  it('bounds caller-chosen entries without ever evicting the enterprise entry, and expires them', () => {
    const c = clock();
    const cache = new NegativeCache({ ttlMs: 10_000, maxCallerEntries: 3, now: c.now });
    const error = rejected();
    cache.remember('enterprise', 'enterprise|1|v1', error);
    for (let i = 0; i < 50; i += 1) cache.remember('caller', `user|${i}|v1`, error);
    expect(cache.sizes()).toEqual({ enterprise: 1, caller: 3 });
    expect(cache.get('enterprise', 'enterprise|1|v1')).toBe(error);
    expect(cache.get('caller', 'user|0|v1')).toBeUndefined();
    expect(cache.get('caller', 'user|49|v1')).toBe(error);
    c.t += 10_000;
    expect(cache.get('enterprise', 'enterprise|1|v1')).toBeUndefined();
  });
});
