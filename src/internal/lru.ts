/** A bounded least-recently-used map. `maxSize` 0 stores nothing. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #maxSize: number;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.#maxSize === 0) return;
    this.#map.delete(key);
    if (this.#map.size >= this.#maxSize) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
    }
    this.#map.set(key, value);
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
