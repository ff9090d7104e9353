/**
 * Loaders fail closed: a verification-path loader (blocklist, verification, user lookup, decode key)
 * or an error loader that throws gives INTERNAL_SERVER_ERROR and no procedure body runs. Loader
 * results that are not exactly the expected boolean are handled in the safe direction.
 *
 * Not tested here, on purpose: a loader that never settles. There is no timeout mechanism, so the
 * request hangs until the client aborts (see the report / README gap); a test would only hang.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { JwtManagerOptions } from '../../src/index.js';
import {
  auditHygiene,
  bearer,
  buildApp,
  type CallResult,
  call,
  expectHttpError,
  fakeClock,
  forge,
  newSecret,
  registerSensitive,
  registerToken,
} from './helpers.js';

const secret = newSecret(32, 'loaders secret');
const clock = fakeClock(1_700_000_000);
const NOW = 1_700_000_000;
const LOADER_THREW = 'Token verification failed: a loader threw';
const ERROR_LOADER = 'An error loader did not return a TRPCError';

/** The sensitive text a careless loader puts in its own error (it must never reach the client). */
const internalDetail = registerSensitive(`redis://user:${newSecret(24, 'db password')}@db:6379`, 'db url');
const boom = () => {
  throw new Error(`connection to ${internalDetail} refused`);
};
const rejecting = async () => {
  throw new Error(`connection to ${internalDetail} refused`);
};

function app(options: Partial<JwtManagerOptions<{}, any>>) {
  return buildApp<any>({ secretKey: secret, clock: clock.now, ...options });
}

function expectFailedClosed(res: CallResult, message: string, calls: Record<string, number>, path = 'me') {
  expectHttpError(res, 500, null, message);
  expect(res.body.error.data.code).toBe('INTERNAL_SERVER_ERROR');
  expect(calls[path]).toBeUndefined();
  expect(res.text).not.toContain('redis://');
}

describe('verification loaders that throw fail closed (500, body never runs)', () => {
  for (const [name, kind] of [
    ['tokenInBlocklistLoader', 'sync'],
    ['tokenInBlocklistLoader', 'async'],
    ['tokenVerificationLoader', 'sync'],
    ['tokenVerificationLoader', 'async'],
    ['userLookupLoader', 'sync'],
    ['userLookupLoader', 'async'],
  ] as const) {
    it(`${name} (${kind} throw)`, async () => {
      const a = app({ [name]: kind === 'sync' ? boom : rejecting });
      const token = registerToken(await a.jwt.createAccessToken('alice'));
      expectFailedClosed(await call(a, 'me', { headers: bearer(token) }), LOADER_THREW, a.calls);
      // optional procedures too: a token was presented, so a loader failure is not "anonymous"
      expectFailedClosed(
        await call(a, 'optional', { headers: bearer(token) }),
        LOADER_THREW,
        a.calls,
        'optional',
      );
    });
  }

  it.each(['sync', 'async'])('decodeKeyLoader (%s throw)', async (kind) => {
    const a = app({
      decodeKeyLoader: kind === 'sync' ? boom : rejecting,
      encodeKeyLoader: () => secret,
    });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    expectFailedClosed(await call(a, 'me', { headers: bearer(token) }), 'Token verification failed', a.calls);
  });

  it('a loader throwing a TRPCError decides the response itself, and the body still never runs', async () => {
    const a = app({
      tokenVerificationLoader: () => {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'Account locked' });
      },
    });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    const res = await call(a, 'me', { headers: bearer(token) });
    expectHttpError(res, 403, null, 'Account locked');
    expect(a.calls.me).toBeUndefined();
  });
});

describe('error loaders that throw (or return something else) fail closed', () => {
  type Request = { path: string; headers: Record<string, string> };
  /** access() mints an access token for alice from the app under test. */
  type Scenario = (access: () => Promise<string>) => Promise<Request>;
  const expiredToken = () =>
    forge({
      header: { alg: 'HS256' },
      payload: { sub: 'alice', type: 'access', jti: 'e1', exp: NOW - 1, fresh: false },
      key: secret,
    });
  const onMe: Scenario = async (access) => ({ path: 'me', headers: bearer(await access()) });
  const cases: [string, Partial<JwtManagerOptions<{}, any>>, Scenario][] = [
    ['expiredTokenLoader', {}, async () => ({ path: 'me', headers: bearer(expiredToken()) })],
    ['needsFreshTokenLoader', {}, async (access) => ({ path: 'fresh', headers: bearer(await access()) })],
    ['revokedTokenLoader', { tokenInBlocklistLoader: () => true }, onMe],
    ['tokenVerificationFailedLoader', { tokenVerificationLoader: () => false }, onMe],
    ['userLookupErrorLoader', { userLookupLoader: () => null }, onMe],
    ['invalidTokenLoader', {}, async () => ({ path: 'me', headers: bearer('not.a.token') })],
    ['unauthorizedLoader', {}, async () => ({ path: 'me', headers: {} })],
  ];

  for (const [loader, extra, scenario] of cases) {
    for (const [behaviour, impl] of [
      ['throws', boom],
      ['rejects', rejecting],
      ['returns a plain Error', () => new Error('not a TRPCError')],
      ['returns undefined', () => undefined],
    ] as const) {
      it(`${loader} that ${behaviour}: 500, the body never runs`, async () => {
        const a = app({ ...extra, [loader]: impl });
        const { path, headers } = await scenario(async () =>
          registerToken(await a.jwt.createAccessToken('alice')),
        );
        expectFailedClosed(await call(a, path, { headers }), ERROR_LOADER, a.calls, path);
      });
    }
  }
});

describe('loader results that are not exactly a boolean', () => {
  it.each([
    ['1', 1],
    ['"1" (a Redis GET hit)', '1'],
    ['a database row', { jti: 'x', revokedAt: 1 }],
    ['true', true],
  ])('tokenInBlocklistLoader returning %s revokes (truthy, as flask)', async (_what, value) => {
    const a = app({ tokenInBlocklistLoader: () => value as never });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    expectHttpError(
      await call(a, 'me', { headers: bearer(token) }),
      401,
      'TOKEN_REVOKED',
      'Token has been revoked',
    );
    expect(a.calls.me).toBeUndefined();
  });

  it.each([
    ['false', false],
    ['null (a Redis GET miss)', null],
    ['undefined', undefined],
    ['0', 0],
  ])('tokenInBlocklistLoader returning %s does not revoke', async (_what, value) => {
    const a = app({ tokenInBlocklistLoader: () => value as never });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    expect((await call(a, 'me', { headers: bearer(token) })).status).toBe(200);
  });

  it.each([
    ['1', 1],
    ['"true"', 'true'],
    ['an object', {}],
    ['undefined (forgot to return)', undefined],
  ])('tokenVerificationLoader returning %s fails verification (only true passes)', async (_what, value) => {
    const a = app({ tokenVerificationLoader: () => value as never });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    expectHttpError(
      await call(a, 'me', { headers: bearer(token) }),
      400,
      'CLAIMS_VERIFICATION_FAILED',
      'User claims verification failed',
    );
    expect(a.calls.me).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
  ])('userLookupLoader returning %s is a lookup failure (401), the body never runs', async (_what, value) => {
    const a = app({ userLookupLoader: () => value });
    const token = registerToken(await a.jwt.createAccessToken('alice'));
    expectHttpError(
      await call(a, 'me', { headers: bearer(token) }),
      401,
      'USER_LOOKUP_FAILED',
      'Error loading the user alice',
    );
    expect(a.calls.me).toBeUndefined();
  });

  it('decodeKeyLoader returning nothing, or a key for another algorithm, refuses the token (not a 500)', async () => {
    for (const key of [undefined, null, '', 'short', { kty: 'RSA' }]) {
      const a = app({ decodeKeyLoader: () => key as never, encodeKeyLoader: () => secret });
      const token = registerToken(await a.jwt.createAccessToken('alice'));
      expectHttpError(
        await call(a, 'me', { headers: bearer(token) }),
        422,
        'INVALID_TOKEN',
        'Signature verification failed',
      );
      expect(a.calls.me).toBeUndefined();
    }
  });
});

auditHygiene();
