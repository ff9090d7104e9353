/**
 * RFC 6750 §3 challenges: a 401 from a JWT procedure carries
 * `WWW-Authenticate: Bearer realm="…", error="invalid_request" | "invalid_token", error_description="…"`,
 * over createHTTPServer and fetchRequestHandler. 422s carry none; `wwwAuthenticate: false` turns it off.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { type Endpoint, fetchHandler, startStandalone } from '../helpers/servers.js';

const SECRET = 'www-authenticate-secret-0123456789abcdef';
let now = Date.now();

function createApp(options: Omit<JwtManagerOptions, 'secretKey' | 'clock'> = {}) {
  const jwt = createJwtManager({ secretKey: SECRET, clock: () => now, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, freshProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
    fresh: freshProcedure.query(({ ctx }) => ctx.token.identity),
    forbidden: t.procedure.query(() => {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'not a JWT failure' });
    }),
  });
  return { jwt, router };
}

const endpoints: Record<string, Endpoint[]> = {};
/** The app on createHTTPServer and on fetchRequestHandler. */
async function serveBoth(name: string, app: ReturnType<typeof createApp>): Promise<void> {
  const createContext = (opts: any) => app.jwt.createJwtContext(opts);
  endpoints[name] = [
    await startStandalone(app.router, createContext),
    fetchHandler(app.router, createContext),
  ];
}

const defaultApp = createApp();
beforeAll(async () => {
  await serveBoth('default', defaultApp);
  await serveBoth('off', createApp({ wwwAuthenticate: false }));
  await serveBoth('realm', createApp({ wwwAuthenticate: { realm: 'orders service' } }));
  await serveBoth(
    'loader',
    createApp({
      unauthorizedLoader: ({ reason }) =>
        new TRPCError({ code: 'UNAUTHORIZED', message: `Login first: "${reason}"\r\nX-Injected: 1` }),
    }),
  );
});
afterAll(async () => {
  await Promise.all(Object.values(endpoints).flatMap((list) => list.map((e) => e.close())));
});

/** One call: status, WWW-Authenticate (null when absent), and the JWT error code. */
async function challenge(app: string, adapter: number, path: string, headers: Record<string, string> = {}) {
  const endpoint = endpoints[app]![adapter]!;
  const url = new URL(`${endpoint.url}/${path}`);
  const res = await endpoint.send(url.toString(), { headers });
  const body = (await res.json()) as { error?: { data: { jwt: { code: string } | null } } };
  const jwt = body.error ? (body.error.data.jwt?.code ?? null) : undefined;
  return { status: res.status, header: res.headers.get('www-authenticate'), jwt };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each([
  ['createHTTPServer', 0],
  ['fetchRequestHandler', 1],
])('%s', (_name, adapter) => {
  it('a missing token → 401, error="invalid_request"', async () => {
    expect(await challenge('default', adapter, 'me')).toEqual({
      status: 401,
      header: 'Bearer realm="api", error="invalid_request", error_description="Missing Authorization Header"',
      jwt: 'NO_AUTHORIZATION',
    });
  });

  it('an expired token → 401, error="invalid_token", error_description="Token has expired"; no token in it', async () => {
    const token = await defaultApp.jwt.createAccessToken('alice', { expiresDelta: 60 });
    now += 61_000;
    try {
      const res = await challenge('default', adapter, 'me', bearer(token));
      expect(res).toEqual({
        status: 401,
        header: 'Bearer realm="api", error="invalid_token", error_description="Token has expired"',
        jwt: 'TOKEN_EXPIRED',
      });
      for (const segment of token.split('.')) expect(res.header?.includes(segment)).toBe(false);
    } finally {
      now -= 61_000;
    }
  });

  it('other 401s of a token are invalid_token too (fresh required)', async () => {
    const token = await defaultApp.jwt.createAccessToken('alice', { fresh: false });
    expect(await challenge('default', adapter, 'fresh', bearer(token))).toEqual({
      status: 401,
      header: 'Bearer realm="api", error="invalid_token", error_description="Fresh token required"',
      jwt: 'FRESH_TOKEN_REQUIRED',
    });
  });

  it('another scheme is a missing token (invalid_request), and its credentials are never echoed', async () => {
    const res = await challenge('default', adapter, 'me', { authorization: 'Basic c2VjcmV0LXZhbHVl' });
    expect(res).toMatchObject({ status: 401, jwt: 'NO_AUTHORIZATION' });
    expect(res.header).toMatch(
      /^Bearer realm="api", error="invalid_request", error_description="Missing 'Bearer' type/,
    );
    expect(res.header).not.toContain('c2VjcmV0LXZhbHVl');
  });

  it('422 responses carry no challenge (bad header, garbage token, bad signature)', async () => {
    const other = createJwtManager({ secretKey: `${SECRET}-other` });
    const cases = [
      { authorization: 'Bearer a b' },
      bearer('not-a-jwt'),
      bearer(await other.createAccessToken('alice')),
    ];
    for (const headers of cases) {
      const res = await challenge('default', adapter, 'me', headers);
      expect({ status: res.status, header: res.header }).toEqual({ status: 422, header: null });
    }
  });

  it('a success, and an UNAUTHORIZED thrown by the app itself, carry none', async () => {
    const token = await defaultApp.jwt.createAccessToken('alice');
    expect(await challenge('default', adapter, 'me', bearer(token))).toEqual({
      status: 200,
      header: null,
      jwt: undefined,
    });
    expect(await challenge('default', adapter, 'forbidden')).toEqual({
      status: 401,
      header: null,
      jwt: null,
    });
  });

  it('wwwAuthenticate: false → none', async () => {
    expect(await challenge('off', adapter, 'me')).toEqual({
      status: 401,
      header: null,
      jwt: 'NO_AUTHORIZATION',
    });
  });

  it('a custom realm', async () => {
    expect((await challenge('realm', adapter, 'me')).header).toBe(
      'Bearer realm="orders service", error="invalid_request", error_description="Missing Authorization Header"',
    );
  });

  it("a loader's message is made safe for the header: quotes and control characters replaced", async () => {
    const res = await challenge('loader', adapter, 'me');
    expect(res.status).toBe(401);
    expect(res.header).toBe(
      `Bearer realm="api", error="invalid_request", error_description="Login first: 'Missing Authorization Header'  X-Injected: 1"`,
    );
  });
});

describe('configuration', () => {
  it.each([{ realm: 'a"b' }, { realm: 'line\nbreak' }, { realm: '' }, 'api'])(
    'refuses an unsafe or malformed realm %j, naming wwwAuthenticate',
    (value) => {
      expect(() => createJwtManager({ secretKey: SECRET, wwwAuthenticate: value as never })).toThrow(
        expect.objectContaining({ option: 'wwwAuthenticate' }),
      );
    },
  );
});
