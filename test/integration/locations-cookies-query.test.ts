/** The `cookies` and `query_string` locations through every adapter (reference §3.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectIdentity, expectJwtError, serveAll } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, cookieHeader, type Endpoint } from '../helpers/servers.js';

const apps = {
  cookies: createTestApp({ tokenLocation: ['cookies'] }),
  namedCookies: createTestApp({
    tokenLocation: 'cookies',
    accessCookieName: 'my_access',
    refreshCookieName: 'my_refresh',
  }),
  query: createTestApp({ tokenLocation: ['query_string'] }),
  prefixed: createTestApp({
    tokenLocation: ['query_string'],
    queryStringValuePrefix: 'Bearer ',
    queryStringName: 'token',
  }),
};
type AppName = keyof typeof apps;

const served: Partial<Record<AppName, Endpoint[]>> = {};
beforeAll(async () => {
  for (const name of Object.keys(apps) as AppName[]) served[name] = await serveAll(apps[name]);
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const access = (id = 'alice') => apps.cookies.jwt.createAccessToken(id);
const refresh = (id = 'alice') => apps.cookies.jwt.createRefreshToken(id);

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (app: AppName, path: string, opts: CallOptions = {}) =>
    callTrpc(served[app]![index]!, path, opts);
  const withCookies = (cookies: Record<string, string>): CallOptions => ({
    headers: { cookie: cookieHeader(cookies) },
  });

  describe('cookies', () => {
    it('reads the access cookie among others', async () => {
      const res = await call(
        'cookies',
        'me',
        withCookies({ other: 'x', access_token_cookie: await access() }),
      );
      expectIdentity(res, 'alice', 'cookies');
    });

    it('401 Missing cookie "access_token_cookie" when absent or empty', async () => {
      for (const opts of [
        {},
        withCookies({ access_token_cookie: '' }),
        withCookies({ csrf_access_token: 'x' }),
      ]) {
        expectJwtError(
          await call('cookies', 'me', opts),
          401,
          'NO_AUTHORIZATION',
          'Missing cookie "access_token_cookie"',
        );
      }
    });

    it('refresh procedures read the refresh cookie', async () => {
      const both = withCookies({
        access_token_cookie: await access(),
        refresh_token_cookie: await refresh('bob'),
      });
      expectIdentity(await call('cookies', 'refreshQuery', both), 'bob', 'cookies');
      const accessOnly = withCookies({ access_token_cookie: await access() });
      const res = await call('cookies', 'refreshQuery', accessOnly);
      expectJwtError(res, 401, 'NO_AUTHORIZATION', 'Missing cookie "refresh_token_cookie"');
    });

    it('a refresh token in the access cookie is the wrong type (422)', async () => {
      const res = await call('cookies', 'me', withCookies({ access_token_cookie: await refresh() }));
      expectJwtError(res, 422, 'WRONG_TOKEN_TYPE', 'Only non-refresh tokens are allowed');
    });

    it('custom cookie names', async () => {
      expectIdentity(
        await call('namedCookies', 'me', withCookies({ my_access: await access() })),
        'alice',
        'cookies',
      );
      const res = await call(
        'namedCookies',
        'refreshQuery',
        withCookies({ refresh_token_cookie: await refresh() }),
      );
      expectJwtError(res, 401, 'NO_AUTHORIZATION', 'Missing cookie "my_refresh"');
    });
  });

  describe('query_string', () => {
    it('reads ?jwt= on queries and mutations alike', async () => {
      const token = await access();
      expectIdentity(await call('query', 'me', { query: { jwt: token } }), 'alice', 'query_string');
      expectIdentity(
        await call('query', 'meWrite', { type: 'mutation', query: { jwt: token } }),
        'alice',
        'query_string',
      );
    });

    it("401 Missing 'jwt' query paramater (sic) when absent or empty", async () => {
      for (const query of [{}, { jwt: '' }, { other: 'x' }]) {
        expectJwtError(
          await call('query', 'me', { query }),
          401,
          'NO_AUTHORIZATION',
          "Missing 'jwt' query paramater",
        );
      }
    });

    it('a repeated parameter: the first value counts', async () => {
      const token = await access();
      expectIdentity(
        await call('query', 'me', { query: { jwt: [token, 'garbage'] } }),
        'alice',
        'query_string',
      );
      const res = await call('query', 'me', { query: { jwt: ['garbage', token] } });
      expectJwtError(res, 422, 'INVALID_TOKEN', 'Not enough segments');
    });

    it('a prefix is required and stripped', async () => {
      const token = await access();
      expectIdentity(
        await call('prefixed', 'me', { query: { token: `Bearer ${token}` } }),
        'alice',
        'query_string',
      );
      for (const value of [token, `bearer ${token}`]) {
        expectJwtError(
          await call('prefixed', 'me', { query: { token: value } }),
          422,
          'INVALID_QUERY_PARAM',
          "Invalid value for query parameter 'token'. Expected the value to start with 'Bearer '",
        );
      }
      const missing = await call('prefixed', 'me', { query: { jwt: token } });
      expectJwtError(missing, 401, 'NO_AUTHORIZATION', "Missing 'token' query paramater");
    });
  });
});

describe('query_string with createCaller: the url option', () => {
  it('reads the token from a relative or absolute URL', async () => {
    const { jwt, router } = apps.query;
    const token = await access('carol');
    for (const url of [`/trpc/me?jwt=${token}`, new URL(`https://app.example/trpc/me?jwt=${token}`)]) {
      const caller = router.createCaller(jwt.createJwtContext({ headers: {}, url }));
      expect(await caller.me()).toEqual({ identity: 'carol', location: 'query_string' });
    }
    const none = router.createCaller(jwt.createJwtContext({ headers: {} }));
    await expect(none.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: "Missing 'jwt' query paramater",
    });
  });
});
