/**
 * Hygiene: every error message and every serialized error response is collected (helpers'
 * collector) and audited for tokens, token segments of 16+ characters, secrets, key material and
 * cookie values. Each security test file ends with the same audit of what it produced; this file
 * checks the detector itself, then sweeps every JWT error code through every location, error
 * loaders, config errors and a careless loader whose own error message contains the token.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, JWT_ERROR_CODES, JWTDecodeError } from '../../src/index.js';
import {
  auditHygiene,
  bearer,
  buildApp,
  type CallResult,
  call,
  claimsFor,
  collectorStats,
  expectJwtError,
  findLeaks,
  forge,
  keyPair,
  newSecret,
  recordOutput,
  registerSensitive,
  registerToken,
} from './helpers.js';

const secret = newSecret(32, 'hygiene secret');
const { publicKey } = keyPair('rsa', 'hygiene rsa');

describe('the detector', () => {
  it('finds a registered token, a segment, a secret and a PEM line; reports labels, never values', async () => {
    const token = registerToken(await createJwtManager({ secretKey: secret }).createAccessToken('alice'));
    const [, payloadSegment] = token.split('.');
    const pemLine = String(publicKey.export({ type: 'spki', format: 'pem' })).split('\n')[2]!;
    const leaks = findLeaks([
      { where: 'a', text: `oops ${token}` },
      { where: 'b', text: `segment ${payloadSegment} only` },
      { where: 'c', text: `key ${secret}` },
      { where: 'd', text: `pem ${pemLine}` },
      { where: 'e', text: 'Signature verification failed' },
    ]);
    expect(leaks.map((l) => l.where).sort()).toEqual(['a', 'a', 'a', 'a', 'b', 'c', 'd']);
    expect(leaks.find((l) => l.where === 'c')?.label).toBe('hygiene secret');
    for (const leak of leaks) {
      expect(leak.label).not.toContain(secret);
      expect(token).not.toContain(leak.label);
    }
  });
});

describe('sweep: every JWT error code, every location', () => {
  const revoked = new Set<string>();
  const sensitiveRole = registerSensitive(`role-${newSecret(20, 'claim value')}`, 'claim value');
  const app = buildApp<{ id: string }>({
    secretKey: secret,
    tokenLocation: ['headers', 'cookies', 'query_string', 'json'],
    queryStringValuePrefix: 'Bearer ',
    decodeAudience: 'api',
    encodeAudience: 'api',
    claims: z.object({ role: z.enum(['user', 'admin']).optional() }),
    tokenInBlocklistLoader: ({ payload }) => revoked.has(payload.jti as string),
    tokenVerificationLoader: ({ payload }) => payload.sub !== 'unverified',
    userLookupLoader: ({ payload }) => (payload.sub === 'ghost' ? null : { id: String(payload.sub) }),
  });
  const codes = new Set<string>();
  const note = (res: CallResult) => {
    const code = res.body?.error?.data?.jwt?.code;
    if (code) codes.add(code);
    return res;
  };
  const access = async (identity = 'alice', opts = {}) =>
    registerToken(await app.jwt.createAccessToken(identity, opts));

  it('produces every error code without echoing any token, claim value, CSRF value or secret', async () => {
    const good = await access();
    const csrf = registerSensitive(await app.jwt.getCsrfToken(good), 'csrf value');
    const refresh = registerToken(await app.jwt.createRefreshToken('alice'));
    const expired = forge({
      header: { alg: 'HS256' },
      payload: claimsFor('alice', Math.floor(Date.now() / 1000) - 3600, { aud: 'api' }),
      key: secret,
    });
    const revokedToken = await access();
    revoked.add(String(await app.jwt.getJti(revokedToken)));
    const tampered = registerToken(`${good.slice(0, -4)}AAAA`);
    const cookie = `access_token_cookie=${good}; csrf_access_token=${csrf}`;

    const requests: [string, Parameters<typeof call>[2]][] = [
      ['me', {}],
      ['me', { headers: { authorization: `Bearer ${good} ${good}` } }],
      ['me', { query: `jwt=${good}` }],
      ['me', { query: `jwt=Bearer%20${tampered}` }],
      ['meMutation', { method: 'POST', headers: { cookie } }],
      ['meMutation', { method: 'POST', headers: { cookie, 'x-csrf-token': `${csrf}x` } }],
      ['meMutation', { method: 'POST', input: { access_token: expired } }],
      ['me', { headers: bearer(tampered) }],
      ['me', { headers: bearer(`${good}=`) }],
      ['me', { headers: bearer(refresh) }],
      ['me', { headers: bearer(expired) }],
      ['fresh', { headers: bearer(good) }],
      ['me', { headers: bearer(revokedToken) }],
      ['me', { headers: bearer(await access('unverified')) }],
      ['me', { headers: bearer(await access('ghost')) }],
      // Signed by a manager without the claims schema (this one refuses to sign it).
      [
        'me',
        {
          headers: bearer(
            registerToken(
              await createJwtManager({ secretKey: secret }).createAccessToken('alice', {
                additionalClaims: { role: sensitiveRole, aud: 'api' },
              }),
            ),
          ),
        },
      ],
      ['me', { headers: bearer(await access('alice', { additionalClaims: { aud: 'other' } })) }],
      ['me', { headers: bearer(forge({ header: { alg: 'none' }, payload: claimsFor('admin') })) }],
      ['me', { headers: { cookie: `access_token_cookie=${good.replace(/\./g, '')}` } }],
      ['adminOnly', { headers: bearer(await access('alice', { additionalClaims: { role: 'user' } })) }],
      ['refresh', { method: 'POST', input: { refresh_token: good } }],
      ['resolverDecode', { input: { token: tampered } }],
      ['resolverDecode', { input: { token: expired } }],
    ];
    for (const [path, opts] of requests) {
      const res = note(await call(app, path, opts));
      expect(res.status, path).toBeGreaterThanOrEqual(400);
    }
    expect([...codes].sort()).toEqual([...JWT_ERROR_CODES].sort());
    expect(app.calls.me).toBeUndefined();
    expect(findLeaks()).toEqual([]);
  });

  it('a JwtError thrown by decodeToken in a resolver is mapped (422) without the token', async () => {
    const tampered = registerToken(`${(await access()).slice(0, -4)}AAAA`);
    const res = await call(app, 'resolverDecode', { input: { token: tampered } });
    expect(res.status).toBe(422);
    expect(res.body.error.data.jwt).toEqual({ code: 'INVALID_TOKEN' });
    expect(res.body.error.message).toBe('Signature verification failed');
  });

  it('a careless loader whose own error message contains the token: the response does not', async () => {
    const leaky = buildApp({
      secretKey: secret,
      tokenVerificationLoader: ({ payload }) => {
        throw new Error(
          `lookup failed for jti ${payload.jti} csrf ${payload.csrf} token ${JSON.stringify(payload)}`,
        );
      },
    });
    const token = registerToken(await leaky.jwt.createAccessToken('alice'));
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    registerSensitive(payload.csrf, 'csrf claim');
    registerSensitive(payload.jti, 'jti claim');
    const res = await call(leaky, 'me', { headers: bearer(token) });
    expect(res.status).toBe(500);
    expect(res.body.error.message).toBe('Token verification failed: a loader threw');
  });

  it('an invalidTokenLoader gets flask’s reason (no token material) and may put it in its own error', async () => {
    const reasons: string[] = [];
    const shaped = buildApp({
      secretKey: secret,
      invalidTokenLoader: ({ reason }) => {
        reasons.push(reason);
        return new TRPCError({ code: 'UNAUTHORIZED', message: `Rejected: ${reason}` });
      },
    });
    const tampered = registerToken(`${(await access()).slice(0, -4)}AAAA`);
    const res = await call(shaped, 'me', { headers: bearer(tampered) });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('Rejected: Signature verification failed');
    expect(res.body.error.data.jwt).toEqual({ code: 'INVALID_TOKEN' });
    expect(reasons).toEqual(['Signature verification failed']);
  });
});

describe('thrown errors and configuration errors', () => {
  it('decode errors for every malformed shape carry no token material', async () => {
    const jwt = createJwtManager({ secretKey: secret });
    const token = registerToken(await jwt.createAccessToken('alice'));
    const [h, p, s] = token.split('.') as [string, string, string];
    const cases: [string, string][] = [
      [`${h}.${p}`, 'Not enough segments'],
      [`${h}.${p}.${s}.${s}`, 'Too many segments'],
      [`${h}=.${p}.${s}`, 'Invalid header padding'],
      [`${h}.${p}=.${s}`, 'Invalid payload padding'],
      [`${h}.${p}.${s}=`, 'Invalid crypto padding'],
      [`${h}.${p}.${s.slice(0, -2)}AA`, 'Signature verification failed'],
      [`${p}.${h}.${s}`, 'The specified alg value is not allowed'],
    ];
    for (const [bad, message] of cases) {
      registerToken(bad);
      await expectJwtError(jwt.decodeToken(bad), JWTDecodeError, 'INVALID_TOKEN', message);
    }
    const noCsrf = registerToken(
      await createJwtManager({ secretKey: secret, cookieCsrfProtect: false }).createAccessToken('alice'),
    );
    await expectJwtError(jwt.getCsrfToken(noCsrf), JWTDecodeError, 'INVALID_TOKEN', 'Missing claim: csrf');
  });

  it('configuration errors name the option, never the secret or key given', () => {
    const shortSecret = registerSensitive(newSecret(31, 'short secret'), 'short secret');
    const pem = String(publicKey.export({ type: 'spki', format: 'pem' }));
    const attempts: (() => unknown)[] = [
      () => createJwtManager({ secretKey: shortSecret }),
      () => createJwtManager({ secretKey: pem }),
      () => createJwtManager({ secretKey: JSON.stringify(publicKey.export({ format: 'jwk' })) }),
      () => createJwtManager({ algorithm: 'RS256', publicKey: `${pem.slice(0, 80)}garbage` }),
      () => createJwtManager({ algorithm: 'ES256', publicKey }),
      () => createJwtManager({ secretKey: newSecret(47, 'hs384 short'), decodeAlgorithms: ['HS384'] }),
    ];
    for (const attempt of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      const message = (error as Error).message;
      recordOutput('config', message);
      expect(message).toMatch(/^trpc-jwt-extended: option `\w+` /);
    }
    expect(findLeaks()).toEqual([]);
  });
});

describe('collector coverage', () => {
  it('the collector holds outputs from every part of this file', () => {
    const stats = collectorStats();
    expect(stats.outputs).toBeGreaterThan(30);
    expect(stats.sensitive).toBeGreaterThan(50);
  });
});

auditHygiene(30);
