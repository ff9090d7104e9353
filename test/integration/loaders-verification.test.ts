/**
 * The loaders that run on a verified token (reference §3.8 steps 6–8): blocklist, custom
 * verification and user lookup, with their defaults, ctx at hand, and fail-closed behaviour when
 * one throws (API.md §9).
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type TokenLoaderArgs } from '../../src/index.js';
import { SECRET, signHs256 as sign } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, type Endpoint, startAll } from '../helpers/servers.js';

type Ctx = JwtContextPart & { db: { users: Map<string, { name: string }> } };
const calls: { loader: string; args: TokenLoaderArgs<Ctx> }[] = [];
const failing = { blocklist: false, verification: false, user: false };
let bodyRuns = 0;
const SENSITIVE = 'db-password=hunter2';

const jwt = createJwtManager({
  secretKey: SECRET,
  tokenInBlocklistLoader: (args: TokenLoaderArgs<Ctx>) => {
    calls.push({ loader: 'blocklist', args });
    if (failing.blocklist) throw new Error(SENSITIVE);
    return args.payload.revoked === true;
  },
  tokenVerificationLoader: async (args: TokenLoaderArgs<Ctx>) => {
    calls.push({ loader: 'verification', args });
    if (failing.verification) throw new Error(SENSITIVE);
    return args.payload.ok !== false;
  },
  userLookupLoader: async (args: TokenLoaderArgs<Ctx>) => {
    calls.push({ loader: 'user', args });
    if (failing.user) throw new Error(SENSITIVE);
    return args.ctx.db.users.get(args.payload.sub ?? '') ?? null;
  },
});
const t = initTRPC.context<Ctx>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, optionalProcedure } = jwt.procedures(t.procedure);
const router = t.router({
  me: protectedProcedure.query(({ ctx }) => {
    bodyRuns++;
    return { identity: ctx.token.identity, user: ctx.user };
  }),
  maybe: optionalProcedure.query(({ ctx }) => ({ token: ctx.token, user: ctx.user })),
  noBlocklist: t.procedure
    .concat(jwt.required({ skipRevocationCheck: true }))
    .query(({ ctx }) => ctx.token.jti),
});

const users = new Map([['alice', { name: 'Alice' }]]);
let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => ({ ...jwt.createJwtContext(opts), db: { users } }));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (path: string, opts: CallOptions = {}) => {
    calls.length = 0;
    bodyRuns = 0;
    return callTrpc(endpoints[index]!, path, opts);
  };
  const bearer = async (id: string, claims: Record<string, unknown> = {}) => ({
    headers: { Authorization: `Bearer ${await jwt.createAccessToken(id, { additionalClaims: claims })}` },
  });

  it('each loader gets the verified header, payload and ctx, in order; ctx.user is the user', async () => {
    const res = await call('me', await bearer('alice'));
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { identity: 'alice', user: { name: 'Alice' } },
    });
    expect(calls.map((c) => c.loader)).toEqual(['blocklist', 'verification', 'user']);
    for (const { args } of calls) {
      expect(args.header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(args.payload.sub).toBe('alice');
      expect(args.ctx.db.users).toBe(users);
      expect(args.ctx.jwt.header('authorization')).toMatch(/^Bearer /);
    }
  });

  it('optional without a token: token and user are null, no loader runs', async () => {
    const res = await call('maybe');
    expect(res.data).toEqual({ token: null, user: null });
    expect(calls).toEqual([]);
  });

  it('defaults: 401 revoked, 400 User claims verification failed, 401 Error loading the user <id>', async () => {
    const cases = [
      [{ revoked: true }, 'alice', 401, 'TOKEN_REVOKED', 'Token has been revoked'],
      [{ ok: false }, 'alice', 400, 'CLAIMS_VERIFICATION_FAILED', 'User claims verification failed'],
      [{}, 'nobody', 401, 'USER_LOOKUP_FAILED', 'Error loading the user nobody'],
    ] as const;
    for (const [claims, id, status, code, message] of cases) {
      const res = await call('me', await bearer(id, claims));
      expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
        status,
        jwt: { code },
        message,
      });
      expect(bodyRuns).toBe(0);
    }
  });

  it('a throwing loader fails closed: 500, the body never runs, nothing leaks', async () => {
    for (const which of ['blocklist', 'verification', 'user'] as const) {
      failing[which] = true;
      try {
        const res = await call('me', await bearer('alice'));
        expect(res.status).toBe(500);
        expect(res.error?.data.code).toBe('INTERNAL_SERVER_ERROR');
        expect(res.error?.data.jwt).toBeNull();
        expect(bodyRuns).toBe(0);
        expect(JSON.stringify(res.body)).not.toContain('hunter2');
        expect(calls.at(-1)?.loader).toBe(which);
      } finally {
        failing[which] = false;
      }
    }
  });

  it('a blocklist loader with a token without jti: 422 Missing claim: jti, unless skipped', async () => {
    const now = Math.floor(Date.now() / 1000);
    const noJti = sign({ sub: 'alice', iat: now, exp: now + 60, type: 'access', fresh: false });
    const headers = { Authorization: `Bearer ${noJti}` };
    const res = await call('me', { headers });
    expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
      status: 422,
      jwt: { code: 'INVALID_TOKEN' },
      message: 'Missing claim: jti',
    });
    expect(calls).toEqual([]);
    const skipped = await call('noBlocklist', { headers });
    expect({ status: skipped.status, data: skipped.data }).toEqual({ status: 200, data: null });
  });
});

describe('userLookupErrorLoader', () => {
  it('shapes the lookup failure, with the payload and ctx', async () => {
    const { TRPCError } = await import('@trpc/server');
    const m = createJwtManager({
      secretKey: SECRET,
      userLookupLoader: () => null,
      userLookupErrorLoader: ({ payload, ctx }) =>
        new TRPCError({ code: 'NOT_FOUND', message: `no user ${payload.sub} in ${ctx.tenant}` }),
    });
    const tt = initTRPC
      .context<JwtContextPart & { tenant: string }>()
      .create({ errorFormatter: m.errorFormatter });
    const r = tt.router({ me: m.procedures(tt.procedure).protectedProcedure.query(() => 1) });
    const token = await m.createAccessToken('zed');
    const caller = r.createCaller({
      ...m.createJwtContext({ headers: { authorization: `Bearer ${token}` } }),
      tenant: 'acme',
    });
    await expect(caller.me()).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no user zed in acme' });
  });
});
