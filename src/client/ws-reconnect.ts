/** The socket of a tRPC WebSocket client, as far as {@link reconnectWsClient} uses it. */
export interface ReconnectableSocket {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'close', listener: () => void): void;
  removeEventListener(type: 'close', listener: () => void): void;
}

/**
 * What {@link reconnectWsClient} needs of the client that `createWSClient()` (from `@trpc/client`)
 * returns: its current connection.
 */
export interface ReconnectableWsClient {
  readonly connection: { readonly ws: ReconnectableSocket } | null;
}

/** `WebSocket.OPEN`, the same in browsers, Node's `WebSocket` and the `ws` package. */
const OPEN = 1;

/**
 * The longest wait for the old socket's `close` event. A socket whose peer has gone may take long to
 * close; by then tRPC has stopped using it anyway, since it is no longer open.
 */
const CLOSE_WAIT_MS = 5_000;

/**
 * Replaces the open socket of a tRPC WebSocket client (`createWSClient()`), so that the next one reads
 * `connectionParams` again: a WebSocket carries the token it was opened with, so after a refresh it must
 * be replaced for the server to see the new token. Give it to `refreshLink` as `onTokenRefreshed`.
 *
 * It closes the current socket (code 1000); tRPC opens a new one, calling `connectionParams` again, and
 * moves the subscriptions still open on the old socket to it, resuming tracked ones from their last event
 * id (tRPC's own reconnect). Subscriptions that the server ended with `TOKEN_EXPIRED` are resubscribed by
 * `refreshLink`. A query or mutation still waiting for its answer on the old socket fails with tRPC's
 * `WebSocket closed` error; send those over HTTP (`splitLink`) when that matters.
 *
 * Resolves once the old socket has closed (at most 5 s), or at once when there is no open socket: a socket
 * still connecting, or the next one, reads `connectionParams` when it opens. Never rejects.
 *
 * @example
 * ```ts
 * import { createWSClient } from '@trpc/client';
 * import { createTokenStore, reconnectWsClient, refreshLink } from 'trpc-jwt-extended/client';
 *
 * const tokens = createTokenStore();
 * const wsClient = createWSClient({
 *   url: 'wss://api.example.com/trpc',
 *   connectionParams: async () => ({ token: tokens.get() }),
 * });
 * const link = refreshLink({
 *   refresh: renewTokens,
 *   onTokenRefreshed: () => reconnectWsClient(wsClient),
 * });
 * ```
 */
export function reconnectWsClient(client: ReconnectableWsClient): Promise<void> {
  const ws = client?.connection?.ws;
  if (!ws || ws.readyState !== OPEN) {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ws.removeEventListener('close', done);
      resolve();
    };
    const timer = setTimeout(done, CLOSE_WAIT_MS);
    ws.addEventListener('close', done);
    try {
      ws.close(1000, 'Token refreshed');
    } catch {
      done();
    }
  });
}
