/**
 * 200 concurrent requests over real HTTP with distinct identities: each gets its own identity, user
 * and cookies back, never another request's, while async loaders interleave.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreateJwtContextOptions, createJwtManager, type JwtContextPart } from '../../src/index.js';
import { SECRET } from '../helpers/jwt-app.js';
import { callTrpc, cookiesByName, type Endpoint, startExpress, startStandalone } from '../helpers/servers.js';

const jitter = () => sleep(Math.floor(Math.random() * 5));
const jwt = createJwtManager({
  secretKey: SECRET,
  tokenLocation: ['headers', 'cookies'],
  tokenInBlocklistLoader: async () => {
    await jitter();
    return false;
  },
  userLookupLoader: async ({ payload }) => {
    await jitter();
    return { name: `user:${payload.sub}` };
  },
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
const router = t.router({
  me: protectedProcedure.query(async ({ ctx }) => {
    await jitter();
    return { identity: ctx.token.identity, user: ctx.user.name, raw: ctx.token.raw };
  }),
  refresh: refreshProcedure.mutation(async ({ ctx }) => {
    const access = await jwt.createAccessToken(ctx.token.identity);
    await jitter();
    await jwt.setAccessCookies(ctx, access);
    return ctx.token.identity;
  }),
});

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  const createContext = (opts: CreateJwtContextOptions) => jwt.createJwtContext(opts);
  endpoints = [await startStandalone(router, createContext), await startExpress(router, createContext)];
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

const N = 200;
const ids = Array.from({ length: N }, (_, i) => `user-${i}`);

describe.each([
  ['standalone', 0],
  ['express', 1],
] as const)('%s adapter', (_name, index) => {
  it(`${N} concurrent protected queries each see their own identity and user`, async () => {
    const tokens = await Promise.all(ids.map((id) => jwt.createAccessToken(id)));
    const results = await Promise.all(
      tokens.map((token) =>
        callTrpc<{ identity: string; user: string; raw: string }>(endpoints[index]!, 'me', {
          headers: { Authorization: `Bearer ${token}` },
        }),
      ),
    );
    results.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ identity: ids[i], user: `user:${ids[i]}`, raw: tokens[i] });
    });
  });

  it(`${N} concurrent refreshes each get cookies for their own identity only`, async () => {
    const refreshTokens = await Promise.all(ids.map((id) => jwt.createRefreshToken(id)));
    const results = await Promise.all(
      refreshTokens.map((token) =>
        callTrpc<string>(endpoints[index]!, 'refresh', {
          type: 'mutation',
          headers: { Authorization: `Bearer ${token}` },
        }),
      ),
    );
    const identities = await Promise.all(
      results.map(async (res, i) => {
        expect(res.status).toBe(200);
        expect(res.data).toBe(ids[i]);
        const cookies = cookiesByName(res.setCookies);
        expect(Object.keys(cookies)).toEqual(['access_token_cookie', 'csrf_access_token']);
        const payload = await jwt.decodeToken(cookies.access_token_cookie!.value);
        expect(cookies.csrf_access_token?.value).toBe(payload.csrf);
        return payload.sub;
      }),
    );
    expect(identities).toEqual(ids);
  });
});
