/** A loader that did not settle within `loaderTimeout`. */
export class LoaderTimeoutError extends Error {
  override readonly name = 'LoaderTimeoutError';
}

/**
 * Settles like `value`, or rejects with LoaderTimeoutError after `ms` (undefined: no limit). The timer
 * never keeps the process alive.
 */
export function withTimeout<T>(value: T | Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined || !(value instanceof Promise)) return Promise.resolve(value);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoaderTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([value, timeout]).finally(() => clearTimeout(timer));
}
