/**
 * CSRF double submit for cookie tokens (reference §3.5, API.md §9): on csrfMethods and on every
 * mutation whatever the transport; the CSRF cookie alone is never accepted; header tokens are never
 * checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateJwtContextOptions } from '../../src/index.js';
import { createTestApp, expectIdentity, expectJwtError, serveAll } from '../helpers/jwt-app.js';
import {
  type CallOptions,
  callTrpc,
  cookieHeader,
  type Endpoint,
  fetchHandler,
  startStandalone,
} from '../helpers/servers.js';

const apps = {
  main: createTestApp({ tokenLocation: ['cookies', 'headers'] }),
  refreshHeader: createTestApp({ tokenLocation: 'cookies', refreshCsrfHeaderName: 'X-CSRF-REFRESH' }),
  form: createTestApp({ tokenLocation: 'cookies', csrfCheckForm: true, refreshCsrfFieldName: 'csrf_r' }),
  off: createTestApp({ tokenLocation: 'cookies', cookieCsrfProtect: false }),
};
type AppName = keyof typeof apps;
const { jwt } = apps.main;

const served: Partial<Record<AppName, Endpoint[]>> = {};
let overrideEndpoints: Endpoint[] = [];
beforeAll(async () => {
  for (const name of Object.keys(apps) as AppName[]) served[name] = await serveAll(apps[name]);
  const createContext = (opts: CreateJwtContextOptions) => jwt.createJwtContext(opts);
  overrideEndpoints = [
    await startStandalone(apps.main.router, createContext, { allowMethodOverride: true }),
    fetchHandler(apps.main.router, createContext, { allowMethodOverride: true }),
  ];
});
afterAll(async () => {
  const all = [...Object.values(served).flat(), ...overrideEndpoints];
  await Promise.all(all.map((e) => e.close()));
});

const MISSING = 'Missing CSRF token';
const MISMATCH = 'CSRF double submit tokens do not match';

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (app: AppName, path: string, opts: CallOptions = {}) =>
    callTrpc(served[app]![index]!, path, opts);
  let access = '';
  let refresh = '';
  let csrf = '';
  let refreshCsrf = '';
  const cookies = (extra: Record<string, string> = {}) =>
    cookieHeader({ access_token_cookie: access, refresh_token_cookie: refresh, ...extra });
  beforeAll(async () => {
    access = await jwt.createAccessToken('alice');
    refresh = await jwt.createRefreshToken('alice');
    csrf = await jwt.getCsrfToken(access);
    refreshCsrf = await jwt.getCsrfToken(refresh);
  });
  const write = (app: AppName, headers: Record<string, string>, path = 'meWrite') =>
    call(app, path, { type: 'mutation', headers: { cookie: cookies(), ...headers } });

  it('a mutation with the cookie and the matching X-CSRF-TOKEN header passes', async () => {
    expectIdentity(await write('main', { 'X-CSRF-TOKEN': csrf }), 'alice', 'cookies');
  });

  it('401 Missing CSRF token without the header, with an empty one, or with only the CSRF cookie', async () => {
    expectJwtError(await write('main', {}), 401, 'CSRF_ERROR', MISSING);
    expectJwtError(await write('main', { 'X-CSRF-TOKEN': '' }), 401, 'CSRF_ERROR', MISSING);
    const csrfCookieOnly = { cookie: cookies({ csrf_access_token: csrf }) };
    expectJwtError(await write('main', csrfCookieOnly), 401, 'CSRF_ERROR', MISSING);
  });

  it('401 CSRF double submit tokens do not match for another value', async () => {
    expectJwtError(await write('main', { 'X-CSRF-TOKEN': 'nope' }), 401, 'CSRF_ERROR', MISMATCH);
    expectJwtError(await write('main', { 'X-CSRF-TOKEN': refreshCsrf }), 401, 'CSRF_ERROR', MISMATCH);
  });

  it('422 Missing claim: csrf for a cookie token minted without CSRF protection', async () => {
    const noCsrf = await apps.off.jwt.createAccessToken('alice');
    const res = await call('main', 'meWrite', {
      type: 'mutation',
      headers: { cookie: cookieHeader({ access_token_cookie: noCsrf }), 'X-CSRF-TOKEN': csrf },
    });
    expectJwtError(res, 422, 'INVALID_TOKEN', 'Missing claim: csrf');
  });

  it('check order: a missing CSRF value wins over a garbage cookie; a present one is compared after decoding', async () => {
    const garbage = { cookie: cookieHeader({ access_token_cookie: 'garbage' }) };
    expectJwtError(await write('main', garbage), 401, 'CSRF_ERROR', MISSING);
    const decoded = await write('main', { ...garbage, 'X-CSRF-TOKEN': csrf });
    expectJwtError(decoded, 422, 'INVALID_TOKEN', 'Not enough segments');
  });

  it('GET queries with a cookie token are not checked', async () => {
    expectIdentity(await call('main', 'me', { headers: { cookie: cookies() } }), 'alice', 'cookies');
  });

  it('header tokens are never CSRF-checked, even on a mutation', async () => {
    const res = await call('main', 'meWrite', {
      type: 'mutation',
      headers: { Authorization: `Bearer ${access}` },
    });
    expectIdentity(res, 'alice', 'headers');
  });

  it('refresh procedures compare the refresh token’s CSRF value', async () => {
    expectIdentity(await write('main', { 'X-CSRF-TOKEN': refreshCsrf }, 'refresh'), 'alice', 'cookies');
    expectJwtError(await write('main', { 'X-CSRF-TOKEN': csrf }, 'refresh'), 401, 'CSRF_ERROR', MISMATCH);
  });

  it('refreshCsrfHeaderName is read on refresh procedures only', async () => {
    expectIdentity(
      await write('refreshHeader', { 'X-CSRF-REFRESH': refreshCsrf }, 'refresh'),
      'alice',
      'cookies',
    );
    const wrongHeader = await write('refreshHeader', { 'X-CSRF-TOKEN': refreshCsrf }, 'refresh');
    expectJwtError(wrongHeader, 401, 'CSRF_ERROR', MISSING);
    expectIdentity(await write('refreshHeader', { 'X-CSRF-TOKEN': csrf }), 'alice', 'cookies');
  });

  it('cookieCsrfProtect: false checks nothing', async () => {
    expectIdentity(await write('off', {}), 'alice', 'cookies');
  });

  describe('csrfCheckForm with a FormData mutation', () => {
    const form = (fields: Record<string, string>) => {
      const body = new FormData();
      for (const [k, v] of Object.entries(fields)) body.set(k, v);
      return body;
    };
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}, path = 'meWrite') =>
      call('form', path, {
        type: 'mutation',
        body: form(fields),
        headers: { cookie: cookies(), ...headers },
      });

    it('reads the csrf_token field when the header is absent or empty', async () => {
      expectIdentity(await post({ csrf_token: csrf }), 'alice', 'cookies');
      expectIdentity(await post({ csrf_token: csrf }, { 'X-CSRF-TOKEN': '' }), 'alice', 'cookies');
    });

    it('the header wins over the field; a wrong or missing field fails', async () => {
      expectJwtError(
        await post({ csrf_token: csrf }, { 'X-CSRF-TOKEN': 'nope' }),
        401,
        'CSRF_ERROR',
        MISMATCH,
      );
      expectJwtError(await post({ csrf_token: 'nope' }), 401, 'CSRF_ERROR', MISMATCH);
      expectJwtError(await post({ other: csrf }), 401, 'CSRF_ERROR', MISSING);
    });

    it('refresh procedures read refreshCsrfFieldName', async () => {
      expectIdentity(await post({ csrf_r: refreshCsrf }, {}, 'refresh'), 'alice', 'cookies');
      expectJwtError(await post({ csrf_token: refreshCsrf }, {}, 'refresh'), 401, 'CSRF_ERROR', MISSING);
    });

    it('without csrfCheckForm, the field is ignored', async () => {
      const body = form({ csrf_token: csrf });
      const res = await call('main', 'meWrite', { type: 'mutation', body, headers: { cookie: cookies() } });
      expectJwtError(res, 401, 'CSRF_ERROR', MISSING);
    });
  });
});

describe.each([0, 1])('a query sent as POST (allowMethodOverride), endpoint %i', (index) => {
  it('is checked, since POST is a CSRF method', async () => {
    const access = await jwt.createAccessToken('alice');
    const headers = {
      cookie: cookieHeader({ access_token_cookie: access }),
      'content-type': 'application/json',
    };
    const endpoint = overrideEndpoints[index]!;
    expectJwtError(await callTrpc(endpoint, 'me', { method: 'POST', headers }), 401, 'CSRF_ERROR', MISSING);
    const withCsrf = { ...headers, 'X-CSRF-TOKEN': await jwt.getCsrfToken(access) };
    expectIdentity(await callTrpc(endpoint, 'me', { method: 'POST', headers: withCsrf }), 'alice', 'cookies');
  });
});

describe('createCaller: every mutation, and csrfMethods for queries', () => {
  const custom = createTestApp({ tokenLocation: 'cookies', csrfMethods: ['PUT'] });
  const caller = (app: typeof custom, cookie: string, method?: string) => {
    const opts = method === undefined ? { headers: { cookie } } : { headers: { cookie }, method };
    return app.router.createCaller(app.jwt.createJwtContext(opts));
  };
  const cookie = async () => cookieHeader({ access_token_cookie: await jwt.createAccessToken('alice') });
  const missing = { code: 'UNAUTHORIZED', message: MISSING };

  it('a mutation without any method (no HTTP transport) is checked', async () => {
    await expect(caller(apps.main, await cookie()).meWrite()).rejects.toMatchObject(missing);
    await expect(caller(apps.main, await cookie(), 'GET').meWrite()).rejects.toMatchObject(missing);
  });

  it('queries: PUT, PATCH, DELETE and POST are checked (any case); GET, HEAD and no method are not', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST', 'delete']) {
      await expect(caller(apps.main, await cookie(), method).me()).rejects.toMatchObject(missing);
    }
    for (const method of ['GET', 'HEAD', undefined]) {
      expect(await caller(apps.main, await cookie(), method).me()).toEqual({
        identity: 'alice',
        location: 'cookies',
      });
    }
  });

  it('csrfMethods: [PUT] checks PUT queries, not POST ones, and still every mutation', async () => {
    await expect(caller(custom, await cookie(), 'PUT').me()).rejects.toMatchObject(missing);
    expect(await caller(custom, await cookie(), 'POST').me()).toEqual({
      identity: 'alice',
      location: 'cookies',
    });
    await expect(caller(custom, await cookie(), 'POST').meWrite()).rejects.toMatchObject(missing);
  });
});
