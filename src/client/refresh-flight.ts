import { TRPCClientError } from '@trpc/client';

/** What `refreshLink` gives its `refresh` function. */
export interface RefreshCallOptions {
  /**
   * Aborted when the refresh times out (`refreshTimeout`). Pass it to the refresh call
   * (`client.auth.refresh.mutate(undefined, { signal })`) so that a late answer is dropped instead
   * of storing tokens after the link gave up on them.
   */
  signal: AbortSignal;
}

/** The shared state of the refreshes of one link: at most one in flight, and the last outcome. */
export function createRefreshFlight(
  refresh: (options: RefreshCallOptions) => Promise<unknown>,
  onRefreshFailed: ((error: unknown) => void) | undefined,
  timeoutMs: number,
) {
  let pending: Promise<boolean> | null = null;
  let settled = 0;
  let lastOk = false;
  let syncDepth = 0;
  let controller: AbortController | null = null;

  const start = (): Promise<boolean> => {
    if (pending) {
      return pending;
    }
    const own = new AbortController();
    controller = own;
    let run: Promise<unknown>;
    syncDepth++;
    try {
      run = Promise.resolve(refresh({ signal: own.signal }));
    } catch (error) {
      run = Promise.reject(error);
    } finally {
      syncDepth--;
    }
    const outcome = new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // The first of "refresh() settled" and "timed out" decides; whatever comes later is ignored,
      // so a late answer can neither report success nor fail the refresh a second time.
      let decided = false;
      const decide = (ok: boolean, error?: unknown) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        if (!ok) notify(onRefreshFailed, error);
        resolve(ok);
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const error = refreshTimeoutError(timeoutMs);
          decide(false, error);
          own.abort(error.cause);
        }, timeoutMs);
      }
      run.then(
        () => decide(true),
        (error: unknown) => decide(false, error),
      );
    });
    const done = outcome.then((ok) => {
      settled++;
      lastOk = ok;
      pending = null;
      if (controller === own) controller = null;
      return ok;
    });
    pending = done;
    return done;
  };

  return {
    start,
    get pending() {
      return pending;
    },
    /** How many refreshes have finished. */
    get settled() {
      return settled;
    },
    /** The signal of the refresh in flight (aborted when it times out); undefined when none runs. */
    get signal(): AbortSignal | undefined {
      return controller?.signal;
    },
    /** True while `refresh()` runs synchronously: the calls it makes are the refresh itself. */
    get inRefreshCall() {
      return syncDepth > 0;
    },
    /**
     * The outcome for an operation that failed after being sent when `seen` refreshes had finished:
     * one that finished since (it was sent with the old token), else the one in flight or a new one.
     */
    after(seen: number): Promise<boolean> {
      return settled > seen ? Promise.resolve(lastOk) : start();
    },
  };
}

/** The error `onRefreshFailed` gets when `refresh()` did not settle in time; its cause is a `TimeoutError`. */
function refreshTimeoutError(timeoutMs: number): TRPCClientError<never> {
  const message = `Token refresh timed out after ${timeoutMs} ms`;
  const cause = Object.assign(new Error(message), { name: 'TimeoutError' });
  return new TRPCClientError(message, { cause });
}

/** Calls `callback`; an error it throws is reported, never thrown into the link. */
function notify(callback: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    callback?.(error);
  } catch (thrown) {
    // A throwing callback must not strand the waiting operations: report it (browsers), or log it
    // rather than crash a Node process with an uncaught exception.
    const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
    if (typeof report === 'function') {
      report(thrown);
    } else {
      console.error(thrown);
    }
  }
}
