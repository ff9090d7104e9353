/**
 * Error loaders (reference §2.2–2.3): each one decides what the client gets, with ctx at hand; its
 * own TRPCError is returned as-is while data.jwt.code still names the failure.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { SECRET } from '../helpers/jwt-app.js';
import {
  type CallOptions,
  callTrpc,
  cookieHeader,
  type Endpoint,
  fetchHandler,
  startAll,
} from '../helpers/servers.js';

type Ctx = JwtContextPart & { db: { name: string } };
type Seen = { loader: string; db: string | undefined; detail: unknown };
let seen: Seen[] = [];
let now = Date.now();
const revoked = new Set<string>();

const record = (loader: string, ctx: Ctx, detail: unknown) =>
  seen.push({ loader, db: ctx?.db?.name, detail });
const jwt = createJwtManager({
  secretKey: SECRET,
  tokenLocation: ['headers', 'cookies', 'query_string'],
  queryStringValuePrefix: 'Bearer ',
  clock: () => now,
  tokenInBlocklistLoader: ({ payload }) => revoked.has(payload.jti ?? ''),
  tokenVerificationLoader: ({ payload }) => payload.ok !== false,
  expiredTokenLoader: ({ header, payload, ctx }) => {
    record('expired', ctx, { alg: header.alg, sub: payload.sub });
    return new TRPCError({ code: 'FORBIDDEN', message: 'session over' });
  },
  invalidTokenLoader: ({ reason, ctx, error }) => {
    record('invalid', ctx, { reason, code: error.code });
    return new TRPCError({ code: 'BAD_REQUEST', message: `invalid: ${reason}` });
  },
  unauthorizedLoader: ({ reason, ctx }) => {
    record('unauthorized', ctx, reason);
    return new TRPCError({ code: 'FORBIDDEN', message: `please log in (${reason})` });
  },
  needsFreshTokenLoader: ({ payload, ctx }) => {
    record('fresh', ctx, payload.sub);
    return new TRPCError({ code: 'PRECONDITION_FAILED', message: 'log in again' });
  },
  revokedTokenLoader: ({ payload, ctx }) => {
    record('revoked', ctx, payload.sub);
    return new TRPCError({ code: 'CONFLICT', message: 'revoked!' });
  },
  tokenVerificationFailedLoader: ({ payload, ctx }) => {
    record('verification', ctx, payload.sub);
    return new TRPCError({ code: 'NOT_FOUND', message: 'claims refused' });
  },
});
const t = initTRPC.context<Ctx>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, freshProcedure } = jwt.procedures(t.procedure);
const router = t.router({
  me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
  meWrite: protectedProcedure.mutation(({ ctx }) => ctx.token.identity),
  fresh: freshProcedure.query(({ ctx }) => ctx.token.identity),
});

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => ({ ...jwt.createJwtContext(opts), db: { name: 'main-db' } }));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = async (path: string, opts: CallOptions = {}) => {
    seen = [];
    return callTrpc(endpoints[index]!, path, opts);
  };
  const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
  const expectLoader = (
    res: Awaited<ReturnType<typeof call>>,
    status: number,
    message: string,
    jwtCode: string,
    loader: string,
    detail: unknown,
  ) => {
    expect({ status: res.status, message: res.error?.message, jwt: res.error?.data.jwt }).toEqual({
      status,
      message,
      jwt: { code: jwtCode },
    });
    expect(seen).toEqual([{ loader, db: 'main-db', detail }]);
  };

  it('expiredTokenLoader gets the verified header and payload of the expired token', async () => {
    const token = await jwt.createAccessToken('alice', { expiresDelta: 60 });
    now += 61_000;
    expectLoader(await call('me', bearer(token)), 403, 'session over', 'TOKEN_EXPIRED', 'expired', {
      alg: 'HS256',
      sub: 'alice',
    });
  });

  it('invalidTokenLoader shapes decode errors, bad headers, bad query prefixes and wrong types', async () => {
    const cases: [CallOptions, string, string][] = [
      [bearer('abc'), 'Not enough segments', 'INVALID_TOKEN'],
      [
        { headers: { Authorization: 'Bearer ,,0' } },
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
        'INVALID_HEADER',
      ],
      [
        { query: { jwt: 'abc' } },
        "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
        'INVALID_QUERY_PARAM',
      ],
      [bearer(await jwt.createRefreshToken('a')), 'Only non-refresh tokens are allowed', 'WRONG_TOKEN_TYPE'],
    ];
    for (const [opts, reason, code] of cases) {
      expectLoader(await call('me', opts), 400, `invalid: ${reason}`, code, 'invalid', { reason, code });
    }
  });

  it('unauthorizedLoader shapes a missing token and CSRF errors', async () => {
    const missing =
      'Missing JWT in headers, cookies or query_string (Missing Authorization Header; Missing cookie "access_token_cookie"; Missing \'jwt\' query paramater)';
    expectLoader(
      await call('me'),
      403,
      `please log in (${missing})`,
      'NO_AUTHORIZATION',
      'unauthorized',
      missing,
    );
    const cookie = cookieHeader({ access_token_cookie: await jwt.createAccessToken('alice') });
    const csrf = await call('meWrite', { type: 'mutation', headers: { cookie } });
    expectLoader(
      csrf,
      403,
      'please log in (Missing CSRF token)',
      'CSRF_ERROR',
      'unauthorized',
      'Missing CSRF token',
    );
    const mismatch = await call('meWrite', { type: 'mutation', headers: { cookie, 'X-CSRF-TOKEN': 'x' } });
    const reason = 'CSRF double submit tokens do not match';
    expectLoader(mismatch, 403, `please log in (${reason})`, 'CSRF_ERROR', 'unauthorized', reason);
  });

  it('needsFreshTokenLoader, revokedTokenLoader and tokenVerificationFailedLoader', async () => {
    const stale = await jwt.createAccessToken('bob');
    expectLoader(
      await call('fresh', bearer(stale)),
      412,
      'log in again',
      'FRESH_TOKEN_REQUIRED',
      'fresh',
      'bob',
    );
    const gone = await jwt.createAccessToken('carol');
    revoked.add((await jwt.decodeToken(gone)).jti!);
    expectLoader(await call('me', bearer(gone)), 409, 'revoked!', 'TOKEN_REVOKED', 'revoked', 'carol');
    const refused = await jwt.createAccessToken('dave', { additionalClaims: { ok: false } });
    expectLoader(
      await call('me', bearer(refused)),
      404,
      'claims refused',
      'CLAIMS_VERIFICATION_FAILED',
      'verification',
      'dave',
    );
  });

  it('check order: CSRF (checked while decoding) wins over expiry', async () => {
    const token = await jwt.createAccessToken('erin', { expiresDelta: 60 });
    now += 61_000;
    const headers = { cookie: cookieHeader({ access_token_cookie: token }), 'X-CSRF-TOKEN': 'wrong' };
    const res = await call('meWrite', { type: 'mutation', headers });
    const reason = 'CSRF double submit tokens do not match';
    expectLoader(res, 403, `please log in (${reason})`, 'CSRF_ERROR', 'unauthorized', reason);
  });

  it('check order: type before fresh, fresh before blocklist, blocklist before verification', async () => {
    const refresh = await jwt.createRefreshToken('f');
    revoked.add((await jwt.decodeToken(refresh)).jti!);
    const typeFirst = await call('fresh', bearer(refresh));
    expectLoader(
      typeFirst,
      400,
      'invalid: Only non-refresh tokens are allowed',
      'WRONG_TOKEN_TYPE',
      'invalid',
      {
        reason: 'Only non-refresh tokens are allowed',
        code: 'WRONG_TOKEN_TYPE',
      },
    );
    const staleRevoked = await jwt.createAccessToken('g', { additionalClaims: { ok: false } });
    revoked.add((await jwt.decodeToken(staleRevoked)).jti!);
    expectLoader(
      await call('fresh', bearer(staleRevoked)),
      412,
      'log in again',
      'FRESH_TOKEN_REQUIRED',
      'fresh',
      'g',
    );
    expectLoader(await call('me', bearer(staleRevoked)), 409, 'revoked!', 'TOKEN_REVOKED', 'revoked', 'g');
  });
});

describe('error loaders that misbehave', () => {
  const make = (loader: () => unknown) => {
    const m = createJwtManager({ secretKey: SECRET, unauthorizedLoader: loader as never });
    const tt = initTRPC.context<JwtContextPart>().create({ errorFormatter: m.errorFormatter });
    const r = tt.router({ me: m.procedures(tt.procedure).protectedProcedure.query(() => 1) });
    return r.createCaller(m.createJwtContext({ headers: {} }));
  };

  it('a loader that throws a TRPCError: that error is used', async () => {
    const caller = make(() => {
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'slow down' });
    });
    await expect(caller.me()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', message: 'slow down' });
  });

  it('a loader that returns something else: INTERNAL_SERVER_ERROR naming the mistake', async () => {
    const caller = make(() => ({ status: 401 }));
    await expect(caller.me()).rejects.toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'An error loader did not return a TRPCError',
    });
  });

  it('one TRPCError instance returned for every failure: data.jwt.code is still per call', async () => {
    const shared = new TRPCError({ code: 'FORBIDDEN', message: 'nope' });
    const m = createJwtManager({
      secretKey: SECRET,
      tokenLocation: 'json',
      invalidTokenLoader: () => shared,
    });
    const tt = initTRPC.context<JwtContextPart>().create({ errorFormatter: m.errorFormatter });
    const r = tt.router({ me: m.procedures(tt.procedure).protectedProcedure.mutation(() => 1) });
    const endpoint = fetchHandler(r, (opts) => m.createJwtContext(opts));
    const refresh = await m.createRefreshToken('a');
    const input = JSON.stringify({ 0: { access_token: 'garbage' }, 1: { access_token: refresh } });
    // the json location reads a request body (§9): a batch of mutations
    const res = await endpoint.send(`${endpoint.url}/me,me?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: input,
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { message: string; data: { jwt: unknown } } }[];
    expect(body.map((b) => [b.error.message, b.error.data.jwt])).toEqual([
      ['nope', { code: 'INVALID_TOKEN' }],
      ['nope', { code: 'WRONG_TOKEN_TYPE' }],
    ]);
  });
});
