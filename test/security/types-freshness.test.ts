/**
 * Token types and freshness through a real tRPC router (fetchRequestHandler): refresh where access
 * is required and the reverse, a missing `type`, every odd `fresh` value, revoked jti, and a missing
 * jti with a blocklist configured.
 */
import { describe, expect, it } from 'vitest';
import type { JwtPayload } from '../../src/index.js';
import {
  auditHygiene,
  bearer,
  buildApp,
  call,
  expectHttpError,
  expectOk,
  fakeClock,
  forge,
  newSecret,
  registerToken,
} from './helpers.js';

const secret = newSecret(32, 'types secret');
const clock = fakeClock(1_700_000_000);
const NOW = 1_700_000_000;
const revoked = new Set<string>();
const blocklistCalls: (string | undefined)[] = [];
const app = buildApp({
  secretKey: secret,
  clock: clock.now,
  tokenInBlocklistLoader: ({ payload }: { payload: JwtPayload }) => {
    blocklistCalls.push(payload.jti);
    return revoked.has(payload.jti as string);
  },
});
const plain = buildApp({ secretKey: secret, clock: clock.now });

const access = async (opts: Parameters<typeof app.jwt.createAccessToken>[1] = {}) =>
  registerToken(await app.jwt.createAccessToken('alice', opts));
const refresh = async () => registerToken(await app.jwt.createRefreshToken('alice'));
const ME = { identity: 'alice', type: 'access', location: 'headers' };

describe('token types', () => {
  it('a refresh token where an access token is required: 422 WRONG_TOKEN_TYPE, body never runs', async () => {
    const res = await call(app, 'me', { headers: bearer(await refresh()) });
    expectHttpError(res, 422, 'WRONG_TOKEN_TYPE', 'Only non-refresh tokens are allowed');
    expect(app.calls.me).toBeUndefined();
  });

  it('an access token where a refresh token is required: 422 WRONG_TOKEN_TYPE, body never runs', async () => {
    const res = await call(app, 'refresh', { method: 'POST', headers: bearer(await access()) });
    expectHttpError(res, 422, 'WRONG_TOKEN_TYPE', 'Only refresh tokens are allowed');
    expect(app.calls.refresh).toBeUndefined();
  });

  it('a refresh token on a fresh-only procedure fails the type check first (422, not 401)', async () => {
    const res = await call(app, 'fresh', { headers: bearer(await refresh()) });
    expectHttpError(res, 422, 'WRONG_TOKEN_TYPE', 'Only non-refresh tokens are allowed');
  });

  it('control: each token type is accepted where it belongs', async () => {
    expectOk(await call(app, 'me', { headers: bearer(await access()) }), { ...ME, user: null });
    expectOk(await call(app, 'refresh', { method: 'POST', headers: bearer(await refresh()) }), {
      identity: 'alice',
      type: 'refresh',
      location: 'headers',
    });
  });

  it('a token without "type" counts as access: accepted on access procedures, refused on refresh', async () => {
    const { type: _omit, ...claims } = {
      type: 'access',
      sub: 'alice',
      jti: 'no-type-jti',
      iat: NOW,
      exp: NOW + 60,
    };
    const token = forge({ header: { alg: 'HS256' }, payload: claims, key: secret });
    expectOk(await call(app, 'me', { headers: bearer(token) }), { ...ME, user: null });
    const res = await call(app, 'refresh', { method: 'POST', headers: bearer(token) });
    expectHttpError(res, 422, 'WRONG_TOKEN_TYPE', 'Only refresh tokens are allowed');
  });

  it.each([
    ['"Refresh" (another case)', 'Refresh'],
    ['["refresh"]', ['refresh']],
    ['a number', 1],
  ])('type %s is not a refresh token (as flask: type == "refresh")', async (_what, type) => {
    const token = await access({ additionalClaims: { type } });
    const res = await call(app, 'refresh', { method: 'POST', headers: bearer(token) });
    expectHttpError(res, 422, 'WRONG_TOKEN_TYPE', 'Only refresh tokens are allowed');
  });
});

describe('freshness (no leeway; the injected clock decides)', () => {
  const notFresh: [string, unknown][] = [
    ['"abc"', 'abc'],
    ['"true"', 'true'],
    ['{}', {}],
    ['[]', []],
    ['null', null],
    ['false', false],
    ['0', 0],
    ['1 (a 1970 timestamp)', 1],
    ['a past timestamp (now - 1)', NOW - 1],
    ['a numeric string of a future time', String(NOW + 3600)],
  ];
  it.each(notFresh)(
    'fresh = %s is not fresh: 401 FRESH_TOKEN_REQUIRED, body never runs',
    async (_what, fresh) => {
      const before = app.calls.fresh ?? 0;
      const res = await call(app, 'fresh', {
        headers: bearer(await access({ additionalClaims: { fresh } })),
      });
      expectHttpError(res, 401, 'FRESH_TOKEN_REQUIRED', 'Fresh token required');
      expect(app.calls.fresh ?? 0).toBe(before);
    },
  );

  it('fresh = 1e400 (Infinity once parsed) is not fresh', async () => {
    const raw = `{"fresh":1e400,"sub":"alice","type":"access","jti":"inf","iat":${NOW},"exp":${NOW + 60}}`;
    const token = forge({ header: { alg: 'HS256' }, payload: raw, key: secret });
    expectHttpError(await call(app, 'fresh', { headers: bearer(token) }), 401, 'FRESH_TOKEN_REQUIRED');
  });

  it.each([
    ['true', true],
    ['a future timestamp', NOW + 3600],
    ['exactly now (fresh while fresh >= now)', NOW],
  ])('fresh = %s is fresh', async (_what, fresh) => {
    const res = await call(app, 'fresh', { headers: bearer(await access({ additionalClaims: { fresh } })) });
    expectOk(res, ME);
  });

  it('fresh as a duration expires with the clock', async () => {
    const token = await access({ fresh: 60 });
    expectOk(await call(app, 'fresh', { headers: bearer(token) }), ME);
    clock.ms = (NOW + 61) * 1000;
    try {
      expectHttpError(await call(app, 'fresh', { headers: bearer(token) }), 401, 'FRESH_TOKEN_REQUIRED');
      // still a valid (non-fresh) access token elsewhere
      expect((await call(app, 'me', { headers: bearer(token) })).status).toBe(200);
    } finally {
      clock.ms = NOW * 1000;
    }
  });
});

describe('revocation', () => {
  it('a revoked jti: 401 TOKEN_REVOKED and the body never runs; an unrevoked one passes', async () => {
    const good = await access();
    const bad = await access();
    revoked.add(String(await app.jwt.getJti(bad)));
    const before = app.calls.me ?? 0;
    expectHttpError(
      await call(app, 'me', { headers: bearer(bad) }),
      401,
      'TOKEN_REVOKED',
      'Token has been revoked',
    );
    expect(app.calls.me ?? 0).toBe(before);
    expect((await call(app, 'me', { headers: bearer(good) })).status).toBe(200);
    expect(app.calls.me).toBe(before + 1);
  });

  it('a revoked refresh token cannot refresh', async () => {
    const token = await refresh();
    revoked.add(String(await app.jwt.getJti(token)));
    const res = await call(app, 'refresh', { method: 'POST', headers: bearer(token) });
    expectHttpError(res, 401, 'TOKEN_REVOKED', 'Token has been revoked');
  });

  it('a token without jti, with a blocklist configured: 422 Missing claim: jti (the loader is not asked)', async () => {
    const calls = blocklistCalls.length;
    const token = await access({ additionalClaims: { jti: undefined } });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect('jti' in payload).toBe(false);
    expectHttpError(
      await call(app, 'me', { headers: bearer(token) }),
      422,
      'INVALID_TOKEN',
      'Missing claim: jti',
    );
    expect(blocklistCalls.length).toBe(calls);
    // without a blocklist the same token is fine
    expect((await call(plain, 'me', { headers: bearer(token) })).status).toBe(200);
  });

  it('skipRevocationCheck skips the jti requirement too', async () => {
    const token = await access({ additionalClaims: { jti: undefined } });
    const ctx = app.jwt.createJwtContext({ headers: bearer(token) });
    const verified = await app.jwt.verifyJwtInRequest(ctx, { skipRevocationCheck: true });
    expect(verified?.jti).toBeNull();
    expect(verified?.identity).toBe('alice');
  });
});

auditHygiene();
