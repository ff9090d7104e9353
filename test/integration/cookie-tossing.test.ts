/**
 * Cookie tossing (issue #13, item 9) through every adapter: a request carrying two different
 * values for the JWT cookie or its CSRF cookie is refused (422 INVALID_HEADER), never resolved by
 * "first one wins"; and `cookieHostPrefix` writes and reads `__Host-` cookies.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { createTestApp, expectIdentity, expectJwtError, SECRET, serveAll } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, cookiesByName, type Endpoint, startAll } from '../helpers/servers.js';

/** A login that sets both cookie pairs, and `me` reading cookies. */
function hostApp(options: Omit<JwtManagerOptions, 'secretKey'>) {
  const jwt = createJwtManager({ secretKey: SECRET, tokenLocation: ['cookies'], ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    login: t.procedure.mutation(async ({ ctx }) => {
      await jwt.setAccessCookies(ctx, await jwt.createAccessToken('alice'));
      await jwt.setRefreshCookies(ctx, await jwt.createRefreshToken('alice'));
      return 'ok';
    }),
    me: protectedProcedure.query(({ ctx }) => ({
      identity: ctx.token.identity,
      location: ctx.token.location,
    })),
  });
  return { jwt, router };
}

const apps = {
  cookies: createTestApp({ tokenLocation: ['cookies'] }),
  cookiesThenHeaders: createTestApp({ tokenLocation: ['cookies', 'headers'] }),
};
const host = hostApp({ cookieHostPrefix: true, cookieSecure: true, cookieSamesite: 'Lax' });
const served: Partial<Record<keyof typeof apps | 'host', Endpoint[]>> = {};
beforeAll(async () => {
  served.cookies = await serveAll(apps.cookies);
  served.cookiesThenHeaders = await serveAll(apps.cookiesThenHeaders);
  served.host = await startAll(host.router, (opts) => host.jwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const jwt = apps.cookies.jwt;
const cookie = (header: string): CallOptions => ({ headers: { cookie: header } });

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (app: keyof typeof served, path: string, opts: CallOptions = {}) =>
    callTrpc(served[app]![index]!, path, opts);

  describe('two values for one cookie name', () => {
    it('two different access cookies: 422 Duplicate cookie, and neither value is echoed', async () => {
      const mine = await jwt.createAccessToken('alice');
      const tossed = await jwt.createAccessToken('mallory');
      for (const header of [
        `access_token_cookie=${tossed}; access_token_cookie=${mine}`,
        `access_token_cookie=${mine}; other=1; access_token_cookie=${tossed}`,
      ]) {
        const res = await call('cookies', 'me', cookie(header));
        expectJwtError(res, 422, 'INVALID_HEADER', 'Duplicate cookie "access_token_cookie"');
        const body = JSON.stringify(res.body);
        for (const token of [mine, tossed]) expect(body).not.toContain(token.split('.')[1]!);
      }
    });

    it('an empty value tossed ahead of the real one is refused too (no fall-through to "missing")', async () => {
      const mine = await jwt.createAccessToken('alice');
      const res = await call('cookies', 'me', cookie(`access_token_cookie=; access_token_cookie=${mine}`));
      expectJwtError(res, 422, 'INVALID_HEADER', 'Duplicate cookie "access_token_cookie"');
    });

    it('is not treated as "no token": optional procedures and a later location do not answer', async () => {
      const mine = await jwt.createAccessToken('alice');
      const tossed = `access_token_cookie=x; access_token_cookie=${mine}`;
      const optional = await call('cookies', 'optional', cookie(tossed));
      expectJwtError(optional, 422, 'INVALID_HEADER', 'Duplicate cookie "access_token_cookie"');
      const res = await call('cookiesThenHeaders', 'me', {
        headers: { cookie: tossed, authorization: `Bearer ${mine}` },
      });
      expectJwtError(res, 422, 'INVALID_HEADER', 'Duplicate cookie "access_token_cookie"');
    });

    it('two different CSRF cookies: 422 Duplicate cookie "csrf_access_token"', async () => {
      const mine = await jwt.createAccessToken('alice');
      const csrf = await jwt.getCsrfToken(mine);
      const header = `access_token_cookie=${mine}; csrf_access_token=evil; csrf_access_token=${csrf}`;
      for (const opts of [
        cookie(header),
        { type: 'mutation', headers: { cookie: header, 'X-CSRF-TOKEN': csrf } } as const,
      ]) {
        const res = await call('cookies', opts.type === 'mutation' ? 'meWrite' : 'me', opts);
        expectJwtError(res, 422, 'INVALID_HEADER', 'Duplicate cookie "csrf_access_token"');
      }
    });

    it('refresh procedures check the refresh pair', async () => {
      const refresh = await jwt.createRefreshToken('alice');
      const res = await call(
        'cookies',
        'refreshQuery',
        cookie(`refresh_token_cookie=${refresh}; refresh_token_cookie=old`),
      );
      expectJwtError(res, 422, 'INVALID_HEADER', 'Duplicate cookie "refresh_token_cookie"');
    });

    it('control: the same value twice is accepted', async () => {
      const mine = await jwt.createAccessToken('alice');
      const csrf = await jwt.getCsrfToken(mine);
      const header = `access_token_cookie=${mine}; csrf_access_token=${csrf}; access_token_cookie=${mine}; csrf_access_token=${csrf}`;
      expectIdentity(await call('cookies', 'me', cookie(header)), 'alice', 'cookies');
      const write = await call('cookies', 'meWrite', {
        type: 'mutation',
        headers: { cookie: header, 'X-CSRF-TOKEN': csrf },
      });
      expectIdentity(write, 'alice', 'cookies');
    });
  });

  describe('cookieHostPrefix', () => {
    it('writes __Host- cookies: Secure, Path=/, no Domain', async () => {
      const res = await call('host', 'login', { type: 'mutation' });
      expect(res.status).toBe(200);
      const set = cookiesByName(res.setCookies);
      expect(Object.keys(set).sort()).toEqual([
        '__Host-access_token_cookie',
        '__Host-csrf_access_token',
        '__Host-csrf_refresh_token',
        '__Host-refresh_token_cookie',
      ]);
      for (const c of Object.values(set)) {
        expect(c.attributes).toMatchObject({ secure: true, path: '/' });
        expect(c.attributes.domain).toBeUndefined();
      }
    });

    it('reads the __Host- cookie, and only it', async () => {
      const token = await host.jwt.createAccessToken('alice');
      expectIdentity(
        await call('host', 'me', cookie(`__Host-access_token_cookie=${token}`)),
        'alice',
        'cookies',
      );
      const plain = await call('host', 'me', cookie(`access_token_cookie=${token}`));
      expectJwtError(plain, 401, 'NO_AUTHORIZATION', 'Missing cookie "__Host-access_token_cookie"');
    });
  });
});
