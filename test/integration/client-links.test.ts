/**
 * The client links against a REAL tRPC HTTP server (standalone adapter, 127.0.0.1, random port).
 *
 * NOTE: the server here is plain tRPC that mimics the package's contract (`data.jwt = { code }` from
 * an error formatter; TOKEN_EXPIRED as a 401; flask's cookie names and CSRF double submit), with
 * simple `tok-<version>` tokens. The lead will later switch it to the real `createJwtManager`
 * (`jwt.errorFormatter`, `jwt.procedures`, `jwt.setAccessCookies`) once the server side lands.
 */
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { Operation, OperationResultEnvelope, TRPCLink } from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Observable } from '@trpc/server/observable';
import superjson from 'superjson';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTokenStore, getJwtErrorCode, jwtHeaders, refreshLink } from '../../src/client/index.js';

// ---------------------------------------------------------------------------------------------------
// The server

interface Call {
  path: string;
  type: string;
  tag: string | undefined;
  authorization: string | undefined;
  csrf: string | undefined;
}

const state = {
  /** Access tokens below this version are expired. */
  version: 2,
  refreshFails: false,
  /** Holds the refresh resolver until released. */
  refreshGate: null as Promise<void> | null,
  calls: [] as Call[],
};

function jwtFailure(code: TRPCError['code'], jwtCode: string, message: string): TRPCError {
  return new TRPCError({ code, message, cause: Object.assign(new Error(message), { jwtCode }) });
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

const createContext = ({ req, res }: CreateHTTPContextOptions) => ({
  authorization: req.headers.authorization,
  csrf: req.headers['x-csrf-token'] as string | undefined,
  cookies: parseCookies(req.headers.cookie),
  setCookie(name: string, value: string, httpOnly: boolean) {
    const previous = res.getHeader('set-cookie');
    const list = Array.isArray(previous) ? previous : previous ? [String(previous)] : [];
    res.setHeader('set-cookie', [
      ...list,
      `${name}=${value}; Path=/; SameSite=Lax${httpOnly ? '; HttpOnly' : ''}`,
    ]);
  },
});
type Context = ReturnType<typeof createContext>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const jwtCode = (error.cause as { jwtCode?: unknown } | undefined)?.jwtCode;
    return { ...shape, data: { ...shape.data, jwt: typeof jwtCode === 'string' ? { code: jwtCode } : null } };
  },
});

const logged = t.procedure.use(({ ctx, path, type, getRawInput, next }) =>
  getRawInput().then((input) => {
    const tag = (input as { tag?: string } | undefined)?.tag;
    state.calls.push({ path, type, tag, authorization: ctx.authorization, csrf: ctx.csrf });
    return next();
  }),
);

/** Header mode (`Authorization: Bearer tok-<n>`) or cookie mode (`access_token_cookie` + CSRF on mutations). */
const protectedProcedure = logged.use(({ ctx, type, next }) => {
  let token: string | undefined;
  if (ctx.authorization) {
    token = /^Bearer (.+)$/.exec(ctx.authorization)?.[1];
  } else if (ctx.cookies.access_token_cookie) {
    token = ctx.cookies.access_token_cookie;
    if (type === 'mutation' && ctx.csrf !== ctx.cookies.csrf_access_token) {
      throw jwtFailure(
        'UNAUTHORIZED',
        'CSRF_ERROR',
        ctx.csrf ? 'CSRF double submit tokens do not match' : 'Missing CSRF token',
      );
    }
  }
  const version = Number(/^tok-(\d+)$/.exec(token ?? '')?.[1]);
  if (!token) throw jwtFailure('UNAUTHORIZED', 'NO_AUTHORIZATION', 'Missing Authorization Header');
  if (!Number.isInteger(version))
    throw jwtFailure('UNPROCESSABLE_CONTENT', 'INVALID_TOKEN', 'Not enough segments');
  if (version < state.version) throw jwtFailure('UNAUTHORIZED', 'TOKEN_EXPIRED', 'Token has expired');
  return next({ ctx: { version } });
});

const tagInput = (value: unknown) => (value ?? {}) as { tag?: string };

function setSessionCookies(ctx: Context) {
  ctx.setCookie('access_token_cookie', `tok-${state.version}`, true);
  ctx.setCookie('csrf_access_token', `csrf-a-${state.version}`, false);
}

const router = t.router({
  whoami: protectedProcedure.input(tagInput).query(({ ctx }) => ({ version: ctx.version })),
  post: t.router({
    create: protectedProcedure
      .input(tagInput)
      .mutation(({ ctx }) => ({ created: true, version: ctx.version })),
  }),
  auth: t.router({
    login: logged.mutation(({ ctx }) => {
      setSessionCookies(ctx);
      ctx.setCookie('refresh_token_cookie', 'refresh-ok', true);
      ctx.setCookie('csrf_refresh_token', 'csrf-r', false);
      return { ok: true };
    }),
    refresh: logged.mutation(async ({ ctx }) => {
      await state.refreshGate;
      if (state.refreshFails) throw jwtFailure('UNAUTHORIZED', 'TOKEN_EXPIRED', 'Token has expired');
      if (ctx.authorization) {
        if (ctx.authorization !== 'Bearer refresh-ok') {
          throw jwtFailure('UNPROCESSABLE_CONTENT', 'WRONG_TOKEN_TYPE', 'Only refresh tokens are allowed');
        }
      } else if (
        ctx.cookies.refresh_token_cookie !== 'refresh-ok' ||
        ctx.csrf !== ctx.cookies.csrf_refresh_token
      ) {
        throw jwtFailure('UNAUTHORIZED', 'CSRF_ERROR', 'CSRF double submit tokens do not match');
      }
      state.version++;
      setSessionCookies(ctx);
      return { accessToken: `tok-${state.version}` };
    }),
  }),
});
type AppRouter = typeof router;

const server = createHTTPServer({ router, createContext });
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  state.version = 2;
  state.refreshFails = false;
  state.refreshGate = null;
  state.calls = [];
});

const callsTo = (path: string) => state.calls.filter((call) => call.path === path);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

// ---------------------------------------------------------------------------------------------------
// Header mode: one client whose refresh goes through the same link chain

function headerModeClient() {
  const tokens = createTokenStore();
  tokens.set('tok-1'); // expired: the server is at version 2
  const onRefreshFailed = vi.fn();
  const headers = jwtHeaders({ getAccessToken: tokens.get, getRefreshToken: () => 'refresh-ok' });
  const client = createTRPCClient<AppRouter>({
    links: [
      refreshLink({
        refresh: async (): Promise<void> => tokens.set((await client.auth.refresh.mutate()).accessToken),
        onRefreshFailed,
      }),
      httpLink({ url, transformer: superjson, headers }),
    ],
  });
  return { client, tokens, onRefreshFailed };
}

describe('refreshLink + jwtHeaders over HTTP (header mode)', () => {
  it('50 parallel queries with an expired token: exactly 1 refresh call and 50 successes', async () => {
    const { client, tokens, onRefreshFailed } = headerModeClient();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.whoami.query({ tag: `q${i}` })),
    );

    expect(results).toEqual(Array.from({ length: 50 }, () => ({ version: 3 })));
    expect(callsTo('auth.refresh')).toHaveLength(1);
    expect(callsTo('auth.refresh')[0]!.authorization).toBe('Bearer refresh-ok');
    expect(onRefreshFailed).not.toHaveBeenCalled();
    expect(tokens.get()).toBe('tok-3');
    // Each query was sent twice: once expired, once with the new token.
    const whoami = callsTo('whoami');
    expect(whoami).toHaveLength(100);
    for (let i = 0; i < 50; i++) {
      expect(whoami.filter((call) => call.tag === `q${i}`).map((call) => call.authorization)).toEqual([
        'Bearer tok-1',
        'Bearer tok-3',
      ]);
    }
  });

  it('a failing refresh: exactly 1 onRefreshFailed, 50 TOKEN_EXPIRED errors, and no retry loop', async () => {
    state.refreshFails = true;
    const { client, onRefreshFailed } = headerModeClient();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => client.whoami.query({ tag: `q${i}` })),
    );
    await sleep(50);

    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    expect(getJwtErrorCode(onRefreshFailed.mock.calls[0]![0])).toBe('TOKEN_EXPIRED');
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as TRPCClientError<AppRouter>;
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.message).toBe('Token has expired');
      expect(error.data?.httpStatus).toBe(401);
      expect(error.data?.path).toBe('whoami');
      expect(getJwtErrorCode(error)).toBe('TOKEN_EXPIRED');
    }
    expect(callsTo('auth.refresh')).toHaveLength(1);
    expect(callsTo('whoami')).toHaveLength(50);
    expect(state.calls).toHaveLength(51);
  });

  it('an operation aborted while the refresh runs sends no retry; the others are retried', async () => {
    const gate = deferred();
    state.refreshGate = gate.promise;
    const { client } = headerModeClient();
    const ac = new AbortController();
    const aborted = client.whoami
      .query({ tag: 'aborted' }, { signal: ac.signal })
      .catch((error: unknown) => error);
    const kept = client.whoami.query({ tag: 'kept' });

    await vi.waitFor(() => expect(callsTo('auth.refresh')).toHaveLength(1));
    ac.abort();
    const error = await aborted;
    gate.resolve();

    await expect(kept).resolves.toEqual({ version: 3 });
    await sleep(50);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).cause).toMatchObject({ name: 'AbortError' });
    expect(state.calls.filter((call) => call.tag === 'aborted')).toHaveLength(1);
    expect(state.calls.filter((call) => call.tag === 'kept')).toHaveLength(2);
  });

  it('an operation unsubscribed while the refresh runs sends no retry', async () => {
    const gate = deferred();
    state.refreshGate = gate.promise;
    // The chain is driven by hand (as the client does, minus the promise); refresh uses its own client.
    const tokens = createTokenStore();
    tokens.set('tok-1');
    const refresher = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url,
          transformer: superjson,
          headers: jwtHeaders({ getAccessToken: () => 'refresh-ok' }),
        }),
      ],
    });
    const links: TRPCLink<AppRouter>[] = [
      refreshLink({ refresh: async () => tokens.set((await refresher.auth.refresh.mutate()).accessToken) }),
      httpLink({ url, transformer: superjson, headers: jwtHeaders({ getAccessToken: tokens.get }) }),
    ];
    const opLinks = links.map((link) => link({}));
    type Result$ = Observable<
      OperationResultEnvelope<unknown, TRPCClientError<AppRouter>>,
      TRPCClientError<AppRouter>
    >;
    const run = (index: number, op: Operation): Result$ =>
      opLinks[index]!({ op, next: (nextOp) => run(index + 1, nextOp) });
    const op: Operation = {
      id: 1,
      type: 'query',
      path: 'whoami',
      input: { tag: 'unsubscribed' },
      context: {},
      signal: null,
    };
    const events: string[] = [];
    const subscription = run(0, op).subscribe({
      next: () => events.push('next'),
      error: () => events.push('error'),
      complete: () => events.push('complete'),
    });

    await vi.waitFor(() => expect(callsTo('auth.refresh')).toHaveLength(1));
    subscription.unsubscribe();
    gate.resolve();
    await vi.waitFor(() => expect(tokens.get()).toBe('tok-3'));
    await sleep(50);

    expect(events).toEqual([]);
    expect(state.calls.filter((call) => call.tag === 'unsubscribed')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// Cookie mode: a cookie jar stands in for the browser; getCookie sees only the readable cookies

function cookieJar() {
  const jar = new Map<string, { value: string; httpOnly: boolean }>();
  const fetchWithCookies = async (input: RequestInfo | URL | string, init?: object) => {
    const headers = new Headers((init as RequestInit | undefined)?.headers);
    if (jar.size > 0) {
      headers.set(
        'cookie',
        [...jar].map(([name, { value }]) => `${name}=${encodeURIComponent(value)}`).join('; '),
      );
    }
    const response = await fetch(input, { ...init, headers });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), {
        value: pair.slice(eq + 1).trim(),
        httpOnly: attributes.some((attribute) => attribute.trim().toLowerCase() === 'httponly'),
      });
    }
    return response;
  };
  /** What `document.cookie` would show: no HttpOnly cookie. */
  const readable = (name: string) => {
    const cookie = jar.get(name);
    return cookie && !cookie.httpOnly ? cookie.value : null;
  };
  return { jar, fetch: fetchWithCookies, readable };
}

describe('refreshLink + jwtHeaders over HTTP (cookie mode, CSRF double submit)', () => {
  it('sends X-CSRF-TOKEN on mutations only, and the refresh CSRF cookie on the refresh call', async () => {
    const cookies = cookieJar();
    const onRefreshFailed = vi.fn();
    const client = createTRPCClient<AppRouter>({
      links: [
        refreshLink({ refresh: (): Promise<unknown> => client.auth.refresh.mutate(), onRefreshFailed }),
        httpLink({
          url,
          transformer: superjson,
          fetch: cookies.fetch,
          headers: jwtHeaders({ csrf: { getCookie: cookies.readable } }),
        }),
      ],
    });

    await client.auth.login.mutate();
    expect(cookies.readable('access_token_cookie')).toBeNull(); // HttpOnly
    expect(cookies.readable('csrf_access_token')).toBe('csrf-a-2');

    await expect(client.whoami.query({ tag: 'query-1' })).resolves.toEqual({ version: 2 });
    await expect(client.post.create.mutate({ tag: 'mutation-1' })).resolves.toEqual({
      created: true,
      version: 2,
    });

    // The access token expires: the next query refreshes through the same client, then is retried.
    state.version = 3;
    await expect(client.whoami.query({ tag: 'query-2' })).resolves.toEqual({ version: 4 });
    await expect(client.post.create.mutate({ tag: 'mutation-2' })).resolves.toEqual({
      created: true,
      version: 4,
    });

    expect(onRefreshFailed).not.toHaveBeenCalled();
    expect(
      state.calls.map((call) => [
        call.tag ?? call.path,
        call.type,
        call.csrf ?? null,
        call.authorization ?? null,
      ]),
    ).toEqual([
      ['auth.login', 'mutation', null, null],
      ['query-1', 'query', null, null],
      ['mutation-1', 'mutation', 'csrf-a-2', null],
      ['query-2', 'query', null, null],
      ['auth.refresh', 'mutation', 'csrf-r', null],
      ['query-2', 'query', null, null],
      ['mutation-2', 'mutation', 'csrf-a-4', null],
    ]);
  });

  it('without the CSRF header, the same mutation is refused (the server check is real)', async () => {
    const cookies = cookieJar();
    const client = createTRPCClient<AppRouter>({
      links: [httpLink({ url, transformer: superjson, fetch: cookies.fetch })],
    });
    await client.auth.login.mutate();
    const error = await client.post.create.mutate({ tag: 'no-csrf' }).catch((e: unknown) => e);
    expect(getJwtErrorCode(error)).toBe('CSRF_ERROR');
    expect((error as TRPCClientError<AppRouter>).message).toBe('Missing CSRF token');
  });
});
