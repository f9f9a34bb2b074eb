/**
 * A map with a size bound: when it is full, the oldest entry goes first. "Oldest" is insertion
 * order (a JavaScript Map iterates in that order); {@link BoundedMap.touch} moves an entry to the
 * end, which makes the map a least-recently-used cache for the callers that touch on read.
 *
 * Every bounded memory of the broker is one of these (tokens, back-off windows, Box refusals,
 * tenants and tenants not found), so the eviction rule is written once.
 */

export interface BoundedMapOptions<V> {
  /** Most entries held; at least 1. */
  maxEntries: number;
  /**
   * Entries that are of no use any more (an expired token): when the map is full they are all
   * dropped before the oldest live entry is. Absent = only the oldest goes.
   */
  isSpent?: (value: V) => boolean;
}

export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly options: BoundedMapOptions<V>) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The value of `key`, leaving its place in the eviction order alone. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The value of `key`, made the most recently used (last to go). */
  touch(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores `value` as the newest entry, making room first when the map is full. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) this.makeRoom();
    this.entries.set(key, value);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** The first value the predicate selects, leaving the eviction order alone. */
  find(predicate: (value: V, key: K) => boolean): V | undefined {
    for (const [key, value] of this.entries) if (predicate(value, key)) return value;
    return undefined;
  }

  /** Drops every entry the predicate selects; returns how many went. */
  deleteWhere(predicate: (value: V, key: K) => boolean): number {
    let dropped = 0;
    for (const [key, value] of this.entries) {
      if (predicate(value, key)) {
        this.entries.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Room for one more: the spent entries, then the oldest until one fits. */
  private makeRoom(): void {
    const isSpent = this.options.isSpent;
    if (isSpent !== undefined) this.deleteWhere((value) => isSpent(value));
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.options.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
