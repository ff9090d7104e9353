/**
 * Implicit (sliding) refresh of cookie sessions over real HTTP, with an injected clock: a cookie access
 * token expiring within `implicitRefresh.window` gets a new access cookie (and CSRF cookie) after a
 * successful procedure; never outside the window, after a logout in the same request, for header
 * tokens, failed procedures, expired or invalid tokens, or streamed responses.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { parts } from '../helpers/keys.js';
import {
  type CallOptions,
  callTrpc,
  cookieHeader,
  cookiesByName,
  type Endpoint,
  startAll,
} from '../helpers/servers.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
let now = T0;
const minutes = (m: number) => T0 + m * 60_000;

const jwt = createJwtManager({
  secretKey: 'implicit-refresh-secret-0123456789abcdef',
  tokenLocation: ['cookies', 'headers'],
  accessTokenExpires: '15m',
  implicitRefresh: { window: '5m' },
  clock: () => now,
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
const router = t.router({
  me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
  logout: protectedProcedure.mutation(({ ctx }) => {
    jwt.unsetJwtCookies(ctx);
    return 'bye';
  }),
  fails: protectedProcedure.query(() => {
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'no' });
  }),
  refreshMe: refreshProcedure.query(({ ctx }) => ctx.token.identity),
});

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

/** A login at T0: the access token and its CSRF value, as the browser holds them. */
async function login() {
  now = T0;
  const token = await jwt.createAccessToken('alice', { fresh: true });
  return { token, csrf: await jwt.getCsrfToken(token) };
}

const withCookie = (token: string, extra: Record<string, string> = {}): CallOptions => ({
  headers: { cookie: cookieHeader({ access_token_cookie: token, ...extra }) },
});

describe.each(['standalone', 'express', 'fetch'] as const)('%s', (name) => {
  const endpoint = () => endpoints.find((e) => e.name === name)!;

  it('inside the window: a new access cookie and CSRF cookie after a successful query', async () => {
    const { token } = await login();
    now = minutes(11); // 4 minutes left
    const res = await callTrpc(endpoint(), 'me', withCookie(token));
    expect({ status: res.status, data: res.data }).toEqual({ status: 200, data: 'alice' });
    const cookies = cookiesByName(res.setCookies);
    expect(Object.keys(cookies).sort()).toEqual(['access_token_cookie', 'csrf_access_token']);
    const access = cookies.access_token_cookie!;
    expect(access.attributes).toMatchObject({ httponly: true, path: '/' });
    expect(cookies.csrf_access_token!.attributes.httponly).toBeUndefined();

    const renewed = await jwt.decodeToken(access.value);
    const old = parts(token).payload;
    expect(renewed).toMatchObject({ sub: 'alice', type: 'access', fresh: false });
    expect(renewed.exp).toBe(Math.floor(minutes(11) / 1000) + 15 * 60);
    expect(renewed.jti).not.toBe(old.jti);
    expect(renewed.csrf).toBe(cookies.csrf_access_token!.value);
    // The new cookie works on its own, and outside the window again it is left alone.
    const next = await callTrpc(endpoint(), 'me', withCookie(access.value));
    expect({ status: next.status, setCookies: next.setCookies }).toEqual({ status: 200, setCookies: [] });
  });

  it('outside the window: no cookie', async () => {
    const { token } = await login();
    now = minutes(9); // 6 minutes left
    const res = await callTrpc(endpoint(), 'me', withCookie(token));
    expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 200, setCookies: [] });
  });

  it('a logout in the same request: only the unset cookies', async () => {
    const { token, csrf } = await login();
    now = minutes(12);
    const res = await callTrpc(endpoint(), 'logout', {
      type: 'mutation',
      headers: { ...withCookie(token).headers, 'X-CSRF-TOKEN': csrf },
    });
    expect({ status: res.status, data: res.data }).toEqual({ status: 200, data: 'bye' });
    const cookies = cookiesByName(res.setCookies);
    expect(Object.keys(cookies).sort()).toEqual([
      'access_token_cookie',
      'csrf_access_token',
      'csrf_refresh_token',
      'refresh_token_cookie',
    ]);
    for (const cookie of Object.values(cookies)) {
      expect({ value: cookie.value, maxAge: cookie.attributes['max-age'] }).toEqual({
        value: '',
        maxAge: '0',
      });
    }
  });

  it('a token from the Authorization header: no cookie', async () => {
    const { token } = await login();
    now = minutes(12);
    const res = await callTrpc(endpoint(), 'me', { headers: { authorization: `Bearer ${token}` } });
    expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 200, setCookies: [] });
  });

  it('a failed procedure: no cookie', async () => {
    const { token } = await login();
    now = minutes(12);
    const res = await callTrpc(endpoint(), 'fails', withCookie(token));
    expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 400, setCookies: [] });
  });

  it('an expired or invalid token: the error, and no cookie', async () => {
    const { token } = await login();
    now = minutes(16);
    const expired = await callTrpc(endpoint(), 'me', withCookie(token));
    expect({ status: expired.status, jwt: expired.error?.data.jwt, setCookies: expired.setCookies }).toEqual({
      status: 401,
      jwt: { code: 'TOKEN_EXPIRED' },
      setCookies: [],
    });
    now = minutes(12);
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const invalid = await callTrpc(endpoint(), 'me', withCookie(tampered));
    expect({ status: invalid.status, setCookies: invalid.setCookies }).toEqual({
      status: 422,
      setCookies: [],
    });
  });

  it('a refresh token in its cookie: no new access cookie', async () => {
    now = T0;
    const refresh = await jwt.createRefreshToken('alice', { expiresDelta: '15m' });
    now = minutes(12);
    const res = await callTrpc(endpoint(), 'refreshMe', {
      headers: { cookie: cookieHeader({ refresh_token_cookie: refresh }) },
    });
    expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 200, setCookies: [] });
  });

  it('a streamed response (httpBatchStreamLink): no cookie, since headers are sent first', async () => {
    const { token } = await login();
    now = minutes(12);
    const url = `${endpoint().url}/me?batch=1&input=${encodeURIComponent('{}')}`;
    const res = await endpoint().send(url, {
      headers: { ...withCookie(token).headers, 'trpc-accept': 'application/jsonl' },
    });
    const body = await res.text();
    // jsonl: chunked, one line per chunk; the procedure's value arrives in a later chunk.
    expect({ status: res.status, encoding: res.headers.get('transfer-encoding') }).toEqual({
      status: 200,
      encoding: 'chunked',
    });
    expect(body.trim().split('\n').length).toBeGreaterThan(1);
    expect(body).toContain('"alice"');
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});
