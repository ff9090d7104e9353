/**
 * set/unset access, refresh and all cookies through every adapter, with flask's attributes
 * (reference §2.10): HttpOnly JWT cookie, readable CSRF cookie, Path per option, Domain per call or
 * config, Secure, SameSite, session cookie vs Max-Age, and one cookie instead of two without CSRF.
 */
import { initTRPC } from '@trpc/server';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
const encode = (secret: string) => new TextEncoder().encode(secret);
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { SECRET } from '../helpers/jwt-app.js';
import { callTrpc, cookiesByName, type Endpoint, type SetCookie, startAll } from '../helpers/servers.js';

function cookieApp(options: Omit<JwtManagerOptions, 'secretKey'> = {}) {
  const jwt = createJwtManager({ secretKey: SECRET, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const kind = z.enum(['access', 'refresh', 'both']);
  const router = t.router({
    login: t.procedure
      .input(z.object({ kind, maxAge: z.number().optional(), domain: z.string().optional() }))
      .mutation(async ({ ctx, input: { kind, ...opts } }) => {
        const access = await jwt.createAccessToken('alice');
        const refresh = await jwt.createRefreshToken('alice');
        const cookieOpts = {
          ...(opts.maxAge !== undefined && { maxAge: opts.maxAge }),
          ...(opts.domain !== undefined && { domain: opts.domain }),
        };
        if (kind !== 'refresh') await jwt.setAccessCookies(ctx, access, cookieOpts);
        if (kind !== 'access') await jwt.setRefreshCookies(ctx, refresh, cookieOpts);
        return { access, refresh };
      }),
    logout: t.procedure
      .input(z.object({ kind: z.enum(['access', 'refresh', 'all']), domain: z.string().optional() }))
      .mutation(({ ctx, input }) => {
        const opts = input.domain ? { domain: input.domain } : {};
        if (input.kind === 'access') jwt.unsetAccessCookies(ctx, opts);
        else if (input.kind === 'refresh') jwt.unsetRefreshCookies(ctx, opts);
        else jwt.unsetJwtCookies(ctx, opts);
        return 'bye';
      }),
  });
  return { jwt, router };
}

const apps = {
  defaults: cookieApp(),
  full: cookieApp({
    cookieSecure: true,
    cookieDomain: 'example.test',
    cookieSamesite: 'Strict',
    sessionCookie: false,
    accessCookiePath: '/api',
    refreshCookiePath: '/auth/refresh',
    accessCsrfCookiePath: '/app',
    refreshCsrfCookiePath: '/auth',
    accessCookieName: 'a_jwt',
    accessCsrfCookieName: 'a_csrf',
  }),
  noCsrfCookie: cookieApp({ csrfInCookies: false }),
  noCsrf: cookieApp({ cookieCsrfProtect: false }),
};
type AppName = keyof typeof apps;
const served: Partial<Record<AppName, Endpoint[]>> = {};
beforeAll(async () => {
  for (const name of Object.keys(apps) as AppName[]) {
    const { jwt, router } = apps[name];
    served[name] = await startAll(router, (opts) => jwt.createJwtContext(opts));
  }
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const YEAR = 31_540_000;
const attrs = (cookie: SetCookie | undefined) => cookie?.attributes;

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = async (app: AppName, path: 'login' | 'logout', input: object) => {
    const res = await callTrpc<{ access: string; refresh: string }>(served[app]![index]!, path, {
      type: 'mutation',
      input,
    });
    expect(res.status).toBe(200);
    return { ...res, cookies: cookiesByName(res.setCookies) };
  };

  it('defaults: HttpOnly JWT cookie, readable CSRF cookie, Path=/, session cookies', async () => {
    const { cookies, data } = await call('defaults', 'login', { kind: 'both' });
    expect(Object.keys(cookies)).toEqual([
      'access_token_cookie',
      'csrf_access_token',
      'refresh_token_cookie',
      'csrf_refresh_token',
    ]);
    expect(cookies.access_token_cookie?.value).toBe(data?.access);
    expect(cookies.refresh_token_cookie?.value).toBe(data?.refresh);
    expect(cookies.csrf_access_token?.value).toBe(await apps.defaults.jwt.getCsrfToken(data!.access));
    expect(cookies.csrf_refresh_token?.value).toBe(await apps.defaults.jwt.getCsrfToken(data!.refresh));
    expect(attrs(cookies.access_token_cookie)).toEqual({ httponly: true, path: '/' });
    expect(attrs(cookies.csrf_access_token)).toEqual({ path: '/' });
    expect(attrs(cookies.refresh_token_cookie)).toEqual({ httponly: true, path: '/' });
    expect(attrs(cookies.csrf_refresh_token)).toEqual({ path: '/' });
  });

  it('configured: names, paths per cookie, Domain, Secure, SameSite, Max-Age=31540000 + Expires', async () => {
    const before = Date.now();
    const { cookies } = await call('full', 'login', { kind: 'both' });
    const common = { domain: 'example.test', secure: true, samesite: 'Strict', 'max-age': String(YEAR) };
    expect(attrs(cookies.a_jwt)).toMatchObject({ ...common, httponly: true, path: '/api' });
    expect(attrs(cookies.a_csrf)).toMatchObject({ ...common, path: '/app' });
    expect(attrs(cookies.a_csrf)?.httponly).toBeUndefined();
    expect(attrs(cookies.refresh_token_cookie)).toMatchObject({
      ...common,
      httponly: true,
      path: '/auth/refresh',
    });
    expect(attrs(cookies.csrf_refresh_token)).toMatchObject({ ...common, path: '/auth' });
    const expires = Date.parse(String(attrs(cookies.a_jwt)?.expires));
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + YEAR * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + YEAR * 1000);
  });

  it('an explicit maxAge wins; 0 falls back to the config; a per-call domain wins', async () => {
    const explicit = await call('defaults', 'login', { kind: 'access', maxAge: 600, domain: 'call.test' });
    expect(attrs(explicit.cookies.access_token_cookie)).toMatchObject({
      'max-age': '600',
      domain: 'call.test',
    });
    expect(attrs(explicit.cookies.csrf_access_token)).toMatchObject({
      'max-age': '600',
      domain: 'call.test',
    });
    expect(attrs(explicit.cookies.access_token_cookie)?.expires).toEqual(expect.any(String));
    const zero = await call('defaults', 'login', { kind: 'access', maxAge: 0 });
    expect(attrs(zero.cookies.access_token_cookie)).toEqual({ httponly: true, path: '/' });
    const zeroFull = await call('full', 'login', { kind: 'access', maxAge: 0, domain: 'call.test' });
    expect(attrs(zeroFull.cookies.a_jwt)).toMatchObject({ 'max-age': String(YEAR), domain: 'call.test' });
    // flask: `domain or config.cookie_domain`: an empty per-call domain is the configured one.
    const emptyDomain = await call('full', 'login', { kind: 'access', domain: '' });
    expect(attrs(emptyDomain.cookies.a_jwt)).toMatchObject({ domain: 'example.test' });
  });

  it('csrfInCookies: false or cookieCsrfProtect: false set one cookie instead of two', async () => {
    for (const app of ['noCsrfCookie', 'noCsrf'] as const) {
      const { cookies } = await call(app, 'login', { kind: 'both' });
      expect(Object.keys(cookies)).toEqual(['access_token_cookie', 'refresh_token_cookie']);
      const unset = await call(app, 'logout', { kind: 'all' });
      expect(Object.keys(unset.cookies)).toEqual(['access_token_cookie', 'refresh_token_cookie']);
    }
  });

  it('unset: empty value, Expires at the epoch, same attributes', async () => {
    const { cookies } = await call('full', 'logout', { kind: 'all' });
    expect(Object.keys(cookies)).toEqual(['a_jwt', 'a_csrf', 'refresh_token_cookie', 'csrf_refresh_token']);
    for (const cookie of Object.values(cookies)) {
      expect(cookie.value).toBe('');
      expect(cookie.attributes.expires).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
      expect(cookie.attributes).toMatchObject({ domain: 'example.test', secure: true, samesite: 'Strict' });
    }
    expect(attrs(cookies.a_jwt)).toMatchObject({ httponly: true, path: '/api' });
    expect(attrs(cookies.a_csrf)?.httponly).toBeUndefined();
    expect(attrs(cookies.csrf_refresh_token)?.path).toBe('/auth');
  });

  it('unsetAccessCookies / unsetRefreshCookies clear only their pair; domain per call', async () => {
    const access = await call('defaults', 'logout', { kind: 'access', domain: 'call.test' });
    expect(Object.keys(access.cookies)).toEqual(['access_token_cookie', 'csrf_access_token']);
    expect(attrs(access.cookies.access_token_cookie)).toMatchObject({ domain: 'call.test', httponly: true });
    const refresh = await call('defaults', 'logout', { kind: 'refresh' });
    expect(Object.keys(refresh.cookies)).toEqual(['refresh_token_cookie', 'csrf_refresh_token']);
    expect(attrs(refresh.cookies.refresh_token_cookie)?.domain).toBeUndefined();
  });
});

describe('setting cookies for an invalid token', () => {
  it('rejects with the decode error: the CSRF value comes from the verified token', async () => {
    const { jwt } = apps.defaults;
    const written: string[] = [];
    const ctx = jwt.createJwtContext({ headers: {}, setCookie: (c) => written.push(c) });
    await expect(jwt.setAccessCookies(ctx, 'garbage')).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(written).toEqual([]);
  });

  it('sets the cookies of a token that expired since it was created; a bad signature still rejects', async () => {
    const { jwt } = apps.defaults;
    const past = Math.floor(Date.now() / 1000) - 5;
    const claims = { fresh: false, iat: past - 1, jti: 'j', type: 'access', sub: 'alice', csrf: 'c-1' };
    const sign = (secret: string) =>
      new SignJWT({ ...claims, exp: past })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(encode(secret));
    const expired = await sign(SECRET);
    await expect(jwt.decodeToken(expired)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });

    const written: string[] = [];
    const ctx = jwt.createJwtContext({ headers: {}, setCookie: (c) => written.push(c) });
    await jwt.setAccessCookies(ctx, expired);
    expect(written.map((cookie) => cookie.split(';')[0])).toEqual([
      `access_token_cookie=${expired}`,
      'csrf_access_token=c-1',
    ]);
    // getCsrfToken itself stays a verified read, as in flask.
    await expect(jwt.getCsrfToken(expired)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });

    const forged = await sign(`${SECRET}-other`);
    await expect(jwt.setAccessCookies(ctx, forged)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(written).toHaveLength(2);
  });
});
