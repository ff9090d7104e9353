/**
 * Subscriptions over real transports: a `ws` WebSocketServer (applyWSSHandler + wsLink, token in the
 * connection params sent once per socket) and SSE (createHTTPServer + httpSubscriptionLink, connection
 * params in the URL of each subscription). A stream ends with TOKEN_EXPIRED when its token expires.
 */
import type { AddressInfo } from 'node:net';
import {
  createTRPCClient,
  createWSClient,
  httpSubscriptionLink,
  type TRPCClientError,
  wsLink,
} from '@trpc/client';
import { initTRPC, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { FetchEventSource } from '../helpers/event-source.js';

const revoked = new Set<string>();
let verifications = 0;
const jwt = createJwtManager({
  secretKey: 'subscriptions-secret-0123456789abcdef-0123',
  tokenLocation: ['connection_params'],
  tokenInBlocklistLoader: ({ payload }) => revoked.has(payload.jti as string),
  tokenVerificationLoader: () => {
    verifications++;
    return true;
  },
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure } = jwt.procedures(t.procedure);
const headersOnly = t.procedure.concat(jwt.required({ locations: ['headers'] }));

const router = t.router({
  /** One tracked event every 50 ms, with the identity verified at the start. */
  ticks: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    for (let n = 0; !signal?.aborted; n++) {
      yield tracked(String(n), { n, identity: ctx.token.identity, location: ctx.token.location });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }),
  /** One event, then silence until the client leaves: expiry must still end it. */
  idle: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    yield ctx.token.identity;
    await new Promise((resolve) => signal?.addEventListener('abort', resolve));
  }),
  headerTicks: headersOnly.subscription(async function* ({ ctx }) {
    yield ctx.token.identity;
  }),
});

let token: string | null = null;
const connectionParams = async () => (token === null ? {} : { token });

let wss: WebSocketServer;
let wsHandler: ReturnType<typeof applyWSSHandler>;
let httpServer: ReturnType<typeof createHTTPServer>;
let wsClient: ReturnType<typeof createWSClient>;
let connections = 0;

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', () => connections++);
  await new Promise((resolve) => wss.once('listening', resolve));
  wsHandler = applyWSSHandler({ wss, router, createContext: (opts) => jwt.createJwtContext(opts) });
  httpServer = createHTTPServer({ router, createContext: (opts) => jwt.createJwtContext(opts) });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  wsClient = createWSClient({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connectionParams,
    WebSocket: WebSocket as never,
    retryDelayMs: () => 50,
  });
});

afterAll(async () => {
  await wsClient.close();
  wsHandler.broadcastReconnectNotification();
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
});

const transports = {
  ws: () => createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient })] }),
  sse: () =>
    createTRPCClient<typeof router>({
      links: [
        httpSubscriptionLink({
          url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
          connectionParams,
          EventSource: FetchEventSource,
        }),
      ],
    }),
};
type Client = ReturnType<(typeof transports)['ws']>;
type Procedure = 'ticks' | 'idle' | 'headerTicks';

/** Subscribes and collects: the events, and a promise of how the stream ended (error or null). */
function collect(client: Client, path: Procedure) {
  const events: unknown[] = [];
  let settle!: (error: TRPCClientError<typeof router> | null) => void;
  const ended = new Promise<TRPCClientError<typeof router> | null>((resolve) => (settle = resolve));
  const sub = (client[path] as Client['idle']).subscribe(undefined, {
    onData: (data) => events.push(data),
    onError: (error) => settle(error as TRPCClientError<typeof router>),
    onComplete: () => settle(null),
  });
  return { events, ended, stop: () => sub.unsubscribe() };
}

/** Drops the ws connection so the next subscription opens one with fresh connection params. */
async function reconnect(name: keyof typeof transports): Promise<void> {
  if (name === 'ws') await wsClient.close();
}

const errorOf = (error: TRPCClientError<typeof router> | null) => ({
  code: error?.data?.code,
  jwt: error?.data?.jwt,
  message: error?.message,
});

describe.each(Object.keys(transports) as (keyof typeof transports)[])('%s', (name) => {
  it('streams events whose ctx.token is the connection-params token', async () => {
    token = await jwt.createAccessToken('alice');
    await reconnect(name);
    const sub = collect(transports[name](), 'ticks');
    await vi.waitFor(() => expect(sub.events.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    sub.stop();
    expect(sub.events.slice(0, 3)).toEqual(
      [0, 1, 2].map((n) => ({
        id: String(n),
        data: { n, identity: 'alice', location: 'connection_params' },
      })),
    );
  });

  it('refuses a subscription without a token: UNAUTHORIZED / NO_AUTHORIZATION', async () => {
    token = null;
    await reconnect(name);
    const sub = collect(transports[name](), 'ticks');
    expect(errorOf(await sub.ended)).toEqual({
      code: 'UNAUTHORIZED',
      jwt: { code: 'NO_AUTHORIZATION' },
      message: 'Missing "token" in connection params',
    });
    expect(sub.events).toEqual([]);
  });

  it('reads only the locations of the procedure: a headers-only subscription ignores params', async () => {
    token = await jwt.createAccessToken('alice');
    await reconnect(name);
    const sub = collect(transports[name](), 'headerTicks');
    expect(errorOf(await sub.ended)).toEqual({
      code: 'UNAUTHORIZED',
      jwt: { code: 'NO_AUTHORIZATION' },
      message: 'Missing Authorization Header',
    });
  });

  it('ends the stream with TOKEN_EXPIRED at expiry, even when the source is idle; a new token resubscribes', async () => {
    token = await jwt.createAccessToken('bob', { expiresDelta: 2 });
    const exp = (await jwt.decodeToken(token)).exp as number;
    await reconnect(name);
    const client = transports[name]();
    const sub = collect(client, 'idle');
    const ticks = collect(client, 'ticks');
    const [idleEnd, ticksEnd] = await Promise.all([sub.ended, ticks.ended]);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    const expired = { code: 'UNAUTHORIZED', jwt: { code: 'TOKEN_EXPIRED' }, message: 'Token has expired' };
    expect(errorOf(idleEnd)).toEqual(expired);
    expect(errorOf(ticksEnd)).toEqual(expired);
    expect(sub.events).toEqual(['bob']);
    expect(ticks.events.length).toBeGreaterThan(0);

    if (name === 'ws') {
      // The socket still carries the expired token: a new start on it is verified, and refused.
      const again = collect(client, 'idle');
      expect(errorOf(await again.ended)).toEqual(expired);
    }
    token = await jwt.createAccessToken('bob');
    await reconnect(name);
    const renewed = collect(client, 'ticks');
    await vi.waitFor(() => expect(renewed.events.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    renewed.stop();
    expect(renewed.events[0]).toEqual({
      id: '0',
      data: { n: 0, identity: 'bob', location: 'connection_params' },
    });
  }, 20_000);
});

describe('ws: one connection, many subscriptions', () => {
  it('verifies each subscription start on its own (a token revoked after the first start fails the second)', async () => {
    token = await jwt.createAccessToken('carol');
    await reconnect('ws');
    const before = connections;
    const counted = verifications;
    const client = transports.ws();
    const first = collect(client, 'ticks');
    await vi.waitFor(() => expect(first.events.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    const second = collect(client, 'idle');
    await vi.waitFor(() => expect(second.events).toEqual(['carol']), { timeout: 10_000 });
    expect(verifications - counted).toBe(2);

    revoked.add((await jwt.decodeToken(token)).jti as string);
    const third = collect(client, 'idle');
    expect(errorOf(await third.ended)).toEqual({
      code: 'UNAUTHORIZED',
      jwt: { code: 'TOKEN_REVOKED' },
      message: 'Token has been revoked',
    });
    expect(connections - before).toBe(1);
    first.stop();
    second.stop();
  });
});
