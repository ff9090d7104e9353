/**
 * WebSocket subscriptions across a refresh (issue 15 item 4), over a real `ws` server
 * (applyWSSHandler) and a real HTTP server for the refresh call. The socket's connection params are
 * read once per connection, so after `refreshLink` gets a new token the socket must be replaced:
 * `onTokenRefreshed: () => reconnectWsClient(wsClient)`. A protected tracked subscription then streams
 * across several access-token expiries (each ends it with TOKEN_EXPIRED, refreshLink refreshes and
 * resubscribes from the last event id) with every event exactly once; a public subscription on the same
 * socket is moved to the new socket by tRPC itself, also without a gap or a duplicate.
 */
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink } from '@trpc/client';
import { initTRPC, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createTokenStore, jwtHeaders, reconnectWsClient, refreshLink } from '../../src/client/index.js';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { jtiOf } from '../helpers/client-app.js';
import { startStandalone, type Endpoint } from '../helpers/servers.js';

/** Lifetime of every access token in this file, in seconds. */
const ACCESS_SECONDS = 2;
const jwt = createJwtManager({
  secretKey: 'ws-refresh-secret-0123456789abcdef-0123456',
  tokenLocation: ['headers', 'connection_params'],
  accessTokenExpires: ACCESS_SECONDS,
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
const resumeInput = (value: unknown) => (value ?? {}) as { lastEventId?: string | null };

/** Tracked events n, n+1, … every 40 ms, resuming after `lastEventId`. */
async function* counter(
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
  jti: string,
) {
  for (let n = lastEventId ? Number(lastEventId) + 1 : 0; !signal?.aborted; n++) {
    yield tracked(String(n), { n, jti });
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

const server = { refreshes: 0, subscriptionStarts: 0 };
const router = t.router({
  auth: t.router({
    refresh: refreshProcedure.mutation(async ({ ctx }) => {
      server.refreshes++;
      return { accessToken: await jwt.createAccessToken(ctx.token.identity) };
    }),
  }),
  events: protectedProcedure.input(resumeInput).subscription(({ ctx, input, signal }) => {
    server.subscriptionStarts++;
    return counter(input.lastEventId, signal, ctx.token.jti ?? '');
  }),
  publicEvents: t.procedure
    .input(resumeInput)
    .subscription(({ input, signal }) => counter(input.lastEventId, signal, 'public')),
});

let wss: WebSocketServer;
let wsHandler: ReturnType<typeof applyWSSHandler>;
let http: Endpoint;
let connections = 0;

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', () => connections++);
  await new Promise((resolve) => wss.once('listening', resolve));
  wsHandler = applyWSSHandler({ wss, router, createContext: (opts) => jwt.createJwtContext(opts) });
  http = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
});

afterAll(async () => {
  wsHandler.broadcastReconnectNotification();
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  await http.close();
});

interface Received {
  id: string;
  data: { n: number; jti: string };
}

interface Handlers {
  onData(event: Received): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/** Subscribes and collects the tracked events, and how the stream ended (if it did). */
function collect(subscribe: (handlers: Handlers) => { unsubscribe(): void }) {
  const events: Received[] = [];
  const ended: { error: unknown; completed: boolean } = { error: null, completed: false };
  const sub = subscribe({
    onData: (event) => events.push(event),
    onError: (error) => (ended.error = error),
    onComplete: () => (ended.completed = true),
  });
  return { events, ended, stop: () => sub.unsubscribe() };
}

const ids = (events: readonly Received[]) => events.map((event) => Number(event.id));
const consecutive = (count: number) => Array.from({ length: count }, (_, n) => n);

describe('wsLink subscriptions survive a refresh', () => {
  it('a tracked subscription streams across access-token expiries: refreshed, resubscribed, no event lost or repeated', async () => {
    const tokens = createTokenStore();
    const refreshTokens = createTokenStore();
    tokens.set(await jwt.createAccessToken('alice'));
    refreshTokens.set(await jwt.createRefreshToken('alice'));
    const wsClient = createWSClient({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      connectionParams: async () => {
        const token = tokens.get();
        return token ? { token } : null;
      },
      WebSocket: WebSocket as never,
    });
    const client = createTRPCClient<typeof router>({
      links: [
        refreshLink({
          refresh: async ({ signal }): Promise<void> =>
            tokens.set((await client.auth.refresh.mutate(undefined, { signal })).accessToken),
          onTokenRefreshed: () => reconnectWsClient(wsClient),
        }),
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: wsLink({ client: wsClient }),
          false: httpLink({
            url: http.url,
            headers: jwtHeaders({ getAccessToken: tokens.get, getRefreshToken: refreshTokens.get }),
          }),
        }),
      ],
    });
    const before = { connections, refreshes: server.refreshes };
    const first = tokens.get();

    const events = collect((handlers) => client.events.subscribe({}, handlers));
    const publicEvents = collect((handlers) => client.publicEvents.subscribe({}, handlers));
    // Three tokens: the first one and two refreshed ones, each served part of the stream.
    const tokensSeen = () => new Set(events.events.map((event) => event.data.jti)).size;
    await vi.waitFor(
      () => expect(events.ended.error !== null || events.ended.completed || tokensSeen() >= 3).toBe(true),
      { timeout: 15_000, interval: 50 },
    );
    const endings = { events: { ...events.ended }, publicEvents: { ...publicEvents.ended } };
    events.stop();
    publicEvents.stop();
    await wsClient.close();

    expect(endings.events).toEqual({ error: null, completed: false });
    expect(ids(events.events)).toEqual(consecutive(events.events.length));
    expect(events.events[0]?.data.jti).toBe(jtiOf(first));
    expect(server.refreshes - before.refreshes).toBeGreaterThanOrEqual(2);
    // Each refresh replaced the socket, so that its connection params carry the new token.
    expect(connections - before.connections).toBeGreaterThanOrEqual(3);

    // The public subscription shared the socket; tRPC moved it to each new socket from its last id.
    expect(endings.publicEvents).toEqual({ error: null, completed: false });
    expect(publicEvents.events.length).toBeGreaterThan(20);
    expect(ids(publicEvents.events)).toEqual(consecutive(publicEvents.events.length));
  }, 30_000);
});
