import { LoaderTimeoutError } from '../errors.js';

/**
 * True for anything `await` would wait on: a value with a callable `then`. Not `instanceof Promise`,
 * which misses plain thenables and promises from another realm (a vm context, a bundled polyfill).
 * A `then` getter that throws counts too: awaiting the value rejects with its error.
 */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return true;
  }
}

/**
 * Settles like `value`, or rejects with LoaderTimeoutError after `ms` (undefined: no limit). Every
 * thenable is bounded, whatever its realm. The timer never keeps the process alive.
 */
export function withTimeout<T>(value: T | PromiseLike<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined || !isThenable(value)) return Promise.resolve(value);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoaderTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([value, timeout]).finally(() => clearTimeout(timer));
}
