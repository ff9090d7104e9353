import { TRPCClientError } from '@trpc/client';
import type { Operation, OperationResultEnvelope, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { Observer, Unsubscribable } from '@trpc/server/observable';
import type { JwtErrorCode } from '../errors.js';

type MaybePromise<T> = T | Promise<T>;

/** Options of {@link refreshLink}. */
export interface RefreshLinkOptions {
  /**
   * Gets new tokens and stores them where the headers read them: the app's own call, such as
   * `() => client.auth.refresh.mutate().then(({ accessToken }) => tokens.set(accessToken))`.
   * It fails by throwing (rejecting). When it calls the same client, its procedure must match
   * `isRefreshOperation` (calls it makes synchronously always pass through untouched).
   */
  refresh: () => Promise<unknown>;
  /**
   * Which operation is the refresh call: it passes through untouched, is never held, refreshed or retried.
   * @default (op) => /refresh$/i.test(op.path)
   */
  isRefreshOperation?: (op: Operation) => boolean;
  /**
   * Called once for each refresh that fails, with its error (e.g. to log out). The operations that
   * waited for it fail with their own `TOKEN_EXPIRED` error.
   */
  onRefreshFailed?: (error: unknown) => void;
  /**
   * Proactive mode: refresh before sending when the access token expires in fewer than this many
   * seconds. Needs `getAccessToken`; tokens it cannot read (cookie mode) are sent as they are.
   */
  refreshBefore?: number;
  /** Returns the access token, read (not verified) for its `exp` in proactive mode. */
  getAccessToken?: () => MaybePromise<string | null | undefined>;
}

/**
 * The default refresh-operation test: the procedure path ends with `refresh` (`auth.refresh`,
 * `tokenRefresh`), case-insensitively.
 *
 * @example
 * ```ts
 * import { defaultIsRefreshOperation, refreshLink } from 'trpc-jwt-extended/client';
 *
 * refreshLink({
 *   refresh: () => renew(),
 *   isRefreshOperation: (op) => defaultIsRefreshOperation(op) || op.path === 'auth.renew',
 * });
 * ```
 */
export function defaultIsRefreshOperation(op: Pick<Operation, 'path'>): boolean {
  return /refresh$/i.test(op.path);
}

/**
 * The JWT error code of a tRPC client error (`error.data.jwt.code`, added by the server's
 * `jwt.errorFormatter`), or `null` for any other error.
 *
 * @example
 * ```ts
 * import { getJwtErrorCode } from 'trpc-jwt-extended/client';
 *
 * try {
 *   await client.me.query();
 * } catch (error) {
 *   if (getJwtErrorCode(error) === 'TOKEN_REVOKED') location.assign('/login');
 * }
 * ```
 */
export function getJwtErrorCode(error: unknown): JwtErrorCode | null {
  const jwt = prop(prop(error, 'data'), 'jwt');
  const code = prop(jwt, 'code');
  return typeof code === 'string' ? (code as JwtErrorCode) : null;
}

/**
 * A link that refreshes an expired access token and retries. When an operation fails with
 * `TOKEN_EXPIRED`, one refresh runs for every operation waiting (single flight), then each of them is
 * retried once: the next link reads the token again, so it sends the new one. The refresh operation
 * itself passes through untouched. A failed refresh calls `onRefreshFailed` once, and the waiting
 * operations fail with their original error: there is no loop. Unsubscribing (or aborting the
 * operation's signal) while it waits sends nothing more.
 *
 * Subscriptions pass through; one that fails with `TOKEN_EXPIRED` is resubscribed once after a
 * refresh (with the last tracked event id), and may refresh again after it has received data. With
 * `wsLink`, connection params are read when the socket connects: reconnect it in `refresh`.
 *
 * Put it before the terminating link.
 *
 * @example
 * ```ts
 * import { createTRPCClient, httpBatchLink } from '@trpc/client';
 * import { createTokenStore, jwtHeaders, refreshLink } from 'trpc-jwt-extended/client';
 * import type { AppRouter } from './server';
 *
 * const access = createTokenStore({ storage: 'localStorage', key: 'access_token' });
 * const refresh = createTokenStore({ storage: 'localStorage', key: 'refresh_token' });
 * const client = createTRPCClient<AppRouter>({
 *   links: [
 *     refreshLink({
 *       // `auth.refresh` ends with "refresh": it passes through this link untouched. The return
 *       // type annotation breaks the `client` self-reference for TypeScript.
 *       refresh: async (): Promise<void> => access.set((await client.auth.refresh.mutate()).accessToken),
 *       onRefreshFailed: () => access.set(null),
 *       refreshBefore: 30,
 *       getAccessToken: access.get,
 *     }),
 *     httpBatchLink({
 *       url: '/trpc',
 *       headers: jwtHeaders({ getAccessToken: access.get, getRefreshToken: refresh.get }),
 *     }),
 *   ],
 * });
 * ```
 */
export function refreshLink<TRouter extends AnyTRPCRouter = AnyTRPCRouter>(
  options: RefreshLinkOptions,
): TRPCLink<TRouter> {
  const { refreshBefore, getAccessToken } = validate(options);
  const isRefreshOperation = options.isRefreshOperation ?? defaultIsRefreshOperation;
  const flight = createRefreshFlight(options.refresh, options.onRefreshFailed);
  let lastProactiveToken: string | undefined;

  /** Proactive mode: resolves once the token can be sent (after a refresh when it is about to expire). */
  async function beforeSend(): Promise<unknown> {
    const token = await Promise.resolve()
      .then(() => getAccessToken?.())
      .catch(() => null);
    const exp = token ? readExpiry(token) : null;
    if (!token || exp === null || exp - Date.now() / 1000 >= (refreshBefore ?? 0)) {
      return;
    }
    if (flight.pending) {
      return flight.pending;
    }
    // A refresh that did not replace the token is not tried again for it: no refresh storm.
    if (token !== lastProactiveToken) {
      lastProactiveToken = token;
      return flight.start();
    }
  }

  return () =>
    ({ op, next }) =>
      observable((observer) => {
        if (flight.inRefreshCall || isRefreshOperation(op)) {
          return next(op).subscribe(observer);
        }
        type Envelope = OperationResultEnvelope<unknown, TRPCClientError<TRouter>>;
        const isSubscription = op.type === 'subscription';
        let disposed = false;
        let current: Unsubscribable | undefined;
        let canRefresh = true;
        let lastEventId: string | undefined;
        let seen = flight.settled;

        let stopWaiting: (() => void) | undefined;

        /** Runs `then` after `promise`, unless the operation is unsubscribed or aborted meanwhile. */
        const waitFor = <T>(promise: Promise<T>, then: (value: T) => void) => {
          const signal = op.signal;
          const onAbort = () => {
            stopWaiting = undefined;
            observer.error(TRPCClientError.from<TRouter>(toError(signal?.reason)));
          };
          if (signal?.aborted) {
            onAbort();
            return;
          }
          signal?.addEventListener('abort', onAbort, { once: true });
          stopWaiting = () => signal?.removeEventListener('abort', onAbort);
          void promise.then((value) => {
            if (!disposed && !signal?.aborted) {
              stopWaiting?.();
              stopWaiting = undefined;
              then(value);
            }
          });
        };

        const send = () => {
          if (isSubscription) {
            seen = flight.settled;
          }
          const sent = lastEventId ? { ...op, input: withLastEventId(op.input, lastEventId) } : op;
          const inner: Partial<Observer<Envelope, TRPCClientError<TRouter>>> = {
            next(envelope) {
              const result = envelope.result as { type?: string; id?: unknown };
              if (isSubscription && (!result.type || result.type === 'data')) {
                canRefresh = true;
                if (typeof result.id === 'string' && result.id) {
                  lastEventId = result.id;
                }
              }
              observer.next(envelope);
            },
            complete: () => observer.complete(),
            error(error) {
              if (!canRefresh || getJwtErrorCode(error) !== 'TOKEN_EXPIRED') {
                observer.error(error);
                return;
              }
              canRefresh = false;
              waitFor(flight.after(seen), (ok) => (ok ? send() : observer.error(error)));
            },
          };
          current = next(sent).subscribe(inner);
        };

        if (refreshBefore === undefined) {
          send();
        } else {
          waitFor(beforeSend(), send);
        }
        return () => {
          disposed = true;
          stopWaiting?.();
          current?.unsubscribe();
        };
      });
}

/** The shared state of the refreshes of one link: at most one in flight, and the last outcome. */
function createRefreshFlight(refresh: () => Promise<unknown>, onRefreshFailed?: (error: unknown) => void) {
  let pending: Promise<boolean> | null = null;
  let settled = 0;
  let lastOk = false;
  let syncDepth = 0;

  const start = (): Promise<boolean> => {
    if (pending) {
      return pending;
    }
    let run: Promise<unknown>;
    syncDepth++;
    try {
      run = Promise.resolve(refresh());
    } catch (error) {
      run = Promise.reject(error);
    } finally {
      syncDepth--;
    }
    const done = run
      .then(
        () => true,
        (error: unknown) => {
          notify(onRefreshFailed, error);
          return false;
        },
      )
      .then((ok) => {
        settled++;
        lastOk = ok;
        pending = null;
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

function validate(options: RefreshLinkOptions): RefreshLinkOptions {
  if (typeof options?.refresh !== 'function') {
    throw new TypeError('refreshLink: "refresh" must be a function returning a promise');
  }
  for (const name of ['isRefreshOperation', 'onRefreshFailed', 'getAccessToken'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`refreshLink: "${name}" must be a function`);
    }
  }
  const { refreshBefore } = options;
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

/** The `exp` claim of a JWT, read without verification; `null` when it cannot be read. */
function readExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) {
    return null;
  }
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as unknown;
    const exp = prop(json, 'exp');
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/** tRPC's tracked-subscription convention: resume from `lastEventId` in an object input. */
function withLastEventId(input: unknown, lastEventId: string): unknown {
  if (input != null && typeof input !== 'object') {
    return input;
  }
  return { ...(input ?? {}), lastEventId };
}

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

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error('The operation was aborted');
}

function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
