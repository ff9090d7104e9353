/**
 * The four procedures, `jwt.required()` via `.concat()`, `verifyJwtInRequest` and the fields of
 * ctx.token, through the standalone, Express and fetch adapters (flask's `jwt_required`, §2.5–2.6).
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createJwtManager,
  JwtConfigError,
  type JwtContextPart,
  type VerifiedToken,
} from '../../src/index.js';
import { type CallOptions, callTrpc, cookieHeader, type Endpoint, startAll } from '../helpers/servers.js';

let now = Date.now();
const revoked = new Set<string>();
const jwt = createJwtManager({
  secretKey: 'procedures-secret-0123456789abcdef-xyz',
  tokenLocation: ['headers', 'cookies'],
  clock: () => now,
  tokenInBlocklistLoader: ({ payload }) => revoked.has(payload.jti ?? ''),
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
  t.procedure,
);
const apiOnly = t.procedure.concat(
  jwt.required({ locations: ['headers'], verifyType: false, skipRevocationCheck: true }),
);

const router = t.router({
  token: protectedProcedure.query(({ ctx }): VerifiedToken => ctx.token),
  optional: optionalProcedure.query(({ ctx }) => ctx.token?.identity ?? null),
  optionalWrite: optionalProcedure.mutation(({ ctx }) => ctx.token?.identity ?? null),
  fresh: freshProcedure.query(({ ctx }) => ctx.token.identity),
  refresh: refreshProcedure.mutation(({ ctx }) => ctx.token.type),
  apiOnly: apiOnly.query(({ ctx }) => ctx.token.type),
  imperative: t.procedure
    .input(z.object({ optional: z.boolean(), fresh: z.boolean() }))
    .query(async ({ ctx, input }) => (await jwt.verifyJwtInRequest(ctx, input))?.identity ?? null),
});

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const access = (id = 'alice', opts = {}) => jwt.createAccessToken(id, opts);

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

describe.each(['standalone', 'express', 'fetch'] as const)('%s adapter', (name) => {
  const call = (path: string, opts?: CallOptions) =>
    callTrpc(
      endpoints.find((e) => e.name === name)!,
      path,
      opts,
    );
  const expectError = async (
    res: ReturnType<typeof call>,
    status: number,
    code: string | null,
    message: string,
  ) => {
    const { status: got, error } = await res;
    expect({ status: got, jwt: error?.data.jwt, message: error?.message }).toEqual({
      status,
      jwt: code === null ? null : { code },
      message,
    });
  };

  describe('protectedProcedure', () => {
    it('401 without a token', async () => {
      await expectError(
        call('token'),
        401,
        'NO_AUTHORIZATION',
        'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")',
      );
    });

    it('gives every field of ctx.token for a header token', async () => {
      const raw = await access('alice', { fresh: true });
      const res = await call('token', bearer(raw));
      expect(res.status).toBe(200);
      const token = res.data as VerifiedToken;
      const payload = await jwt.decodeToken(raw);
      expect(token).toEqual({
        raw,
        header: { alg: 'HS256', typ: 'JWT' },
        payload,
        identity: 'alice',
        type: 'access',
        fresh: true,
        jti: payload.jti,
        location: 'headers',
      });
      expect(token.jti).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('reports location "cookies" for a cookie token', async () => {
      const raw = await access('bob');
      const res = await call('token', { headers: { cookie: cookieHeader({ access_token_cookie: raw }) } });
      expect(res.status).toBe(200);
      expect((res.data as VerifiedToken).location).toBe('cookies');
    });

    it('rejects a refresh token: 422 Only non-refresh tokens are allowed', async () => {
      const refresh = await jwt.createRefreshToken('alice');
      await expectError(
        call('token', bearer(refresh)),
        422,
        'WRONG_TOKEN_TYPE',
        'Only non-refresh tokens are allowed',
      );
    });
  });

  describe('optionalProcedure', () => {
    it('null token when absent; the identity when present', async () => {
      expect((await call('optional')).data).toBeNull();
      expect((await call('optional', bearer(await access('carol')))).data).toBe('carol');
    });

    it('still fails on an invalid token, an expired token and a bad header', async () => {
      await expectError(call('optional', bearer('x.y')), 422, 'INVALID_TOKEN', 'Not enough segments');
      const expired = await access('carol', { expiresDelta: 1 });
      now += 2000;
      await expectError(call('optional', bearer(expired)), 401, 'TOKEN_EXPIRED', 'Token has expired');
      await expectError(
        call('optional', { headers: { Authorization: 'Bearer a b' } }),
        422,
        'INVALID_HEADER',
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
      );
    });

    it('still fails on a missing CSRF value when a cookie is present', async () => {
      const cookie = cookieHeader({ access_token_cookie: await access('dave') });
      await expectError(
        call('optionalWrite', { type: 'mutation', headers: { cookie } }),
        401,
        'CSRF_ERROR',
        'Missing CSRF token',
      );
    });
  });

  describe('freshProcedure', () => {
    it('accepts fresh=true and a fresh timestamp not yet passed', async () => {
      expect((await call('fresh', bearer(await access('erin', { fresh: true })))).data).toBe('erin');
      expect((await call('fresh', bearer(await access('erin', { fresh: 60 })))).data).toBe('erin');
    });

    it('401 Fresh token required for fresh=false and a passed fresh timestamp', async () => {
      await expectError(
        call('fresh', bearer(await access('erin'))),
        401,
        'FRESH_TOKEN_REQUIRED',
        'Fresh token required',
      );
      const soon = await access('erin', { fresh: 30 });
      now += 31_000;
      await expectError(call('fresh', bearer(soon)), 401, 'FRESH_TOKEN_REQUIRED', 'Fresh token required');
    });

    it('a refresh token gets 422 (the type is checked before freshness)', async () => {
      const refresh = await jwt.createRefreshToken('erin');
      await expectError(
        call('fresh', bearer(refresh)),
        422,
        'WRONG_TOKEN_TYPE',
        'Only non-refresh tokens are allowed',
      );
    });
  });

  describe('refreshProcedure', () => {
    it('accepts a refresh token; rejects an access token with 422', async () => {
      const res = await call('refresh', { type: 'mutation', ...bearer(await jwt.createRefreshToken('f')) });
      expect(res.data).toBe('refresh');
      await expectError(
        call('refresh', { type: 'mutation', ...bearer(await access('f')) }),
        422,
        'WRONG_TOKEN_TYPE',
        'Only refresh tokens are allowed',
      );
    });

    it('reads the refresh cookie, not the access cookie', async () => {
      const cookie = cookieHeader({ access_token_cookie: await access('g') });
      await expectError(
        call('refresh', { type: 'mutation', headers: { cookie } }),
        401,
        'NO_AUTHORIZATION',
        'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "refresh_token_cookie")',
      );
    });
  });

  describe('jwt.required({ locations, verifyType: false, skipRevocationCheck: true }) via concat', () => {
    it('accepts any token type, from the header only, without the blocklist', async () => {
      const refresh = await jwt.createRefreshToken('h');
      revoked.add((await jwt.decodeToken(refresh)).jti!);
      expect((await call('apiOnly', bearer(refresh))).data).toBe('refresh');
      const viaRefresh = call('refresh', { type: 'mutation', ...bearer(refresh) });
      await expectError(viaRefresh, 401, 'TOKEN_REVOKED', 'Token has been revoked');
      const cookie = cookieHeader({ access_token_cookie: await access('h') });
      await expectError(
        call('apiOnly', { headers: { cookie } }),
        401,
        'NO_AUTHORIZATION',
        'Missing Authorization Header',
      );
    });
  });

  describe('verifyJwtInRequest', () => {
    it('returns the token, null when optional and absent, and throws the client error', async () => {
      const input = { optional: false, fresh: false };
      expect((await call('imperative', { input, ...bearer(await access('i')) })).data).toBe('i');
      expect((await call('imperative', { input: { ...input, optional: true } })).data).toBeNull();
      await expectError(
        call('imperative', { input }),
        401,
        'NO_AUTHORIZATION',
        'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")',
      );
      await expectError(
        call('imperative', { input: { ...input, fresh: true }, ...bearer(await access('i')) }),
        401,
        'FRESH_TOKEN_REQUIRED',
        'Fresh token required',
      );
    });
  });
});

describe('verifyJwtInRequest in a custom middleware, given the call type and raw input (createCaller)', () => {
  const cookieJwt = createJwtManager({
    secretKey: 'procedures-secret-0123456789abcdef-xyz',
    tokenLocation: ['cookies', 'json'],
  });
  const ct = initTRPC.context<JwtContextPart>().create({ errorFormatter: cookieJwt.errorFormatter });
  const withToken = ct.procedure.use(async ({ ctx, type, getRawInput, next }) => {
    const token = await cookieJwt.verifyJwtInRequest(ctx, { type, input: await getRawInput() });
    return next({ ctx: { token } });
  });
  const r = ct.router({
    read: withToken.query(({ ctx }) => ctx.token?.identity),
    write: withToken.input(z.unknown()).mutation(({ ctx }) => ctx.token?.identity),
  });

  it('a mutation gets the CSRF check for a cookie token, even without an HTTP method', async () => {
    const token = await cookieJwt.createAccessToken('c');
    const cookie = `access_token_cookie=${token}`;
    const caller = (headers: Record<string, string>) =>
      r.createCaller(cookieJwt.createJwtContext({ headers }));
    expect(await caller({ cookie }).read()).toBe('c'); // a query without a method: no CSRF check
    await expect(caller({ cookie }).write(null)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Missing CSRF token',
    });
    const csrf = await cookieJwt.getCsrfToken(token);
    expect(await caller({ cookie, 'X-CSRF-TOKEN': csrf }).write(null)).toBe('c');
  });

  it('the json location reads the token from the raw input', async () => {
    const token = await cookieJwt.createAccessToken('j');
    const caller = r.createCaller(cookieJwt.createJwtContext({ headers: {} }));
    expect(await caller.write({ access_token: token })).toBe('j');
  });
});

describe('OPTIONS is exempt (createCaller)', () => {
  it('the procedure runs with a null token, whatever the request holds', async () => {
    const seen: unknown[] = [];
    const r = t.router({ p: protectedProcedure.query(({ ctx }) => seen.push(ctx.token)) });
    const headers = { Authorization: 'Bearer garbage' };
    await r.createCaller(jwt.createJwtContext({ headers, method: 'OPTIONS' })).p();
    expect(seen).toEqual([null]);
    await expect(r.createCaller(jwt.createJwtContext({ headers, method: 'GET' })).p()).rejects.toMatchObject({
      code: 'UNPROCESSABLE_CONTENT',
      message: 'Not enough segments',
    });
  });
});

describe('jwt.required() validates its options where the procedure is defined', () => {
  it('an unknown or empty locations list is a JwtConfigError naming `locations`', () => {
    for (const locations of [['headers', 'nope'], [], 'cookie']) {
      expect(() => jwt.required({ locations: locations as never })).toThrow(JwtConfigError);
      expect(() => jwt.required({ locations: locations as never })).toThrow('option `locations`');
    }
  });
});
