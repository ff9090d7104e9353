/**
 * Tokens never come from the URL of an ordinary call (#13, item 8): `connection_params` is read on
 * WebSocket connections (every operation on the socket) and for SSE subscriptions only, never from
 * `?connectionParams=` on another HTTP call; the `json` location is read from a request body only,
 * never from a GET query's `?input=`. Through the standalone adapter, the fetch adapter, and a real
 * `ws` server with applyWSSHandler.
 */
import type { AddressInfo } from 'node:net';
import {
  createTRPCClient,
  createWSClient,
  httpSubscriptionLink,
  type TRPCClientError,
  wsLink,
} from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { FetchEventSource } from '../helpers/event-source.js';
import { callTrpc, type Endpoint, fetchHandler, startStandalone } from '../helpers/servers.js';

const jwt = createJwtManager({
  secretKey: 'url-tokens-secret-0123456789abcdef-0123456',
  tokenLocation: ['connection_params', 'json'],
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure } = jwt.procedures(t.procedure);
const input = z.object({ access_token: z.string().optional() }).optional();
const who = ({ ctx }: { ctx: { token: { identity: string; location: string } } }) => ({
  identity: ctx.token.identity,
  location: ctx.token.location,
});
const router = t.router({
  me: protectedProcedure.input(input).query(who),
  meWrite: protectedProcedure.input(input).mutation(who),
  events: protectedProcedure.input(input).subscription(async function* (opts) {
    yield who(opts);
  }),
});
const createContext = (opts: any) => jwt.createJwtContext(opts);

let token: string;
let endpoints: Endpoint[];
let wss: WebSocketServer;
let wsHandler: ReturnType<typeof applyWSSHandler>;

beforeAll(async () => {
  token = await jwt.createAccessToken('alice');
  endpoints = [
    await startStandalone(router, createContext, { allowMethodOverride: true }),
    fetchHandler(router, createContext, { allowMethodOverride: true }),
  ];
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  wsHandler = applyWSSHandler({ wss, router, createContext });
});

afterAll(async () => {
  wsHandler.broadcastReconnectNotification();
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  for (const endpoint of endpoints) await endpoint.close();
});

const failure = (res: Awaited<ReturnType<typeof callTrpc>>) => ({
  status: res.status,
  jwt: res.error?.data.jwt,
  message: res.error?.message,
});
const NOT_ON_HTTP = 'Connection params are read only on WebSocket connections and subscriptions';
const NOT_A_BODY = 'Invalid content-type. Must be application/json.';
const combined = (cp: string, json: string) => `Missing JWT in connection_params or json (${cp}; ${json})`;

describe.each(['standalone', 'fetch'] as const)('%s adapter', (name) => {
  const endpoint = () => endpoints.find((e) => e.name === name)!;
  const params = () => ({ connectionParams: JSON.stringify({ token }) });

  it('?connectionParams= on a query is not a token: 401 NO_AUTHORIZATION, the body never runs', async () => {
    const res = await callTrpc(endpoint(), 'me', { query: params() });
    expect(failure(res)).toEqual({
      status: 401,
      jwt: { code: 'NO_AUTHORIZATION' },
      message: combined(NOT_ON_HTTP, NOT_A_BODY),
    });
  });

  it('?connectionParams= on a mutation is not a token either', async () => {
    const res = await callTrpc(endpoint(), 'meWrite', { type: 'mutation', input: {}, query: params() });
    expect(failure(res)).toEqual({
      status: 401,
      jwt: { code: 'NO_AUTHORIZATION' },
      message: combined(NOT_ON_HTTP, 'Missing "access_token" key in json data.'),
    });
  });

  it("a GET query's ?input= never authenticates it", async () => {
    const res = await callTrpc(endpoint(), 'me', { input: { access_token: token } });
    expect(failure(res)).toEqual({
      status: 401,
      jwt: { code: 'NO_AUTHORIZATION' },
      message: combined('Missing "token" in connection params', NOT_A_BODY),
    });
  });

  it('the json location reads a request body: a mutation, and a query sent over POST', async () => {
    const body = { access_token: token };
    expect((await callTrpc(endpoint(), 'meWrite', { type: 'mutation', input: body })).data).toEqual({
      identity: 'alice',
      location: 'json',
    });
    const postQuery = await callTrpc(endpoint(), 'me', {
      type: 'mutation',
      input: body,
      method: 'POST',
    });
    expect(postQuery.data).toEqual({ identity: 'alice', location: 'json' });
  });
});

/** Subscribes once and resolves with the first event, or the error that ended the stream. */
function firstOf(
  client: ReturnType<typeof createTRPCClient<typeof router>>,
  value?: { access_token: string },
) {
  return new Promise<unknown>((resolve) => {
    const sub = client.events.subscribe(value, {
      onData: (data) => {
        resolve(data);
        sub.unsubscribe();
      },
      onError: (error) => {
        const e = error as TRPCClientError<typeof router>;
        resolve({ jwt: e.data?.jwt, message: e.message });
      },
    });
  });
}

describe('SSE subscriptions (httpSubscriptionLink)', () => {
  const sse = (connectionParams: Record<string, string>) =>
    createTRPCClient<typeof router>({
      links: [
        httpSubscriptionLink({
          url: endpoints[0]!.url,
          connectionParams,
          EventSource: FetchEventSource,
        }),
      ],
    });

  it('read their connection params', async () => {
    expect(await firstOf(sse({ token }))).toEqual({ identity: 'alice', location: 'connection_params' });
  });

  it("never read the token from the subscription's ?input= (a GET URL)", async () => {
    expect(await firstOf(sse({}), { access_token: token })).toEqual({
      jwt: { code: 'NO_AUTHORIZATION' },
      message: combined('Missing "token" in connection params', NOT_A_BODY),
    });
  });
});

describe('WebSocket (applyWSSHandler)', () => {
  it('reads the connection params for every operation on the socket: query, mutation, subscription', async () => {
    const wsClient = createWSClient({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      connectionParams: { token },
      WebSocket: WebSocket as never,
    });
    try {
      const client = createTRPCClient<typeof router>({ links: [wsLink({ client: wsClient })] });
      const expected = { identity: 'alice', location: 'connection_params' };
      expect(await client.me.query()).toEqual(expected);
      expect(await client.meWrite.mutate()).toEqual(expected);
      expect(await firstOf(client)).toEqual(expected);
    } finally {
      await wsClient.close();
    }
  });
});
