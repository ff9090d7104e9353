import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, JwtConfigError, type JwtManagerOptions } from '../../src/index.js';
import { SECRET_HS256, SECRET_HS384, SECRET_HS512, testKeys } from '../helpers/keys.js';

const LOCATIONS = 'headers, cookies, query_string, json, connection_params';
const ALGS = 'HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA';

function thrown(options: unknown): JwtConfigError {
  try {
    createJwtManager(options as JwtManagerOptions);
  } catch (error) {
    return error as JwtConfigError;
  }
  throw new Error('createJwtManager did not throw');
}

/** Asserts a JwtConfigError (a TypeError) naming `option`, with exactly this message. */
function expectConfigError(options: unknown, option: string, detail: string): void {
  const error = thrown(options);
  expect(error).toBeInstanceOf(JwtConfigError);
  expect(error).toBeInstanceOf(TypeError);
  expect(error.name).toBe('JwtConfigError');
  expect(error.option).toBe(option);
  expect(error.message).toBe(`trpc-jwt-extended: option \`${option}\` ${detail}`);
}

const base = { secretKey: SECRET_HS256 };

function shortSecretDetail(bytes: number, alg: string, min: number): string {
  return (
    `is ${bytes} bytes; ${alg} needs at least ${min} bytes (RFC 7518 §3.2). Generate one with: ` +
    `node -e "console.log(require('crypto').randomBytes(${min}).toString('base64url'))"`
  );
}

describe('createJwtManager: keys', () => {
  it('requires secretKey for every HS* algorithm', () => {
    for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
      expectConfigError(
        { algorithm },
        'secretKey',
        `is required when using symmetric algorithm "${algorithm}"`,
      );
    }
    expectConfigError({}, 'secretKey', 'is required when using symmetric algorithm "HS256"');
  });

  it('requires privateKey/publicKey for RS/PS/ES/EdDSA, never falling back to secretKey', () => {
    for (const algorithm of ['RS256', 'PS384', 'ES512', 'EdDSA'] as const) {
      expectConfigError(
        { algorithm, secretKey: SECRET_HS512 },
        'privateKey',
        `is required to use asymmetric algorithm "${algorithm}" (secretKey is never used as a fallback)`,
      );
    }
    // With only an encode loader, the missing piece is the verification key.
    expectConfigError(
      { algorithm: 'RS256', encodeKeyLoader: () => testKeys('rsa').privateKey },
      'publicKey',
      'is required to use asymmetric algorithm "RS256" (secretKey is never used as a fallback)',
    );
  });

  it('refuses HMAC secrets shorter than the hash: 32/48/64 bytes for HS256/384/512', () => {
    expectConfigError({ secretKey: 'x'.repeat(31) }, 'secretKey', shortSecretDetail(31, 'HS256', 32));
    expectConfigError(
      { algorithm: 'HS384', secretKey: 'x'.repeat(47) },
      'secretKey',
      shortSecretDetail(47, 'HS384', 48),
    );
    expectConfigError(
      { algorithm: 'HS512', secretKey: 'x'.repeat(63) },
      'secretKey',
      shortSecretDetail(63, 'HS512', 64),
    );
    expectConfigError({ secretKey: new Uint8Array(31) }, 'secretKey', shortSecretDetail(31, 'HS256', 32));
    // Exactly the minimum is accepted; bytes are counted in UTF-8, not characters.
    expect(createJwtManager({ secretKey: 'x'.repeat(32) }).config.algorithm).toBe('HS256');
    expect(createJwtManager({ algorithm: 'HS384', secretKey: SECRET_HS384 }).config.algorithm).toBe('HS384');
    expect(createJwtManager({ algorithm: 'HS512', secretKey: SECRET_HS512 }).config.algorithm).toBe('HS512');
    expect(createJwtManager({ secretKey: new Uint8Array(32).fill(7) }).config.algorithm).toBe('HS256');
    expect(createJwtManager({ secretKey: 'é'.repeat(16) }).config.algorithm).toBe('HS256');
    expectConfigError({ secretKey: 'é'.repeat(15) }, 'secretKey', shortSecretDetail(30, 'HS256', 32));
  });

  it('checks the secret length against every HS* algorithm in decodeAlgorithms', () => {
    expectConfigError(
      { secretKey: SECRET_HS256, decodeAlgorithms: ['HS384'] },
      'secretKey',
      shortSecretDetail(32, 'HS384', 48),
    );
    expectConfigError(
      { secretKey: SECRET_HS384, decodeAlgorithms: ['HS256', 'HS512'] },
      'secretKey',
      shortSecretDetail(48, 'HS512', 64),
    );
    const jwt = createJwtManager({ secretKey: SECRET_HS512, decodeAlgorithms: ['HS384', 'HS512'] });
    expect([...jwt.config.decodeAlgorithms].sort()).toEqual(['HS256', 'HS384', 'HS512']);
  });

  it('never reveals the secret in the message', () => {
    const secret = 'do-not-print-me-0123456789';
    const error = thrown({ secretKey: secret });
    expect(error.message).not.toContain(secret);
  });

  it('refuses PEM, OpenSSH and JWK (or JWK Set) JSON text given as secretKey', () => {
    const detail =
      'looks like a public or private key (PEM, OpenSSH or JWK), not an HMAC secret: use privateKey/publicKey with an asymmetric algorithm';
    const rsa = testKeys('rsa');
    const openssh = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVzZXItcHVibGljLWtleS1ub3QtYS1zZWNyZXQ user@host`;
    const texts = [
      rsa.publicPem,
      rsa.privatePem,
      `  ${rsa.publicPem}`,
      '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n',
      openssh,
      'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA== me',
      JSON.stringify(rsa.publicJwk),
      JSON.stringify({ keys: [rsa.publicJwk] }),
      JSON.stringify({ kty: 'oct', k: 'x'.repeat(64) }),
    ];
    for (const secretKey of texts) expectConfigError({ secretKey }, 'secretKey', detail);
    expectConfigError(
      { secretKey: new TextEncoder().encode(rsa.publicPem) },
      'secretKey',
      'looks like a public or private key, not an HMAC secret',
    );
    // JSON that is not a key is a fine (if odd) secret.
    expect(createJwtManager({ secretKey: JSON.stringify({ a: 'x'.repeat(40) }) }).config.algorithm).toBe(
      'HS256',
    );
  });

  it('refuses a secretKey that is neither a string nor bytes', () => {
    expectConfigError(
      { secretKey: 1234567890 },
      'secretKey',
      'must be a string or a Uint8Array for HMAC algorithms',
    );
  });

  it('refuses RSA keys under 2048 bits', () => {
    const small = testKeys('rsa1024');
    expectConfigError(
      { algorithm: 'RS256', privateKey: small.privatePem },
      'privateKey',
      'does not fit the algorithm: RS256 needs an RSA key of at least 2048 bits',
    );
    expectConfigError(
      { algorithm: 'PS256', publicKey: small.publicKey },
      'publicKey',
      'does not fit the algorithm: PS256 needs an RSA key of at least 2048 bits',
    );
  });

  it('refuses an EC key on the wrong curve, and a key of the wrong type', () => {
    expectConfigError(
      { algorithm: 'ES256', privateKey: testKeys('p384').privateKey },
      'privateKey',
      'does not fit the algorithm: ES256 needs an EC key on curve prime256v1',
    );
    expectConfigError(
      { algorithm: 'ES512', publicKey: testKeys('p256').publicJwk },
      'publicKey',
      'does not fit the algorithm: ES512 needs an EC key on curve secp521r1',
    );
    expectConfigError(
      { algorithm: 'EdDSA', privateKey: testKeys('rsa').privateKey },
      'privateKey',
      'does not fit the algorithm: EdDSA needs an Ed25519 or Ed448 key',
    );
    expectConfigError(
      { algorithm: 'RS256', privateKey: testKeys('p256').privatePem },
      'privateKey',
      'does not fit the algorithm: RS256 needs an RSA key, got ec',
    );
  });

  it('refuses malformed asymmetric keys with a message naming the option', () => {
    expectConfigError(
      { algorithm: 'RS256', privateKey: 'not a pem' },
      'privateKey',
      'must be PEM text (-----BEGIN ...-----) when given as a string',
    );
    expectConfigError(
      { algorithm: 'RS256', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
      'privateKey',
      'could not be parsed as a key',
    );
    expectConfigError(
      { algorithm: 'RS256', privateKey: testKeys('rsa').publicPem },
      'privateKey',
      'could not be parsed as a key',
    );
    expectConfigError(
      { algorithm: 'RS256', privateKey: testKeys('rsa').publicKey },
      'privateKey',
      'must be a private key, got a public key',
    );
    expectConfigError(
      { algorithm: 'RS256', publicKey: 42 },
      'publicKey',
      'must be a PEM string, a JWK, a KeyObject or a CryptoKey',
    );
  });

  it('refuses mixing HMAC and asymmetric decode algorithms without a decodeKeyLoader', () => {
    expectConfigError(
      { secretKey: SECRET_HS256, decodeAlgorithms: ['RS256'] },
      'decodeAlgorithms',
      'mixes HMAC and asymmetric algorithms; one key cannot verify both (use decodeKeyLoader to pick a key per token)',
    );
  });

  it('accepts a verify-only asymmetric manager, which cannot sign', async () => {
    const jwt = createJwtManager({ algorithm: 'RS256', publicKey: testKeys('rsa').publicPem });
    expect(jwt.config.signingKey).toBeUndefined();
    const error = await jwt.createAccessToken('alice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtConfigError);
    expect((error as JwtConfigError).option).toBe('privateKey');
    expect((error as JwtConfigError).message).toBe(
      'trpc-jwt-extended: option `privateKey` is required to sign tokens with RS256 (only a public key is configured)',
    );
  });
});

describe('createJwtManager: other options', () => {
  it('refuses unknown and empty token locations, and accepts the string form', () => {
    expectConfigError(
      { ...base, tokenLocation: ['headers', 'cookie'] },
      'tokenLocation',
      `has an unknown location "cookie"; use ${LOCATIONS}`,
    );
    expectConfigError(
      { ...base, tokenLocation: 'query-string' },
      'tokenLocation',
      `has an unknown location "query-string"; use ${LOCATIONS}`,
    );
    expectConfigError(
      { ...base, tokenLocation: [] },
      'tokenLocation',
      `must be a non-empty list of ${LOCATIONS}`,
    );
    expectConfigError(
      { ...base, tokenLocation: '' },
      'tokenLocation',
      `has an unknown location ""; use ${LOCATIONS}`,
    );
    expectConfigError(
      { ...base, tokenLocation: 5 },
      'tokenLocation',
      `must be a non-empty list of ${LOCATIONS}`,
    );
    expect(createJwtManager({ ...base, tokenLocation: 'cookies' }).config.tokenLocation).toEqual(['cookies']);
    expect(
      createJwtManager({ ...base, tokenLocation: ['cookies', 'headers', 'cookies'] }).config.tokenLocation,
    ).toEqual(['cookies', 'headers']);
  });

  it('refuses an empty headerName (and other empty names)', () => {
    expectConfigError({ ...base, headerName: '' }, 'headerName', 'cannot be empty');
    expectConfigError({ ...base, headerName: '   ' }, 'headerName', 'cannot be empty');
    expectConfigError({ ...base, accessCookieName: '' }, 'accessCookieName', 'cannot be empty');
    expectConfigError({ ...base, identityClaim: '' }, 'identityClaim', 'cannot be empty');
    expectConfigError({ ...base, jsonKey: 7 }, 'jsonKey', 'must be a string');
    // An empty headerType means "raw token", and an empty query prefix means "no prefix".
    const jwt = createJwtManager({ ...base, headerType: '', queryStringValuePrefix: '' });
    expect(jwt.config.headerType).toBe('');
    expect(jwt.config.queryStringValuePrefix).toBe('');
  });

  it('refuses bad durations for accessTokenExpires and refreshTokenExpires', () => {
    const like = "must be a number of seconds or a string like '30s', '15m', '12h', '30d'";
    for (const option of ['accessTokenExpires', 'refreshTokenExpires'] as const) {
      expectConfigError({ ...base, [option]: 'banana' }, option, `${like} (got "banana")`);
      expectConfigError({ ...base, [option]: true }, option, `${like} (got boolean)`);
      expectConfigError({ ...base, [option]: '15 minutes' }, option, `${like} (got "15 minutes")`);
      expectConfigError({ ...base, [option]: '-5m' }, option, `${like} (got "-5m")`);
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expectConfigError(
          { ...base, [option]: bad },
          option,
          'must be a finite, non-negative number of seconds',
        );
      }
    }
  });

  it('parses durations: seconds, s/m/h/d/w strings, and false', () => {
    const cases: [unknown, number | false][] = [
      [90, 90],
      [0, 0],
      ['30s', 30],
      ['15m', 900],
      ['12h', 43_200],
      ['30d', 2_592_000],
      ['2w', 1_209_600],
      ['1.5h', 5400],
      [' 10 m ', 600],
      [false, false],
    ];
    for (const [value, seconds] of cases) {
      const jwt = createJwtManager({
        ...base,
        accessTokenExpires: value as never,
        refreshTokenExpires: value as never,
      });
      expect(jwt.config.accessTokenExpires).toBe(seconds);
      expect(jwt.config.refreshTokenExpires).toBe(seconds);
    }
  });

  it('refuses an unknown algorithm, including none', () => {
    for (const algorithm of ['none', 'hs256', 'HS1024', 'ES256K', '']) {
      expectConfigError({ ...base, algorithm }, 'algorithm', `must be one of ${ALGS} (got ${algorithm})`);
    }
    expectConfigError(
      { ...base, decodeAlgorithms: ['HS256', 'none'] },
      'decodeAlgorithms',
      'has an unknown algorithm "none"',
    );
    expectConfigError(
      { ...base, decodeAlgorithms: 'HS256' },
      'decodeAlgorithms',
      'must be an array of algorithms',
    );
  });

  it('always includes algorithm in decodeAlgorithms', () => {
    expect([...createJwtManager(base).config.decodeAlgorithms]).toEqual(['HS256']);
    expect([...createJwtManager({ ...base, decodeAlgorithms: [] }).config.decodeAlgorithms]).toEqual([
      'HS256',
    ]);
    const rsa = testKeys('rsa');
    const jwt = createJwtManager({
      algorithm: 'RS256',
      privateKey: rsa.privatePem,
      decodeAlgorithms: ['PS256'],
    });
    expect([...jwt.config.decodeAlgorithms].sort()).toEqual(['PS256', 'RS256']);
  });

  it('refuses unknown option names (e.g. flask spellings and typos)', () => {
    expectConfigError(
      { ...base, JWT_SECRET_KEY: 'x' },
      'JWT_SECRET_KEY',
      'is not a known option (see the options table in the README)',
    );
    expectConfigError(
      { ...base, tokenLocations: ['headers'] },
      'tokenLocations',
      'is not a known option (see the options table in the README)',
    );
    expectConfigError(
      { ...base, cacheMaxSize: 5 },
      'cacheMaxSize',
      'is not a known option (see the options table in the README)',
    );
    expectConfigError(null, 'options', 'must be an object');
  });

  it('refuses loaders that are not functions', () => {
    for (const name of [
      'additionalClaimsLoader',
      'additionalHeadersLoader',
      'userIdentityLoader',
      'encodeKeyLoader',
      'decodeKeyLoader',
      'tokenInBlocklistLoader',
      'tokenVerificationLoader',
      'userLookupLoader',
      'expiredTokenLoader',
      'needsFreshTokenLoader',
      'revokedTokenLoader',
      'tokenVerificationFailedLoader',
      'userLookupErrorLoader',
      'invalidTokenLoader',
      'unauthorizedLoader',
    ]) {
      expectConfigError({ ...base, [name]: { claims: 1 } }, name, 'must be a function');
    }
  });

  it("refuses a cookieSamesite other than 'Strict', 'Lax' or 'None'", () => {
    for (const cookieSamesite of ['lax', 'strict', 'none', '', 'Any']) {
      expectConfigError({ ...base, cookieSamesite }, 'cookieSamesite', "must be 'Strict', 'Lax' or 'None'");
    }
    for (const cookieSamesite of ['Strict', 'Lax', 'None'] as const) {
      // 'None' needs Secure (test/unit/cookie-config.test.ts)
      const c = createJwtManager({ ...base, cookieSamesite, cookieSecure: true }).config;
      expect(c.cookieSamesite).toBe(cookieSamesite);
    }
  });

  it('refuses a maxTokenLength that is not an integer ≥ 16', () => {
    for (const maxTokenLength of [15, 0, -1, 100.5, Number.NaN, '8192']) {
      expectConfigError({ ...base, maxTokenLength }, 'maxTokenLength', 'must be an integer ≥ 16');
    }
    expect(createJwtManager({ ...base, maxTokenLength: 16 }).config.maxTokenLength).toBe(16);
  });

  it('needs a cache ttl when a decodeKeyLoader is set', () => {
    const decodeKeyLoader = () => SECRET_HS256;
    expectConfigError(
      { ...base, decodeKeyLoader, cache: { maxSize: 100 } },
      'cache',
      'needs a `ttl` when decodeKeyLoader is set: a cached token would outlive a key the loader stops returning',
    );
    expectConfigError(
      { ...base, decodeKeyLoader, cache: {} },
      'cache',
      'needs a `ttl` when decodeKeyLoader is set: a cached token would outlive a key the loader stops returning',
    );
    expect(createJwtManager({ ...base, decodeKeyLoader }).config.cache).toEqual({
      maxSize: 0,
      ttlMs: undefined,
    });
    expect(createJwtManager({ ...base, decodeKeyLoader, cache: { ttl: '1m' } }).config.cache).toEqual({
      maxSize: 10_000,
      ttlMs: 60_000,
    });
    expect(createJwtManager({ ...base, decodeKeyLoader, cache: { maxSize: 0 } }).config.cache.maxSize).toBe(
      0,
    );
    expectConfigError({ ...base, cache: true }, 'cache', 'must be false or { maxSize?, ttl? }');
    expectConfigError(
      { ...base, cache: { maxSize: -1 } },
      'cache',
      '`maxSize` must be a non-negative integer',
    );
  });

  it('refuses other malformed options, naming each', () => {
    expectConfigError(
      { ...base, decodeLeeway: -1 },
      'decodeLeeway',
      'must be a finite, non-negative number of seconds',
    );
    expectConfigError(
      { ...base, decodeLeeway: '5' },
      'decodeLeeway',
      'must be a finite, non-negative number of seconds',
    );
    expectConfigError({ ...base, verifySub: 'no' }, 'verifySub', 'must be a boolean');
    expectConfigError({ ...base, cookieSecure: 1 }, 'cookieSecure', 'must be a boolean');
    expectConfigError(
      { ...base, csrfMethods: ['POST', ''] },
      'csrfMethods',
      'must be an array of HTTP method names',
    );
    expectConfigError({ ...base, cookieDomain: '' }, 'cookieDomain', 'must be a non-empty string');
    expectConfigError({ ...base, encodeIssuer: ['a'] }, 'encodeIssuer', 'must be a non-empty string');
    expectConfigError(
      { ...base, encodeAudience: [] },
      'encodeAudience',
      'must be a non-empty string or string[]',
    );
    expectConfigError(
      { ...base, decodeAudience: [1] },
      'decodeAudience',
      'must be a non-empty string or string[]',
    );
    expectConfigError(
      { ...base, decodeIssuer: '' },
      'decodeIssuer',
      'must be a non-empty string or string[]',
    );
    expectConfigError(
      { ...base, clock: 5 },
      'clock',
      'must be a function returning milliseconds since the epoch',
    );
    expectConfigError(
      { ...base, claims: { parse: () => ({}) } },
      'claims',
      'must be a Standard Schema (for example a zod object schema)',
    );
  });
});

describe('createJwtManager: stream and WebSocket options (#13)', () => {
  const ORIGINS = "must be a list of origins like 'https://app.example' (scheme, host and port; no path)";

  it('websocketOrigins: absent by default (the own origin), normalised origins when given', () => {
    expect(createJwtManager(base).config.websocketOrigins).toBeUndefined();
    const given = createJwtManager({
      ...base,
      websocketOrigins: ['https://App.Example/', 'http://localhost:5173', 'https://a.example:443'],
    });
    expect([...given.config.websocketOrigins!]).toEqual([
      'https://app.example',
      'http://localhost:5173',
      'https://a.example',
    ]);
    expect([...createJwtManager({ ...base, websocketOrigins: [] }).config.websocketOrigins!]).toEqual([]);
  });

  it("streamRevocationCheckInterval: '30s' by default, any positive duration, or false", () => {
    expect(createJwtManager(base).config.streamRevocationCheckMs).toBe(30_000);
    expect(
      createJwtManager({ ...base, streamRevocationCheckInterval: 0.25 }).config.streamRevocationCheckMs,
    ).toBe(250);
    expect(
      createJwtManager({ ...base, streamRevocationCheckInterval: '2m' }).config.streamRevocationCheckMs,
    ).toBe(120_000);
    expect(
      createJwtManager({ ...base, streamRevocationCheckInterval: false }).config.streamRevocationCheckMs,
    ).toBeUndefined();
    expectConfigError(
      { ...base, streamRevocationCheckInterval: 0 },
      'streamRevocationCheckInterval',
      'must be more than 0 (false turns it off)',
    );
    expectConfigError(
      { ...base, streamRevocationCheckInterval: 'often' },
      'streamRevocationCheckInterval',
      `must be a number of seconds or a string like '30s', '15m', '12h', '30d' (got "often")`,
    );
    expect(thrown({ ...base, streamRevocationCheckInterval: true }).option).toBe(
      'streamRevocationCheckInterval',
    );
  });

  it('websocketOrigins: refuses anything but a list of http(s) origins', () => {
    for (const bad of [
      'https://app.example',
      [''],
      ['app.example'],
      ['https://app.example/path'],
      ['https://app.example?x=1'],
      ['https://user@app.example'],
      ['ws://app.example'],
      ['*'],
      [1],
    ]) {
      expectConfigError({ ...base, websocketOrigins: bad }, 'websocketOrigins', ORIGINS);
    }
  });
});

describe('createJwtManager: defaults (API.md §1) and overrides', () => {
  it('has flask-jwt-extended defaults for every option', () => {
    const c = createJwtManager(base).config;
    expect(c.algorithm).toBe('HS256');
    expect([...c.decodeAlgorithms]).toEqual(['HS256']);
    expect(c.accessTokenExpires).toBe(15 * 60);
    expect(c.refreshTokenExpires).toBe(30 * 86_400);
    expect(c.tokenLocation).toEqual(['headers']);
    expect(c.identityClaim).toBe('sub');
    expect(c.verifySub).toBe(true);
    expect(c.encodeAudience).toBeUndefined();
    expect(c.decodeAudience).toBeUndefined();
    expect(c.encodeIssuer).toBeUndefined();
    expect(c.decodeIssuer).toBeUndefined();
    expect(c.decodeLeeway).toBe(0);
    expect(c.encodeNbf).toBe(true);
    expect(c.headerName).toBe('Authorization');
    expect(c.headerType).toBe('Bearer');
    expect(c.queryStringName).toBe('jwt');
    expect(c.queryStringValuePrefix).toBe('');
    expect(c.jsonKey).toBe('access_token');
    expect(c.refreshJsonKey).toBe('refresh_token');
    expect(c.connectionParamsKey).toBe('token');
    expect(c.accessCookieName).toBe('access_token_cookie');
    expect(c.refreshCookieName).toBe('refresh_token_cookie');
    expect(c.accessCookiePath).toBe('/');
    expect(c.refreshCookiePath).toBe('/');
    expect(c.cookieSecure).toBe(false);
    expect(c.cookieDomain).toBeUndefined();
    expect(c.cookieSamesite).toBeUndefined();
    expect(c.sessionCookie).toBe(true);
    expect(c.cookieMaxAge).toBeUndefined();
    expect(c.cookieCsrfProtect).toBe(true);
    expect(c.csrfInCookies).toBe(true);
    expect(c.csrfCheckForm).toBe(false);
    expect([...c.csrfMethods]).toEqual(['POST', 'PUT', 'PATCH', 'DELETE']);
    expect(c.accessCsrfCookieName).toBe('csrf_access_token');
    expect(c.refreshCsrfCookieName).toBe('csrf_refresh_token');
    expect(c.accessCsrfCookiePath).toBe('/');
    expect(c.refreshCsrfCookiePath).toBe('/');
    expect(c.accessCsrfHeaderName).toBe('X-CSRF-TOKEN');
    expect(c.refreshCsrfHeaderName).toBe('X-CSRF-TOKEN');
    expect(c.accessCsrfFieldName).toBe('csrf_token');
    expect(c.refreshCsrfFieldName).toBe('csrf_token');
    expect(c.maxTokenLength).toBe(8192);
    expect(c.claims).toBeUndefined();
    expect(c.clock).toBe(Date.now);
    expect(c.cache).toEqual({ maxSize: 10_000, ttlMs: undefined });
    expect(c.loaders).toEqual({});
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('applies an override of every option', () => {
    const clock = () => 1_700_000_000_000;
    const claims = z.object({ role: z.string() });
    const loaders = {
      additionalClaimsLoader: () => ({}),
      userIdentityLoader: (id: unknown) => String(id),
      tokenInBlocklistLoader: () => false,
    };
    const c = createJwtManager({
      secretKey: SECRET_HS512,
      algorithm: 'HS512',
      decodeAlgorithms: ['HS384'],
      accessTokenExpires: '1h',
      refreshTokenExpires: false,
      tokenLocation: ['cookies', 'query_string', 'json', 'connection_params', 'headers'],
      identityClaim: 'uid',
      verifySub: false,
      encodeAudience: ['a', 'b'],
      decodeAudience: 'a',
      encodeIssuer: 'https://issuer.example',
      decodeIssuer: ['https://issuer.example', 'https://other.example'],
      decodeLeeway: 30,
      encodeNbf: false,
      headerName: 'X-Auth',
      headerType: 'JWT',
      queryStringName: 'token',
      queryStringValuePrefix: 'Bearer ',
      jsonKey: 'at',
      refreshJsonKey: 'rt',
      connectionParamsKey: 'authToken',
      accessCookieName: 'at_cookie',
      refreshCookieName: 'rt_cookie',
      accessCookiePath: '/api',
      refreshCookiePath: '/auth/refresh',
      cookieSecure: true,
      cookieDomain: 'example.com',
      cookieSamesite: 'Strict',
      sessionCookie: false,
      cookieCsrfProtect: false,
      csrfInCookies: false,
      csrfCheckForm: true,
      csrfMethods: ['post', 'GET'],
      accessCsrfCookieName: 'ca',
      refreshCsrfCookieName: 'cr',
      accessCsrfCookiePath: '/a',
      refreshCsrfCookiePath: '/r',
      accessCsrfHeaderName: 'X-CA',
      refreshCsrfHeaderName: 'X-CR',
      accessCsrfFieldName: 'fa',
      refreshCsrfFieldName: 'fr',
      maxTokenLength: 4096,
      claims,
      clock,
      cache: { maxSize: 5, ttl: '10s' },
      ...loaders,
    }).config;
    expect(c.algorithm).toBe('HS512');
    expect([...c.decodeAlgorithms].sort()).toEqual(['HS384', 'HS512']);
    expect(c.accessTokenExpires).toBe(3600);
    expect(c.refreshTokenExpires).toBe(false);
    expect(c.tokenLocation).toEqual(['cookies', 'query_string', 'json', 'connection_params', 'headers']);
    expect(c.identityClaim).toBe('uid');
    expect(c.verifySub).toBe(false);
    expect(c.encodeAudience).toEqual(['a', 'b']);
    expect(c.decodeAudience).toEqual(['a']);
    expect(c.encodeIssuer).toBe('https://issuer.example');
    expect(c.decodeIssuer).toEqual(['https://issuer.example', 'https://other.example']);
    expect(c.decodeLeeway).toBe(30);
    expect(c.encodeNbf).toBe(false);
    expect(c.headerName).toBe('X-Auth');
    expect(c.headerType).toBe('JWT');
    expect(c.queryStringName).toBe('token');
    expect(c.queryStringValuePrefix).toBe('Bearer ');
    expect(c.jsonKey).toBe('at');
    expect(c.refreshJsonKey).toBe('rt');
    expect(c.connectionParamsKey).toBe('authToken');
    expect(c.accessCookieName).toBe('at_cookie');
    expect(c.refreshCookieName).toBe('rt_cookie');
    expect(c.accessCookiePath).toBe('/api');
    expect(c.refreshCookiePath).toBe('/auth/refresh');
    expect(c.cookieSecure).toBe(true);
    expect(c.cookieDomain).toBe('example.com');
    expect(c.cookieSamesite).toBe('Strict');
    expect(c.sessionCookie).toBe(false);
    expect(c.cookieMaxAge).toBe(31_540_000);
    expect(c.cookieCsrfProtect).toBe(false);
    expect(c.csrfInCookies).toBe(false);
    expect(c.csrfCheckForm).toBe(true);
    expect([...c.csrfMethods]).toEqual(['POST', 'GET']);
    expect(c.accessCsrfCookieName).toBe('ca');
    expect(c.refreshCsrfCookieName).toBe('cr');
    expect(c.accessCsrfCookiePath).toBe('/a');
    expect(c.refreshCsrfCookiePath).toBe('/r');
    expect(c.accessCsrfHeaderName).toBe('X-CA');
    expect(c.refreshCsrfHeaderName).toBe('X-CR');
    expect(c.accessCsrfFieldName).toBe('fa');
    expect(c.refreshCsrfFieldName).toBe('fr');
    expect(c.maxTokenLength).toBe(4096);
    expect(c.claims).toBe(claims);
    expect(c.clock).toBe(clock);
    expect(c.cache).toEqual({ maxSize: 5, ttlMs: 10_000 });
    expect(c.loaders).toEqual(loaders);
  });

  it('treats options set to undefined as absent', () => {
    const c = createJwtManager({
      ...base,
      algorithm: undefined,
      headerName: undefined,
      cookieDomain: undefined,
    } as unknown as JwtManagerOptions).config;
    expect(c.algorithm).toBe('HS256');
    expect(c.headerName).toBe('Authorization');
    expect(c.cookieDomain).toBeUndefined();
  });
});
