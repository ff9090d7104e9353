import type { CrossTabOptions } from './cross-tab.js';
import type { RefreshCallOptions } from './refresh-flight.js';
import type { RefreshOperationOptions } from './refresh-paths.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * Options of {@link refreshLink}. The refresh call (recognised by `refreshPaths`, default
 * `['auth.refresh', 'refresh']`, or `isRefreshOperation`) passes through untouched: it is never held,
 * refreshed or retried.
 */
export interface RefreshLinkOptions extends RefreshOperationOptions {
  /**
   * Gets new tokens and stores them where the headers read them: the app's own call, such as
   * `({ signal }) => client.auth.refresh.mutate(undefined, { signal }).then(({ accessToken }) => tokens.set(accessToken))`.
   * It fails by throwing (rejecting). Pass `signal` on: it is aborted when the refresh times out, so a
   * late answer stores nothing. When it calls the same client, its procedure must be on `refreshPaths`
   * (calls it makes synchronously always pass through untouched).
   */
  refresh: (options: RefreshCallOptions) => Promise<unknown>;
  /**
   * Called once for each refresh that fails, with its error (e.g. to log out). The operations that
   * waited for it fail with their own `TOKEN_EXPIRED` error. A refresh that times out is a failed
   * refresh: the error is a `TRPCClientError` `Token refresh timed out after <ms> ms` whose `cause`
   * is an `Error` named `TimeoutError`.
   */
  onRefreshFailed?: (error: unknown) => void;
  /**
   * Milliseconds `refresh()` may take, waiting for another tab's refresh included (`crossTab`). When it
   * has not settled by then, the refresh fails: the waiting
   * operations fail with their `TOKEN_EXPIRED` error, `onRefreshFailed` is called once, the `signal`
   * given to `refresh` is aborted, and a later settlement of that refresh is ignored. `Infinity` waits
   * forever (not recommended: one hung request would hold every call).
   * @default 10_000
   */
  refreshTimeout?: number;
  /**
   * Proactive mode: refresh before sending when the access token expires in fewer than this many
   * seconds. Needs `getAccessToken`; tokens it cannot read (cookie mode) are sent as they are.
   */
  refreshBefore?: number;
  /**
   * Returns the access token, read (not verified) for its `exp` in proactive mode. With `crossTab`, it
   * also tells whether another tab refreshed (see {@link CrossTabOptions.getSharedToken}).
   */
  getAccessToken?: () => MaybePromise<string | null | undefined>;
  /**
   * Called after new tokens are in place, before the waiting operations are retried: after this tab's
   * refresh, after it waited for another tab's refresh, and when another tab announces one. Awaited;
   * an error it throws is reported (`reportError`), never failing the operations. The place to replace
   * a WebSocket, whose connection params are read once per connection:
   * `onTokenRefreshed: () => reconnectWsClient(wsClient)`.
   */
  onTokenRefreshed?: () => unknown;
  /**
   * Coordinates the refreshes of the tabs of one origin that share a session, with Web Locks and a
   * `BroadcastChannel`: one tab refreshes, the others wait for it and use its result, so that one refresh
   * token is never presented twice (which rotation with reuse detection punishes by revoking the whole
   * session). `false` turns it off. Where Web Locks are missing (Node, React Native, old browsers) each
   * link refreshes on its own, as within one tab.
   * @default true
   */
  crossTab?: boolean | CrossTabOptions;
}

/** The longest delay `setTimeout` honours (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Throws a `TypeError` naming the option when one of {@link RefreshLinkOptions} is not usable. */
export function validateRefreshLinkOptions(options: RefreshLinkOptions): RefreshLinkOptions {
  if (typeof options?.refresh !== 'function') {
    throw new TypeError('refreshLink: "refresh" must be a function returning a promise');
  }
  for (const name of ['onRefreshFailed', 'getAccessToken', 'onTokenRefreshed'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`refreshLink: "${name}" must be a function`);
    }
  }
  validateCrossTab(options.crossTab);
  const { refreshBefore, refreshTimeout } = options;
  if (
    refreshTimeout !== undefined &&
    !(
      typeof refreshTimeout === 'number' &&
      refreshTimeout > 0 &&
      (refreshTimeout <= MAX_TIMER_MS || refreshTimeout === Infinity)
    )
  ) {
    throw new TypeError(
      `refreshLink: "refreshTimeout" must be a number of milliseconds (1 to ${MAX_TIMER_MS}, or Infinity)`,
    );
  }
  if (refreshBefore !== undefined) {
    if (typeof refreshBefore !== 'number' || !Number.isFinite(refreshBefore) || refreshBefore < 0) {
      throw new TypeError('refreshLink: "refreshBefore" must be a number of seconds (0 or more)');
    }
    if (!options.getAccessToken) {
      throw new TypeError('refreshLink: "refreshBefore" needs "getAccessToken" to read the expiry');
    }
  }
  return options;
}

function validateCrossTab(crossTab: RefreshLinkOptions['crossTab']): void {
  if (crossTab === undefined || typeof crossTab === 'boolean') {
    return;
  }
  if (typeof crossTab !== 'object' || crossTab === null) {
    throw new TypeError('refreshLink: "crossTab" must be a boolean or an object');
  }
  if (crossTab.name !== undefined && (typeof crossTab.name !== 'string' || crossTab.name === '')) {
    throw new TypeError('refreshLink: "crossTab.name" must be a non-empty string');
  }
  if (crossTab.getSharedToken !== undefined && typeof crossTab.getSharedToken !== 'function') {
    throw new TypeError('refreshLink: "crossTab.getSharedToken" must be a function');
  }
}
