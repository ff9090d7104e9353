/**
 * Acceptance-style conformance tests of the public API contract (/work/shared/API.md), written from
 * the contract alone, as an outsider would: every test names (or quotes) the API.md statement it
 * checks. Everything is imported from the three entry points (`trpc-jwt-extended`,
 * `trpc-jwt-extended/client`, `trpc-jwt-extended/redis`, here through their src paths) and driven
 * through real tRPC routers: the fetch adapter with real `Request`s, the standalone (node) adapter
 * where the node form is the point, and server-side callers where API.md names them.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createTRPCClient, httpLink, type Operation, TRPCClientError } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { initTRPC, TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createClient } from 'redis';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createJwtContext,
  createJwtManager,
  createMemoryBlocklist,
  CSRFError,
  ExpiredSignatureError,
  FreshTokenRequiredError,
  InvalidHeaderError,
  InvalidQueryParamError,
  JwtConfigError,
  type JwtContextPart,
  JWTDecodeError,
  JwtError,
  type JwtManagerOptions,
  NoAuthorizationError,
  RevokedTokenError,
  type SetCookieOptions,
  UserClaimsVerificationError,
  UserLookupError,
  type VerifiedToken,
  WrongTokenError,
} from '../../src/index.js';
import { jwtHeaders, refreshLink } from '../../src/client/index.js';
import { createRedisBlocklist } from '../../src/stores/redis.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import {
  type CallOptions,
  type CallResult,
  callTrpc,
  fetchHandler,
  parseSetCookie,
  type SetCookie,
  startStandalone,
} from '../helpers/servers.js';

// ---------------------------------------------------------------------------------------------
// Helpers an outsider would write: an HS256 token crafter, a small app, and assertions.
// ---------------------------------------------------------------------------------------------

/** 38 bytes: more than HS256's 32. */
const SECRET = 'api-md-contract-secret-0123456789abcdef';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const mac = (hash: string, secret: string, input: string) =>
  createHmac(hash, secret).update(input).digest('base64url');

/** A token signed by hand (HS256 by default), for claims `createAccessToken` never writes. */
function sign(
  payload: Record<string, unknown> | string,
  header: Record<string, unknown> = {},
  secret = SECRET,
): string {
  const h = { alg: 'HS256', typ: 'JWT', ...header };
  const p = typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : enc(payload);
  const input = `${enc(h)}.${p}`;
  const hash = h.alg === 'HS384' ? 'sha384' : h.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${input}.${mac(hash, secret, input)}`;
}

/** Claims of a valid access token, to craft variants of. */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return {
    fresh: false,
    iat: now,
    jti: crypto.randomUUID(),
    type: 'access',
    sub: 'alice',
    nbf: now,
    exp: now + 600,
    ...extra,
  };
}

const decodePart = (token: string, index: 0 | 1): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString()) as Record<string, unknown>;
const payloadOf = (token: string) => decodePart(token, 1);
const headerOf = (token: string) => decodePart(token, 0);

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

type Options = Partial<JwtManagerOptions<any, any>>;

/** What the protected test procedures answer: the fields of ctx.token, and whether ctx has `user`. */
function summary({ ctx }: { ctx: { token: VerifiedToken<any> | null } }) {
  const token = ctx.token!;
  return {
    raw: token.raw,
    header: token.header,
    payload: token.payload,
    identity: token.identity,
    type: token.type,
    fresh: token.fresh,
    jti: token.jti,
    location: token.location,
    hasUser: 'user' in ctx,
    user: (ctx as { user?: unknown }).user ?? null,
  };
}
type Summary = ReturnType<typeof summary>;

/** A manager and a router using every part of §3–§5, on the fetch adapter. */
function makeApp(options: Options = {}, handlerOpts: { allowMethodOverride?: boolean } = {}) {
  const jwt = createJwtManager<any, any>({ secretKey: SECRET, ...options });
  const createContext = (opts: Parameters<typeof jwt.createJwtContext>[0]) => ({
    ...jwt.createJwtContext(opts),
    db: { name: 'the-db' },
  });
  type Context = ReturnType<typeof createContext>;
  const t = initTRPC.context<Context>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
    t.procedure,
  );
  const apiOnly = t.procedure.concat(
    jwt.required({ locations: ['headers'], verifyType: false, skipRevocationCheck: true }),
  );
  const runs = { count: 0 };
  const counted = (args: { ctx: { token: VerifiedToken<any> | null } }) => {
    runs.count += 1;
    return summary(args);
  };
  const cookieOpts = z.object({ domain: z.string().optional(), maxAge: z.number().optional() }).optional();
  const toCookieOptions = (input: z.infer<typeof cookieOpts>): SetCookieOptions => {
    const out: SetCookieOptions = {};
    if (input?.domain !== undefined) out.domain = input.domain;
    if (input?.maxAge !== undefined) out.maxAge = input.maxAge;
    return out;
  };
  const router = t.router({
    me: protectedProcedure.query(counted),
    exempt: protectedProcedure.query(({ ctx }) => (ctx.token === null ? 'no token' : ctx.token.identity)),
    meWrite: protectedProcedure.mutation(counted),
    events: protectedProcedure.subscription(async function* (args) {
      yield { location: args.ctx.token.location, identity: args.ctx.token.identity };
    }),
    optional: optionalProcedure.query(({ ctx }) => ctx.token?.identity ?? null),
    fresh: freshProcedure.query(counted),
    refresh: refreshProcedure.mutation(counted),
    apiOnly: apiOnly.query(counted),
    verify: t.procedure
      .input(z.object({ optional: z.boolean(), fresh: z.boolean(), refresh: z.boolean() }))
      .query(async ({ ctx, input }) => {
        const token = await jwt.verifyJwtInRequest(ctx, input);
        return token === null ? null : { identity: token.identity, location: token.location };
      }),
    decode: t.procedure.input(z.string()).query(({ input }) => jwt.decodeToken(input)),
    boom: t.procedure.query(() => {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'no such thing' });
    }),
    login: t.procedure.input(cookieOpts).mutation(async ({ ctx, input }) => {
      await jwt.setAccessCookies(ctx, await jwt.createAccessToken('alice'), toCookieOptions(input));
      await jwt.setRefreshCookies(ctx, await jwt.createRefreshToken('alice'), toCookieOptions(input));
      return 'ok';
    }),
    logout: t.procedure.input(cookieOpts).mutation(({ ctx, input }) => {
      jwt.unsetJwtCookies(ctx, toCookieOptions(input));
      return 'ok';
    }),
    unsetAccess: t.procedure.mutation(({ ctx }) => {
      jwt.unsetAccessCookies(ctx);
      return 'ok';
    }),
    unsetRefresh: t.procedure.mutation(({ ctx }) => {
      jwt.unsetRefreshCookies(ctx);
      return 'ok';
    }),
  });
  const endpoint = fetchHandler(router, createContext, handlerOpts);
  const call = <T = Summary>(path: string, opts?: CallOptions) => callTrpc<T>(endpoint, path, opts);
  /** The SSE subscription `events` with these connection params: the whole stream as text. */
  const subscribe = async (connectionParams: Record<string, string>) => {
    const url = new URL(`${endpoint.url}/events`);
    url.searchParams.set('connectionParams', JSON.stringify(connectionParams));
    return (await endpoint.send(url.toString(), { headers: { accept: 'text/event-stream' } })).text();
  };
  const caller = (opts: Parameters<typeof jwt.createJwtContext>[0]) =>
    t.createCallerFactory(router)(createContext(opts));
  return { jwt, t, router, createContext, call, subscribe, caller, runs };
}

/** Asserts a JWT failure over HTTP: status, tRPC code, `data.jwt.code` and message, in one comparison. */
function expectFailure(
  res: CallResult<unknown>,
  status: number,
  trpcCode: string,
  jwtCode: string | null,
  message: string,
): void {
  expect({
    status: res.status,
    code: res.error?.data.code,
    jwt: res.error?.data.jwt,
    message: res.error?.message,
  }).toEqual({ status, code: trpcCode, jwt: jwtCode === null ? null : { code: jwtCode }, message });
}

function expectOk<T>(res: CallResult<T>): T {
  expect({ status: res.status, error: res.error?.message }).toEqual({ status: 200, error: undefined });
  return res.data as T;
}

/** The error `fn` throws (fails when it does not throw). */
async function thrown(fn: () => unknown): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function setCookies(res: CallResult<unknown>): Record<string, SetCookie> {
  return Object.fromEntries(res.setCookies.map((raw) => [parseSetCookie(raw).name, parseSetCookie(raw)]));
}

const cookie = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

describe('Entry points (package.json `exports`)', () => {
  const read = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8');
  /** Module specifiers a file imports at runtime (type-only imports excluded). */
  const runtimeImports = (source: string) =>
    [...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);

  it('`trpc-jwt-extended/client` may import "@trpc/client, @trpc/server/observable; never jose or node built-ins"', () => {
    // Besides its own modules, the client imports one module of the server's: the defaults, a leaf
    // that imports nothing (test/architecture), so both sides share the header and cookie names.
    const dir = new URL('../../src/client/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      for (const spec of runtimeImports(read(`client/${file}`))) {
        expect(
          spec.startsWith('./') ||
            spec === '../config/defaults.js' ||
            spec === '@trpc/client' ||
            spec === '@trpc/server/observable',
          `${file} imports ${spec}`,
        ).toBe(true);
      }
    }
  });

  it('`trpc-jwt-extended/redis` imports no Redis client: "a Redis client given by the user"', () => {
    const specs = runtimeImports(read('stores/redis.ts'));
    expect(specs.filter((s) => !s.startsWith('./') && !s.startsWith('../'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// §1 The manager
// ---------------------------------------------------------------------------------------------

describe('§1 The manager', () => {
  it("the example: createJwtManager({ secretKey, tokenLocation: ['headers', 'cookies'] })", async () => {
    const jwt = createJwtManager({ secretKey: SECRET, tokenLocation: ['headers', 'cookies'] });
    expect(typeof (await jwt.createAccessToken('alice'))).toBe('string');
  });

  it('"throws JwtConfigError (a TypeError) naming the option": missing key for the algorithm', () => {
    const error = (() => {
      try {
        createJwtManager({});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('secretKey');
    expect(() => createJwtManager({ algorithm: 'RS256' })).toThrow(JwtConfigError);
    expect(() => createJwtManager({ algorithm: 'RS256' })).toThrow(/privateKey|publicKey/);
  });

  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const)('"an HMAC secret shorter than the hash": %s needs %i bytes', (algorithm, bytes) => {
    expect(() => createJwtManager({ algorithm, secretKey: 'k'.repeat(bytes - 1) })).toThrow(JwtConfigError);
    expect(() => createJwtManager({ algorithm, secretKey: 'k'.repeat(bytes - 1) })).toThrow(/secretKey/);
    expect(() => createJwtManager({ algorithm, secretKey: 'k'.repeat(bytes) })).not.toThrow();
    expect(() => createJwtManager({ algorithm, secretKey: new Uint8Array(bytes).fill(7) })).not.toThrow();
  });

  it('"a PEM string given as an HMAC secret" is a JwtConfigError naming secretKey', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createJwtManager({ secretKey: pem })).toThrow(JwtConfigError);
    expect(() => createJwtManager({ secretKey: pem })).toThrow(/secretKey/);
  });

  it.each([
    ['an unknown location', { tokenLocation: ['header'] as never }, 'tokenLocation'],
    ['an empty header name', { headerName: '' }, 'headerName'],
    ['a bad duration', { accessTokenExpires: '15 minutes' as never }, 'accessTokenExpires'],
    ['a bad duration (refresh)', { refreshTokenExpires: -1 }, 'refreshTokenExpires'],
  ] as const)('"throws JwtConfigError naming the option" for %s', (_what, bad, option) => {
    const error = (() => {
      try {
        createJwtManager({ secretKey: SECRET, ...bad });
      } catch (e) {
        return e as JwtConfigError;
      }
    })();
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error?.message).toContain(option);
  });

  it('"Nothing is checked lazily on the first request": a bad option throws at createJwtManager', () => {
    // A bad value among good ones, where no request ever happens.
    expect(() =>
      createJwtManager({ secretKey: SECRET, tokenLocation: ['cookies'], decodeLeeway: -5 }),
    ).toThrow(JwtConfigError);
  });

  it('defaults: algorithm HS256, accessTokenExpires 15m, refreshTokenExpires 30d, identityClaim sub, encodeNbf true', async () => {
    const jwt = createJwtManager({ secretKey: SECRET });
    const access = await jwt.createAccessToken('alice');
    const refresh = await jwt.createRefreshToken('alice');
    const a = payloadOf(access);
    const r = payloadOf(refresh);
    expect(headerOf(access)).toMatchObject({ alg: 'HS256' });
    expect((a.exp as number) - (a.iat as number)).toBe(15 * 60);
    expect((r.exp as number) - (r.iat as number)).toBe(30 * 86_400);
    expect(a.sub).toBe('alice');
    expect(a.nbf).toBe(a.iat);
    expect(a.type).toBe('access');
    expect(r.type).toBe('refresh');
  });

  it("defaults: tokenLocation ['headers'], headerName 'Authorization', headerType 'Bearer'", async () => {
    const app = makeApp();
    const token = await app.jwt.createAccessToken('alice');
    expect(expectOk(await app.call('me', { headers: bearer(token) })).location).toBe('headers');
    expectFailure(
      await app.call('me', { headers: { cookie: cookie({ access_token_cookie: token }) } }),
      401,
      'UNAUTHORIZED',
      'NO_AUTHORIZATION',
      'Missing Authorization Header',
    );
  });

  it('defaults: the cookie names and paths, cookieSecure false, sessionCookie true', async () => {
    const app = makeApp({ tokenLocation: ['cookies'] });
    const cookies = setCookies(await app.call('login', { type: 'mutation' }));
    expect(Object.keys(cookies).sort()).toEqual([
      'access_token_cookie',
      'csrf_access_token',
      'csrf_refresh_token',
      'refresh_token_cookie',
    ]);
    for (const c of Object.values(cookies)) {
      expect(c.attributes.path).toBe('/');
      expect(c.attributes.secure).toBeUndefined();
      expect(c.attributes['max-age']).toBeUndefined(); // a session cookie
      expect(c.attributes.domain).toBeUndefined();
      expect(c.attributes.samesite).toBeUndefined();
    }
    expect(cookies.access_token_cookie!.attributes.httponly).toBe(true);
  });

  it("defaults: cookieCsrfProtect true with header 'X-CSRF-TOKEN', csrfMethods include POST", async () => {
    const app = makeApp({ tokenLocation: ['cookies'] });
    const token = await app.jwt.createAccessToken('alice');
    const csrf = await app.jwt.getCsrfToken(token);
    const jar = { cookie: cookie({ access_token_cookie: token }) };
    expectFailure(
      await app.call('meWrite', { type: 'mutation', headers: jar }),
      401,
      'UNAUTHORIZED',
      'CSRF_ERROR',
      'Missing CSRF token',
    );
    expectOk(await app.call('meWrite', { type: 'mutation', headers: { ...jar, 'X-CSRF-TOKEN': csrf } }));
    expectOk(await app.call('me', { headers: jar })); // GET: not a csrfMethod, not a mutation
  });

  it("defaults: queryStringName 'jwt' with prefix '', jsonKey 'access_token', refreshJsonKey 'refresh_token', connectionParamsKey 'token'", async () => {
    const app = makeApp({ tokenLocation: ['query_string', 'json', 'connection_params'] });
    const token = await app.jwt.createAccessToken('alice');
    const refresh = await app.jwt.createRefreshToken('alice');
    expect(expectOk(await app.call('me', { query: { jwt: token } })).location).toBe('query_string');
    expect(
      expectOk(await app.call('meWrite', { type: 'mutation', input: { access_token: token } })).location,
    ).toBe('json');
    expect(
      expectOk(await app.call('refresh', { type: 'mutation', input: { refresh_token: refresh } })).location,
    ).toBe('json');
    expect(await app.subscribe({ token })).toContain('"location":"connection_params"');
  });

  it("algorithm and decodeAlgorithms: '[algorithm] (algorithm always included)'", async () => {
    const secret = 'k'.repeat(64);
    const hs512 = createJwtManager({ secretKey: secret, algorithm: 'HS512' });
    const both = createJwtManager({ secretKey: secret, algorithm: 'HS256', decodeAlgorithms: ['HS512'] });
    const only256 = createJwtManager({ secretKey: secret });
    const token512 = await hs512.createAccessToken('alice');
    expect(headerOf(token512).alg).toBe('HS512');
    await expect(both.decodeToken(token512)).resolves.toMatchObject({ sub: 'alice' });
    await expect(both.decodeToken(await both.createAccessToken('bob'))).resolves.toMatchObject({
      sub: 'bob',
    });
    await expect(only256.decodeToken(token512)).rejects.toThrow('The specified alg value is not allowed');
  });

  it('privateKey/publicKey: "PEM string, JWK, or KeyObject/CryptoKey" for RS/PS/ES/EdDSA', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forms = [
      {
        privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
      {
        privateKey: pair.privateKey.export({ format: 'jwk' }),
        publicKey: pair.publicKey.export({ format: 'jwk' }),
      },
      { privateKey: pair.privateKey, publicKey: pair.publicKey },
      {
        privateKey: await crypto.subtle.importKey(
          'jwk',
          pair.privateKey.export({ format: 'jwk' }),
          { name: 'ECDSA', namedCurve: 'P-256' },
          true,
          ['sign'],
        ),
        publicKey: await crypto.subtle.importKey(
          'jwk',
          pair.publicKey.export({ format: 'jwk' }),
          { name: 'ECDSA', namedCurve: 'P-256' },
          true,
          ['verify'],
        ),
      },
    ];
    for (const keys of forms) {
      const jwt = createJwtManager({ algorithm: 'ES256', ...keys } as JwtManagerOptions);
      const token = await jwt.createAccessToken('alice');
      expect(headerOf(token).alg).toBe('ES256');
      await expect(jwt.decodeToken(token)).resolves.toMatchObject({ sub: 'alice' });
    }
  });

  it("accessTokenExpires: \"seconds, '30s'/'15m'/'12h'/'30d', or false (no exp)\"", async () => {
    for (const [value, seconds] of [
      [90, 90],
      ['30s', 30],
      ['15m', 900],
      ['12h', 43_200],
      ['30d', 2_592_000],
    ] as const) {
      const p = payloadOf(
        await createJwtManager({ secretKey: SECRET, accessTokenExpires: value }).createAccessToken('a'),
      );
      expect((p.exp as number) - (p.iat as number)).toBe(seconds);
    }
    const none = payloadOf(
      await createJwtManager({ secretKey: SECRET, accessTokenExpires: false }).createAccessToken('a'),
    );
    expect('exp' in none).toBe(false);
  });

  it('identityClaim and verifySub', async () => {
    const app = makeApp({ identityClaim: 'user_id' });
    const token = await app.jwt.createAccessToken('alice');
    expect(payloadOf(token).user_id).toBe('alice');
    expect('sub' in payloadOf(token)).toBe(false);
    expect(expectOk(await app.call('me', { headers: bearer(token) })).identity).toBe('alice');

    const numericSub = sign(claims({ sub: 42 }));
    const strict = makeApp();
    expectFailure(
      await strict.call('me', { headers: bearer(numericSub) }),
      422,
      'UNPROCESSABLE_CONTENT',
      'INVALID_TOKEN',
      'Subject must be a string',
    );
    const lax = makeApp({ verifySub: false });
    expect(expectOk(await lax.call('me', { headers: bearer(numericSub) })).payload.sub).toBe(42);
  });

  it('encodeAudience/decodeAudience (string or string[]), encodeIssuer/decodeIssuer', async () => {
    const issuer = makeApp({ encodeAudience: ['api', 'web'], encodeIssuer: 'https://issuer' });
    const token = await issuer.jwt.createAccessToken('alice');
    expect(payloadOf(token)).toMatchObject({ aud: ['api', 'web'], iss: 'https://issuer' });
    const single = payloadOf(
      await createJwtManager({ secretKey: SECRET, encodeAudience: 'api' }).createAccessToken('a'),
    );
    expect(single.aud).toBe('api');

    const verifier = makeApp({ decodeAudience: 'web', decodeIssuer: ['https://other', 'https://issuer'] });
    expectOk(await verifier.call('me', { headers: bearer(token) }));
    const strict = makeApp({ decodeAudience: ['mobile'] });
    expectFailure(
      await strict.call('me', { headers: bearer(token) }),
      422,
      'UNPROCESSABLE_CONTENT',
      'INVALID_TOKEN',
      "Audience doesn't match",
    );
  });

  it('decodeLeeway (default 0 seconds) and clock: "every time check uses it"', async () => {
    let now = Date.now();
    const app = makeApp({ clock: () => now, accessTokenExpires: 60 });
    const token = await app.jwt.createAccessToken('alice');
    expect(payloadOf(token).iat).toBe(Math.floor(now / 1000));
    now += 59_000;
    expectOk(await app.call('me', { headers: bearer(token) }));
    now += 2_000;
    expectFailure(
      await app.call('me', { headers: bearer(token) }),
      401,
      'UNAUTHORIZED',
      'TOKEN_EXPIRED',
      'Token has expired',
    );
    const lenient = makeApp({ clock: () => now, decodeLeeway: 30 });
    expectOk(await lenient.call('me', { headers: bearer(token) }));
  });

  it('encodeNbf: false writes no nbf', async () => {
    const p = payloadOf(
      await createJwtManager({ secretKey: SECRET, encodeNbf: false }).createAccessToken('a'),
    );
    expect('nbf' in p).toBe(false);
  });

  it("headerName/headerType: a custom header, and headerType '' = raw token", async () => {
    const token = await createJwtManager({ secretKey: SECRET }).createAccessToken('alice');
    const raw = makeApp({ headerName: 'X-Auth', headerType: '' });
    expectOk(await raw.call('me', { headers: { 'X-Auth': token } }));
    const custom = makeApp({ headerType: 'JWT' });
    expectOk(await custom.call('me', { headers: { authorization: `JWT ${token}` } }));
  });

  it('queryStringName/queryStringValuePrefix, jsonKey/refreshJsonKey, connectionParamsKey', async () => {
    const app = makeApp({
      tokenLocation: ['query_string', 'json', 'connection_params'],
      queryStringName: 'token',
      queryStringValuePrefix: 'Bearer ',
      jsonKey: 'at',
      refreshJsonKey: 'rt',
      connectionParamsKey: 'auth',
    });
    const token = await app.jwt.createAccessToken('alice');
    const refresh = await app.jwt.createRefreshToken('alice');
    expect(expectOk(await app.call('me', { query: { token: `Bearer ${token}` } })).location).toBe(
      'query_string',
    );
    expect(expectOk(await app.call('meWrite', { type: 'mutation', input: { at: token } })).location).toBe(
      'json',
    );
    expectOk(await app.call('refresh', { type: 'mutation', input: { rt: refresh } }));
    expect(await app.subscribe({ auth: token })).toContain('"location":"connection_params"');
  });

  it('cookie options: names, paths, cookieSecure, cookieDomain, cookieSamesite, sessionCookie, CSRF header name', async () => {
    const app = makeApp({
      tokenLocation: ['cookies'],
      accessCookieName: 'at',
      refreshCookieName: 'rt',
      accessCookiePath: '/api',
      refreshCookiePath: '/auth',
      accessCsrfCookieName: 'cat',
      refreshCsrfCookieName: 'crt',
      accessCsrfCookiePath: '/c1',
      refreshCsrfCookiePath: '/c2',
      accessCsrfHeaderName: 'X-A',
      cookieSecure: true,
      cookieDomain: 'example.com',
      cookieSamesite: 'Strict',
      sessionCookie: false,
    });
    const cookies = setCookies(await app.call('login', { type: 'mutation' }));
    expect(Object.keys(cookies).sort()).toEqual(['at', 'cat', 'crt', 'rt']);
    expect(cookies.at!.attributes.path).toBe('/api');
    expect(cookies.rt!.attributes.path).toBe('/auth');
    expect(cookies.cat!.attributes.path).toBe('/c1');
    expect(cookies.crt!.attributes.path).toBe('/c2');
    for (const c of Object.values(cookies)) {
      expect(c.attributes).toMatchObject({ secure: true, domain: 'example.com', samesite: 'Strict' });
      expect(c.attributes['max-age']).toBeDefined();
    }
    const csrf = await app.jwt.getCsrfToken(cookies.at!.value);
    expectOk(
      await app.call('meWrite', {
        type: 'mutation',
        headers: { cookie: cookie({ at: cookies.at!.value }), 'X-A': csrf },
      }),
    );
  });

  it('cookieCsrfProtect false, csrfInCookies false, csrfCheckForm true', async () => {
    const off = makeApp({ tokenLocation: ['cookies'], cookieCsrfProtect: false });
    const token = await off.jwt.createAccessToken('alice');
    expectOk(
      await off.call('meWrite', {
        type: 'mutation',
        headers: { cookie: cookie({ access_token_cookie: token }) },
      }),
    );

    const noCsrfCookies = makeApp({ tokenLocation: ['cookies'], csrfInCookies: false });
    expect(Object.keys(setCookies(await noCsrfCookies.call('login', { type: 'mutation' }))).sort()).toEqual([
      'access_token_cookie',
      'refresh_token_cookie',
    ]);

    const form = makeApp({ tokenLocation: ['cookies'], csrfCheckForm: true });
    const formToken = await form.jwt.createAccessToken('alice');
    const body = new FormData();
    body.set('csrf_token', await form.jwt.getCsrfToken(formToken));
    expectOk(
      await form.call('meWrite', {
        type: 'mutation',
        body,
        headers: { cookie: cookie({ access_token_cookie: formToken }) },
      }),
    );
  });

  it('csrfMethods: a query sent as POST is CSRF-checked by default, not when POST is left out', async () => {
    const token = await createJwtManager({ secretKey: SECRET }).createAccessToken('alice');
    const jar = { cookie: cookie({ access_token_cookie: token }) };
    const checked = makeApp({ tokenLocation: ['cookies'] }, { allowMethodOverride: true });
    expectFailure(
      await checked.call('me', { method: 'POST', headers: { ...jar, 'content-type': 'application/json' } }),
      401,
      'UNAUTHORIZED',
      'CSRF_ERROR',
      'Missing CSRF token',
    );
    const putOnly = makeApp(
      { tokenLocation: ['cookies'], csrfMethods: ['PUT'] },
      { allowMethodOverride: true },
    );
    expectOk(
      await putOnly.call('me', { method: 'POST', headers: { ...jar, 'content-type': 'application/json' } }),
    );
  });

  it('maxTokenLength: default 8192 characters', async () => {
    const app = makeApp();
    const base = claims();
    /** A valid token of exactly `length` characters (a header parameter shifts the base64 rounding). */
    const tokenOfLength = (length: number): string => {
      for (let shift = 0; shift < 4; shift++) {
        const header = { x: 'y'.repeat(shift) };
        const start = Math.max(0, Math.floor(((length - sign(base, header).length) * 3) / 4) - 40);
        for (let n = start; ; n++) {
          const token = sign({ ...base, filler: 'x'.repeat(n) }, header);
          if (token.length === length) return token;
          if (token.length > length) break;
        }
      }
      throw new Error(`no token of length ${length}`);
    };
    expectOk(await app.call('me', { headers: bearer(tokenOfLength(8192)) }));
    const res = await app.call('me', { headers: bearer(tokenOfLength(8193)) });
    expect({ status: res.status, jwt: res.error?.data.jwt }).toEqual({
      status: 422,
      jwt: { code: 'INVALID_TOKEN' },
    });
  });

  it('claims: "a zod schema (any Standard Schema) for custom claims: validates verified payloads and types ctx.token.payload"', async () => {
    const jwt = createJwtManager({
      secretKey: SECRET,
      claims: z.object({ role: z.enum(['user', 'admin']) }),
    });
    const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
    const { protectedProcedure } = jwt.procedures(t.procedure);
    const router = t.router({
      role: protectedProcedure.query(({ ctx }) => {
        expectTypeOf(ctx.token.payload.role).toEqualTypeOf<'user' | 'admin'>();
        return ctx.token.payload.role;
      }),
    });
    const endpoint = fetchHandler(router, (opts) => jwt.createJwtContext(opts));
    const admin = await jwt.createAccessToken('alice', { additionalClaims: { role: 'admin' } });
    expect(expectOk(await callTrpc(endpoint, 'role', { headers: bearer(admin) }))).toBe('admin');
  });

  describe('Loaders', () => {
    it('additionalClaimsLoader, additionalHeadersLoader, userIdentityLoader: (identity) => …, each may be async', async () => {
      const seen: unknown[] = [];
      const jwt = createJwtManager({
        secretKey: SECRET,
        additionalClaimsLoader: async (identity) => {
          seen.push(identity);
          return { role: 'admin', team: 'a' };
        },
        additionalHeadersLoader: async () => ({ kid: 'k1' }),
        userIdentityLoader: async (identity) => (identity as { id: string }).id,
      });
      const user = { id: 'u1' };
      const token = await jwt.createAccessToken(user, { additionalClaims: { team: 'b' } });
      expect(seen).toEqual([user]);
      expect(payloadOf(token)).toMatchObject({ sub: 'u1', role: 'admin', team: 'b' });
      expect(headerOf(token)).toMatchObject({ alg: 'HS256', kid: 'k1' });
    });

    it('defaults: additional claims/headers {} and identity unchanged', async () => {
      const token = await createJwtManager({ secretKey: SECRET }).createAccessToken('alice');
      expect(Object.keys(payloadOf(token)).sort()).toEqual(
        ['csrf', 'exp', 'fresh', 'iat', 'jti', 'nbf', 'sub', 'type'].sort(),
      );
      expect(Object.keys(headerOf(token)).sort()).toEqual(['alg', 'typ']);
      expect(payloadOf(token).sub).toBe('alice');
    });

    it('encodeKeyLoader (identity) => key, decodeKeyLoader ({ header, payload }) => key (unverified header and payload)', async () => {
      const keys: Record<string, string> = { alice: 'a'.repeat(32), bob: 'b'.repeat(32) };
      const decodeArgs: unknown[] = [];
      const jwt = createJwtManager({
        encodeKeyLoader: async (identity) => keys[identity as string]!,
        decodeKeyLoader: async (args) => {
          decodeArgs.push(args);
          return keys[args.payload.sub as string] ?? 'z'.repeat(32);
        },
      });
      const token = await jwt.createAccessToken('alice');
      expect(token.split('.')[2]).toBe(mac('sha256', keys.alice!, token.split('.').slice(0, 2).join('.')));
      await expect(jwt.decodeToken(token)).resolves.toMatchObject({ sub: 'alice' });
      expect(decodeArgs[0]).toEqual({ header: headerOf(token), payload: payloadOf(token) });
      // signed with alice's key but claiming to be bob: bob's key is chosen, the signature fails
      const forged = sign({ ...claims(), sub: 'bob' }, {}, keys.alice!);
      await expect(jwt.decodeToken(forged)).rejects.toThrow('Signature verification failed');
    });

    it('tokenInBlocklistLoader, tokenVerificationLoader, userLookupLoader: ({ header, payload, ctx }), may be async', async () => {
      const calls: string[] = [];
      const check = (name: string, args: { header: unknown; payload: any; ctx: any }) => {
        expect(args.header).toMatchObject({ alg: 'HS256' });
        expect(args.payload.sub).toBe('alice');
        expect(args.ctx.db).toEqual({ name: 'the-db' });
        calls.push(name);
      };
      const app = makeApp({
        tokenInBlocklistLoader: async (args) => (check('blocklist', args), false),
        tokenVerificationLoader: async (args) => (check('verification', args), true),
        userLookupLoader: async (args) => (check('user', args), { name: 'Alice' }),
      });
      const token = await app.jwt.createAccessToken('alice');
      const res = expectOk(await app.call('me', { headers: bearer(token) }));
      expect(calls).toEqual(['blocklist', 'verification', 'user']);
      expect(res.user).toEqual({ name: 'Alice' });
    });

    it('userLookupLoader: "when given, ctx.user is typed User"', () => {
      const jwt = createJwtManager({
        secretKey: SECRET,
        userLookupLoader: async ({ payload }) => ({ id: String(payload.sub), admin: false }),
      });
      const t = initTRPC.context<JwtContextPart>().create();
      const { protectedProcedure, optionalProcedure } = jwt.procedures(t.procedure);
      protectedProcedure.query(({ ctx }) => {
        expectTypeOf(ctx.user).toEqualTypeOf<{ id: string; admin: boolean }>();
        expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<{}>>();
      });
      optionalProcedure.query(({ ctx }) => {
        expectTypeOf(ctx.user).toEqualTypeOf<{ id: string; admin: boolean } | null>();
        expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<{}> | null>();
      });
    });

    it.each([
      ['expiredTokenLoader', 'me', 'expired'],
      ['needsFreshTokenLoader', 'fresh', 'fresh'],
      ['revokedTokenLoader', 'me', 'revoked'],
      ['tokenVerificationFailedLoader', 'me', 'verification'],
      ['userLookupErrorLoader', 'me', 'user'],
    ] as const)(
      '%s: ({ header, payload, ctx }) => TRPCError "decides what the client gets (code and message)"',
      async (loader, path, scenario) => {
        const seen: any[] = [];
        let now = Date.now();
        const app = makeApp({
          clock: () => now,
          tokenInBlocklistLoader: () => scenario === 'revoked',
          tokenVerificationLoader: () => scenario !== 'verification',
          userLookupLoader: () => (scenario === 'user' ? null : { name: 'x' }),
          [loader]: async (args: any) => {
            seen.push(args);
            return new TRPCError({ code: 'FORBIDDEN', message: `custom ${loader}` });
          },
        });
        const token = await app.jwt.createAccessToken('alice');
        if (scenario === 'expired') now += 3_600_000;
        const res = await app.call(path, { headers: bearer(token) });
        expect({ status: res.status, code: res.error?.data.code, message: res.error?.message }).toEqual({
          status: 403,
          code: 'FORBIDDEN',
          message: `custom ${loader}`,
        });
        expect(seen).toHaveLength(1);
        expect(seen[0].header).toMatchObject({ alg: 'HS256' });
        expect(seen[0].payload).toMatchObject({ sub: 'alice' });
        expect(seen[0].ctx.db).toEqual({ name: 'the-db' });
      },
    );

    it('invalidTokenLoader and unauthorizedLoader: ({ reason, ctx }) => TRPCError', async () => {
      const seen: any[] = [];
      const app = makeApp({
        invalidTokenLoader: ({ reason, ctx }) => {
          seen.push({ reason, db: (ctx as any).db });
          return new TRPCError({ code: 'BAD_REQUEST', message: `invalid: ${reason}` });
        },
        unauthorizedLoader: ({ reason, ctx }) => {
          seen.push({ reason, db: (ctx as any).db });
          return new TRPCError({ code: 'FORBIDDEN', message: `unauthorized: ${reason}` });
        },
      });
      const invalid = await app.call('me', { headers: bearer('not-a-token') });
      expect({ status: invalid.status, message: invalid.error?.message }).toEqual({
        status: 400,
        message: 'invalid: Not enough segments',
      });
      const missing = await app.call('me');
      expect({ status: missing.status, message: missing.error?.message }).toEqual({
        status: 403,
        message: 'unauthorized: Missing Authorization Header',
      });
      expect(seen).toEqual([
        { reason: 'Not enough segments', db: { name: 'the-db' } },
        { reason: 'Missing Authorization Header', db: { name: 'the-db' } },
      ]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// §2 Tokens
// ---------------------------------------------------------------------------------------------

describe('§2 Tokens', () => {
  const jwt = createJwtManager({ secretKey: SECRET, encodeAudience: 'api', encodeIssuer: 'iss' });

  it('createAccessToken(identity, opts) and createRefreshToken(identity, opts) resolve to a string', async () => {
    const access = await jwt.createAccessToken('alice', {
      fresh: true,
      expiresDelta: '1h',
      additionalClaims: { role: 'admin' },
      additionalHeaders: { kid: 'k' },
    });
    const refresh = await jwt.createRefreshToken('alice', {
      expiresDelta: '2d',
      additionalClaims: { device: 'd1' },
      additionalHeaders: { kid: 'r' },
    });
    expect(access.split('.')).toHaveLength(3);
    expect(payloadOf(access)).toMatchObject({ fresh: true, type: 'access', role: 'admin' });
    expect(headerOf(access).kid).toBe('k');
    expect(payloadOf(refresh)).toMatchObject({ type: 'refresh', device: 'd1' });
    expect(headerOf(refresh).kid).toBe('r');
    const r = payloadOf(refresh);
    expect((r.exp as number) - (r.iat as number)).toBe(2 * 86_400);
  });

  it('"fresh is true, false, or a duration (fresh until now + duration, stored as a timestamp)"', async () => {
    const now = Date.now();
    const fixed = createJwtManager({ secretKey: SECRET, clock: () => now });
    expect(payloadOf(await fixed.createAccessToken('a', { fresh: true })).fresh).toBe(true);
    expect(payloadOf(await fixed.createAccessToken('a', { fresh: false })).fresh).toBe(false);
    expect(payloadOf(await fixed.createAccessToken('a')).fresh).toBe(false);
    const fiveMinutes = payloadOf(await fixed.createAccessToken('a', { fresh: '5m' })).fresh as number;
    expect(fiveMinutes).toBeCloseTo(now / 1000 + 300, 0);
    // §5: "A number as a duration always means seconds (also for fresh)"
    const sixty = payloadOf(await fixed.createAccessToken('a', { fresh: 60 })).fresh as number;
    expect(sixty).toBeCloseTo(now / 1000 + 60, 0);
  });

  it('"expiresDelta is a duration or false"', async () => {
    const p = payloadOf(await jwt.createAccessToken('a', { expiresDelta: 120 }));
    expect((p.exp as number) - (p.iat as number)).toBe(120);
    const q = payloadOf(await jwt.createAccessToken('a', { expiresDelta: '12h' }));
    expect((q.exp as number) - (q.iat as number)).toBe(43_200);
    expect('exp' in payloadOf(await jwt.createAccessToken('a', { expiresDelta: false }))).toBe(false);
    expect('exp' in payloadOf(await jwt.createRefreshToken('a', { expiresDelta: false }))).toBe(false);
  });

  it('"Claims layout is flask\'s: fresh, iat, jti, type, <identityClaim>, nbf, csrf, exp, aud, iss, then custom claims (loader first, argument wins ties)"', async () => {
    const withLoader = createJwtManager({
      secretKey: SECRET,
      identityClaim: 'uid',
      encodeAudience: 'api',
      encodeIssuer: 'iss',
      additionalClaimsLoader: () => ({ a: 'loader', b: 'loader' }),
    });
    const token = await withLoader.createAccessToken('alice', { additionalClaims: { b: 'argument', c: 1 } });
    const payload = payloadOf(token);
    expect(Object.keys(payload)).toEqual([
      'fresh',
      'iat',
      'jti',
      'type',
      'uid',
      'nbf',
      'csrf',
      'exp',
      'aud',
      'iss',
      'a',
      'b',
      'c',
    ]);
    expect(payload).toMatchObject({ a: 'loader', b: 'argument', c: 1 });
  });

  it('decodeToken(token, { csrfValue?, allowExpired? }) returns the payload; "throws a JwtError (§5)"', async () => {
    let now = Date.now();
    const m = createJwtManager({ secretKey: SECRET, clock: () => now });
    const token = await m.createAccessToken('alice');
    const payload = await m.decodeToken(token);
    expect(payload).toEqual(payloadOf(token));
    await expect(m.decodeToken(token, { csrfValue: payload.csrf! })).resolves.toEqual(payload);
    const mismatch = await thrown(() => m.decodeToken(token, { csrfValue: 'wrong' }));
    expect(mismatch).toBeInstanceOf(CSRFError);
    expect(mismatch).toBeInstanceOf(JwtError);
    expect(mismatch.message).toBe('CSRF double submit tokens do not match');
    now += 3_600_000;
    const expired = await thrown(() => m.decodeToken(token));
    expect(expired).toBeInstanceOf(ExpiredSignatureError);
    expect(expired.code).toBe('TOKEN_EXPIRED');
    await expect(m.decodeToken(token, { allowExpired: true })).resolves.toEqual(payload);
    const invalid = await thrown(() => m.decodeToken('abc'));
    expect(invalid).toBeInstanceOf(JWTDecodeError);
    expect(invalid.code).toBe('INVALID_TOKEN');
  });

  it('getJti(token) and getCsrfToken(token): "verified first"', async () => {
    const token = await jwt.createAccessToken('alice');
    expect(await jwt.getJti(token)).toBe(payloadOf(token).jti);
    expect(await jwt.getCsrfToken(token)).toBe(payloadOf(token).csrf);
    const forged = sign(claims({ csrf: 'c' }), {}, 'another-secret-0123456789abcdefghij');
    await expect(jwt.getJti(forged)).rejects.toBeInstanceOf(JWTDecodeError);
    await expect(jwt.getCsrfToken(forged)).rejects.toBeInstanceOf(JWTDecodeError);
  });

  it('getUnverifiedJwtHeaders(token): "header, not verified"', async () => {
    const forged = sign(claims(), { kid: 'abc' }, 'another-secret-0123456789abcdefghij');
    const header = jwt.getUnverifiedJwtHeaders(forged);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'abc' });
  });
});

// ---------------------------------------------------------------------------------------------
// §3 Context
// ---------------------------------------------------------------------------------------------

describe('§3 Context', () => {
  it('fetch adapter ({ req, resHeaders, info }): reads the request, writes cookies to resHeaders', async () => {
    const app = makeApp({ tokenLocation: ['headers', 'cookies', 'query_string'] });
    const token = await app.jwt.createAccessToken('alice');
    expect(expectOk(await app.call('me', { headers: bearer(token) })).location).toBe('headers');
    expect(
      expectOk(await app.call('me', { headers: { cookie: `access_token_cookie=${token}` } })).location,
    ).toBe('cookies');
    expect(expectOk(await app.call('me', { query: { jwt: token } })).location).toBe('query_string');
    expect((await app.call('login', { type: 'mutation' })).setCookies).toHaveLength(4);
  });

  it('node adapters ({ req, res, info }): the standalone server reads the request and sets cookies on res', async () => {
    const app = makeApp({ tokenLocation: ['headers', 'cookies'] });
    const endpoint = await startStandalone(app.router, app.createContext);
    try {
      const token = await app.jwt.createAccessToken('alice');
      expect(expectOk(await callTrpc<Summary>(endpoint, 'me', { headers: bearer(token) })).identity).toBe(
        'alice',
      );
      const login = await callTrpc(endpoint, 'login', { type: 'mutation' });
      expect(Object.keys(setCookies(login)).sort()).toEqual([
        'access_token_cookie',
        'csrf_access_token',
        'csrf_refresh_token',
        'refresh_token_cookie',
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it('server-side callers and tests: ({ headers, method?, url? })', async () => {
    const app = makeApp({ tokenLocation: ['headers', 'query_string'] });
    const token = await app.jwt.createAccessToken('alice');
    expect((await app.caller({ headers: { authorization: `Bearer ${token}` } }).me()).identity).toBe('alice');
    expect((await app.caller({ headers: new Headers(bearer(token)) }).me()).location).toBe('headers');
    const viaUrl = app.caller({ headers: {}, method: 'GET', url: `http://localhost/trpc/me?jwt=${token}` });
    expect((await viaUrl.me()).location).toBe('query_string');
  });

  it('the exported createJwtContext works like jwt.createJwtContext', async () => {
    const jwt = createJwtManager({ secretKey: SECRET });
    const token = await jwt.createAccessToken('alice');
    const ctx = createJwtContext({ headers: bearer(token) });
    expect((await jwt.verifyJwtInRequest(ctx))?.identity).toBe('alice');
  });

  it('"createJwtContext never verifies anything and never throws for a bad token"', async () => {
    const jwt = createJwtManager({
      secretKey: SECRET,
      tokenLocation: ['headers', 'cookies', 'query_string'],
    });
    const req = new Request('http://localhost/trpc/me?jwt=%%%bad', {
      headers: { authorization: 'Bearer ...', cookie: 'access_token_cookie=%E0%A4%A; x' },
    });
    let ctx: JwtContextPart | undefined;
    expect(() => {
      ctx = jwt.createJwtContext({ req, resHeaders: new Headers() });
    }).not.toThrow();
    expect(ctx?.jwt).toBeDefined();
  });

  it('"Apps spread it into their own context: ({ ...jwt.createJwtContext(opts), db })"', async () => {
    const app = makeApp({
      userLookupLoader: ({ ctx }) => ({ from: (ctx as { db: { name: string } }).db.name }),
    });
    const token = await app.jwt.createAccessToken('alice');
    expect(expectOk(await app.call('me', { headers: bearer(token) })).user).toEqual({ from: 'the-db' });
  });

  it('"Where no response exists, setting a cookie throws a clear error"', async () => {
    const app = makeApp();
    const error = await thrown(() => app.caller({ headers: {} }).login());
    expect(error.message).toMatch(/cannot set cookie/i);
    const jwt = createJwtManager({ secretKey: SECRET });
    const ctx = jwt.createJwtContext({ req: new Request('http://localhost/') }); // no resHeaders
    await expect(jwt.setAccessCookies(ctx, await jwt.createAccessToken('a'))).rejects.toThrow(/cookie/i);
  });
});

// ---------------------------------------------------------------------------------------------
// §4 Procedures and middleware
// ---------------------------------------------------------------------------------------------

describe('§4 Procedures and middleware', () => {
  const app = makeApp();
  const access = (opts: { fresh?: boolean } = {}) => app.jwt.createAccessToken('alice', opts);

  it('the example: initTRPC.create({ transformer: superjson, errorFormatter: jwt.errorFormatter })', async () => {
    const jwt = createJwtManager({ secretKey: SECRET });
    const t = initTRPC
      .context<JwtContextPart>()
      .create({ transformer: superjson, errorFormatter: jwt.errorFormatter });
    const { protectedProcedure } = jwt.procedures(t.procedure);
    const router = t.router({ when: protectedProcedure.query(() => new Date(0)) });
    const endpoint = fetchHandler(router, (opts) => jwt.createJwtContext(opts));
    const ok = await callTrpc(endpoint, 'when', {
      headers: bearer(await jwt.createAccessToken('a')),
      transformer: superjson,
    });
    expect(ok.data).toEqual(new Date(0));
    const failed = await callTrpc(endpoint, 'when', { transformer: superjson });
    expect({ status: failed.status, jwt: failed.error?.data.jwt }).toEqual({
      status: 401,
      jwt: { code: 'NO_AUTHORIZATION' },
    });
  });

  it('protectedProcedure (@jwt_required()): ctx.token is the VerifiedToken', async () => {
    const token = await access();
    const data = expectOk(await app.call('me', { headers: bearer(token) }));
    const payload = payloadOf(token);
    expect(data).toEqual({
      raw: token,
      header: headerOf(token),
      payload,
      identity: 'alice',
      type: 'access',
      fresh: false,
      jti: payload.jti,
      location: 'headers',
      hasUser: false,
      user: null,
    });
    expectFailure(
      await app.call('me'),
      401,
      'UNAUTHORIZED',
      'NO_AUTHORIZATION',
      'Missing Authorization Header',
    );
  });

  it('optionalProcedure (@jwt_required(optional=True)): token | null', async () => {
    expect(expectOk(await app.call('optional'))).toBeNull();
    expect(expectOk(await app.call('optional', { headers: bearer(await access()) }))).toBe('alice');
    // as flask: only a missing token is tolerated
    expectFailure(
      await app.call('optional', { headers: bearer('abc') }),
      422,
      'UNPROCESSABLE_CONTENT',
      'INVALID_TOKEN',
      'Not enough segments',
    );
  });

  it('freshProcedure (@jwt_required(fresh=True))', async () => {
    expect(expectOk(await app.call('fresh', { headers: bearer(await access({ fresh: true })) })).fresh).toBe(
      true,
    );
    expectFailure(
      await app.call('fresh', { headers: bearer(await access()) }),
      401,
      'UNAUTHORIZED',
      'FRESH_TOKEN_REQUIRED',
      'Fresh token required',
    );
  });

  it('refreshProcedure (@jwt_required(refresh=True))', async () => {
    const refresh = await app.jwt.createRefreshToken('alice');
    expect(expectOk(await app.call('refresh', { type: 'mutation', headers: bearer(refresh) })).type).toBe(
      'refresh',
    );
    expectFailure(
      await app.call('refresh', { type: 'mutation', headers: bearer(await access()) }),
      422,
      'UNPROCESSABLE_CONTENT',
      'WRONG_TOKEN_TYPE',
      'Only refresh tokens are allowed',
    );
  });

  it("t.procedure.concat(jwt.required({ locations: ['headers'], verifyType: false, skipRevocationCheck: true }))", async () => {
    const revoking = makeApp({ tokenLocation: ['cookies'], tokenInBlocklistLoader: () => true });
    const refresh = await revoking.jwt.createRefreshToken('alice');
    // headers although tokenLocation is cookies; a refresh token (verifyType: false); revoked, unchecked
    expect(expectOk(await revoking.call('apiOnly', { headers: bearer(refresh) })).type).toBe('refresh');
    const access = await revoking.jwt.createAccessToken('alice');
    expectFailure(
      await revoking.call('me', { headers: { cookie: `access_token_cookie=${access}` } }),
      401,
      'UNAUTHORIZED',
      'TOKEN_REVOKED',
      'Token has been revoked',
    );
  });

  it('await jwt.verifyJwtInRequest(ctx, { optional?, fresh?, refresh?, … }): VerifiedToken | null', async () => {
    const input = { optional: false, fresh: false, refresh: false };
    const token = await access({ fresh: true });
    expect(expectOk(await app.call('verify', { input, headers: bearer(token) }))).toEqual({
      identity: 'alice',
      location: 'headers',
    });
    expect(expectOk(await app.call('verify', { input: { ...input, optional: true } }))).toBeNull();
    expectFailure(
      await app.call('verify', { input }),
      401,
      'UNAUTHORIZED',
      'NO_AUTHORIZATION',
      'Missing Authorization Header',
    );
    expectFailure(
      await app.call('verify', { input: { ...input, refresh: true }, headers: bearer(token) }),
      422,
      'UNPROCESSABLE_CONTENT',
      'WRONG_TOKEN_TYPE',
      'Only refresh tokens are allowed',
    );
    expectFailure(
      await app.call('verify', { input: { ...input, fresh: true }, headers: bearer(await access()) }),
      401,
      'UNAUTHORIZED',
      'FRESH_TOKEN_REQUIRED',
      'Fresh token required',
    );
    // locations, verifyType, skipRevocationCheck, directly
    const jwt = createJwtManager({ secretKey: SECRET, tokenInBlocklistLoader: () => true });
    const refresh = await jwt.createRefreshToken('bob');
    const ctx = jwt.createJwtContext({ headers: bearer(refresh) });
    const verified = await jwt.verifyJwtInRequest(ctx, {
      locations: ['headers'],
      verifyType: false,
      skipRevocationCheck: true,
    });
    expect(verified?.identity).toBe('bob');
  });

  it('"location is one of the location names (flask\'s get_jwt_request_location())"', async () => {
    const all = makeApp({
      tokenLocation: ['headers', 'cookies', 'query_string', 'json', 'connection_params'],
    });
    const token = await all.jwt.createAccessToken('alice');
    const cases: [CallOptions, string][] = [
      [{ headers: bearer(token) }, 'headers'],
      [{ headers: { cookie: `access_token_cookie=${token}` } }, 'cookies'],
      [{ query: { jwt: token } }, 'query_string'],
      [{ type: 'mutation', input: { access_token: token } }, 'json'],
    ];
    for (const [opts, location] of cases) {
      expect(expectOk(await all.call(opts.type === 'mutation' ? 'meWrite' : 'me', opts)).location).toBe(
        location,
      );
    }
    expect(await all.subscribe({ token })).toContain('"location":"connection_params"');
  });

  it('setAccessCookies(ctx, token, { maxAge?, domain? }) and setRefreshCookies(ctx, token, opts)', async () => {
    const cookieApp = makeApp({ tokenLocation: ['cookies'] });
    const res = await cookieApp.call('login', {
      type: 'mutation',
      input: { domain: 'example.org', maxAge: 3600 },
    });
    const cookies = setCookies(res);
    for (const c of Object.values(cookies)) {
      expect(c.attributes).toMatchObject({ domain: 'example.org', 'max-age': '3600' });
    }
    const token = cookies.access_token_cookie!.value;
    expect(await cookieApp.jwt.getCsrfToken(token)).toBe(cookies.csrf_access_token!.value);
    expect(payloadOf(cookies.refresh_token_cookie!.value).type).toBe('refresh');
    expect(await cookieApp.jwt.getCsrfToken(cookies.refresh_token_cookie!.value)).toBe(
      cookies.csrf_refresh_token!.value,
    );
  });

  it('unsetAccessCookies(ctx, { domain? }), unsetRefreshCookies(ctx, opts), unsetJwtCookies(ctx, opts)', async () => {
    const cookieApp = makeApp({ tokenLocation: ['cookies'] });
    const cleared = (res: CallResult<unknown>) =>
      Object.values(setCookies(res))
        .map((c) => {
          expect(c.value).toBe('');
          return c.name;
        })
        .sort();
    expect(cleared(await cookieApp.call('unsetAccess', { type: 'mutation' }))).toEqual([
      'access_token_cookie',
      'csrf_access_token',
    ]);
    expect(cleared(await cookieApp.call('unsetRefresh', { type: 'mutation' }))).toEqual([
      'csrf_refresh_token',
      'refresh_token_cookie',
    ]);
    const all = await cookieApp.call('logout', { type: 'mutation', input: { domain: 'example.org' } });
    expect(cleared(all)).toEqual([
      'access_token_cookie',
      'csrf_access_token',
      'csrf_refresh_token',
      'refresh_token_cookie',
    ]);
    for (const c of Object.values(setCookies(all))) expect(c.attributes.domain).toBe('example.org');
  });
});

// ---------------------------------------------------------------------------------------------
// §5 Errors
// ---------------------------------------------------------------------------------------------

describe('§5 Errors', () => {
  const revoked = new Set<string>();
  const kitchen = makeApp({
    tokenLocation: ['headers', 'cookies', 'query_string'],
    queryStringValuePrefix: 'Bearer ',
    tokenInBlocklistLoader: ({ payload }) => revoked.has(payload.jti!),
    tokenVerificationLoader: ({ payload }) => payload.ok !== false,
    userLookupLoader: ({ payload }) => (payload.sub === 'ghost' ? null : { name: payload.sub }),
  });
  const { jwt } = kitchen;

  interface Scenario {
    path: 'me' | 'meWrite' | 'fresh' | 'refresh';
    headers?: Record<string, string>;
    query?: Record<string, string>;
  }
  const rows: {
    cls: new (...args: any[]) => JwtError;
    code: string;
    trpc: string;
    status: number;
    message: string;
    scenario: () => Promise<Scenario>;
  }[] = [
    {
      cls: NoAuthorizationError,
      code: 'NO_AUTHORIZATION',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message:
        'Missing JWT in headers, cookies or query_string (Missing Authorization Header; Missing cookie "access_token_cookie"; Missing \'jwt\' query paramater)',
      scenario: async () => ({ path: 'me' }),
    },
    {
      cls: CSRFError,
      code: 'CSRF_ERROR',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'Missing CSRF token',
      scenario: async () => ({
        path: 'meWrite',
        headers: { cookie: `access_token_cookie=${await jwt.createAccessToken('alice')}` },
      }),
    },
    {
      cls: CSRFError,
      code: 'CSRF_ERROR',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'CSRF double submit tokens do not match',
      scenario: async () => ({
        path: 'meWrite',
        headers: {
          cookie: `access_token_cookie=${await jwt.createAccessToken('alice')}`,
          'X-CSRF-TOKEN': 'not-the-csrf-claim',
        },
      }),
    },
    {
      cls: InvalidHeaderError,
      code: 'INVALID_HEADER',
      trpc: 'UNPROCESSABLE_CONTENT',
      status: 422,
      message: "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
      scenario: async () => ({ path: 'me', headers: { authorization: 'Bearer a b' } }),
    },
    {
      cls: InvalidQueryParamError,
      code: 'INVALID_QUERY_PARAM',
      trpc: 'UNPROCESSABLE_CONTENT',
      status: 422,
      message: "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
      scenario: async () => ({ path: 'me', query: { jwt: await jwt.createAccessToken('alice') } }),
    },
    {
      cls: JWTDecodeError,
      code: 'INVALID_TOKEN',
      trpc: 'UNPROCESSABLE_CONTENT',
      status: 422,
      message: 'Not enough segments',
      scenario: async () => ({ path: 'me', headers: bearer('abc') }),
    },
    {
      cls: WrongTokenError,
      code: 'WRONG_TOKEN_TYPE',
      trpc: 'UNPROCESSABLE_CONTENT',
      status: 422,
      message: 'Only non-refresh tokens are allowed',
      scenario: async () => ({ path: 'me', headers: bearer(await jwt.createRefreshToken('alice')) }),
    },
    {
      cls: WrongTokenError,
      code: 'WRONG_TOKEN_TYPE',
      trpc: 'UNPROCESSABLE_CONTENT',
      status: 422,
      message: 'Only refresh tokens are allowed',
      scenario: async () => ({ path: 'refresh', headers: bearer(await jwt.createAccessToken('alice')) }),
    },
    {
      cls: ExpiredSignatureError,
      code: 'TOKEN_EXPIRED',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'Token has expired',
      scenario: async () => ({
        path: 'me',
        headers: bearer(await jwt.createAccessToken('alice', { expiresDelta: 0 })),
      }),
    },
    {
      cls: FreshTokenRequiredError,
      code: 'FRESH_TOKEN_REQUIRED',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'Fresh token required',
      scenario: async () => ({ path: 'fresh', headers: bearer(await jwt.createAccessToken('alice')) }),
    },
    {
      cls: RevokedTokenError,
      code: 'TOKEN_REVOKED',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'Token has been revoked',
      scenario: async () => {
        const token = await jwt.createAccessToken('alice');
        revoked.add((await jwt.getJti(token))!);
        return { path: 'me', headers: bearer(token) };
      },
    },
    {
      cls: UserClaimsVerificationError,
      code: 'CLAIMS_VERIFICATION_FAILED',
      trpc: 'BAD_REQUEST',
      status: 400,
      message: 'User claims verification failed',
      scenario: async () => ({
        path: 'me',
        headers: bearer(await jwt.createAccessToken('alice', { additionalClaims: { ok: false } })),
      }),
    },
    {
      cls: UserLookupError,
      code: 'USER_LOOKUP_FAILED',
      trpc: 'UNAUTHORIZED',
      status: 401,
      message: 'Error loading the user ghost',
      scenario: async () => ({ path: 'me', headers: bearer(await jwt.createAccessToken('ghost')) }),
    },
  ];

  it.each(rows)(
    '$cls.name: code $code, $trpc ($status), "$message"',
    async ({ cls, code, trpc, status, message, scenario }) => {
      const s = await scenario();
      const type = s.path === 'meWrite' || s.path === 'refresh' ? 'mutation' : 'query';
      const opts: CallOptions = { type };
      if (s.headers) opts.headers = s.headers;
      if (s.query) opts.query = s.query;
      expectFailure(await kitchen.call(s.path, opts), status, trpc, code, message);

      // "Every failure reaches the client as a TRPCError whose cause is a JwtError subclass with a stable code"
      const url = new URL('http://localhost/trpc/x');
      for (const [k, v] of Object.entries(s.query ?? {})) url.searchParams.set(k, v);
      const caller = kitchen.caller({
        headers: s.headers ?? {},
        method: type === 'query' ? 'GET' : 'POST',
        url: url.toString(),
      });
      const error = await thrown(() => caller[s.path]());
      expect(error).toBeInstanceOf(TRPCError);
      expect(error.code).toBe(trpc);
      expect(error.message).toBe(message);
      expect(error.cause).toBeInstanceOf(cls);
      expect(error.cause).toBeInstanceOf(JwtError);
      expect(error.cause.code).toBe(code);
    },
  );

  it('the error classes carry their code without a request', () => {
    expect(new NoAuthorizationError('x').code).toBe('NO_AUTHORIZATION');
    expect(new UserLookupError('x').code).toBe('USER_LOOKUP_FAILED');
    expect(new JWTDecodeError('x')).toBeInstanceOf(JwtError);
    expect(new JWTDecodeError('x')).toBeInstanceOf(Error);
  });

  it('NoAuthorizationError messages: `Missing cookie "access_token_cookie"` and `Missing JWT in cookies or headers (…; …)`', async () => {
    const cookiesOnly = makeApp({ tokenLocation: ['cookies'] });
    expectFailure(
      await cookiesOnly.call('me'),
      401,
      'UNAUTHORIZED',
      'NO_AUTHORIZATION',
      'Missing cookie "access_token_cookie"',
    );
    const both = makeApp({ tokenLocation: ['cookies', 'headers'] });
    expectFailure(
      await both.call('me'),
      401,
      'UNAUTHORIZED',
      'NO_AUTHORIZATION',
      'Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)',
    );
  });

  it('"jwt.errorFormatter adds data.jwt: { code } | null to the shape": null for other errors', async () => {
    const res = await kitchen.call('boom');
    expect({ status: res.status, code: res.error?.data.code, jwt: res.error?.data.jwt }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      jwt: null,
    });
    expect('jwt' in res.error!.data).toBe(true);
  });

  it('"apps that have their own formatter compose it"', async () => {
    const m = createJwtManager({ secretKey: SECRET });
    const t = initTRPC.context<JwtContextPart>().create({
      errorFormatter: (opts) => {
        const shape = m.errorFormatter(opts);
        return { ...shape, data: { ...shape.data, mine: true } };
      },
    });
    const { protectedProcedure } = m.procedures(t.procedure);
    const router = t.router({ me: protectedProcedure.query(() => 1) });
    const res = await callTrpc(
      fetchHandler(router, (opts) => m.createJwtContext(opts)),
      'me',
    );
    expect(res.error?.data).toMatchObject({ jwt: { code: 'NO_AUTHORIZATION' }, mine: true, httpStatus: 401 });
  });

  it('"Messages … never contain a token, secret or cookie value"', async () => {
    const valid = await jwt.createAccessToken('alice');
    const csrf = await jwt.getCsrfToken(valid);
    const token = await jwt.createAccessToken('alice', { expiresDelta: 0 });
    const responses = [
      await kitchen.call('me', { headers: bearer(token) }),
      await kitchen.call('me', { headers: bearer(`${token}x`) }),
      await kitchen.call('meWrite', {
        type: 'mutation',
        headers: { cookie: `access_token_cookie=${valid}`, 'X-CSRF-TOKEN': `${csrf}x` },
      }),
      await kitchen.call('me', { headers: { authorization: `Bearer ${token} extra` } }),
    ];
    for (const res of responses) {
      const text = JSON.stringify(res.body);
      expect(res.error).toBeDefined();
      expect(text).not.toContain(token.split('.')[2]!);
      expect(text).not.toContain(valid.split('.')[2]!);
      expect(text).not.toContain(csrf);
      expect(text).not.toContain(SECRET);
    }
  });

  describe('"Check order, which decides which error wins: location → decode → CSRF → type → fresh → blocklist → custom verification → user lookup"', () => {
    const freshApp = makeApp({
      tokenLocation: ['headers', 'cookies'],
      tokenInBlocklistLoader: ({ payload }) => payload.revoked === true,
      tokenVerificationLoader: ({ payload }) => payload.ok !== false,
      userLookupLoader: ({ payload }) => (payload.sub === 'ghost' ? null : {}),
    });
    const m = freshApp.jwt;

    it('"Only a missing token falls through to the next location": a bad header stops the search', async () => {
      const valid = await m.createAccessToken('alice');
      const jar = { cookie: `access_token_cookie=${valid}` };
      expectFailure(
        await freshApp.call('me', { headers: { ...jar, authorization: 'Bearer a b' } }),
        422,
        'UNPROCESSABLE_CONTENT',
        'INVALID_HEADER',
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
      );
      expectFailure(
        await freshApp.call('me', { headers: { ...jar, authorization: 'Bearer abc' } }),
        422,
        'UNPROCESSABLE_CONTENT',
        'INVALID_TOKEN',
        'Not enough segments',
      );
      expect(expectOk(await freshApp.call('me', { headers: jar })).location).toBe('cookies');
    });

    it('decode before CSRF: a forged cookie token with a wrong CSRF value is INVALID_TOKEN', async () => {
      const forged = sign(claims({ csrf: 'c' }), {}, 'another-secret-0123456789abcdefghij');
      expectFailure(
        await freshApp.call('meWrite', {
          type: 'mutation',
          headers: { cookie: `access_token_cookie=${forged}`, 'X-CSRF-TOKEN': 'wrong' },
        }),
        422,
        'UNPROCESSABLE_CONTENT',
        'INVALID_TOKEN',
        'Signature verification failed',
      );
    });

    it('CSRF before type: a refresh token in the access cookie with a wrong CSRF value is CSRF_ERROR', async () => {
      const refresh = await m.createRefreshToken('alice');
      expectFailure(
        await freshApp.call('meWrite', {
          type: 'mutation',
          headers: { cookie: `access_token_cookie=${refresh}`, 'X-CSRF-TOKEN': 'wrong' },
        }),
        401,
        'UNAUTHORIZED',
        'CSRF_ERROR',
        'CSRF double submit tokens do not match',
      );
    });

    it('type before fresh: a refresh token on a fresh procedure is 422, not 401', async () => {
      expectFailure(
        await freshApp.call('fresh', { headers: bearer(await m.createRefreshToken('alice')) }),
        422,
        'UNPROCESSABLE_CONTENT',
        'WRONG_TOKEN_TYPE',
        'Only non-refresh tokens are allowed',
      );
    });

    it('fresh before blocklist before custom verification before user lookup', async () => {
      const worst = { revoked: true, ok: false };
      expectFailure(
        await freshApp.call('fresh', {
          headers: bearer(await m.createAccessToken('ghost', { additionalClaims: worst })),
        }),
        401,
        'UNAUTHORIZED',
        'FRESH_TOKEN_REQUIRED',
        'Fresh token required',
      );
      expectFailure(
        await freshApp.call('me', {
          headers: bearer(await m.createAccessToken('ghost', { additionalClaims: worst })),
        }),
        401,
        'UNAUTHORIZED',
        'TOKEN_REVOKED',
        'Token has been revoked',
      );
      expectFailure(
        await freshApp.call('me', {
          headers: bearer(await m.createAccessToken('ghost', { additionalClaims: { ok: false } })),
        }),
        400,
        'BAD_REQUEST',
        'CLAIMS_VERIFICATION_FAILED',
        'User claims verification failed',
      );
      expectFailure(
        await freshApp.call('me', { headers: bearer(await m.createAccessToken('ghost')) }),
        401,
        'UNAUTHORIZED',
        'USER_LOOKUP_FAILED',
        'Error loading the user ghost',
      );
    });

    it('"OPTIONS requests are exempt"', async () => {
      const caller = freshApp.caller({ headers: {}, method: 'OPTIONS' });
      expect(await caller.exempt()).toBe('no token');
      expect(await caller.verify({ optional: false, fresh: true, refresh: true })).toBeNull();
      const ctx = m.createJwtContext({ headers: {}, method: 'OPTIONS' });
      await expect(m.verifyJwtInRequest(ctx)).resolves.toBeNull();
      await expect(m.verifyJwtInRequest(ctx, { fresh: true, refresh: true })).resolves.toBeNull();
    });
  });

  describe('"Decode failures use the PyJWT messages of the reference §2.4" (INVALID_TOKEN, 422)', () => {
    const OTHER = 'another-secret-0123456789abcdefghij';
    const app = makeApp({ decodeAudience: ['api'], decodeIssuer: 'https://issuer' });
    const good = (extra: Record<string, unknown> = {}) =>
      claims({ aud: 'api', iss: 'https://issuer', ...extra });
    it.each([
      ['Not enough segments', () => 'abc.def'],
      ['Invalid header padding', () => `a.${enc(good())}.${'A'.repeat(43)}`],
      ['Signature verification failed', () => sign(good(), {}, OTHER)],
      ['The specified alg value is not allowed', () => sign(good(), { alg: 'HS384' }, 'k'.repeat(48))],
      ['The specified alg value is not allowed', () => `${enc({ alg: 'none' })}.${enc(good())}.`],
      ['Token is missing the "aud" claim', () => sign(good({ aud: undefined }))],
      ["Audience doesn't match", () => sign(good({ aud: 'other' }))],
      ['Invalid issuer', () => sign(good({ iss: 'evil' }))],
      ['Subject must be a string', () => sign(good({ sub: 5 }))],
      ['JWT ID must be a string', () => sign(good({ jti: 5 }))],
      ['The token is not yet valid (nbf)', () => sign(good({ nbf: nowSeconds() + 300 }))],
      ['The token is not yet valid (iat)', () => sign(good({ iat: nowSeconds() + 300 }))],
      ['Missing claim: sub', () => sign(good({ sub: undefined }))],
    ])('"%s"', async (message, make) => {
      expectFailure(
        await app.call('me', { headers: bearer(make()) }),
        422,
        'UNPROCESSABLE_CONTENT',
        'INVALID_TOKEN',
        message,
      );
    });
  });

  it('"Missing claim: <name>" names the identity claim', async () => {
    const app = makeApp({ identityClaim: 'user_id' });
    expectFailure(
      await app.call('me', { headers: bearer(sign(claims())) }),
      422,
      'UNPROCESSABLE_CONTENT',
      'INVALID_TOKEN',
      'Missing claim: user_id',
    );
  });

  it('"A payload rejected by the claims schema is a JWTDecodeError (INVALID_TOKEN, 422) whose message names the failing claim path, never its value"', async () => {
    const app = makeApp({ claims: z.object({ profile: z.object({ role: z.enum(['user', 'admin']) }) }) });
    // Signed with the same key by a manager without the schema (an older deploy): this manager
    // itself refuses to sign such claims.
    const token = await createJwtManager({ secretKey: SECRET }).createAccessToken('alice', {
      additionalClaims: { profile: { role: 'secret-value-xyz' } },
    });
    const res = await app.call('me', { headers: bearer(token) });
    expect({ status: res.status, code: res.error?.data.code, jwt: res.error?.data.jwt }).toEqual({
      status: 422,
      code: 'UNPROCESSABLE_CONTENT',
      jwt: { code: 'INVALID_TOKEN' },
    });
    expect(res.error?.message).toContain('profile.role');
    expect(res.error?.message).not.toContain('secret-value-xyz');
    await expect(app.jwt.decodeToken(token)).rejects.toBeInstanceOf(JWTDecodeError);
  });

  it('"unauthorizedLoader also shapes CSRF errors"', async () => {
    const app = makeApp({
      tokenLocation: ['cookies'],
      unauthorizedLoader: ({ reason }) => new TRPCError({ code: 'FORBIDDEN', message: `shaped: ${reason}` }),
    });
    const token = await app.jwt.createAccessToken('alice');
    const res = await app.call('meWrite', {
      type: 'mutation',
      headers: { cookie: `access_token_cookie=${token}` },
    });
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 403,
      message: 'shaped: Missing CSRF token',
    });
  });

  it('"invalidTokenLoader shapes every 422 (bad header, bad query prefix, decode failure, wrong token type)"', async () => {
    const app = makeApp({
      tokenLocation: ['headers', 'query_string'],
      queryStringValuePrefix: 'Bearer ',
      invalidTokenLoader: ({ reason }) => new TRPCError({ code: 'CONFLICT', message: `shaped: ${reason}` }),
    });
    const access = await app.jwt.createAccessToken('alice');
    const refresh = await app.jwt.createRefreshToken('alice');
    const cases: [CallOptions, string][] = [
      [
        { headers: { authorization: 'Bearer a b' } },
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
      ],
      [
        { query: { jwt: access } },
        "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
      ],
      [{ headers: bearer('abc') }, 'Not enough segments'],
      [{ headers: bearer(refresh) }, 'Only non-refresh tokens are allowed'],
    ];
    for (const [opts, reason] of cases) {
      const res = await app.call('me', opts);
      expect({ status: res.status, message: res.error?.message }).toEqual({
        status: 409,
        message: `shaped: ${reason}`,
      });
    }
  });

  it('"jwt.errorFormatter also maps a JwtError thrown anywhere in a procedure (e.g. by decodeToken in a resolver) to its code and HTTP status"', async () => {
    const expired = await kitchen.jwt.createAccessToken('alice', { expiresDelta: 0 });
    expectFailure(
      await kitchen.call('decode', { input: expired }),
      401,
      'UNAUTHORIZED',
      'TOKEN_EXPIRED',
      'Token has expired',
    );
    expectFailure(
      await kitchen.call('decode', { input: 'abc' }),
      422,
      'UNPROCESSABLE_CONTENT',
      'INVALID_TOKEN',
      'Not enough segments',
    );
  });

  it('"A userLookupLoader returning null or undefined is a lookup failure. Without a userLookupLoader, ctx has no user."', async () => {
    for (const value of [null, undefined]) {
      const app = makeApp({ userLookupLoader: async () => value });
      expectFailure(
        await app.call('me', { headers: bearer(await app.jwt.createAccessToken('alice')) }),
        401,
        'UNAUTHORIZED',
        'USER_LOOKUP_FAILED',
        'Error loading the user alice',
      );
    }
    const none = makeApp();
    expect(
      expectOk(await none.call('me', { headers: bearer(await none.jwt.createAccessToken('a')) })).hasUser,
    ).toBe(false);
  });

  describe('Locations', () => {
    const app = makeApp({ tokenLocation: ['query_string'] });
    const jsonApp = makeApp({ tokenLocation: ['json'] });

    it('"query_string reads the request URL of any call (first value when repeated)"', async () => {
      const token = await app.jwt.createAccessToken('alice');
      const other = await app.jwt.createAccessToken('bob');
      expect(expectOk(await app.call('meWrite', { type: 'mutation', query: { jwt: token } })).identity).toBe(
        'alice',
      );
      expect(expectOk(await app.call('me', { query: { jwt: [other, token] } })).identity).toBe('bob');
    });

    it('"json reads the key from the procedure\'s raw input (queries and mutations alike)", from a body (§9)', async () => {
      const token = await jsonApp.jwt.createAccessToken('alice');
      // §9: "json is read from a request body only": a GET query's ?input= is not one
      expectFailure(
        await jsonApp.call('me', { input: { access_token: token } }),
        401,
        'UNAUTHORIZED',
        'NO_AUTHORIZATION',
        'Invalid content-type. Must be application/json.',
      );
      const postQuery = makeApp({ tokenLocation: ['json'] }, { allowMethodOverride: true });
      expect(
        expectOk(
          await postQuery.call('me', { type: 'mutation', method: 'POST', input: { access_token: token } }),
        ).location,
      ).toBe('json');
      expect(
        expectOk(await jsonApp.call('meWrite', { type: 'mutation', input: { access_token: token } }))
          .location,
      ).toBe('json');
    });

    it('"input without the key, or not an object → Missing "<key>" key in json data."', async () => {
      for (const input of [undefined, { other: 1 }, 'a-string', [1, 2]]) {
        const opts: CallOptions = { type: 'mutation' };
        if (input !== undefined) opts.input = input;
        expectFailure(
          await jsonApp.call('meWrite', opts),
          401,
          'UNAUTHORIZED',
          'NO_AUTHORIZATION',
          'Missing "access_token" key in json data.',
        );
      }
    });

    it('"FormData input → Invalid content-type. Must be application/json."', async () => {
      const body = new FormData();
      body.set('access_token', await jsonApp.jwt.createAccessToken('alice'));
      expectFailure(
        await jsonApp.call('meWrite', { type: 'mutation', body }),
        401,
        'UNAUTHORIZED',
        'NO_AUTHORIZATION',
        'Invalid content-type. Must be application/json.',
      );
    });

    it('"connection_params reads info.connectionParams[connectionParamsKey]"', async () => {
      const cp = makeApp({ tokenLocation: ['connection_params'] });
      const token = await cp.jwt.createAccessToken('alice');
      expect(await cp.subscribe({ token })).toContain('"location":"connection_params"');
      expect(await cp.subscribe({ other: token })).toContain('"code":"NO_AUTHORIZATION"');
      // §9: "never from ?connectionParams= on another HTTP call"
      const res = await cp.call('me', { query: { connectionParams: JSON.stringify({ token }) } });
      expect({ status: res.status, jwt: res.error?.data.jwt }).toEqual({
        status: 401,
        jwt: { code: 'NO_AUTHORIZATION' },
      });
      // server-side: the info of the adapter options
      const ctx = cp.jwt.createJwtContext({ headers: {}, info: { connectionParams: { token } } });
      expect((await cp.jwt.verifyJwtInRequest(ctx))?.location).toBe('connection_params');
    });
  });

  it('"A number as a duration always means seconds (also for fresh). maxTokenLength is inclusive."', async () => {
    const t0 = Date.now();
    const m = createJwtManager({ secretKey: SECRET, clock: () => t0, accessTokenExpires: 60 });
    const p = payloadOf(await m.createAccessToken('a', { fresh: 30, expiresDelta: 90 }));
    expect((p.exp as number) - (p.iat as number)).toBe(90);
    expect(p.fresh as number).toBeCloseTo(t0 / 1000 + 30, 0);
    const token = await m.createAccessToken('a');
    const exact = createJwtManager({ secretKey: SECRET, clock: () => t0, maxTokenLength: token.length });
    await expect(exact.decodeToken(token)).resolves.toMatchObject({ sub: 'a' });
    const under = createJwtManager({ secretKey: SECRET, clock: () => t0, maxTokenLength: token.length - 1 });
    const error = await thrown(() => under.decodeToken(token));
    expect(error).toBeInstanceOf(JWTDecodeError);
    expect(error.code).toBe('INVALID_TOKEN');
  });
});

// ---------------------------------------------------------------------------------------------
// §6 Client
// ---------------------------------------------------------------------------------------------

describe('§6 Client (trpc-jwt-extended/client)', () => {
  let serverNow = Date.now();
  const server = makeApp({ clock: () => serverNow, tokenLocation: ['headers', 'cookies'] });
  const requests: { path: string; headers: Headers }[] = [];
  /** `fetch` for httpLink: the fetch adapter in-process, recording each request. */
  const fetchVia =
    (extraHeaders: Record<string, string> = {}) =>
    async (url: any, init?: any) => {
      const headers = new Headers(init?.headers);
      for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
      const req = new Request(url, { ...init, headers });
      requests.push({ path: new URL(req.url).pathname, headers: req.headers });
      return fetchRequestHandler({
        endpoint: '/trpc',
        req,
        router: server.router,
        createContext: server.createContext,
      });
    };
  const countOf = (path: string) => requests.filter((r) => r.path === `/trpc/${path}`).length;
  const expiredToken = async () => {
    const saved = serverNow;
    serverNow -= 3_600_000;
    const token = await server.jwt.createAccessToken('alice');
    serverNow = saved;
    return token;
  };
  const isRefreshOperation = (op: { path: string }) => op.path === 'refresh';

  function client(
    links: { refresh?: Parameters<typeof refreshLink>[0]; headers: ReturnType<typeof jwtHeaders> },
    extra: Record<string, string> = {},
  ) {
    return createTRPCClient<typeof server.router>({
      links: [
        ...(links.refresh ? [refreshLink(links.refresh)] : []),
        httpLink({ url: 'http://localhost/trpc', headers: links.headers, fetch: fetchVia(extra) }),
      ],
    });
  }

  it('jwtHeaders({ getAccessToken }): "adds Authorization: Bearer <token> when a token is known"', async () => {
    let token: string | null = null;
    const c = client({ headers: jwtHeaders({ getAccessToken: () => token }) });
    const before = requests.length;
    const error = await thrown(() => c.me.query());
    expect((error as TRPCClientError<any>).data?.jwt).toEqual({ code: 'NO_AUTHORIZATION' });
    expect(requests[before]!.headers.get('authorization')).toBeNull();
    token = await server.jwt.createAccessToken('alice');
    expect((await c.me.query()).identity).toBe('alice');
    expect(requests.at(-1)!.headers.get('authorization')).toBe(`Bearer ${token}`);
  });

  it('jwtHeaders({ csrf }): "in cookie mode copies the CSRF cookie into the CSRF header for mutations"', async () => {
    const token = await server.jwt.createAccessToken('alice');
    const csrf = await server.jwt.getCsrfToken(token);
    const g = globalThis as { document?: unknown };
    const saved = Object.getOwnPropertyDescriptor(g, 'document');
    Object.defineProperty(g, 'document', {
      value: { cookie: `other=1; csrf_access_token=${csrf}` },
      configurable: true,
      writable: true,
    });
    try {
      const c = client({ headers: jwtHeaders({ csrf: true }) }, { cookie: `access_token_cookie=${token}` });
      expect((await c.meWrite.mutate()).identity).toBe('alice');
      expect(requests.at(-1)!.headers.get('x-csrf-token')).toBe(csrf);
      expect((await c.me.query()).identity).toBe('alice');
      expect(requests.at(-1)!.headers.get('x-csrf-token')).toBeNull();
    } finally {
      if (saved) Object.defineProperty(g, 'document', saved);
      else delete g.document;
    }
  });

  it('refreshLink: "on a TOKEN_EXPIRED error, runs one refresh for all operations waiting (single flight), retries each of them once"', async () => {
    let token = await expiredToken();
    let refreshes = 0;
    const c = client({
      headers: jwtHeaders({ getAccessToken: () => token }),
      refresh: {
        isRefreshOperation,
        refresh: async () => {
          refreshes += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          token = await server.jwt.createAccessToken('alice');
        },
      },
    });
    const before = countOf('me');
    const results = await Promise.all([c.me.query(), c.me.query(), c.me.query()]);
    expect(results.map((r) => r.identity)).toEqual(['alice', 'alice', 'alice']);
    expect(refreshes).toBe(1);
    expect(countOf('me') - before).toBe(6); // each sent twice: once expired, once retried
  });

  it('refreshLink: retries once only, and onRefreshFailed is called when the refresh fails', async () => {
    const token = await expiredToken();
    let refreshes = 0;
    const failures: unknown[] = [];
    const stillExpired = client({
      headers: jwtHeaders({ getAccessToken: () => token }),
      refresh: { isRefreshOperation, refresh: async () => void (refreshes += 1) },
    });
    const before = countOf('me');
    const error = await thrown(() => stillExpired.me.query());
    expect((error as TRPCClientError<any>).data?.jwt).toEqual({ code: 'TOKEN_EXPIRED' });
    expect(countOf('me') - before).toBe(2);
    expect(refreshes).toBe(1);

    const failing = client({
      headers: jwtHeaders({ getAccessToken: () => token }),
      refresh: {
        isRefreshOperation,
        refresh: async () => {
          throw new Error('refresh failed');
        },
        onRefreshFailed: (e) => failures.push(e),
      },
    });
    const errors = await Promise.all([thrown(() => failing.me.query()), thrown(() => failing.me.query())]);
    for (const e of errors) expect((e as TRPCClientError<any>).data?.jwt).toEqual({ code: 'TOKEN_EXPIRED' });
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe('refresh failed');
  });

  it('refreshLink: "never refreshes for the refresh call itself"', async () => {
    serverNow -= 40 * 86_400_000;
    const oldRefresh = await server.jwt.createRefreshToken('alice');
    serverNow += 40 * 86_400_000;
    let refreshes = 0;
    const c = client({
      headers: jwtHeaders({ getAccessToken: () => oldRefresh }),
      refresh: { isRefreshOperation, refresh: async () => void (refreshes += 1) },
    });
    const before = countOf('refresh');
    const error = await thrown(() => c.refresh.mutate());
    expect((error as TRPCClientError<any>).data?.jwt).toEqual({ code: 'TOKEN_EXPIRED' });
    expect(refreshes).toBe(0);
    expect(countOf('refresh') - before).toBe(1);
  });

  it('refreshLink: "honours unsubscribe" (an operation unsubscribed while it waits is not retried)', async () => {
    let release!: () => void;
    let started!: () => void;
    const refreshStarted = new Promise<void>((resolve) => (started = resolve));
    const link = refreshLink({
      isRefreshOperation,
      refresh: () => {
        started();
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const expired = TRPCClientError.from({
      error: { message: 'Token has expired', code: -32001, data: { jwt: { code: 'TOKEN_EXPIRED' } } },
    });
    let sent = 0;
    const next = () =>
      observable<any, any>((observer) => {
        sent += 1;
        observer.error(expired);
      });
    const op = { id: 1, type: 'query', path: 'me', input: undefined, context: {}, signal: null } as Operation;
    const events: string[] = [];
    const subscription = link({} as never)({ op, next }).subscribe({
      next: () => events.push('next'),
      error: () => events.push('error'),
      complete: () => events.push('complete'),
    });
    await refreshStarted;
    subscription.unsubscribe();
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ sent, events }).toEqual({ sent: 1, events: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// §7 Stores
// ---------------------------------------------------------------------------------------------

describe('§7 Stores', () => {
  const payload = (now: number, extra: Record<string, unknown> = {}) => ({
    jti: crypto.randomUUID(),
    sub: 'alice',
    iat: now,
    exp: now + 60,
    ...extra,
  });

  it('createMemoryBlocklist({ clock? }): revoke(payload), isRevoked(payload); "entries expire with the token"', async () => {
    let ms = Date.now();
    const store = createMemoryBlocklist({ clock: () => ms });
    const now = Math.floor(ms / 1000);
    const a = payload(now);
    const b = payload(now);
    await store.revoke(a);
    expect(await store.isRevoked(a)).toBe(true);
    expect(await store.isRevoked(b)).toBe(false);
    ms += 61_000;
    expect(await store.isRevoked(a)).toBe(false);
  });

  it('revokeAllForIdentity(identity, before?)', async () => {
    let ms = Date.now();
    const store = createMemoryBlocklist({ clock: () => ms });
    const now = Math.floor(ms / 1000);
    const old = payload(now - 100);
    await store.revokeAllForIdentity('alice', now - 50);
    expect(await store.isRevoked(old)).toBe(true);
    expect(await store.isRevoked(payload(now))).toBe(false);
    expect(await store.isRevoked(payload(now - 100, { sub: 'bob' }))).toBe(false);
    ms += 10_000;
    await store.revokeAllForIdentity('bob'); // before defaults to now
    expect(await store.isRevoked(payload(now, { sub: 'bob' }))).toBe(true);
  });

  it('"blocklist.loader plugs into tokenInBlocklistLoader"', async () => {
    const blocklist = createMemoryBlocklist();
    const app = makeApp({ tokenInBlocklistLoader: blocklist.loader });
    const token = await app.jwt.createAccessToken('alice');
    expectOk(await app.call('me', { headers: bearer(token) }));
    await blocklist.revoke(await app.jwt.decodeToken(token));
    expectFailure(
      await app.call('me', { headers: bearer(token) }),
      401,
      'UNAUTHORIZED',
      'TOKEN_REVOKED',
      'Token has been revoked',
    );
  });

  describe.skipIf(!hasRedis)('createRedisBlocklist({ client }) from trpc-jwt-extended/redis', () => {
    let redis: RedisServer | undefined;
    let redisClient: ReturnType<typeof createClient> | undefined;
    beforeAll(async () => {
      redis = await startRedis();
      redisClient = createClient({ url: redis.url });
      redisClient.on('error', () => {});
      await redisClient.connect();
    });
    afterAll(async () => {
      redisClient?.destroy();
      await redis?.stop();
    });

    it('"share one interface": revoke, isRevoked, revokeAllForIdentity, loader', async () => {
      const store = createRedisBlocklist({ client: redisClient! });
      for (const method of ['revoke', 'isRevoked', 'revokeAllForIdentity', 'loader'] as const) {
        expect(typeof store[method]).toBe('function');
      }
      const now = nowSeconds();
      const a = payload(now);
      await store.revoke(a);
      expect(await store.isRevoked(a)).toBe(true);
      expect(await store.isRevoked(payload(now))).toBe(false);
      await store.revokeAllForIdentity('carol', now);
      expect(await store.isRevoked(payload(now - 10, { sub: 'carol' }))).toBe(true);
      expect(await store.isRevoked(payload(now + 10, { sub: 'carol' }))).toBe(false);
    });

    it('"entries expire with the token" (the Redis key has the token\'s remaining life as TTL)', async () => {
      const store = createRedisBlocklist({ client: redisClient!, prefix: 'contract:' });
      const a = payload(nowSeconds(), { exp: nowSeconds() + 2 });
      await store.revoke(a);
      expect(await store.isRevoked(a)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3_100));
      expect(await store.isRevoked(a)).toBe(false);
    });

    it('"blocklist.loader plugs into tokenInBlocklistLoader"', async () => {
      const blocklist = createRedisBlocklist({ client: redisClient! });
      const app = makeApp({ tokenInBlocklistLoader: blocklist.loader });
      const token = await app.jwt.createAccessToken('alice');
      expectOk(await app.call('me', { headers: bearer(token) }));
      await blocklist.revoke(await app.jwt.decodeToken(token));
      expectFailure(
        await app.call('me', { headers: bearer(token) }),
        401,
        'UNAUTHORIZED',
        'TOKEN_REVOKED',
        'Token has been revoked',
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// §8 Beyond flask-jwt-extended (each specified in its own issue: only the surface here)
// ---------------------------------------------------------------------------------------------

describe('§8 Beyond flask-jwt-extended', () => {
  it('"WWW-Authenticate challenges (RFC 6750)" on a 401', async () => {
    const app = makeApp();
    const res = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request('http://localhost/trpc/me'),
      router: app.router,
      createContext: app.createContext,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]*"/);
  });

  it('"key rotation by kid with a published JWKS"', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwt = createJwtManager({ keys: [{ kid: 'k1', algorithm: 'ES256', privateKey }] });
    const token = await jwt.createAccessToken('alice');
    expect(headerOf(token)).toMatchObject({ alg: 'ES256', kid: 'k1' });
    const { keys } = await jwt.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', kid: 'k1' });
    expect('d' in keys[0]!).toBe(false);
  });

  it('"Subscriptions (connection_params location)"', async () => {
    const jwt = createJwtManager({ secretKey: SECRET, tokenLocation: ['connection_params'] });
    const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
    const { protectedProcedure } = jwt.procedures(t.procedure);
    const router = t.router({
      events: protectedProcedure.subscription(async function* ({ ctx }) {
        yield ctx.token.identity;
      }),
    });
    const token = await jwt.createAccessToken('alice');
    const url = new URL('http://localhost/trpc/events');
    url.searchParams.set('connectionParams', JSON.stringify({ token }));
    const res = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request(url),
      router,
      createContext: (opts) => jwt.createJwtContext(opts),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('"alice"');
  });
});

// ---------------------------------------------------------------------------------------------
// §9 Where this port deliberately differs from flask-jwt-extended
// ---------------------------------------------------------------------------------------------

describe('§9 Deliberate differences', () => {
  it('"The Authorization scheme is matched case-insensitively (RFC 9110)"', async () => {
    const app = makeApp();
    const token = await app.jwt.createAccessToken('alice');
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expectOk(await app.call('me', { headers: { authorization: `${scheme} ${token}` } }));
    }
  });

  it('"key material given as an HMAC secret (PEM, OpenSSH public key, JWK or JWK Set JSON text)" is a configuration error', () => {
    const pair = generateKeyPairSync('ed25519');
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const ssh = `ssh-ed25519 ${'A'.repeat(68)} user@host`;
    for (const secretKey of [
      pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ssh,
      JSON.stringify(jwk),
      JSON.stringify({ keys: [jwk] }),
    ]) {
      expect(() => createJwtManager({ secretKey: secretKey.padEnd(64, ' ') })).toThrow(JwtConfigError);
    }
  });

  it('"so are RSA keys under 2048 bits"', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const error = (() => {
      try {
        createJwtManager({ algorithm: 'RS256', privateKey: small.privateKey });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error?.message).toContain('privateKey');
    const ok = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => createJwtManager({ algorithm: 'RS256', privateKey: ok.privateKey })).not.toThrow();
  });

  describe('"A token is rejected as INVALID_TOKEN when …"', () => {
    const app = makeApp({ decodeLeeway: 60 });
    const expectInvalid = async (token: string, message?: string) => {
      const res = await app.call('me', { headers: bearer(token) });
      expect({ status: res.status, code: res.error?.data.code, jwt: res.error?.data.jwt }).toEqual({
        status: 422,
        code: 'UNPROCESSABLE_CONTENT',
        jwt: { code: 'INVALID_TOKEN' },
      });
      if (message !== undefined) expect(res.error?.message).toBe(message);
    };

    it('"it is longer than maxTokenLength"', async () => {
      const token = sign(claims());
      const exact = makeApp({ maxTokenLength: token.length });
      expectOk(await exact.call('me', { headers: bearer(token) }));
      const short = makeApp({ maxTokenLength: token.length - 1 });
      const res = await short.call('me', { headers: bearer(token) });
      expect({ status: res.status, jwt: res.error?.data.jwt }).toEqual({
        status: 422,
        jwt: { code: 'INVALID_TOKEN' },
      });
    });

    it('"any segment is not canonical base64url (padding, whitespace, non-zero trailing bits)"', async () => {
      const token = sign(claims());
      const [h, p, s] = token.split('.') as [string, string, string];
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(s.at(-1)!);
      const trailing = `${h}.${p}.${s.slice(0, -1)}${alphabet[last ^ 1]}`;
      expect(Buffer.from(trailing.split('.')[2]!, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
      for (const bad of [
        `${h}.${p}.${s}=`,
        `${h}=.${p}.${s}`,
        `${h}.${p.slice(0, 4)}\n${p.slice(4)}.${s}`,
        trailing,
      ]) {
        const error = await thrown(() => app.jwt.decodeToken(bad));
        expect(error).toBeInstanceOf(JWTDecodeError);
        expect(error.code).toBe('INVALID_TOKEN');
      }
      await expectInvalid(`${h}.${p}.${s}=`);
      await expectInvalid(trailing);
    });

    it('"exp, nbf or iat is not a finite number"', async () => {
      const now = nowSeconds();
      for (const extra of [{ exp: `${now + 60}` }, { exp: null }, { nbf: 'yesterday' }, { iat: [now] }]) {
        await expectInvalid(sign(claims(extra)));
      }
      // 1e400 is Infinity once parsed
      const json = JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400');
      await expectInvalid(sign(json));
    });

    it('"iat is in the future beyond the leeway"', async () => {
      await expectInvalid(sign(claims({ iat: nowSeconds() + 120 })), 'The token is not yet valid (iat)');
      expectOk(await app.call('me', { headers: bearer(sign(claims({ iat: nowSeconds() + 30 }))) }));
    });

    it('"jti is not a string"', async () => {
      await expectInvalid(sign(claims({ jti: 42 })), 'JWT ID must be a string');
    });

    it('"when a blocklist loader is configured and not skipped, jti is missing (Missing claim: jti)"', async () => {
      const blocking = makeApp({ tokenInBlocklistLoader: () => false });
      const noJti = sign(claims({ jti: undefined }));
      expectFailure(
        await blocking.call('me', { headers: bearer(noJti) }),
        422,
        'UNPROCESSABLE_CONTENT',
        'INVALID_TOKEN',
        'Missing claim: jti',
      );
      expectOk(await blocking.call('apiOnly', { headers: bearer(noJti) })); // skipRevocationCheck
      expectOk(await makeApp().call('me', { headers: bearer(noJti) })); // no blocklist loader
    });
  });

  it('"fresh counts only as true or a finite timestamp not yet passed; any other value is not fresh"', async () => {
    const app = makeApp();
    const now = nowSeconds();
    for (const fresh of [true, now + 60]) {
      expectOk(await app.call('fresh', { headers: bearer(sign(claims({ fresh }))) }));
    }
    for (const fresh of ['true', 1, now - 1, 'yes', null, {}, [true]]) {
      expectFailure(
        await app.call('fresh', { headers: bearer(sign(claims({ fresh }))) }),
        401,
        'UNAUTHORIZED',
        'FRESH_TOKEN_REQUIRED',
        'Fresh token required',
      );
    }
    const infinite = JSON.stringify(claims()).replace('"fresh":false', '"fresh":1e400');
    expectFailure(
      await app.call('fresh', { headers: bearer(sign(infinite)) }),
      401,
      'UNAUTHORIZED',
      'FRESH_TOKEN_REQUIRED',
      'Fresh token required',
    );
  });

  it.each(['tokenInBlocklistLoader', 'tokenVerificationLoader', 'userLookupLoader'] as const)(
    '"A blocklist, verification or user loader that throws fails the request closed (INTERNAL_SERVER_ERROR); the procedure never runs": %s',
    async (loader) => {
      const app = makeApp({
        [loader]: async () => {
          throw new Error('database is down: postgres://user:pw@host');
        },
      });
      const res = await app.call('me', { headers: bearer(await app.jwt.createAccessToken('alice')) });
      expect({ status: res.status, code: res.error?.data.code }).toEqual({
        status: 500,
        code: 'INTERNAL_SERVER_ERROR',
      });
      expect(app.runs.count).toBe(0);
    },
  );

  it('"Claims are merged without prototype pollution (__proto__, constructor keys are plain data or refused)"', async () => {
    const jwt = createJwtManager({
      secretKey: SECRET,
      additionalClaimsLoader: () =>
        JSON.parse('{"__proto__": {"fromLoader": true}}') as Record<string, unknown>,
    });
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"bad": 1}}}');
    let token: string | undefined;
    try {
      token = await jwt.createAccessToken('alice', { additionalClaims: hostile });
    } catch {
      // refused is allowed
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).fromLoader).toBeUndefined();
    expect(({} as Record<string, unknown>).bad).toBeUndefined();
    if (token !== undefined) {
      // plain data: the claims are in the token, as own keys
      expect(Object.hasOwn(payloadOf(token), '__proto__')).toBe(true);
      expect(payloadOf(token).constructor).toEqual({ prototype: { bad: 1 } });
      const payload = await jwt.decodeToken(token);
      expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
      expect((payload as Record<string, unknown>).polluted).toBeUndefined();
    }
    const crafted = sign(JSON.stringify(claims()).replace(/^\{/, '{"__proto__":{"admin":true},'));
    const decoded = await thrown(async () => {
      const p = await jwt.decodeToken(crafted);
      expect((p as Record<string, unknown>).admin).toBeUndefined();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      throw new Error('decoded');
    });
    expect(decoded.message === 'decoded' || decoded instanceof JWTDecodeError).toBe(true);
  });

  it('"CSRF applies to cookie tokens on csrfMethods and on every mutation, whatever the transport"', async () => {
    const app = makeApp({ tokenLocation: ['cookies'] });
    const token = await app.jwt.createAccessToken('alice');
    const csrf = await app.jwt.getCsrfToken(token);
    // a server-side caller: no HTTP method at all, still a mutation
    const caller = app.caller({ headers: { cookie: `access_token_cookie=${token}` } });
    const error = await thrown(() => caller.meWrite());
    expect(error.cause).toBeInstanceOf(CSRFError);
    expect(error.message).toBe('Missing CSRF token');
    expect((await caller.me()).identity).toBe('alice');
    const withCsrf = app.caller({
      headers: { cookie: `access_token_cookie=${token}`, 'X-CSRF-TOKEN': csrf },
    });
    expect((await withCsrf.meWrite()).identity).toBe('alice');
    // tokens from headers are never CSRF-checked
    expectOk(await makeApp().call('meWrite', { type: 'mutation', headers: bearer(token) }));
  });
});
