interface Entry<K, V> {
  readonly key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Entry<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Entry<K, V> | undefined;
}

/**
 * A bounded least-recently-used map. `maxSize` 0 stores nothing.
 *
 * A Map of entries in a doubly linked recency list: a hit relinks one entry, an eviction drops the
 * tail. (Re-inserting into a Map to track recency, and evicting `keys().next()`, is O(deleted
 * entries) per eviction in V8: deleted slots stay at the front of the table until it is rehashed,
 * about 15 µs per miss on a full 10 000-entry cache; see bench/README.md.)
 */
export class LruCache<K, V> {
  readonly #map = new Map<K, Entry<K, V>>();
  readonly #maxSize: number;
  #newest: Entry<K, V> | undefined;
  #oldest: Entry<K, V> | undefined;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#touch(entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.#maxSize === 0) return;
    const existing = this.#map.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#touch(existing);
      return;
    }
    if (this.#map.size >= this.#maxSize) {
      const oldest = this.#oldest!;
      this.#unlink(oldest);
      this.#map.delete(oldest.key);
    }
    const entry: Entry<K, V> = { key, value, older: this.#newest, newer: undefined };
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
    this.#map.set(key, entry);
  }

  delete(key: K): void {
    const entry = this.#map.get(key);
    if (entry === undefined) return;
    this.#unlink(entry);
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
    this.#oldest = undefined;
  }

  /** Makes `entry` the most recently used. */
  #touch(entry: Entry<K, V>): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    entry.older = this.#newest;
    entry.newer = undefined;
    this.#newest!.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
