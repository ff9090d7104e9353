/**
 * Differential test of the verified-token cache's LRU (a linked list over a Map, for speed) against
 * an obviously correct model: an array ordered from least to most recently used.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/internal/lru.js';

class ModelLru {
  readonly entries: [string, number][] = []; // least recently used first

  constructor(readonly maxSize: number) {}

  get(key: string): number | undefined {
    const i = this.entries.findIndex(([k]) => k === key);
    if (i === -1) return undefined;
    const [entry] = this.entries.splice(i, 1);
    this.entries.push(entry!);
    return entry![1];
  }

  set(key: string, value: number): void {
    if (this.maxSize === 0) return;
    const i = this.entries.findIndex(([k]) => k === key);
    if (i !== -1) this.entries.splice(i, 1);
    else if (this.entries.length >= this.maxSize) this.entries.shift();
    this.entries.push([key, value]);
  }

  delete(key: string): void {
    const i = this.entries.findIndex(([k]) => k === key);
    if (i !== -1) this.entries.splice(i, 1);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

// Few keys against a small bound, mostly gets and sets: evictions happen, and their order matters.
const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const operation = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);

describe('LruCache ≡ a model LRU', () => {
  it('answers every get, and keeps the same size, after any sequence of operations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.array(operation, { minLength: 5, maxLength: 80 }),
        (maxSize, ops) => {
          const lru = new LruCache<string, number>(maxSize);
          const model = new ModelLru(maxSize);
          for (const step of ops) {
            switch (step.op) {
              case 'get':
                expect(lru.get(step.key)).toBe(model.get(step.key));
                break;
              case 'set':
                lru.set(step.key, step.value);
                model.set(step.key, step.value);
                break;
              case 'delete':
                lru.delete(step.key);
                model.delete(step.key);
                break;
              case 'clear':
                lru.clear();
                model.clear();
                break;
            }
            expect(lru.size).toBe(model.entries.length);
            expect(lru.size).toBeLessThanOrEqual(maxSize);
          }
          // The same entries, evicted in the same order from here on.
          for (const [k, v] of [...model.entries]) expect(lru.get(k)).toBe(v);
        },
      ),
      { numRuns: 500 },
    );
  });
});
