/**
 * Subscriptions end when their session ends (#13, item 6), over both real transports (a `ws` server
 * with applyWSSHandler, and SSE through createHTTPServer + httpSubscriptionLink):
 * - an Observable-returning subscription ends with TOKEN_EXPIRED at `exp`, as an async generator does;
 * - an open stream whose token is revoked ends with TOKEN_REVOKED within `streamRevocationCheckInterval`
 *   (through `revokedTokenLoader` when set), for generators and Observables alike;
 * - a blocklist that fails or hangs during the re-check ends the stream closed (INTERNAL_SERVER_ERROR);
 * - the re-check is periodic, never a store round trip per event, and stops when the stream ends.
 */
import type { AddressInfo } from 'node:net';
import {
  createTRPCClient,
  createWSClient,
  httpSubscriptionLink,
  type TRPCClientError,
  wsLink,
} from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { observable } from '@trpc/server/observable';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { FetchEventSource } from '../helpers/event-source.js';

const revoked = new Set<string>();
/** jti → how the blocklist misbehaves for it once the stream is open. */
const broken = new Map<string, 'throws' | 'hangs'>();
const lookups = new Map<string, number>();

function blocklist({ payload }: { payload: { jti?: unknown } }): boolean | Promise<boolean> {
  const jti = payload.jti as string;
  const seen = lookups.get(jti) ?? 0;
  lookups.set(jti, seen + 1);
  const failure = seen > 0 ? broken.get(jti) : undefined;
  if (failure === 'throws') throw new Error('blocklist store is down');
  if (failure === 'hangs') return new Promise<boolean>(() => {});
  return revoked.has(jti);
}

function makeApp(options: Omit<JwtManagerOptions, 'secretKey'>) {
  const jwt = createJwtManager({
    secretKey: 'subscriptions-revocation-secret-0123456789ab',
    tokenLocation: ['connection_params'],
    tokenInBlocklistLoader: blocklist,
    ...options,
  });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  /** Open sources by identity. */
  const open = new Map<string, number>();
  const count = (identity: string, by: number) => open.set(identity, (open.get(identity) ?? 0) + by);
  const router = t.router({
    /** One event, then silence until tRPC aborts the call's signal. */
    idle: protectedProcedure.subscription(async function* ({ ctx, signal }) {
      count(ctx.token.identity, 1);
      try {
        yield ctx.token.identity;
        await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      } finally {
        count(ctx.token.identity, -1);
      }
    }),
    /** The same as an Observable. */
    observed: protectedProcedure.subscription(({ ctx }) =>
      observable<string>((emit) => {
        count(ctx.token.identity, 1);
        emit.next(ctx.token.identity);
        return () => count(ctx.token.identity, -1);
      }),
    ),
    /** 300 events as fast as the transport takes them. */
    burst: protectedProcedure.subscription(async function* () {
      for (let n = 0; n < 300; n++) yield n;
    }),
  });
  /** Errors the server reported (tRPC's onError), as `path CODE: message`. */
  const errors: string[] = [];
  return { jwt, router, open, errors };
}

type App = ReturnType<typeof makeApp>;
type Router = App['router'];
type Client = ReturnType<typeof createTRPCClient<Router>>;
const closers: (() => Promise<unknown>)[] = [];

/** The app on both transports; `ws(token)` and `sse(token)` give a client. */
async function serve(app: App) {
  const createContext = (opts: any) => app.jwt.createJwtContext(opts);
  const onError = ({ error, path }: { error: TRPCError; path?: string | undefined }) => {
    app.errors.push(`${path} ${error.code}: ${error.message}`);
  };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const handler = applyWSSHandler({ wss, router: app.router, createContext, onError });
  const http = createHTTPServer({ router: app.router, createContext, onError });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    handler.broadcastReconnectNotification();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return {
    ws: (token: string): Client => {
      const client = createWSClient({
        url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
        connectionParams: { token },
        WebSocket: WebSocket as never,
      });
      closers.push(() => client.close());
      return createTRPCClient<Router>({ links: [wsLink({ client })] });
    },
    sse: (token: string): Client =>
      createTRPCClient<Router>({
        links: [
          httpSubscriptionLink({
            url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
            connectionParams: { token },
            EventSource: FetchEventSource,
          }),
        ],
      }),
  };
}

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** Subscribes and collects the events, and how the stream ended. */
function collect(client: Client, path: 'idle' | 'observed' | 'burst') {
  const events: unknown[] = [];
  let settle!: (error: TRPCClientError<Router> | null) => void;
  const ended = new Promise<TRPCClientError<Router> | null>((resolve) => (settle = resolve));
  const sub = (client[path] as Client['idle']).subscribe(undefined, {
    onData: (data) => events.push(data),
    onError: (error) => settle(error as TRPCClientError<Router>),
    onComplete: () => settle(null),
  });
  return { events, ended, stop: () => sub.unsubscribe() };
}

const errorOf = (error: TRPCClientError<Router> | null) => ({
  code: error?.data?.code,
  jwt: error?.data?.jwt,
  message: error?.message,
});
const jtiOf = async (app: App, token: string) => (await app.jwt.decodeToken(token)).jti as string;
const TRANSPORTS = ['ws', 'sse'] as const;
const PATHS = ['idle', 'observed'] as const;
const TIMEOUT = 20_000;
const WAIT = { timeout: 10_000 };

describe('an Observable subscription ends at exp', () => {
  const app = makeApp({ streamRevocationCheckInterval: false });
  let connect: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    connect = await serve(app);
  });

  it.each(TRANSPORTS)(
    '%s: TOKEN_EXPIRED, as an async generator; the source is torn down',
    async (transport) => {
      const identity = `erin-${transport}`;
      const token = await app.jwt.createAccessToken(identity, { expiresDelta: 2 });
      const exp = (await app.jwt.decodeToken(token)).exp as number;
      const sub = collect(connect[transport](token), 'observed');
      const end = await sub.ended;
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
      expect(errorOf(end)).toEqual({
        code: 'UNAUTHORIZED',
        jwt: { code: 'TOKEN_EXPIRED' },
        message: 'Token has expired',
      });
      expect(sub.events).toEqual([identity]);
      await vi.waitFor(() => expect(app.open.get(identity)).toBe(0), WAIT);
    },
    TIMEOUT,
  );
});

describe('a revoked token ends an open stream within streamRevocationCheckInterval', () => {
  const app = makeApp({ streamRevocationCheckInterval: 0.2, loaderTimeout: '1s' });
  const custom = makeApp({
    streamRevocationCheckInterval: 0.2,
    revokedTokenLoader: () => new TRPCError({ code: 'FORBIDDEN', message: 'Session revoked by an admin' }),
  });
  let connect: Awaited<ReturnType<typeof serve>>;
  let connectCustom: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    connect = await serve(app);
    connectCustom = await serve(custom);
  });

  describe.each(TRANSPORTS)('%s', (transport) => {
    it.each(PATHS)(
      '%s: TOKEN_REVOKED',
      async (path) => {
        const identity = `frank-${transport}-${path}`;
        const token = await app.jwt.createAccessToken(identity);
        const sub = collect(connect[transport](token), path);
        await vi.waitFor(() => expect(sub.events).toEqual([identity]), WAIT);
        revoked.add(await jtiOf(app, token));
        expect(errorOf(await sub.ended)).toEqual({
          code: 'UNAUTHORIZED',
          jwt: { code: 'TOKEN_REVOKED' },
          message: 'Token has been revoked',
        });
        // The source is torn down. Over SSE, tRPC never aborts the signal of a stream that ended on
        // the server side, so a generator waiting on nothing but that signal stays suspended there
        // (a tRPC limitation, see the README); an Observable is unsubscribed on both transports.
        if (transport === 'ws' || path === 'observed') {
          await vi.waitFor(() => expect(app.open.get(identity)).toBe(0), WAIT);
        }
      },
      TIMEOUT,
    );

    it(
      'through revokedTokenLoader, as at the start of a call',
      async () => {
        const identity = `gina-${transport}`;
        const token = await custom.jwt.createAccessToken(identity);
        const sub = collect(connectCustom[transport](token), 'observed');
        await vi.waitFor(() => expect(sub.events).toEqual([identity]), WAIT);
        revoked.add(await jtiOf(custom, token));
        expect(errorOf(await sub.ended)).toEqual({
          code: 'FORBIDDEN',
          jwt: { code: 'TOKEN_REVOKED' },
          message: 'Session revoked by an admin',
        });
      },
      TIMEOUT,
    );

    it.each(['throws', 'hangs'] as const)(
      'a blocklist that %s during the re-check ends the stream closed: INTERNAL_SERVER_ERROR',
      async (failure) => {
        app.errors.length = 0;
        const identity = `hank-${transport}-${failure}`;
        const token = await app.jwt.createAccessToken(identity);
        broken.set(await jtiOf(app, token), failure);
        const sub = collect(connect[transport](token), 'observed');
        const end = await sub.ended;
        expect(sub.events).toEqual([identity]);
        expect(app.open.get(identity)).toBe(0);
        expect(app.errors).toContain(
          'observed INTERNAL_SERVER_ERROR: Token verification failed: a loader threw',
        );
        // httpSubscriptionLink retries a stream that ends with a 5xx code; that reconnection is
        // refused at its start (the blocklist still fails), which is the error it reports.
        expect(end).not.toBeNull();
        if (transport === 'ws') expect(end?.data?.code).toBe('INTERNAL_SERVER_ERROR');
      },
      TIMEOUT,
    );

    it(
      'the re-check stops when the client leaves',
      async () => {
        const identity = `iris-${transport}`;
        const token = await app.jwt.createAccessToken(identity);
        const jti = await jtiOf(app, token);
        const sub = collect(connect[transport](token), 'idle');
        await vi.waitFor(() => expect(lookups.get(jti)).toBeGreaterThanOrEqual(3), WAIT);
        sub.stop();
        await vi.waitFor(() => expect(app.open.get(identity)).toBe(0), WAIT);
        const after = lookups.get(jti);
        await new Promise((resolve) => setTimeout(resolve, 1000)); // five intervals
        expect(lookups.get(jti)).toBe(after);
      },
      TIMEOUT,
    );
  });
});

describe('no store round trip per event', () => {
  const app = makeApp({ streamRevocationCheckInterval: '1h' });
  let connect: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    connect = await serve(app);
  });

  it.each(TRANSPORTS)('%s: 300 events, one blocklist lookup (at the start)', async (transport) => {
    const token = await app.jwt.createAccessToken(`jack-${transport}`);
    const sub = collect(connect[transport](token), 'burst');
    expect(await sub.ended).toBeNull();
    expect(sub.events).toHaveLength(300);
    expect(lookups.get(await jtiOf(app, token))).toBe(1);
  });
});
