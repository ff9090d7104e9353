/**
 * A revoked session stays revoked (issue 13, items 1–4), tried as an attacker would through the real
 * adapters: implicit refresh never re-issues a cookie for a revoked token (also with
 * `skipRevocationCheck`, also when the token is revoked while the procedure runs); a re-issued
 * cookie stays in its family; rotation checks the store it is given (jti, family, identity cut-off);
 * a family revocation outlives every token of the family.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJwtManager,
  createMemoryBlocklist,
  type JwtContextPart,
  type JwtManagerOptions,
  type MemoryBlocklist,
} from '../../src/index.js';
import { createClient, type RedisClientType } from 'redis';
import { createRedisBlocklist } from '../../src/stores/redis.js';
import { parts } from '../helpers/keys.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { callTrpc, cookieHeader, cookiesByName, type Endpoint, startAll } from '../helpers/servers.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const minutes = (m: number) => T0 + m * 60_000;
const days = (d: number) => T0 + d * 86_400_000;

/** One app: a manager on a fake clock, a memory blocklist, and the procedures an attacker will call. */
function makeApp(options: Omit<JwtManagerOptions, 'secretKey'> = {}, wired = true) {
  const clock = { now: T0 };
  const blocklist: MemoryBlocklist = createMemoryBlocklist({ clock: () => clock.now });
  const jwt = createJwtManager({
    secretKey: 'revoked-session-secret-0123456789abcdef',
    tokenLocation: ['cookies', 'headers'],
    accessTokenExpires: '15m',
    implicitRefresh: { window: '5m' },
    clock: () => clock.now,
    ...(wired ? { tokenInBlocklistLoader: blocklist.loader } : {}),
    ...options,
  });
  let duringResolver: (() => Promise<void>) | undefined;
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
    /** A slow query: the test revokes the token while it runs. */
    slow: protectedProcedure.query(async ({ ctx }) => {
      await duringResolver?.();
      return ctx.token.identity;
    }),
    unchecked: t.procedure
      .concat(jwt.required({ skipRevocationCheck: true }))
      .query(({ ctx }) => ctx.token.identity),
    refresh: refreshProcedure.mutation(({ ctx }) => jwt.rotateRefreshToken(ctx.token, blocklist)),
  });
  return {
    jwt,
    blocklist,
    clock,
    router,
    onResolve(fn: (() => Promise<void>) | undefined) {
      duringResolver = fn;
    },
  };
}

type App = ReturnType<typeof makeApp>;

const withCookie = (token: string) => ({
  headers: { cookie: cookieHeader({ access_token_cookie: token }) },
});

async function serve(app: App): Promise<Endpoint[]> {
  return startAll(app.router, (opts) => app.jwt.createJwtContext(opts));
}

describe('implicit refresh never outlives a revocation', () => {
  const app = makeApp();
  let endpoints: Endpoint[] = [];
  beforeAll(async () => {
    endpoints = await serve(app);
  });
  afterAll(async () => {
    await Promise.all(endpoints.map((e) => e.close()));
  });

  describe.each(['standalone', 'express', 'fetch'] as const)('%s', (name) => {
    const endpoint = () => endpoints.find((e) => e.name === name)!;
    // One identity per adapter: the logout-everywhere case must not cut the other adapters' tokens.
    const mallory = `mallory-${name}`;

    it('a revoked cookie on a skipRevocationCheck procedure gets no new access cookie', async () => {
      app.clock.now = T0;
      const token = await app.jwt.createAccessToken(mallory);
      await app.blocklist.revoke(parts(token).payload);
      app.clock.now = minutes(12);
      const res = await callTrpc(endpoint(), 'unchecked', withCookie(token));
      // The procedure opted out of the check, so it answers; the session must not slide.
      expect({ status: res.status, data: res.data, setCookies: res.setCookies }).toEqual({
        status: 200,
        data: mallory,
        setCookies: [],
      });
    });

    it('a cookie revoked while the procedure runs gets no new access cookie', async () => {
      app.clock.now = T0;
      const token = await app.jwt.createAccessToken(mallory);
      app.clock.now = minutes(12);
      app.onResolve(() => app.blocklist.revoke(parts(token).payload));
      try {
        const res = await callTrpc(endpoint(), 'slow', withCookie(token));
        expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 200, setCookies: [] });
      } finally {
        app.onResolve(undefined);
      }
      const after = await callTrpc(endpoint(), 'me', withCookie(token));
      expectJwtError(after, 401, 'TOKEN_REVOKED', 'Token has been revoked');
    });

    it('an identity logged out everywhere while the procedure runs gets no new access cookie', async () => {
      app.clock.now = T0;
      const token = await app.jwt.createAccessToken(mallory);
      app.clock.now = minutes(12);
      app.onResolve(() => app.blocklist.revokeAllForIdentity(mallory));
      try {
        const res = await callTrpc(endpoint(), 'slow', withCookie(token));
        expect({ status: res.status, setCookies: res.setCookies }).toEqual({ status: 200, setCookies: [] });
      } finally {
        app.onResolve(undefined);
      }
    });

    it('the re-issued cookie keeps its family: revoking the family refuses it', async () => {
      app.clock.now = T0;
      const { accessToken } = await app.jwt.createTokenPair('alice');
      const family = parts(accessToken).payload.fam;
      app.clock.now = minutes(12);
      const res = await callTrpc(endpoint(), 'me', withCookie(accessToken));
      expect(res.status).toBe(200);
      const slid = cookiesByName(res.setCookies).access_token_cookie!.value;
      expect(parts(slid).payload.fam).toBe(family);
      await app.blocklist.revokeFamily(family as string);
      app.clock.now = minutes(13);
      const refused = await callTrpc(endpoint(), 'me', withCookie(slid));
      expectJwtError(refused, 401, 'TOKEN_REVOKED', 'Token has been revoked');
      expect(refused.setCookies).toEqual([]);
    });
  });
});

describe('rotation checks the store it is given, wired as a loader or not', () => {
  for (const wired of [true, false]) {
    describe(wired ? 'store wired as tokenInBlocklistLoader' : 'store not wired as a loader', () => {
      const app = makeApp({}, wired);
      let endpoint: Endpoint;
      let endpoints: Endpoint[] = [];
      beforeAll(async () => {
        endpoints = await serve(app);
        endpoint = endpoints[0]!;
      });
      afterAll(async () => {
        await Promise.all(endpoints.map((e) => e.close()));
      });
      const refresh = (token: string) =>
        callTrpc<{ accessToken: string; refreshToken: string }>(endpoint, 'refresh', {
          type: 'mutation',
          headers: { authorization: `Bearer ${token}` },
        });

      it("after reuse, the thief's branch cannot rotate again", async () => {
        app.clock.now = T0;
        const { refreshToken: r0 } = await app.jwt.createTokenPair('alice');
        const thief = await refresh(r0);
        expect(thief.status).toBe(200);
        // The victim presents the same token: reuse is detected and the family revoked.
        expectJwtError(await refresh(r0), 401, 'TOKEN_REVOKED', 'Token has been revoked');
        // The thief's fresh refresh token belongs to the revoked family.
        const again = await refresh(thief.data!.refreshToken);
        expectJwtError(again, 401, 'TOKEN_REVOKED', 'Token has been revoked');
      });

      it('a revoked refresh token (jti) is refused', async () => {
        app.clock.now = T0;
        const { refreshToken } = await app.jwt.createTokenPair('alice');
        await app.blocklist.revoke(parts(refreshToken).payload);
        expectJwtError(await refresh(refreshToken), 401, 'TOKEN_REVOKED', 'Token has been revoked');
      });

      it('a refresh token older than the identity cut-off is refused', async () => {
        app.clock.now = T0;
        const { refreshToken } = await app.jwt.createTokenPair('bob');
        await app.blocklist.revokeAllForIdentity('bob');
        expectJwtError(await refresh(refreshToken), 401, 'TOKEN_REVOKED', 'Token has been revoked');
      });
    });
  }
});

describe('a family revocation outlives every token of its family', () => {
  it('a "remember me" refresh token (1 year) stays refused after 60 days', async () => {
    const app = makeApp({ refreshTokenExpires: '30d' }, false);
    app.clock.now = T0;
    const { refreshToken: r0 } = await app.jwt.createTokenPair('alice', {
      refresh: { expiresDelta: '365d' },
    });
    const verified = () => app.jwt.decodeToken(r0);
    const token = { ...(await tokenOf(app, r0)) };
    const opts = { refresh: { expiresDelta: '365d' } } as const;
    const first = await app.jwt.rotateRefreshToken(token, app.blocklist, opts);
    await expect(app.jwt.rotateRefreshToken(token, app.blocklist, opts)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
    app.clock.now = days(60);
    expect(await verified()).toMatchObject({ sub: 'alice' });
    const stolen = await tokenOf(app, first.refreshToken);
    await expect(app.jwt.rotateRefreshToken(stolen, app.blocklist, opts)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
    expect(await app.blocklist.isRevoked(stolen.payload)).toBe(true);
  });

  it('with refreshTokenExpires: false the family revocation never lapses', async () => {
    const app = makeApp({ refreshTokenExpires: false }, false);
    app.clock.now = T0;
    const { refreshToken: r0 } = await app.jwt.createTokenPair('alice');
    const token = await tokenOf(app, r0);
    const first = await app.jwt.rotateRefreshToken(token, app.blocklist);
    await expect(app.jwt.rotateRefreshToken(token, app.blocklist)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
    app.clock.now = days(3650);
    const stolen = await tokenOf(app, first.refreshToken);
    expect(await app.blocklist.isRevoked(stolen.payload)).toBe(true);
    await expect(app.jwt.rotateRefreshToken(stolen, app.blocklist)).rejects.toMatchObject({
      code: 'TOKEN_REVOKED',
    });
  });
});

/** The verified refresh token, as `ctx.token` holds it in a refreshProcedure. */
async function tokenOf(app: App, raw: string) {
  const t = initTRPC.context<JwtContextPart>().create();
  const router = t.router({
    token: t.procedure.concat(app.jwt.required({ refresh: true })).query(({ ctx }) => ctx.token),
  });
  const caller = t.createCallerFactory(router)(
    app.jwt.createJwtContext({ headers: { authorization: `Bearer ${raw}` } }),
  );
  return caller.token();
}

describe.each([
  { store: 'memory', skip: false },
  { store: 'redis', skip: !hasRedis },
] as const)(
  'a refresh in flight during logout-everywhere mints no surviving pair ($store)',
  ({ store, skip }) => {
    let redis: RedisServer | undefined;
    let client: RedisClientType | undefined;
    beforeAll(async () => {
      if (skip || store !== 'redis') return;
      redis = await startRedis();
      client = createClient({ url: redis.url });
      client.on('error', () => {});
      await client.connect();
    });
    afterAll(async () => {
      await client?.quit();
      await redis?.stop();
    });

    it.skipIf(skip)(
      'the store refuses the rotation when the cut-off lands while the pair is minted',
      async () => {
        let duringMint: (() => Promise<void>) | undefined;
        const blocklist =
          client === undefined
            ? createMemoryBlocklist()
            : createRedisBlocklist({ client, prefix: 'inflight:' });
        const jwt = createJwtManager({
          secretKey: 'revoked-session-secret-0123456789abcdef',
          tokenInBlocklistLoader: blocklist.loader,
          // Runs while rotation mints the new pair: the other tab's "log out everywhere" lands here.
          additionalClaimsLoader: async () => {
            await duringMint?.();
            return {};
          },
        });
        const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
        const { refreshProcedure } = jwt.procedures(t.procedure);
        const router = t.router({
          refresh: refreshProcedure.mutation(({ ctx }) => jwt.rotateRefreshToken(ctx.token, blocklist)),
        });
        const endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
        try {
          const identity = `dave-${Math.random()}`;
          const { refreshToken } = await jwt.createTokenPair(identity);
          // The cut-off is the second after the token's iat, so it covers the token and the new pair.
          const cutoff = (parts(refreshToken).payload.iat as number) + 1;
          duringMint = () => blocklist.revokeAllForIdentity(identity, cutoff);
          const res = await callTrpc(endpoints[0]!, 'refresh', {
            type: 'mutation',
            headers: { authorization: `Bearer ${refreshToken}` },
          });
          expectJwtError(res, 401, 'TOKEN_REVOKED', 'Token has been revoked');
        } finally {
          await Promise.all(endpoints.map((e) => e.close()));
        }
      },
    );
  },
);

describe('reuseGrace: two tabs refreshing at once with one refresh token (issue 15 item 1)', () => {
  async function race(reuseGrace: string | undefined) {
    const blocklist = createMemoryBlocklist();
    const jwt = createJwtManager({
      secretKey: 'revoked-session-secret-0123456789abcdef',
      tokenInBlocklistLoader: blocklist.loader,
      ...(reuseGrace === undefined ? {} : { reuseGrace: reuseGrace as '10s' }),
    });
    const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
    const { refreshProcedure, protectedProcedure } = jwt.procedures(t.procedure);
    const router = t.router({
      refresh: refreshProcedure.mutation(({ ctx }) => jwt.rotateRefreshToken(ctx.token, blocklist)),
      me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
    });
    const endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
    try {
      const { refreshToken } = await jwt.createTokenPair('alice');
      const call = (path: string, token: string, type: 'query' | 'mutation') =>
        callTrpc<{ accessToken: string; refreshToken: string }>(endpoints[0]!, path, {
          type,
          headers: { authorization: `Bearer ${token}` },
        });
      const tabs = await Promise.all([
        call('refresh', refreshToken, 'mutation'),
        call('refresh', refreshToken, 'mutation'),
      ]);
      const after = await Promise.all(
        tabs.filter((r) => r.status === 200).map((r) => call('me', r.data!.accessToken, 'query')),
      );
      return { statuses: tabs.map((r) => r.status).sort(), after: after.map((r) => r.status) };
    } finally {
      await Promise.all(endpoints.map((e) => e.close()));
    }
  }

  it('without a grace (the default), the second tab is reuse: the family, the winner included, is revoked', async () => {
    expect(await race(undefined)).toEqual({ statuses: [200, 401], after: [401] });
  });

  it('with reuseGrace, both tabs get a pair of the same family and both keep working', async () => {
    expect(await race('10s')).toEqual({ statuses: [200, 200], after: [200, 200] });
  });

  it('reuseGrace is a duration, checked at createJwtManager', () => {
    expect(() =>
      createJwtManager({ secretKey: 'revoked-session-secret-0123456789abcdef', reuseGrace: 'soon' as never }),
    ).toThrow('option `reuseGrace`');
  });
});
