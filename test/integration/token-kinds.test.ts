/**
 * ctx.token for the token kinds flask accepts (reference §2.5, §3.1, §3.3): custom types on
 * non-refresh procedures, third-party tokens without type/fresh/jti, a custom identity claim, and
 * the freshness boundary without leeway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectIdentity, expectJwtError, serveAll, signHs256 } from '../helpers/jwt-app.js';
import { callTrpc, type Endpoint } from '../helpers/servers.js';

let now = Date.now();
const app = createTestApp({ clock: () => now, decodeLeeway: 30 });
const uidApp = createTestApp({ identityClaim: 'uid' });
const { jwt } = app;

const served: Record<string, Endpoint[]> = {};
beforeAll(async () => {
  served.app = await serveAll(app);
  served.uid = await serveAll(uidApp);
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (name: string, path: string, token: string, type: 'query' | 'mutation' = 'query') =>
    callTrpc(served[name]![index]!, path, { type, headers: { Authorization: `Bearer ${token}` } });

  it('a custom type ("app") passes non-refresh procedures and fails refresh ones', async () => {
    const appToken = await jwt.createAccessToken('svc', { additionalClaims: { type: 'app' } });
    expectIdentity(await call('app', 'me', appToken), 'svc', 'headers');
    expectJwtError(
      await call('app', 'refresh', appToken, 'mutation'),
      422,
      'WRONG_TOKEN_TYPE',
      'Only refresh tokens are allowed',
    );
  });

  it('a third-party token without type, fresh or jti: access, not fresh, jti null', async () => {
    const iat = Math.floor(now / 1000);
    const token = signHs256({ sub: 'ext', iat, exp: iat + 60 });
    const caller = app.router.createCaller(
      jwt.createJwtContext({ headers: { authorization: `Bearer ${token}` } }),
    );
    expect(await caller.me()).toEqual({ identity: 'ext', location: 'headers' });
    expectIdentity(await call('app', 'me', token), 'ext', 'headers');
    const verified = await jwt.verifyJwtInRequest(
      jwt.createJwtContext({ headers: { authorization: `Bearer ${token}` } }),
    );
    expect(verified).toMatchObject({ identity: 'ext', type: 'access', fresh: false, jti: null });
    // The defaults are on the token, not written into the payload: it stays exactly as signed.
    expect(verified?.payload).toEqual({ sub: 'ext', iat, exp: iat + 60 });
    expect(await jwt.decodeToken(token)).toEqual({ sub: 'ext', iat, exp: iat + 60 });
  });

  it('identityClaim "uid": the identity comes from uid; a token without it is 422 Missing claim: uid', async () => {
    expectIdentity(await call('uid', 'me', await uidApp.jwt.createAccessToken('u-1')), 'u-1', 'headers');
    const iat = Math.floor(Date.now() / 1000);
    const noUid = signHs256({ sub: 'u-1', iat, exp: iat + 60, jti: 'j', type: 'access' });
    expectJwtError(await call('uid', 'me', noUid), 422, 'INVALID_TOKEN', 'Missing claim: uid');
  });

  it('a fresh timestamp is fresh up to and including its second, with no leeway', async () => {
    const r = app.t.router({
      fresh: app.t.procedure.concat(jwt.required({ fresh: true })).query(({ ctx }) => ctx.token.identity),
    });
    const start = now;
    const token = await jwt.createAccessToken('f', { fresh: 30 });
    const ask = () =>
      r.createCaller(jwt.createJwtContext({ headers: { authorization: `Bearer ${token}` } })).fresh();
    now = start + 30_000;
    expect(await ask()).toBe('f');
    now = start + 30_001;
    await expect(ask()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Fresh token required' });
    now = start;
  });
});
