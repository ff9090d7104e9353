import { TRPCClientError } from '@trpc/client';
import { type CrossTabOptions, createTabCoordinator, type TabSnapshot } from './cross-tab.js';

/** What `refreshLink` gives its `refresh` function. */
export interface RefreshCallOptions {
  /**
   * Aborted when the refresh times out (`refreshTimeout`). Pass it to the refresh call
   * (`client.auth.refresh.mutate(undefined, { signal })`) so that a late answer is dropped instead
   * of storing tokens after the link gave up on them.
   */
  signal: AbortSignal;
}

/**
 * How a refresh ended: `'refreshed'` by this link, `'adopted'` when another tab had refreshed (this tab
 * uses its tokens without refreshing), `false` when it failed.
 */
export type RefreshOutcome = 'refreshed' | 'adopted' | false;

/** What {@link createRefreshFlight} needs: the link's options, validated. */
export interface RefreshFlightOptions {
  refresh: (options: RefreshCallOptions) => Promise<unknown>;
  onRefreshFailed: ((error: unknown) => void) | undefined;
  onTokenRefreshed: (() => unknown) | undefined;
  timeoutMs: number;
  crossTab: boolean | CrossTabOptions | undefined;
  getAccessToken: CrossTabOptions['getSharedToken'];
}

/**
 * The shared state of the refreshes of one link: at most one in flight in this tab, and with Web Locks
 * at most one at a time across the tabs of the origin (see `cross-tab.ts`); and the last outcome.
 */
export function createRefreshFlight(options: RefreshFlightOptions) {
  const { refresh, onRefreshFailed, onTokenRefreshed, timeoutMs } = options;
  let pending: Promise<RefreshOutcome> | null = null;
  let settled = 0;
  let last: RefreshOutcome = false;
  let syncDepth = 0;
  let controller: AbortController | null = null;
  const tokenRefreshed = () => report(Promise.resolve().then(onTokenRefreshed));
  const coordinator = createTabCoordinator(
    options.crossTab,
    options.getAccessToken,
    () => void tokenRefreshed(),
  );

  const start = (before?: Promise<TabSnapshot>): Promise<RefreshOutcome> => {
    if (pending) {
      return pending;
    }
    const own = new AbortController();
    controller = own;
    const call = (): Promise<unknown> => {
      syncDepth++;
      try {
        return Promise.resolve(refresh({ signal: own.signal }));
      } catch (error) {
        return Promise.reject(error);
      } finally {
        syncDepth--;
      }
    };
    const run: Promise<RefreshOutcome> = coordinator
      ? coordinator
          .run(before ?? coordinator.snapshot(), own.signal, call)
          .then((refreshed) => (refreshed ? 'refreshed' : 'adopted'))
      : call().then(() => 'refreshed');
    const outcome = new Promise<RefreshOutcome>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // The first of "refresh() settled" and "timed out" decides; whatever comes later is ignored,
      // so a late answer can neither report success nor fail the refresh a second time.
      let decided = false;
      const decide = (ok: RefreshOutcome, error?: unknown) => {
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
        (ok) => decide(ok),
        (error: unknown) => decide(false, error),
      );
    });
    const done = outcome.then(async (ok) => {
      if (ok && onTokenRefreshed) {
        await tokenRefreshed();
      }
      settled++;
      last = ok;
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
     * Reads the value the tabs share, when an operation is sent (cross-tab mode only): a refresh
     * started for that operation compares it with the value once it holds the lock.
     */
    snapshot(): Promise<TabSnapshot> | undefined {
      return coordinator?.snapshot();
    },
    /**
     * The outcome for an operation that failed after being sent when `seen` refreshes had finished:
     * one that finished since (it was sent with the old token), else the one in flight or a new one.
     */
    after(seen: number, before?: Promise<TabSnapshot>): Promise<RefreshOutcome> {
      return settled > seen ? Promise.resolve(last) : start(before);
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
    reportError(thrown);
  }
}

/** Waits for an app callback's promise; its rejection is reported, never thrown into the link. */
function report(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => undefined,
    (error: unknown) => reportError(error),
  );
}

function reportError(error: unknown): void {
  // A throwing callback must not strand the waiting operations: report it (browsers), or log it
  // rather than crash a Node process with an uncaught exception.
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') {
    report(error);
  } else {
    console.error(error);
  }
}
