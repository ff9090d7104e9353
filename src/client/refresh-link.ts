import { TRPCClientError } from '@trpc/client';
import type { OperationResultEnvelope, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { Observer, Unsubscribable } from '@trpc/server/observable';
import type { JwtErrorCode } from '../errors.js';
import { createRefreshFlight } from './refresh-flight.js';
import { type RefreshLinkOptions, validateRefreshLinkOptions } from './refresh-options.js';
import { resolveIsRefreshOperation } from './refresh-paths.js';

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
 * itself (the operation on `refreshPaths`) passes through untouched. A failed refresh, or one that has
 * not settled within `refreshTimeout`, calls `onRefreshFailed` once, and the waiting operations fail
 * with their original error: there is no loop and no hang. Unsubscribing (or aborting the
 * operation's signal) while it waits sends nothing more.
 *
 * Subscriptions pass through; one that fails with `TOKEN_EXPIRED` is resubscribed once after a
 * refresh (with the last tracked event id), and may refresh again after it has received data. With
 * `wsLink`, connection params are read when the socket connects: replace it after a refresh with
 * `onTokenRefreshed: () => reconnectWsClient(wsClient)`.
 *
 * Across the tabs of an origin (`crossTab`, on where Web Locks exist) one tab refreshes at a time, and a
 * tab that waited for another tab's refresh retries with its tokens instead of refreshing again.
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
 *       // `auth.refresh` is on the default refreshPaths: it passes through this link untouched. The
 *       // return type annotation breaks the `client` self-reference for TypeScript.
 *       refresh: async ({ signal }): Promise<void> =>
 *         access.set((await client.auth.refresh.mutate(undefined, { signal })).accessToken),
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
  const { refreshBefore, getAccessToken, refreshTimeout = 10_000 } = validateRefreshLinkOptions(options);
  const isRefreshOperation = resolveIsRefreshOperation('refreshLink', options);
  const flight = createRefreshFlight({
    refresh: options.refresh,
    onRefreshFailed: options.onRefreshFailed,
    onTokenRefreshed: options.onTokenRefreshed,
    timeoutMs: refreshTimeout,
    crossTab: options.crossTab,
    getAccessToken,
  });
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
      return flight.start(flight.snapshot());
    }
  }

  return () =>
    ({ op, next }) =>
      observable((observer) => {
        if (flight.inRefreshCall || isRefreshOperation(op)) {
          // The refresh call itself: sent untouched, but cut off when the refresh in flight times
          // out, so that its late answer never reaches the code that would store the tokens.
          const signal = flight.signal;
          const sent = next(op).subscribe(observer);
          const onTimeout = () => {
            sent.unsubscribe();
            observer.error(TRPCClientError.from<TRouter>(toError(signal?.reason)));
          };
          if (signal?.aborted) onTimeout();
          else signal?.addEventListener('abort', onTimeout, { once: true });
          return () => {
            signal?.removeEventListener('abort', onTimeout);
            sent.unsubscribe();
          };
        }
        type Envelope = OperationResultEnvelope<unknown, TRPCClientError<TRouter>>;
        const isSubscription = op.type === 'subscription';
        let disposed = false;
        let current: Unsubscribable | undefined;
        let canRefresh = true;
        let adopted = false;
        let lastEventId: string | undefined;
        let seen = flight.settled;
        /** Cross-tab mode: the shared token when the operation was last sent. */
        let sentWith: ReturnType<typeof flight.snapshot>;

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
          sentWith = flight.snapshot();
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
              waitFor(flight.after(seen, sentWith), (outcome) => {
                if (!outcome) {
                  observer.error(error);
                  return;
                }
                if (outcome === 'adopted' && !adopted) {
                  // Another tab's refresh may not renew this tab's token (one kept in memory): one
                  // refresh of its own stays allowed.
                  adopted = true;
                  canRefresh = true;
                  seen = flight.settled;
                }
                send();
              });
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

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error('The operation was aborted');
}

function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
