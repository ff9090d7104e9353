/**
 * Several locations (reference §3.7): tried in order, only a missing token falls through, any other
 * error aborts the search, and flask's combined message when nothing is found.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestApp, expectIdentity, expectJwtError, serveAll } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, cookieHeader, type Endpoint } from '../helpers/servers.js';

const apps = {
  headersFirst: createTestApp({ tokenLocation: ['headers', 'cookies'] }),
  cookiesFirst: createTestApp({ tokenLocation: ['cookies', 'headers'] }),
  three: createTestApp({ tokenLocation: ['headers', 'cookies', 'query_string'] }),
  four: createTestApp({ tokenLocation: ['headers', 'cookies', 'query_string', 'json'] }),
  cookiesQuery: createTestApp({ tokenLocation: ['cookies', 'query_string'] }),
  queryJson: createTestApp({ tokenLocation: ['query_string', 'json'], queryStringValuePrefix: 'Bearer ' }),
};
type AppName = keyof typeof apps;

const served: Partial<Record<AppName, Endpoint[]>> = {};
beforeAll(async () => {
  for (const name of Object.keys(apps) as AppName[]) served[name] = await serveAll(apps[name]);
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const jwt = apps.headersFirst.jwt;

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (app: AppName, path: string, opts: CallOptions = {}) =>
    callTrpc(served[app]![index]!, path, opts);
  let token = '';
  let cookie = '';
  beforeAll(async () => {
    token = await jwt.createAccessToken('alice');
    cookie = cookieHeader({ access_token_cookie: await jwt.createAccessToken('cookie-user') });
  });

  it('garbage header + valid cookie: 422 with [headers, cookies], 200 with [cookies, headers]', async () => {
    const headers = { Authorization: 'Bearer x.y.z', cookie };
    expectJwtError(
      await call('headersFirst', 'me', { headers }),
      422,
      'INVALID_TOKEN',
      'Invalid header padding',
    );
    expectIdentity(await call('cookiesFirst', 'me', { headers }), 'cookie-user', 'cookies');
  });

  it('the first location holding a token wins', async () => {
    const headers = { Authorization: `Bearer ${token}`, cookie };
    expectIdentity(await call('headersFirst', 'me', { headers }), 'alice', 'headers');
    expectIdentity(await call('cookiesFirst', 'me', { headers }), 'cookie-user', 'cookies');
  });

  it('a missing token falls through, including a missing Bearer type', async () => {
    expectIdentity(await call('headersFirst', 'me', { headers: { cookie } }), 'cookie-user', 'cookies');
    const basic = { Authorization: 'Basic dXNlcjpwYXNz', cookie };
    expectIdentity(await call('headersFirst', 'me', { headers: basic }), 'cookie-user', 'cookies');
  });

  it('a bad header format, an expired token or a wrong type do not fall through', async () => {
    const badHeader = { Authorization: 'Bearer ,,0', cookie };
    expectJwtError(
      await call('headersFirst', 'me', { headers: badHeader }),
      422,
      'INVALID_HEADER',
      "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
    );
    const past = createTestApp({ clock: () => Date.now() - 3_600_000 }).jwt;
    const expired = { Authorization: `Bearer ${await past.createAccessToken('old')}`, cookie };
    expectJwtError(
      await call('headersFirst', 'me', { headers: expired }),
      401,
      'TOKEN_EXPIRED',
      'Token has expired',
    );
    const refresh = { Authorization: `Bearer ${await jwt.createRefreshToken('r')}`, cookie };
    const wrongType = await call('headersFirst', 'me', { headers: refresh });
    expectJwtError(wrongType, 422, 'WRONG_TOKEN_TYPE', 'Only non-refresh tokens are allowed');
  });

  it('a missing CSRF value with a cookie does not fall through to the query string', async () => {
    const res = await call('cookiesQuery', 'meWrite', {
      type: 'mutation',
      headers: { cookie },
      query: { jwt: token },
    });
    expectJwtError(res, 401, 'CSRF_ERROR', 'Missing CSRF token');
    const noCookie = await call('cookiesQuery', 'meWrite', { type: 'mutation', query: { jwt: token } });
    expectIdentity(noCookie, 'alice', 'query_string');
  });

  it('a bad query prefix does not fall through to json; a missing one does', async () => {
    const input = { access_token: token };
    expectJwtError(
      await call('queryJson', 'me', { input, query: { jwt: token } }),
      422,
      'INVALID_QUERY_PARAM',
      "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
    );
    expectIdentity(await call('queryJson', 'meWrite', { type: 'mutation', input }), 'alice', 'json');
  });

  it('nothing anywhere: the combined message, in the configured order', async () => {
    expectJwtError(
      await call('cookiesFirst', 'me'),
      401,
      'NO_AUTHORIZATION',
      'Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)',
    );
    expectJwtError(
      await call('three', 'me'),
      401,
      'NO_AUTHORIZATION',
      'Missing JWT in headers, cookies or query_string (Missing Authorization Header; Missing cookie "access_token_cookie"; Missing \'jwt\' query paramater)',
    );
    expectJwtError(
      await call('four', 'refresh', { type: 'mutation', headers: { Authorization: 'Basic x' } }),
      401,
      'NO_AUTHORIZATION',
      "Missing JWT in headers, cookies, query_string or json (Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'; Missing cookie \"refresh_token_cookie\"; Missing 'jwt' query paramater; Missing \"refresh_token\" key in json data.)",
    );
  });
});
