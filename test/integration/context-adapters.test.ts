/**
 * createJwtContext through every adapter: fetch `{ req, resHeaders }`, node `{ req, res }`
 * (standalone and Express) and plain `{ headers, method, url }` with createCaller. It captures the
 * request, never throws for a bad token, and APPENDS Set-Cookie headers.
 */
import { initTRPC } from '@trpc/server';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import {
  callTrpc,
  cookiesByName,
  type Endpoint,
  fetchHandler,
  startExpress,
  startStandalone,
} from '../helpers/servers.js';

const jwt = createJwtManager({ secretKey: 'context-adapters-secret-0123456789abcdef' });
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure } = jwt.procedures(t.procedure);

const router = t.router({
  request: t.procedure.query(({ ctx }) => ({
    method: ctx.jwt.method ?? null,
    q: ctx.jwt.url?.searchParams.get('q') ?? null,
    header: ctx.jwt.header('X-Custom') ?? null,
    cookie: ctx.jwt.cookie('b') ?? null,
  })),
  whoami: protectedProcedure.query(({ ctx }) => ctx.token.identity),
  login: t.procedure.mutation(async ({ ctx }) => {
    await jwt.setAccessCookies(ctx, await jwt.createAccessToken('alice'));
    return 'ok';
  }),
});

// Each adapter's own createContext, typed with the adapter's options: the app sets a cookie first.
const APP_COOKIE = 'app_cookie=1; Path=/';
const standaloneContext = (opts: CreateHTTPContextOptions) => {
  opts.res.setHeader('Set-Cookie', APP_COOKIE);
  return jwt.createJwtContext(opts);
};
const expressContext = (opts: CreateExpressContextOptions) => {
  opts.res.append('Set-Cookie', APP_COOKIE);
  return jwt.createJwtContext(opts);
};
const fetchContext = (opts: FetchCreateContextFnOptions) => {
  opts.resHeaders.append('Set-Cookie', APP_COOKIE);
  return jwt.createJwtContext(opts);
};

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = [
    await startStandalone(router, standaloneContext),
    await startExpress(router, expressContext, {
      before: (_req, res, next) => {
        res.cookie('express_cookie', 'x');
        next();
      },
    }),
    fetchHandler(router, fetchContext),
  ];
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

describe.each(['standalone', 'express', 'fetch'] as const)('%s adapter', (name) => {
  const endpoint = () => endpoints.find((e) => e.name === name)!;

  it('captures method, URL, headers (case-insensitive) and cookies', async () => {
    const res = await callTrpc(endpoint(), 'request', {
      query: { q: 'one' },
      headers: { 'x-custom': 'yes', cookie: 'a=1; b=two%20words' },
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ method: 'GET', q: 'one', header: 'yes', cookie: 'two words' });
  });

  it('never throws in createContext for a bad token: public procedures still answer', async () => {
    const headers = { authorization: 'Bearer garbage', cookie: 'access_token_cookie=%%%' };
    const open = await callTrpc(endpoint(), 'request', { headers });
    expect(open.status).toBe(200);
    const closed = await callTrpc(endpoint(), 'whoami', { headers });
    expect(closed.status).toBe(422);
    expect(closed.error?.data.jwt).toEqual({ code: 'INVALID_TOKEN' });
    expect(closed.error?.message).toBe('Not enough segments');
  });

  it('appends its cookies after the app’s own: access and CSRF cookies are both present', async () => {
    const res = await callTrpc(endpoint(), 'login', { type: 'mutation' });
    expect(res.status).toBe(200);
    const cookies = cookiesByName(res.setCookies);
    const expected = ['app_cookie', 'access_token_cookie', 'csrf_access_token'];
    if (name === 'express') expected.unshift('express_cookie');
    expect(Object.keys(cookies)).toEqual(expected);
    expect(cookies.app_cookie?.value).toBe('1');
    expect(cookies.access_token_cookie?.attributes.httponly).toBe(true);
    expect(cookies.csrf_access_token?.attributes.httponly).toBeUndefined();
  });

  it('a streamed batch (httpBatchStreamLink) cannot set cookies: a clear error, not a silent loss', async () => {
    const res = await endpoint().send(`${endpoint().url}/login?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'trpc-accept': 'application/jsonl' },
      body: '{}',
    });
    const text = await res.text();
    expect(text).toContain(
      'cannot set cookie \\"access_token_cookie\\": the response is streamed (httpBatchStreamLink)',
    );
    expect(res.headers.getSetCookie().filter((c) => c.startsWith('access_token_cookie'))).toEqual([]);
  });

  it('the access cookie it sets holds a valid token for the identity', async () => {
    const login = await callTrpc(endpoint(), 'login', { type: 'mutation' });
    const token = cookiesByName(login.setCookies).access_token_cookie?.value;
    const jwtCookies = createJwtManager({
      secretKey: 'context-adapters-secret-0123456789abcdef',
      tokenLocation: ['cookies'],
    });
    const payload = await jwtCookies.decodeToken(token!);
    expect(payload.sub).toBe('alice');
  });
});

describe('plain { headers, method, url } with createCaller', () => {
  it('captures a Headers object, tuples, or a record with repeated values', async () => {
    const cases = [
      new Headers({ 'X-Custom': 'h', cookie: 'b=1' }),
      [
        ['X-Custom', 'h'],
        ['Cookie', 'b=1'],
      ] as [string, string][],
      { 'X-CUSTOM': 'h', cookie: ['b=1', 'b=2'] },
    ];
    for (const headers of cases) {
      const caller = router.createCaller(
        jwt.createJwtContext({ headers, method: 'post', url: '/trpc/request?q=z' }),
      );
      expect(await caller.request()).toEqual({ method: 'POST', q: 'z', header: 'h', cookie: '1' });
    }
  });

  it('verifies a header token without any method or URL', async () => {
    const token = await jwt.createAccessToken('bob');
    const caller = router.createCaller(
      jwt.createJwtContext({ headers: { Authorization: `Bearer ${token}` } }),
    );
    expect(await caller.whoami()).toBe('bob');
  });

  it('hands cookies to setCookie when given', async () => {
    const set: string[] = [];
    const caller = router.createCaller(jwt.createJwtContext({ headers: {}, setCookie: (c) => set.push(c) }));
    await caller.login();
    expect(Object.keys(cookiesByName(set))).toEqual(['access_token_cookie', 'csrf_access_token']);
  });

  it('setting a cookie with no response throws a clear error', async () => {
    const caller = router.createCaller(jwt.createJwtContext({ headers: {} }));
    await expect(caller.login()).rejects.toThrow(
      'trpc-jwt-extended: cannot set cookie "access_token_cookie": there is no response here (server-side caller): pass `setCookie` to createJwtContext',
    );
  });
});

describe('adapter options without a response', () => {
  const token = () => jwt.createAccessToken('carol');

  it('fetch options without resHeaders', async () => {
    const ctx = jwt.createJwtContext({ req: new Request('http://localhost/x') });
    await expect(jwt.setAccessCookies(ctx, await token())).rejects.toThrow(
      'cannot set cookie "access_token_cookie": no resHeaders were passed to createJwtContext',
    );
  });

  it('node options without res, and with a res that is not an HTTP response (ws)', async () => {
    const noRes = jwt.createJwtContext({ req: { headers: {} } });
    await expect(jwt.setAccessCookies(noRes, await token())).rejects.toThrow(
      'no response object was passed to createJwtContext',
    );
    const ws = jwt.createJwtContext({ req: { headers: {} }, res: { send() {} } });
    expect(() => jwt.unsetAccessCookies(ws)).toThrow('this transport has no HTTP response');
  });

  it('a context built without createJwtContext is a clear error, not a 401', async () => {
    const bare = initTRPC.context<object>().create();
    const p = jwt.procedures(bare.procedure as never) as { protectedProcedure: typeof protectedProcedure };
    const r = bare.router({ x: p.protectedProcedure.query(() => 1) });
    await expect(r.createCaller({}).x()).rejects.toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: expect.stringContaining('ctx.jwt is missing'),
    });
  });
});
