/**
 * Rules of the reference (shared/reference/flask-jwt-extended.md) that the rest of test/ does not
 * assert yet. Each test quotes its rule; every call goes through a real router on tRPC's
 * fetchRequestHandler with real Requests.
 */
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { expectIdentity, expectJwtError, SECRET, signHs256 } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, cookieHeader, fetchHandler } from '../helpers/servers.js';

/** A router with one procedure per verification option used below, served by fetchRequestHandler. */
function referenceApp(options: Omit<JwtManagerOptions<{}, unknown>, 'secretKey'> = {}) {
  const jwt = createJwtManager<{}, unknown>({ secretKey: SECRET, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
    t.procedure,
  );
  const me = ({ ctx }: { ctx: { token: { identity: string; location: string } } }) => ({
    identity: ctx.token.identity,
    location: ctx.token.location,
  });
  const router = t.router({
    me: protectedProcedure.query(me),
    meWrite: protectedProcedure.mutation(me),
    user: protectedProcedure.query(({ ctx }) => ({ user: (ctx as { user?: unknown }).user })),
    optional: optionalProcedure.query(({ ctx }) => ctx.token?.identity ?? null),
    fresh: freshProcedure.query(me),
    refresh: refreshProcedure.query(me),
    cookiesOnly: t.procedure.concat(jwt.required({ locations: 'cookies' })).query(me),
    refreshAnyType: t.procedure.concat(jwt.required({ refresh: true, verifyType: false })).query(me),
  });
  const endpoint = fetchHandler(router, (opts) => jwt.createJwtContext(opts));
  const call = (path: string, opts: CallOptions = {}) => callTrpc(endpoint, path, opts);
  return { jwt, call };
}

const bearer = (token: string): CallOptions => ({ headers: { Authorization: `Bearer ${token}` } });

describe('check order (reference §6: "locations, then decode, then CSRF, then type, then fresh, then blocklist, then custom claims, then user lookup")', () => {
  it('CSRF before type: a refresh token in the access cookie on a mutation fails on CSRF first', async () => {
    const { jwt, call } = referenceApp({ tokenLocation: ['cookies'] });
    const refresh = await jwt.createRefreshToken('alice');
    const cookie = cookieHeader({ access_token_cookie: refresh });
    const write = (headers: Record<string, string>) =>
      call('meWrite', { type: 'mutation', headers: { cookie, ...headers } });
    expectJwtError(await write({}), 401, 'CSRF_ERROR', 'Missing CSRF token');
    expectJwtError(
      await write({ 'X-CSRF-TOKEN': 'not-the-claim' }),
      401,
      'CSRF_ERROR',
      'CSRF double submit tokens do not match',
    );
    // Only once CSRF passes does the type check answer.
    expectJwtError(
      await write({ 'X-CSRF-TOKEN': await jwt.getCsrfToken(refresh) }),
      422,
      'WRONG_TOKEN_TYPE',
      'Only non-refresh tokens are allowed',
    );
  });

  it('decode before type: an expired refresh token on an access procedure is 401 Token has expired, not 422', async () => {
    const { call } = referenceApp();
    const past = createJwtManager({ secretKey: SECRET, clock: () => Date.now() - 3_600_000 });
    const expiredRefresh = await past.createRefreshToken('alice', { expiresDelta: 60 });
    expectJwtError(await call('me', bearer(expiredRefresh)), 401, 'TOKEN_EXPIRED', 'Token has expired');
  });

  it('custom claims before user lookup: "token_verification_loader ... False gives 400" and the user loader never runs', async () => {
    const seen: string[] = [];
    const { jwt, call } = referenceApp({
      tokenVerificationLoader: () => {
        seen.push('verification');
        return false;
      },
      userLookupLoader: () => {
        seen.push('user');
        return { name: 'Alice' };
      },
    });
    const res = await call('me', bearer(await jwt.createAccessToken('alice')));
    expectJwtError(res, 400, 'CLAIMS_VERIFICATION_FAILED', 'User claims verification failed');
    expect(seen).toEqual(['verification']);
  });
});

describe('user lookup (reference §2.2)', () => {
  it('"`None` raises UserLookupError": other falsy users (0, empty string, false) are users', async () => {
    for (const user of [0, '', false]) {
      const { jwt, call } = referenceApp({ userLookupLoader: () => user });
      const res = await call('user', bearer(await jwt.createAccessToken('alice')));
      expect({ status: res.status, data: res.data }).toEqual({ status: 200, data: { user } });
    }
  });

  it('"Error loading the user <identity>": identity is jwt_payload[JWT_IDENTITY_CLAIM]', async () => {
    const { jwt, call } = referenceApp({ identityClaim: 'uid', userLookupLoader: () => null });
    const res = await call('me', bearer(await jwt.createAccessToken('u-7')));
    expectJwtError(res, 401, 'USER_LOOKUP_FAILED', 'Error loading the user u-7');
  });
});

describe('optional (reference §2.5: "Any other error is still raised")', () => {
  it('a revoked token (401) and a wrong token type (422) are not treated as anonymous', async () => {
    const { jwt, call } = referenceApp({ tokenInBlocklistLoader: ({ payload }) => payload.sub === 'gone' });
    expect((await call('optional')).data).toBeNull();
    expectJwtError(
      await call('optional', bearer(await jwt.createAccessToken('gone'))),
      401,
      'TOKEN_REVOKED',
      'Token has been revoked',
    );
    expectJwtError(
      await call('optional', bearer(await jwt.createRefreshToken('alice'))),
      422,
      'WRONG_TOKEN_TYPE',
      'Only non-refresh tokens are allowed',
    );
  });
});

describe('decode_token (reference §2.8)', () => {
  it('"Does not check the blocklist, token type, freshness, or custom verification"', async () => {
    const seen: string[] = [];
    const { jwt } = referenceApp({
      tokenInBlocklistLoader: () => {
        seen.push('blocklist');
        return true;
      },
      tokenVerificationLoader: () => {
        seen.push('verification');
        return false;
      },
    });
    const payload = await jwt.decodeToken(await jwt.createRefreshToken('alice'));
    expect({ type: payload.type, fresh: payload.fresh, sub: payload.sub }).toEqual({
      type: 'refresh',
      fresh: false,
      sub: 'alice',
    });
    expect(seen).toEqual([]);
  });
});

describe('identity (reference §2.7)', () => {
  it('"with JWT_VERIFY_SUB=True they fail on decode with 422 Subject must be a string"; API.md §9: non-strings no longer encode, and verifySub: false gives an integer sub as a string', async () => {
    const strict = referenceApp();
    // §9 differs from flask here: a non-string identity fails at creation (flask encodes it).
    await expect(strict.jwt.createAccessToken(42)).rejects.toThrow(TypeError);
    const numeric = signHs256({ sub: 42, iat: Math.floor(Date.now() / 1000), type: 'access' });
    expectJwtError(
      await strict.call('me', bearer(numeric)),
      422,
      'INVALID_TOKEN',
      'Subject must be a string',
    );
    const lax = referenceApp({ verifySub: false });
    const res = await lax.call('me', bearer(numeric));
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { identity: '42', location: 'headers' },
    });
  });

  it('"encode_key_loader(identity) ... At creation, with the raw identity" (not the user_identity_loader output)', async () => {
    const seen: unknown[] = [];
    const user = { id: 7 };
    const { jwt, call } = referenceApp({
      userIdentityLoader: (identity) => `user-${(identity as typeof user).id}`,
      encodeKeyLoader: (identity) => {
        seen.push(identity);
        return SECRET;
      },
    });
    expectIdentity(await call('me', bearer(await jwt.createAccessToken(user))), 'user-7', 'headers');
    expect(seen).toEqual([user]);
  });
});

describe('defaults for a token that lacks claims (reference §3.1)', () => {
  const iat = () => Math.floor(Date.now() / 1000);

  it('"missing `type` becomes `access`": refused by refresh procedures', async () => {
    const { call } = referenceApp();
    const noType = signHs256({ sub: 'ext', iat: iat(), exp: iat() + 60, jti: 'j1', fresh: true });
    expectIdentity(await call('me', bearer(noType)), 'ext', 'headers');
    expectJwtError(
      await call('refresh', bearer(noType)),
      422,
      'WRONG_TOKEN_TYPE',
      'Only refresh tokens are allowed',
    );
  });

  it('"missing `fresh` becomes `False`": refused by fresh procedures', async () => {
    const { call } = referenceApp();
    const noFresh = signHs256({ sub: 'ext', iat: iat(), exp: iat() + 60, jti: 'j2', type: 'access' });
    expectIdentity(await call('me', bearer(noFresh)), 'ext', 'headers');
    expectJwtError(await call('fresh', bearer(noFresh)), 401, 'FRESH_TOKEN_REQUIRED', 'Fresh token required');
  });
});

describe('per-procedure options (reference §2.5, §3.7)', () => {
  it('"A string `locations` argument is wrapped in a list"; "With 1 location, the single message is returned"', async () => {
    const { jwt, call } = referenceApp({ tokenLocation: ['headers', 'cookies'] });
    const token = await jwt.createAccessToken('alice');
    const cookie = cookieHeader({ access_token_cookie: token });
    expectIdentity(await call('cookiesOnly', { headers: { cookie } }), 'alice', 'cookies');
    expectJwtError(
      await call('cookiesOnly', bearer(token)),
      401,
      'NO_AUTHORIZATION',
      'Missing cookie "access_token_cookie"',
    );
  });

  it('"verify_type=False: skips the access/refresh type check. Any token type is accepted", also with refresh=True', async () => {
    const { jwt, call } = referenceApp();
    const access = await jwt.createAccessToken('alice');
    expectIdentity(await call('refreshAnyType', bearer(access)), 'alice', 'headers');
    expectJwtError(
      await call('refresh', bearer(access)),
      422,
      'WRONG_TOKEN_TYPE',
      'Only refresh tokens are allowed',
    );
  });
});

describe('json location (reference §3.6)', () => {
  it('"A missing or falsy value ... gives NoAuth Missing "<key>" key in json data." (0 and false)', async () => {
    const { call } = referenceApp({ tokenLocation: ['json'] });
    for (const value of [0, false]) {
      expectJwtError(
        await call('meWrite', { type: 'mutation', input: { access_token: value } }),
        401,
        'NO_AUTHORIZATION',
        'Missing "access_token" key in json data.',
      );
    }
  });
});
