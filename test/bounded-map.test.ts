/**
 * The one bounded map behind every bounded memory of the broker.
 */
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../lambda/broker/bounded-map.js';

describe('Class: BoundedMap', () => {
  it('drops the oldest entry when full, and setting a held key again makes it the newest', () => {
    const map = new BoundedMap<string, number>({ maxEntries: 3 });
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    map.set('a', 10);
    map.set('d', 4);
    expect(map.size).toBe(3);
    expect(map.get('b')).toBeUndefined();
    expect([map.get('a'), map.get('c'), map.get('d')]).toEqual([10, 3, 4]);
  });

  it('keeps a touched entry over an older untouched one; get leaves the order alone', () => {
    const map = new BoundedMap<string, number>({ maxEntries: 2 });
    map.set('a', 1);
    map.set('b', 2);
    expect(map.touch('a')).toBe(1);
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    map.set('d', 4);
    expect(map.get('a')).toBeUndefined();
    expect(map.touch('missing')).toBeUndefined();
  });

  it('drops every spent entry before the oldest live one when full', () => {
    const spent = new Set(['b', 'c']);
    const map = new BoundedMap<string, string>({
      maxEntries: 3,
      isSpent: (value) => spent.has(value),
    });
    map.set('a', 'a');
    map.set('b', 'b');
    map.set('c', 'c');
    map.set('d', 'd');
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe('a');
    expect(map.get('d')).toBe('d');
  });

  it('deletes by predicate and refuses a bound that is not a positive integer', () => {
    const map = new BoundedMap<string, number>({ maxEntries: 5 });
    for (const [key, value] of Object.entries({ a: 1, b: 2, c: 3 })) map.set(key, value);
    expect(map.deleteWhere((value) => value % 2 === 1)).toBe(2);
    expect(map.size).toBe(1);
    expect(map.delete('b')).toBe(true);
    map.set('x', 1);
    map.clear();
    expect(map.size).toBe(0);
    expect(() => new BoundedMap({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new BoundedMap({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
