/**
 * flask-jwt-simple's `jwt_data_loader` (the whole claim set is the app's) with this package:
 * `additionalClaimsLoader` is merged last, so it may replace any reserved claim or leave it out
 * (a claim returned as `undefined` is not written); `encodeNbf`, `cookieCsrfProtect`,
 * `accessTokenExpires`, `encodeIssuer` and `encodeAudience` decide the other registered claims.
 * Tokens are then used on a real HTTP server.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { parts } from '../helpers/keys.js';
import { callTrpc, type Endpoint, startStandalone } from '../helpers/servers.js';

const SECRET = 'claims-loader-secret-0123456789abcdef-01';
const NOW = Date.UTC(2030, 5, 1, 8, 0, 0);
const IAT = NOW / 1000;
const roles: Record<string, string[]> = { alice: ['admin'], bob: [] };

// The README snippet: flask-jwt-simple's default claim set { iat, nbf, sub, exp } plus app claims.
const simpleOptions = {
  secretKey: SECRET,
  clock: () => NOW,
  accessTokenExpires: '1h',
  cookieCsrfProtect: false, // no `csrf` claim (header tokens only)
  additionalClaimsLoader: async (identity: unknown) => ({
    fresh: undefined, // undefined: the claim is left out of the token
    jti: undefined,
    type: undefined, // keep `type` if you also issue refresh tokens (see the last test)
    roles: roles[String(identity)] ?? [],
  }),
} satisfies JwtManagerOptions;

const endpoints: Endpoint[] = [];
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

async function serve(options: JwtManagerOptions) {
  const jwt = createJwtManager(options);
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ({
      identity: ctx.token.identity,
      type: ctx.token.type,
      jti: ctx.token.jti,
      fresh: ctx.token.fresh,
      roles: ctx.token.payload.roles,
    })),
    refresh: refreshProcedure.query(({ ctx }) => ctx.token.identity),
  });
  const endpoint = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
  endpoints.push(endpoint);
  const call = (path: 'me' | 'refresh', token: string) =>
    callTrpc(endpoint, path, { headers: { authorization: `Bearer ${token}` } });
  return { jwt, call };
}

describe('a chosen claim set (flask-jwt-simple jwt_data_loader)', () => {
  it('writes exactly { iat, sub, nbf, exp } plus the loader claims, and the token works', async () => {
    const { jwt, call } = await serve(simpleOptions);
    const token = await jwt.createAccessToken('alice');
    const { header, payloadJson } = parts(token);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(payloadJson)).toStrictEqual({
      iat: IAT,
      sub: 'alice',
      nbf: IAT,
      exp: IAT + 3600,
      roles: ['admin'],
    });
    const res = await call('me', token);
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { identity: 'alice', type: 'access', jti: null, fresh: false, roles: ['admin'] },
    });
  });

  it('drops nbf with encodeNbf: false and exp with accessTokenExpires: false; adds iss and aud', async () => {
    const { jwt, call } = await serve({
      ...simpleOptions,
      encodeNbf: false,
      accessTokenExpires: false,
      encodeIssuer: 'https://api.example.test',
      encodeAudience: ['web', 'mobile'],
      decodeAudience: 'web',
      decodeIssuer: 'https://api.example.test',
    });
    const token = await jwt.createAccessToken('bob');
    expect(parts(token).payload).toStrictEqual({
      iat: IAT,
      sub: 'bob',
      aud: ['web', 'mobile'],
      iss: 'https://api.example.test',
      roles: [],
    });
    expect((await call('me', token)).status).toBe(200);
  });

  it('the loader may replace reserved claims, and the additionalClaims argument wins ties', async () => {
    const { jwt, call } = await serve({
      secretKey: SECRET,
      clock: () => NOW,
      additionalClaimsLoader: (identity) => ({ jti: `session-${String(identity)}`, roles: ['loader'] }),
    });
    const token = await jwt.createAccessToken('alice', { additionalClaims: { roles: ['argument'] } });
    const payload = parts(token).payload;
    expect(payload).toMatchObject({ jti: 'session-alice', roles: ['argument'], type: 'access' });
    // The claim order stays flask's: reserved claims first, custom claims after.
    expect(Object.keys(payload)).toEqual([
      'fresh',
      'iat',
      'jti',
      'type',
      'sub',
      'nbf',
      'csrf',
      'exp',
      'roles',
    ]);
    expect((await call('me', token)).data).toMatchObject({ jti: 'session-alice', roles: ['argument'] });
  });

  it('a loader that returns something other than an object is a configuration error', async () => {
    const { jwt } = await serve({
      secretKey: SECRET,
      additionalClaimsLoader: () => ['not', 'an', 'object'] as never,
    });
    await expect(jwt.createAccessToken('alice')).rejects.toMatchObject({
      name: 'JwtConfigError',
      option: 'additionalClaimsLoader',
    });
  });

  it('the loader runs for refresh tokens too: removing `type` there would make them access tokens', async () => {
    // Safe variant for apps with refresh tokens: leave `type` alone.
    const { jwt, call } = await serve({
      ...simpleOptions,
      additionalClaimsLoader: (identity) => ({
        fresh: undefined,
        jti: undefined,
        roles: roles[String(identity)],
      }),
    });
    const refresh = await jwt.createRefreshToken('alice');
    expect(parts(refresh).payload).toStrictEqual({
      iat: IAT,
      type: 'refresh',
      sub: 'alice',
      nbf: IAT,
      exp: IAT + 30 * 86_400,
      roles: ['admin'],
    });
    expect((await call('refresh', refresh)).data).toBe('alice');
    const misuse = await call('me', refresh);
    expect({ status: misuse.status, message: misuse.error?.message }).toEqual({
      status: 422,
      message: 'Only non-refresh tokens are allowed',
    });
  });
});
