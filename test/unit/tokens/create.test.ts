import { describe, expect, it } from 'vitest';
import {
  createJwtManager,
  JwtConfigError,
  JWTDecodeError,
  type JwtManagerOptions,
} from '../../../src/index.js';
import { parts, SECRET_HS256 } from '../../helpers/keys.js';

const NOW_MS = 1_700_000_000_500; // half a second past a whole second: `fresh` keeps the fraction
const NOW = 1_700_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function manager(options: Partial<JwtManagerOptions> = {}) {
  return createJwtManager({ secretKey: SECRET_HS256, clock: () => NOW_MS, ...options });
}

describe('createAccessToken / createRefreshToken: claims layout', () => {
  it("writes flask's claims in flask's order, then custom claims", async () => {
    const jwt = manager({ encodeAudience: 'api', encodeIssuer: 'https://issuer.example' });
    const token = await jwt.createAccessToken('alice', { additionalClaims: { role: 'admin', zz: 1 } });
    const { payload, payloadJson } = parts(token);
    expect(Object.keys(payload)).toEqual([
      'fresh',
      'iat',
      'jti',
      'type',
      'sub',
      'nbf',
      'csrf',
      'exp',
      'aud',
      'iss',
      'role',
      'zz',
    ]);
    expect(payload).toEqual({
      fresh: false,
      iat: NOW,
      jti: expect.stringMatching(UUID),
      type: 'access',
      sub: 'alice',
      nbf: NOW,
      csrf: expect.stringMatching(UUID),
      exp: NOW + 900,
      aud: 'api',
      iss: 'https://issuer.example',
      role: 'admin',
      zz: 1,
    });
    expect(payload.csrf).not.toBe(payload.jti);
    // Compact JSON, no whitespace.
    expect(payloadJson).not.toMatch(/\s/);
    expect(payloadJson.startsWith(`{"fresh":false,"iat":${NOW},"jti":"`)).toBe(true);
  });

  it('writes the header {"alg":"HS256","typ":"JWT"} with sorted keys', async () => {
    const jwt = manager();
    expect(parts(await jwt.createAccessToken('alice')).headerJson).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(parts(await jwt.createRefreshToken('alice')).headerJson).toBe('{"alg":"HS256","typ":"JWT"}');
    const hs512 = createJwtManager({ algorithm: 'HS512', secretKey: 'k'.repeat(64) });
    expect(parts(await hs512.createAccessToken('alice')).headerJson).toBe('{"alg":"HS512","typ":"JWT"}');
  });

  it('gives every token its own jti and csrf', async () => {
    const jwt = manager();
    const a = parts(await jwt.createAccessToken('alice')).payload;
    const b = parts(await jwt.createAccessToken('alice')).payload;
    expect(a.jti).not.toBe(b.jti);
    expect(a.csrf).not.toBe(b.csrf);
  });

  it('takes every time from the injected clock', async () => {
    let now = 1_800_000_123_999;
    const jwt = manager({ clock: () => now });
    const first = parts(await jwt.createAccessToken('alice')).payload;
    expect(first.iat).toBe(1_800_000_123);
    expect(first.nbf).toBe(1_800_000_123);
    expect(first.exp).toBe(1_800_000_123 + 900);
    now += 60_000;
    expect(parts(await jwt.createAccessToken('alice')).payload.iat).toBe(1_800_000_183);
  });
});

describe('fresh', () => {
  it('is false by default, true or false as given', async () => {
    const jwt = manager();
    expect(parts(await jwt.createAccessToken('alice')).payload.fresh).toBe(false);
    expect(parts(await jwt.createAccessToken('alice', { fresh: true })).payload.fresh).toBe(true);
    expect(parts(await jwt.createAccessToken('alice', { fresh: false })).payload.fresh).toBe(false);
  });

  it('is a timestamp now + duration for a duration; a number means seconds', async () => {
    const jwt = manager();
    expect(parts(await jwt.createAccessToken('alice', { fresh: 300 })).payload.fresh).toBe(
      NOW_MS / 1000 + 300,
    );
    expect(parts(await jwt.createAccessToken('alice', { fresh: '5m' })).payload.fresh).toBe(
      NOW_MS / 1000 + 300,
    );
    expect(parts(await jwt.createAccessToken('alice', { fresh: 0 })).payload.fresh).toBe(NOW_MS / 1000);
  });

  it('refuses a bad fresh duration', async () => {
    const jwt = manager();
    for (const fresh of [-1, 'banana', Number.NaN]) {
      const error = await jwt.createAccessToken('alice', { fresh: fresh as never }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JwtConfigError);
      expect((error as JwtConfigError).option).toBe('fresh');
    }
  });

  it('is always false on refresh tokens, whose type is refresh', async () => {
    const jwt = manager();
    const token = await jwt.createRefreshToken('alice', { fresh: true } as never);
    const { payload } = parts(token);
    expect(payload.fresh).toBe(false);
    expect(payload.type).toBe('refresh');
    expect(payload.exp).toBe(NOW + 30 * 86_400);
    expect(Object.keys(payload)).toEqual(['fresh', 'iat', 'jti', 'type', 'sub', 'nbf', 'csrf', 'exp']);
  });
});

describe('expiry', () => {
  it('takes expiresDelta as a duration, or false for no exp', async () => {
    const jwt = manager();
    expect(parts(await jwt.createAccessToken('alice', { expiresDelta: '1h' })).payload.exp).toBe(NOW + 3600);
    expect(parts(await jwt.createAccessToken('alice', { expiresDelta: 10 })).payload.exp).toBe(NOW + 10);
    expect(parts(await jwt.createRefreshToken('alice', { expiresDelta: '2d' })).payload.exp).toBe(
      NOW + 2 * 86_400,
    );
    const noExp = parts(await jwt.createAccessToken('alice', { expiresDelta: false })).payload;
    expect('exp' in noExp).toBe(false);
    const error = await jwt.createAccessToken('alice', { expiresDelta: 'banana' as never }).catch((e) => e);
    expect(error).toBeInstanceOf(JwtConfigError);
    expect((error as JwtConfigError).option).toBe('expiresDelta');
  });

  it('writes no exp when accessTokenExpires / refreshTokenExpires is false', async () => {
    const jwt = manager({ accessTokenExpires: false, refreshTokenExpires: false });
    expect('exp' in parts(await jwt.createAccessToken('alice')).payload).toBe(false);
    expect('exp' in parts(await jwt.createRefreshToken('alice')).payload).toBe(false);
    // A per-token delta still applies.
    expect(parts(await jwt.createAccessToken('alice', { expiresDelta: 60 })).payload.exp).toBe(NOW + 60);
  });

  it('uses the configured lifetimes', async () => {
    const jwt = manager({ accessTokenExpires: '30s', refreshTokenExpires: '12h' });
    expect(parts(await jwt.createAccessToken('alice')).payload.exp).toBe(NOW + 30);
    expect(parts(await jwt.createRefreshToken('alice')).payload.exp).toBe(NOW + 43_200);
  });
});

describe('optional claims', () => {
  it('omits nbf when encodeNbf is false, csrf when cookieCsrfProtect is false', async () => {
    const jwt = manager({ encodeNbf: false, cookieCsrfProtect: false });
    const { payload } = parts(await jwt.createAccessToken('alice'));
    expect(Object.keys(payload)).toEqual(['fresh', 'iat', 'jti', 'type', 'sub', 'exp']);
  });

  it('writes aud as a string or a list, and iss', async () => {
    expect(parts(await manager({ encodeAudience: 'api' }).createAccessToken('a')).payload.aud).toBe('api');
    expect(
      parts(await manager({ encodeAudience: ['api', 'web'] }).createAccessToken('a')).payload.aud,
    ).toEqual(['api', 'web']);
    expect(parts(await manager({ encodeIssuer: 'me' }).createAccessToken('a')).payload.iss).toBe('me');
    const plain = parts(await manager().createAccessToken('a')).payload;
    expect('aud' in plain || 'iss' in plain).toBe(false);
  });

  it('writes the identity under a renamed identityClaim', async () => {
    const jwt = manager({ identityClaim: 'user_id' });
    const { payload } = parts(await jwt.createAccessToken('alice'));
    expect(payload.user_id).toBe('alice');
    expect('sub' in payload).toBe(false);
    expect(Object.keys(payload).slice(0, 5)).toEqual(['fresh', 'iat', 'jti', 'type', 'user_id']);
    expect((await jwt.decodeToken(await jwt.createAccessToken('bob'))).user_id).toBe('bob');
  });

  it('needs an identity', async () => {
    const error = await manager()
      .createAccessToken(undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      'trpc-jwt-extended: createAccessToken/createRefreshToken need an identity',
    );
  });
});

describe('identities are strings (issue #13, item 10)', () => {
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it.each([
    ['number', 42],
    ['object', { id: 1 }],
    ['boolean', true],
    ['null', null],
  ])(
    'a %s identity without userIdentityLoader is a TypeError at creation, for both token kinds',
    async (kind, identity) => {
      const jwt = manager();
      for (const create of [jwt.createAccessToken, jwt.createRefreshToken]) {
        const error = await rejection(create(identity));
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toBe(
          `trpc-jwt-extended: the identity must be a string (got ${kind}); pass String(id), or set userIdentityLoader to turn it into one`,
        );
      }
    },
  );

  it('custom claims that set the identity claim to a non-string are refused the same way', async () => {
    const error = await rejection(manager().createAccessToken('alice', { additionalClaims: { sub: 42 } }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      'trpc-jwt-extended: custom claims set the identity claim "sub" to a non-string (number); it must be a string',
    );
    const uid = manager({ identityClaim: 'uid', additionalClaimsLoader: () => ({ uid: null }) });
    expect(((await rejection(uid.createRefreshToken('alice'))) as Error).message).toBe(
      'trpc-jwt-extended: custom claims set the identity claim "uid" to a non-string (null); it must be a string',
    );
  });

  it('userIdentityLoader must return a string: anything else is a JwtConfigError naming it', async () => {
    const jwt = manager({ userIdentityLoader: (identity) => (identity as { id: number }).id as never });
    const error = await rejection(jwt.createAccessToken({ id: 7 }));
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      'trpc-jwt-extended: option `userIdentityLoader` must return a string (got number)',
    );
    const ok = manager({ userIdentityLoader: async (identity) => `user-${(identity as { id: number }).id}` });
    expect(parts(await ok.createAccessToken({ id: 7 })).payload.sub).toBe('user-7');
  });
});

describe('loaders', () => {
  it('userIdentityLoader turns the identity into the claim; claim loaders get the raw identity', async () => {
    const seen: unknown[] = [];
    const user = { id: 7, name: 'alice' };
    const jwt = manager({
      userIdentityLoader: async (identity) => `user-${(identity as typeof user).id}`,
      additionalClaimsLoader: (identity) => {
        seen.push(identity);
        return { name: (identity as typeof user).name };
      },
      additionalHeadersLoader: (identity) => {
        seen.push(identity);
        return {};
      },
    });
    const { payload } = parts(await jwt.createAccessToken(user));
    expect(payload.sub).toBe('user-7');
    expect(payload.name).toBe('alice');
    expect(seen).toEqual([user, user]);
  });

  it('merges loader claims then argument claims; the argument wins ties and may override reserved claims', async () => {
    const jwt = manager({
      additionalClaimsLoader: async () => ({ role: 'user', org: 'acme', type: 'app' }),
    });
    const token = await jwt.createAccessToken('alice', {
      additionalClaims: { role: 'admin', jti: 'custom-jti', sub: 'bob', exp: NOW + 5 },
    });
    const { payload } = parts(token);
    expect(payload).toMatchObject({
      role: 'admin',
      org: 'acme',
      type: 'app',
      jti: 'custom-jti',
      sub: 'bob',
      exp: NOW + 5,
    });
    // Overridden reserved claims keep their place in the layout.
    expect(Object.keys(payload)).toEqual([
      'fresh',
      'iat',
      'jti',
      'type',
      'sub',
      'nbf',
      'csrf',
      'exp',
      'role',
      'org',
    ]);
    const decoded = await jwt.decodeToken(token);
    expect(decoded.type).toBe('app');
    expect(await jwt.getJti(token)).toBe('custom-jti');
  });

  it('merges loader headers then argument headers; alg stays pinned', async () => {
    const jwt = manager({ additionalHeadersLoader: async () => ({ kid: 'k1', x: 'loader' }) });
    const token = await jwt.createAccessToken('alice', { additionalHeaders: { x: 'arg', alg: 'none' } });
    const { header } = parts(token);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k1', x: 'arg' });
    expect(jwt.getUnverifiedJwtHeaders(token)).toEqual(header);
    expect((await jwt.decodeToken(token)).sub).toBe('alice');
  });

  it('sorts header keys, as PyJWT does', async () => {
    const jwt = manager();
    const token = await jwt.createAccessToken('alice', { additionalHeaders: { kid: 'k1', b: 1, z: 2 } });
    expect(parts(token).headerJson).toBe('{"alg":"HS256","b":1,"kid":"k1","typ":"JWT","z":2}');
  });

  it('may override typ', async () => {
    const token = await manager().createAccessToken('alice', { additionalHeaders: { typ: 'at+jwt' } });
    expect(parts(token).headerJson).toBe('{"alg":"HS256","typ":"at+jwt"}');
    // PyJWT drops a falsy typ.
    for (const typ of ['', null, false]) {
      const untyped = await manager().createAccessToken('alice', { additionalHeaders: { typ } });
      expect(parts(untyped).headerJson).toBe('{"alg":"HS256"}');
    }
  });

  it('refuses loaders that do not return a plain object', async () => {
    for (const name of ['additionalClaimsLoader', 'additionalHeadersLoader'] as const) {
      const jwt = manager({ [name]: () => ['not', 'an', 'object'] });
      const error = await jwt.createAccessToken('alice').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JwtConfigError);
      expect((error as JwtConfigError).message).toBe(
        `trpc-jwt-extended: option \`${name}\` must return a plain object`,
      );
    }
    // null / undefined mean "nothing to add".
    const jwt = manager({
      additionalClaimsLoader: () => null as never,
      additionalHeadersLoader: () => undefined as never,
    });
    expect(parts(await jwt.createAccessToken('alice')).headerJson).toBe('{"alg":"HS256","typ":"JWT"}');
  });

  it('keeps __proto__ and constructor keys as plain data (no prototype pollution)', async () => {
    const evil = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}',
    ) as Record<string, unknown>;
    const jwt = manager({ additionalClaimsLoader: () => evil, additionalHeadersLoader: () => evil });
    const token = await jwt.createAccessToken('alice', { additionalClaims: evil, additionalHeaders: evil });
    const { payload, header } = parts(token);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(payload, '__proto__')).toBe(true);
    expect(Object.hasOwn(header, '__proto__')).toBe(true);

    const decoded = await jwt.decodeToken(token);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getOwnPropertyDescriptor(decoded, 'constructor')?.value).toEqual({
      prototype: { polluted: true },
    });
    expect(decoded.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(jwt.getUnverifiedJwtHeaders(token))).toBe(Object.prototype);
  });

  it('signs with the key from an async encodeKeyLoader', async () => {
    const secrets: Record<string, string> = { alice: 'a'.repeat(32), bob: 'b'.repeat(32) };
    const jwt = createJwtManager({
      encodeKeyLoader: async (identity) => secrets[identity as string]!,
      decodeKeyLoader: async ({ payload }) => secrets[payload.sub as string]!,
    });
    const alice = await jwt.createAccessToken('alice');
    expect((await jwt.decodeToken(alice)).sub).toBe('alice');
    // A token that claims to be bob's but was signed with alice's key.
    const withBobClaim = await jwt.createAccessToken('alice', { additionalClaims: { sub: 'bob' } });
    const error = await jwt.decodeToken(withBobClaim).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JWTDecodeError);
    expect((error as JWTDecodeError).message).toBe('Signature verification failed');

    // The loader's key overrides the configured one.
    const other = manager({ encodeKeyLoader: () => 'z'.repeat(32) });
    const signedElsewhere = await other.createAccessToken('alice');
    expect(await other.decodeToken(signedElsewhere).catch((e: JWTDecodeError) => e.message)).toBe(
      'Signature verification failed',
    );
  });

  it('refuses an encodeKeyLoader key that does not fit the algorithm', async () => {
    const jwt = manager({ encodeKeyLoader: () => 'short' });
    const error = await jwt.createAccessToken('alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtConfigError);
    expect((error as JwtConfigError).option).toBe('encodeKeyLoader');
  });
});

describe('createAccessToken: the payload text of the common case', () => {
  // Tokens without custom claims are written from a template (src/tokens/create.ts); with
  // `additionalClaims: {}` they go through the claims object and JSON.stringify. Both must write
  // the same bytes, whatever the options (the random jti and csrf aside).
  const cases: [string, Partial<JwtManagerOptions>, unknown, object][] = [
    ['defaults', {}, 'alice', {}],
    ['a numeric identity string, fresh for a duration', {}, '42', { fresh: '5m' }],
    ['fresh as true', {}, 'true', { fresh: true }],
    ['escapes in the identity', {}, 'a"b\\c\u2028\u0000é😀', {}],
    [
      'no nbf, no csrf, no expiry',
      { encodeNbf: false, cookieCsrfProtect: false },
      'x',
      { expiresDelta: false },
    ],
    ['another identity claim', { identityClaim: 'user_id' }, 'x', {}],
    ['an identity claim that needs quoting', { identityClaim: 'user-id' }, 'x', {}],
    ['audience list and issuer', { encodeAudience: ['a', 'b"'], encodeIssuer: 'https://i/"q' }, 'x', {}],
    ['a fractional clock', { clock: () => 1_700_000_000_123.75 }, 'x', { fresh: 1.5 }],
  ];
  const anonymise = (token: string) =>
    parts(token).payloadJson.replace(
      /"(jti|csrf)":"[0-9a-f-]{36}"/g,
      (_, name: string) => `"${name}":"<${name}>"`,
    );

  it.each(cases)('%s', async (_, options, identity, opts) => {
    const jwt = manager(options);
    const direct = anonymise(await jwt.createAccessToken(identity as string, opts));
    const general = anonymise(
      await jwt.createAccessToken(identity as string, { ...opts, additionalClaims: {} }),
    );
    expect(direct).toBe(general);
    expect(direct).toBe(JSON.stringify(JSON.parse(direct)));
  });
});
