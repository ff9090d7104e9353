import type { TRPCError } from '@trpc/server';
import { isObservable, type Observable, observable } from '@trpc/server/observable';

/** What ends an open subscription's stream before its source does. */
export interface StreamLimits {
  /** When the token expires, in ms on `clock`; undefined when it never does. */
  readonly expMs: number | undefined;
  readonly clock: () => number;
  /** The error that ends the stream at expiry (TOKEN_EXPIRED, through `expiredTokenLoader`). */
  readonly expired: () => Promise<TRPCError>;
  /** ms between session re-checks; undefined for none. */
  readonly recheckMs: number | undefined;
  /** The error that ends the stream now (revoked, or the store failed), or undefined to go on. */
  readonly recheck: () => Promise<TRPCError | undefined>;
}

/** Node clamps longer delays to 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Watch {
  /** Rejects with the error that ends the stream; never settles once stopped. */
  readonly ended: Promise<never>;
  /** Clears every timer. */
  stop(): void;
}

/** Arms the expiry timer and the periodic re-check. Timers are unref'd: they never hold the process. */
function watch(limits: StreamLimits): Watch {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  let reject!: (error: unknown) => void;
  const ended = new Promise<never>((_, r) => (reject = r));
  ended.catch(() => {});
  const stop = () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
  // A callback that rejects (it should not) ends the stream too: tRPC reports it as an internal error.
  const end = (error: unknown) => {
    if (stopped || error === undefined) return;
    stop();
    reject(error);
  };
  const later = (fn: () => void, ms: number) => {
    if (stopped) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        fn();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    (timer as { unref?: () => void }).unref?.();
    timers.add(timer);
  };
  const { expMs, recheckMs } = limits;
  if (expMs !== undefined) {
    const arm = () => {
      const delay = expMs - limits.clock();
      if (delay <= 0) void limits.expired().then(end, end);
      else later(arm, delay);
    };
    arm();
  }
  if (recheckMs !== undefined) {
    // The next check is armed when this one answers: a slow store never piles up lookups.
    const check = () =>
      void limits.recheck().then((error) => (error ? end(error) : later(check, recheckMs)), end);
    later(check, recheckMs);
  }
  return { ended, stop };
}

async function* iterableUntilEnded<T>(
  iterable: AsyncIterable<T>,
  limits: StreamLimits,
): AsyncGenerator<T, unknown> {
  const iterator = iterable[Symbol.asyncIterator]();
  const { ended, stop } = watch(limits);
  try {
    while (true) {
      const step = await Promise.race([iterator.next(), ended]);
      if (step.done) return step.value;
      yield step.value;
    }
  } finally {
    stop();
    // Not awaited: a source blocked on its next event must not hold up the end of the stream.
    iterator.return?.()?.catch(() => {});
  }
}

function observableUntilEnded<T, E>(
  source: Observable<T, E>,
  limits: StreamLimits,
): Observable<T, E | TRPCError> {
  return observable<T, E | TRPCError>((observer) => {
    const { ended, stop } = watch(limits);
    ended.catch((error: TRPCError) => observer.error(error));
    const subscription = source.subscribe({
      next: (value) => observer.next(value),
      error: (error) => {
        stop();
        observer.error(error);
      },
      complete: () => {
        stop();
        observer.complete();
      },
    });
    return () => {
      stop();
      subscription.unsubscribe();
    };
  });
}

/**
 * A subscription's result (an async iterable or an Observable) that fails with the limits' error when
 * the token expires or a re-check ends the session; anything else is returned as it is.
 */
export function untilSessionEnds(data: unknown, limits: StreamLimits): unknown {
  if (typeof data === 'object' && data !== null && Symbol.asyncIterator in data) {
    return iterableUntilEnded(data as AsyncIterable<unknown>, limits);
  }
  if (isObservable(data)) return observableUntilEnded(data as Observable<unknown, unknown>, limits);
  return data;
}
