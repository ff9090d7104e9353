/**
 * A loader that never settles must not hang the request: past `loaderTimeout` the request fails
 * closed (INTERNAL_SERVER_ERROR), the procedure body never runs, and nothing about the loader or the
 * token reaches the client.
 */
import { runInNewContext } from 'node:vm';
import { initTRPC } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { describe, expect, it } from 'vitest';
import {
  createJwtManager,
  JwtConfigError,
  type JwtContextPart,
  type JwtManagerOptions,
} from '../../src/index.js';
import { LoaderTimeoutError } from '../../src/errors.js';

const SECRET = 'loader-timeout-secret-0123456789abcdef';
const never = () => new Promise<never>(() => {});

function app(options: Partial<JwtManagerOptions<{}, any>>) {
  const jwt = createJwtManager({ secretKey: SECRET, loaderTimeout: 0.2, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  let bodies = 0;
  const router = t.router({ me: protectedProcedure.query(() => ++bodies) });
  const call = async (token: string) => {
    const res = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request('http://127.0.0.1/trpc/me', { headers: { authorization: `Bearer ${token}` } }),
      router,
      createContext: (opts) => jwt.createJwtContext(opts),
    });
    return { status: res.status, text: await res.text() };
  };
  return { jwt, call, bodies: () => bodies };
}

describe('loaderTimeout', () => {
  for (const loader of [
    'tokenInBlocklistLoader',
    'tokenVerificationLoader',
    'userLookupLoader',
    'decodeKeyLoader',
  ] as const) {
    it(`a hanging ${loader} fails the request closed after the timeout`, async () => {
      const signer = createJwtManager({ secretKey: SECRET });
      const { call, bodies } = app({ [loader]: never });
      const token = await signer.createAccessToken('ann');
      const started = Date.now();
      const res = await call(token);
      expect(res.status).toBe(500);
      expect(JSON.parse(res.text).error.data.code).toBe('INTERNAL_SERVER_ERROR');
      expect(res.text).not.toContain(token.split('.')[1]!);
      expect(bodies()).toBe(0);
      // Bounded: it answered because of the timeout, not because the loader settled.
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  }

  // A thenable or a promise from another realm (a vm context, an iframe-like sandbox, a library
  // bundling its own Promise) is not `instanceof Promise`; it must be bounded all the same.
  for (const [what, make] of [
    ['a never-settling thenable', () => ({ then() {} })],
    ['a never-settling promise from another realm', () => runInNewContext('new Promise(() => {})')],
  ] as const) {
    for (const loader of ['tokenInBlocklistLoader', 'userLookupLoader', 'decodeKeyLoader'] as const) {
      it(`${loader} returning ${what} fails the request closed after the timeout`, async () => {
        const signer = createJwtManager({ secretKey: SECRET });
        const { call, bodies } = app({ [loader]: make });
        const res = await call(await signer.createAccessToken('ann'));
        expect(res.status).toBe(500);
        expect(JSON.parse(res.text).error.data.code).toBe('INTERNAL_SERVER_ERROR');
        expect(bodies()).toBe(0);
      });
    }
  }

  it('a hanging error loader (here expiredTokenLoader) answers 500 after the timeout instead of hanging', async () => {
    const signer = createJwtManager({ secretKey: SECRET, accessTokenExpires: 1, clock: () => 0 });
    const { call, bodies } = app({ expiredTokenLoader: () => ({ then() {} }) as never });
    const res = await call(await signer.createAccessToken('ann'));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text).error).toMatchObject({
      message: 'An error loader did not answer within loaderTimeout',
      data: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(bodies()).toBe(0);
  });

  it('creation loaders are bounded too: createAccessToken rejects with LoaderTimeoutError', async () => {
    for (const loader of [
      'additionalClaimsLoader',
      'additionalHeadersLoader',
      'userIdentityLoader',
      'encodeKeyLoader',
    ] as const) {
      const { jwt } = app({ [loader]: () => ({ then() {} }) });
      const error = await jwt.createAccessToken('ann').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoaderTimeoutError);
      expect((error as Error).message).toBe(`${loader} did not answer within 200 ms`);
    }
  });

  it('a loader that answers within the timeout is unaffected', async () => {
    const { jwt, call, bodies } = app({ tokenInBlocklistLoader: async () => false });
    const res = await call(await jwt.createAccessToken('ann'));
    expect(res.status).toBe(200);
    expect(bodies()).toBe(1);
  });

  it('is validated like any duration, and false turns it off', () => {
    expect(() => createJwtManager({ secretKey: SECRET, loaderTimeout: 'soon' as never })).toThrow(
      /option `loaderTimeout`/,
    );
    expect(
      createJwtManager({ secretKey: SECRET, loaderTimeout: false }).config.loaderTimeoutMs,
    ).toBeUndefined();
    expect(createJwtManager({ secretKey: SECRET }).config.loaderTimeoutMs).toBe(10_000);
  });
});

describe('identityClaim', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'])(
    'refuses the Object.prototype name %s',
    (name) => {
      expect(() => createJwtManager({ secretKey: SECRET, identityClaim: name })).toThrow(JwtConfigError);
      expect(() => createJwtManager({ secretKey: SECRET, identityClaim: name })).toThrow(
        /option `identityClaim`/,
      );
    },
  );
});
