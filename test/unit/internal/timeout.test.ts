/**
 * withTimeout (src/internal/timeout.ts) bounds every loader result with a callable `then`: native
 * promises, plain thenables and promises from another realm (node:vm), which `instanceof Promise`
 * does not see. Fake timers: no assertion depends on the machine's speed.
 */
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoaderTimeoutError } from '../../../src/errors.js';
import { withTimeout } from '../../../src/internal/timeout.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settles `promise` against the fake clock: advances it by `ms`, then reports how it ended. */
async function outcome(promise: Promise<unknown>, ms: number) {
  const seen = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return Promise.race([seen, Promise.resolve('pending' as const)]);
}

const neverThenable = () => ({ then() {} });
const otherRealm = <T>(code: string): PromiseLike<T> => runInNewContext(code) as PromiseLike<T>;

describe('withTimeout', () => {
  it('a cross-realm promise is not `instanceof Promise` (why a callable `then` is the test)', () => {
    expect(otherRealm('new Promise(() => {})') instanceof Promise).toBe(false);
  });

  it.each([
    ['a native promise', () => new Promise(() => {})],
    ['a plain thenable', neverThenable],
    ['a promise from another realm (node:vm)', () => otherRealm('new Promise(() => {})')],
    ['a function with a then method', () => Object.assign(() => {}, { then() {} })],
  ])('%s that never settles is rejected with LoaderTimeoutError after ms', async (_what, make) => {
    const pending = withTimeout(make() as PromiseLike<unknown>, 1000, 'userLookupLoader');
    expect(await outcome(pending, 999)).toBe('pending');
    const end = await outcome(pending, 1);
    expect(end).toEqual({ error: expect.any(LoaderTimeoutError) });
    expect(((end as { error: Error }).error as Error).message).toBe(
      'userLookupLoader did not answer within 1000 ms',
    );
  });

  it.each([
    ['a plain thenable', { then: (resolve: (v: string) => void) => resolve('user') }],
    ['a promise from another realm', otherRealm<string>('Promise.resolve("user")')],
  ])('%s that settles gives its value', async (_what, value) => {
    expect(await outcome(withTimeout<unknown>(value, 1000, 'x'), 0)).toEqual({ value: 'user' });
  });

  it('a thenable that rejects, or whose then throws, rejects with that error (no hang)', async () => {
    const boom = new Error('db down');
    const rejecting = { then: (_: unknown, reject: (e: unknown) => void) => reject(boom) };
    const throwing = {
      then() {
        throw boom;
      },
    };
    for (const value of [rejecting, throwing]) {
      expect(await outcome(withTimeout<unknown>(value, 1000, 'x'), 0)).toEqual({ error: boom });
    }
  });

  it('plain values pass through; no limit adopts a thenable as it settles', async () => {
    expect(await outcome(withTimeout(false, 1000, 'x'), 0)).toEqual({ value: false });
    expect(await outcome(withTimeout({ then: 1 }, 1000, 'x'), 0)).toEqual({ value: { then: 1 } });
    const settled = { then: (resolve: (v: number) => void) => resolve(7) };
    expect(await outcome(withTimeout<unknown>(settled, undefined, 'x'), 0)).toEqual({ value: 7 });
  });

  it('clears its timer once the value settles', async () => {
    await outcome(withTimeout(Promise.resolve(1), 1000, 'x'), 0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
