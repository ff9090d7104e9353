/**
 * No cross-site WebSocket hijacking (#13, item 7). A browser sends its cookies on a WebSocket upgrade
 * whatever page opened it, and a WebSocket carries no CSRF header: a cookie-authenticated socket is
 * accepted only when the upgrade request's `Origin` is trusted (`websocketOrigins`, by default the
 * request's own origin). Tokens from a header or the connection params are unaffected. And
 * `verifyJwtInRequest` without `type` fails safe: CSRF applies as for a mutation. Through a real `ws`
 * server with applyWSSHandler, and the standalone adapter.
 */
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, type TRPCClientError, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { callTrpc, cookieHeader, type Endpoint, startStandalone } from '../helpers/servers.js';

const SECRET = 'websocket-origin-secret-0123456789abcdef-01';

function makeApp(options: Omit<JwtManagerOptions, 'secretKey'> = {}) {
  const jwt = createJwtManager({
    secretKey: SECRET,
    tokenLocation: ['cookies', 'headers', 'connection_params'],
    ...options,
  });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  const runs = { count: 0 };
  const who = ({ ctx }: { ctx: { token: { identity: string; location: string } } }) => {
    runs.count++;
    return { identity: ctx.token.identity, location: ctx.token.location };
  };
  const router = t.router({
    me: protectedProcedure.query(who),
    events: protectedProcedure.subscription(async function* (opts) {
      yield who(opts);
    }),
    /** verifyJwtInRequest without `type`, from a GET query. */
    imperative: t.procedure.query(async ({ ctx }) => (await jwt.verifyJwtInRequest(ctx))?.identity),
  });
  return { jwt, router, runs };
}

type App = ReturnType<typeof makeApp>;
const servers: WebSocketServer[] = [];
const clients: ReturnType<typeof createWSClient>[] = [];

/** A `ws` server running the app, on 127.0.0.1; its URL. */
async function serveWs(app: App): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  applyWSSHandler({ wss, router: app.router, createContext: (opts) => app.jwt.createJwtContext(opts) });
  servers.push(wss);
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** A tRPC client over a socket whose upgrade request carries these headers (as a browser would). */
function clientFor(app: App, url: string, headers: Record<string, string>, params?: Record<string, string>) {
  const Socket = class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
  const wsClient = createWSClient({
    url,
    WebSocket: Socket as never,
    ...(params ? { connectionParams: params } : {}),
  });
  clients.push(wsClient);
  return createTRPCClient<App['router']>({ links: [wsLink({ client: wsClient })] });
}

/** The first event of `events`, or the error that ended it. */
function firstEvent(client: ReturnType<typeof clientFor>) {
  return new Promise<unknown>((resolve) => {
    const sub = client.events.subscribe(undefined, {
      onData: (data) => {
        resolve(data);
        sub.unsubscribe();
      },
      onError: (error) => resolve(failure(error)),
    });
  });
}

function failure(error: unknown) {
  const e = error as TRPCClientError<App['router']>;
  return { code: e.data?.code, jwt: e.data?.jwt, message: e.message };
}
const refused = (message: string) => ({ code: 'UNAUTHORIZED', jwt: { code: 'CSRF_ERROR' }, message });
const UNTRUSTED = refused('Untrusted WebSocket origin');

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  for (const wss of servers) {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

describe("a cookie-authenticated WebSocket, default websocketOrigins (the request's own origin)", () => {
  const app = makeApp();
  let url = '';
  let cookie = '';
  beforeAll(async () => {
    url = await serveWs(app);
    cookie = cookieHeader({ access_token_cookie: await app.jwt.createAccessToken('alice') });
  });
  const ok = { identity: 'alice', location: 'cookies' };

  it('is accepted when Origin is the own origin (http://<Host>): queries and subscriptions', async () => {
    const client = clientFor(app, url, { cookie, origin: url.replace('ws:', 'http:') });
    expect(await client.me.query()).toEqual(ok);
    expect(await firstEvent(client)).toEqual(ok);
  });

  it('is refused from another origin: 401 CSRF_ERROR, the procedure never runs', async () => {
    const before = app.runs.count;
    const client = clientFor(app, url, { cookie, origin: 'https://evil.example' });
    expect(await client.me.query().catch(failure)).toEqual(UNTRUSTED);
    expect(await firstEvent(client)).toEqual(UNTRUSTED);
    expect(app.runs.count).toBe(before);
  });

  it('is refused from a look-alike origin (another port, a longer host, "null")', async () => {
    const { port, hostname } = new URL(url);
    for (const origin of [
      `http://${hostname}:${Number(port) + 1}`,
      `http://${hostname}.evil.example:${port}`,
      'null',
    ]) {
      const client = clientFor(app, url, { cookie, origin });
      expect(await client.me.query().catch(failure)).toEqual(UNTRUSTED);
    }
  });

  it('is refused without an Origin header (browsers always send one)', async () => {
    const client = clientFor(app, url, { cookie });
    expect(await client.me.query().catch(failure)).toEqual(refused('Missing WebSocket origin'));
  });

  it('a header or connection-params token is unaffected by the origin', async () => {
    const token = await app.jwt.createAccessToken('bob');
    const evil = 'https://evil.example';
    const byHeader = clientFor(app, url, { origin: evil, authorization: `Bearer ${token}` });
    expect(await byHeader.me.query()).toEqual({ identity: 'bob', location: 'headers' });
    const byParams = clientFor(app, url, { origin: evil }, { token });
    expect(await byParams.me.query()).toEqual({ identity: 'bob', location: 'connection_params' });
  });
});

describe('websocketOrigins', () => {
  it('replaces the default: only the listed origins are trusted', async () => {
    const app = makeApp({ websocketOrigins: ['https://app.example'] } as never);
    const url = await serveWs(app);
    const cookie = cookieHeader({ access_token_cookie: await app.jwt.createAccessToken('alice') });
    const listed = clientFor(app, url, { cookie, origin: 'https://app.example' });
    expect(await listed.me.query()).toEqual({ identity: 'alice', location: 'cookies' });
    const own = clientFor(app, url, { cookie, origin: url.replace('ws:', 'http:') });
    expect(await own.me.query().catch(failure)).toEqual(UNTRUSTED);
  });
});

describe('an ordinary HTTP request is not a WebSocket', () => {
  const app = makeApp();
  let endpoint: Endpoint;
  beforeAll(async () => {
    endpoint = await startStandalone(app.router, (opts) => app.jwt.createJwtContext(opts));
  });
  afterAll(() => endpoint.close());

  it('a cookie GET query from another origin is not subject to the WebSocket rule', async () => {
    const cookie = cookieHeader({ access_token_cookie: await app.jwt.createAccessToken('alice') });
    const res = await callTrpc(endpoint, 'me', { headers: { cookie, origin: 'https://evil.example' } });
    expect(res.data).toEqual({ identity: 'alice', location: 'cookies' });
  });

  it('verifyJwtInRequest without `type` fails safe: a cookie token needs the CSRF header, as for a mutation', async () => {
    const token = await app.jwt.createAccessToken('alice');
    const csrf = (await app.jwt.decodeToken(token)).csrf as string;
    const cookie = cookieHeader({ access_token_cookie: token });
    const res = await callTrpc(endpoint, 'imperative', { headers: { cookie } });
    expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
      status: 401,
      jwt: { code: 'CSRF_ERROR' },
      message: 'Missing CSRF token',
    });
    const withCsrf = await callTrpc(endpoint, 'imperative', { headers: { cookie, 'X-CSRF-TOKEN': csrf } });
    expect(withCsrf.data).toBe('alice');
  });
});
