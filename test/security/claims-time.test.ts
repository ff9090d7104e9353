/**
 * Claims and time, with an injected clock: exp/nbf/iat at the boundary with and without leeway, as
 * strings, floats, negative, 1e400 and far future; aud string vs list; iss list; sub and jti types;
 * a renamed identity claim. Tokens are forged (validly signed) so that only the claim checks decide.
 */
import { describe, expect, it } from 'vitest';
import { createJwtManager, ExpiredSignatureError, JwtConfigError, JWTDecodeError } from '../../src/index.js';
import {
  auditHygiene,
  bearer,
  buildApp,
  call,
  expectHttpError,
  expectJwtError,
  fakeClock,
  forge,
  newSecret,
} from './helpers.js';

const secret = newSecret(32, 'claims secret');
const clock = fakeClock(1_700_000_000);
const NOW = 1_700_000_000;

function manager(opts: Record<string, unknown> = {}) {
  return createJwtManager({ secretKey: secret, clock: clock.now, cache: false, ...opts });
}
/** A validly signed token with exactly these claims (plus sub unless overridden). */
function token(claims: Record<string, unknown>, raw?: string): string {
  return forge({
    header: { alg: 'HS256', typ: 'JWT' },
    payload: raw ?? { sub: 'alice', ...claims },
    key: secret,
  });
}
const ok = async (m: ReturnType<typeof manager>, claims: Record<string, unknown>) =>
  expect((await m.decodeToken(token(claims))).sub).toBe('alice');
const invalid = (m: ReturnType<typeof manager>, t: string, message: string) =>
  expectJwtError(m.decodeToken(t), JWTDecodeError, 'INVALID_TOKEN', message);
const expired = (m: ReturnType<typeof manager>, claims: Record<string, unknown>) =>
  expectJwtError(m.decodeToken(token(claims)), ExpiredSignatureError, 'TOKEN_EXPIRED', 'Token has expired');

describe('exp', () => {
  it('without leeway: exp = now is expired, exp = now + 1 is valid (PyJWT: exp <= now - leeway)', async () => {
    clock.ms = NOW * 1000;
    await expired(manager(), { exp: NOW });
    await ok(manager(), { exp: NOW + 1 });
  });

  it('the clock’s milliseconds are floored: at now + 0.999 s, exp = now is still expired', async () => {
    clock.ms = NOW * 1000 + 999;
    await expired(manager(), { exp: NOW });
    await ok(manager(), { exp: NOW + 1 });
    clock.ms = NOW * 1000;
  });

  it('with leeway 30: exp = now - 30 is expired, exp = now - 29 is valid', async () => {
    const m = manager({ decodeLeeway: 30 });
    await expired(m, { exp: NOW - 30 });
    await ok(m, { exp: NOW - 29 });
  });

  it('a float exp is truncated as PyJWT int(): exp = now + 0.9 is expired, now + 1.5 valid', async () => {
    await expired(manager(), { exp: NOW + 0.9 });
    await ok(manager(), { exp: NOW + 1.5 });
  });

  it('negative exp is expired; far-future exp (year 9999, 1e300) is valid', async () => {
    await expired(manager(), { exp: -1 });
    await ok(manager(), { exp: 253_402_300_799 });
    await ok(manager(), { exp: 1e300 });
  });

  it.each([
    ['a numeric string', '"9999999999"'],
    ['an empty string', '""'],
    ['1e400 (Infinity once parsed)', '1e400'],
    ['-1e400', '-1e400'],
    ['null', 'null'],
    ['true', 'true'],
    ['an array', '[9999999999]'],
    ['an object', '{"$gt":0}'],
  ])('exp as %s is refused', async (_what, value) => {
    await invalid(
      manager(),
      token({}, `{"sub":"alice","exp":${value}}`),
      'Expiration Time claim (exp) must be an integer.',
    );
  });

  it('a verified token cached earlier still expires when the clock passes exp', async () => {
    const m = createJwtManager({ secretKey: secret, clock: clock.now });
    const t = token({ exp: NOW + 10 });
    expect((await m.decodeToken(t)).sub).toBe('alice');
    expect(m.cache.size).toBe(1);
    clock.ms = (NOW + 10) * 1000;
    await expectJwtError(m.decodeToken(t), ExpiredSignatureError, 'TOKEN_EXPIRED', 'Token has expired');
    clock.ms = NOW * 1000;
  });

  it('any other failure wins over expiry (audience checked before exp)', async () => {
    await invalid(
      manager({ decodeAudience: 'api' }),
      token({ exp: NOW - 100, aud: 'other' }),
      "Audience doesn't match",
    );
  });

  it('through a procedure an expired token is 401 TOKEN_EXPIRED and the body never runs', async () => {
    const app = buildApp({ secretKey: secret, clock: clock.now });
    const res = await call(app, 'me', { headers: bearer(token({ exp: NOW })) });
    expectHttpError(res, 401, 'TOKEN_EXPIRED', 'Token has expired');
    expect(app.calls.me).toBeUndefined();
  });
});

describe('nbf and iat', () => {
  for (const claim of ['nbf', 'iat'] as const) {
    const immature = `The token is not yet valid (${claim})`;
    const typeMessage =
      claim === 'nbf'
        ? 'Not Before claim (nbf) must be an integer.'
        : 'Issued At claim (iat) must be an integer.';

    it(`${claim}: = now is valid, = now + 1 is refused without leeway`, async () => {
      await ok(manager(), { [claim]: NOW });
      await invalid(manager(), token({ [claim]: NOW + 1 }), immature);
    });

    it(`${claim}: with leeway 30, now + 30 is valid and now + 31 is refused`, async () => {
      const m = manager({ decodeLeeway: 30 });
      await ok(m, { [claim]: NOW + 30 });
      await invalid(m, token({ [claim]: NOW + 31 }), immature);
    });

    it(`${claim}: a float is truncated (now + 0.9 valid), negative is valid, far future refused`, async () => {
      await ok(manager(), { [claim]: NOW + 0.9 });
      await ok(manager(), { [claim]: -1 });
      await invalid(manager(), token({ [claim]: 253_402_300_799 }), immature);
      await invalid(manager(), token({ [claim]: 1e300 }), immature);
    });

    it.each([
      ['a numeric string', '"0"'],
      ['1e400', '1e400'],
      ['-1e400', '-1e400'],
      ['null', 'null'],
      ['false', 'false'],
      ['an array', '[0]'],
    ])(`${claim} as %s is refused`, async (_what, value) => {
      await invalid(manager(), token({}, `{"sub":"alice","${claim}":${value}}`), typeMessage);
    });

    it(`${claim}: the time check is repeated on a cached token (an immature token never becomes valid early)`, async () => {
      const m = createJwtManager({ secretKey: secret, clock: clock.now });
      const t = token({ [claim]: NOW + 60 });
      await invalid(m, t, immature);
      clock.ms = (NOW + 60) * 1000;
      expect((await m.decodeToken(t)).sub).toBe('alice');
      clock.ms = NOW * 1000;
      await invalid(m, t, immature); // cached now, and still checked against the clock
    });
  }
});

describe('aud', () => {
  it('decodeAudience as a string: exact string or a list containing it is accepted', async () => {
    const m = manager({ decodeAudience: 'api' });
    await ok(m, { aud: 'api' });
    await ok(m, { aud: ['other', 'api'] });
  });

  it('decodeAudience as a list: any one of them is enough', async () => {
    const m = manager({ decodeAudience: ['api', 'admin'] });
    await ok(m, { aud: 'admin' });
    await ok(m, { aud: ['x', 'api'] });
  });

  it.each([
    ['another audience', { aud: 'web' }, "Audience doesn't match"],
    ['a different case', { aud: 'API' }, "Audience doesn't match"],
    ['a superstring', { aud: 'apix' }, "Audience doesn't match"],
    ['a substring', { aud: 'ap' }, "Audience doesn't match"],
    ['a list without it', { aud: ['web', 'x'] }, "Audience doesn't match"],
    ['no aud', {}, 'Token is missing the "aud" claim'],
    ['an empty string', { aud: '' }, 'Token is missing the "aud" claim'],
    ['an empty list', { aud: [] }, 'Token is missing the "aud" claim'],
    ['null', { aud: null }, 'Token is missing the "aud" claim'],
    ['a number', { aud: 1 }, 'Invalid claim format in token'],
    ['an object', { aud: { api: true } }, 'Invalid claim format in token'],
    ['a list with a non-string', { aud: ['api', 1] }, 'Invalid claim format in token'],
    ['a nested list', { aud: [['api']] }, 'Invalid claim format in token'],
  ])('aud with %s is refused', async (_what, claims, message) => {
    await invalid(manager({ decodeAudience: 'api' }), token(claims), message);
  });

  it('without decodeAudience a token carrying aud is accepted (flask verifies aud only when configured)', async () => {
    await ok(manager(), { aud: 'anything' });
  });
});

describe('iss', () => {
  it('decodeIssuer as a list: each listed issuer is accepted', async () => {
    const m = manager({ decodeIssuer: ['https://a.example', 'https://b.example'] });
    await ok(m, { iss: 'https://a.example' });
    await ok(m, { iss: 'https://b.example' });
  });

  it.each([
    ['another issuer', { iss: 'https://c.example' }, 'Invalid issuer'],
    ['a list containing the issuer', { iss: ['https://a.example'] }, 'Invalid issuer'],
    ['a prefix', { iss: 'https://a' }, 'Invalid issuer'],
    ['trailing whitespace', { iss: 'https://a.example ' }, 'Invalid issuer'],
    ['null', { iss: null }, 'Invalid issuer'],
    ['no iss', {}, 'Token is missing the "iss" claim'],
  ])('iss with %s is refused', async (_what, claims, message) => {
    await invalid(
      manager({ decodeIssuer: ['https://a.example', 'https://b.example'] }),
      token(claims),
      message,
    );
  });
});

describe('sub, jti and the identity claim', () => {
  it.each([
    ['a number', '42'],
    ['null', 'null'],
    ['an object', '{"id":"alice"}'],
    ['a list', '["alice"]'],
    ['true', 'true'],
  ])('sub as %s is refused: Subject must be a string', async (_what, value) => {
    await invalid(manager(), token({}, `{"sub":${value}}`), 'Subject must be a string');
  });

  it('with verifySub: false a numeric sub is accepted as the identity', async () => {
    const payload = await manager({ verifySub: false }).decodeToken(token({}, '{"sub":42}'));
    expect(payload.sub).toBe(42);
  });

  it.each([
    ['a number', '1'],
    ['null', 'null'],
    ['an object', '{}'],
    ['a list', '["a"]'],
  ])('jti as %s is refused: JWT ID must be a string', async (_what, value) => {
    await invalid(manager(), token({}, `{"sub":"alice","jti":${value}}`), 'JWT ID must be a string');
  });

  it('a missing sub is refused: Missing claim: sub', async () => {
    await invalid(manager(), token({}, '{"name":"alice"}'), 'Missing claim: sub');
  });

  it('identityClaim renamed to "uid": a token with only sub is refused, uid is the identity', async () => {
    const m = manager({ identityClaim: 'uid' });
    await invalid(m, token({ sub: 'admin' }), 'Missing claim: uid');
    const payload = await m.decodeToken(token({ uid: 'alice', sub: 'someone' }));
    expect(payload.uid).toBe('alice');
    // sub, when present, is still type-checked
    await invalid(m, token({}, '{"uid":"alice","sub":1}'), 'Subject must be a string');
  });

  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])(
    'identityClaim "%s": an Object.prototype name is refused at construction, so an inherited member never counts as the claim',
    (claim) => {
      expect(() => manager({ identityClaim: claim })).toThrow(JwtConfigError);
      expect(() => manager({ identityClaim: claim })).toThrow(/option `identityClaim`/);
    },
  );

  it('identityClaim "uid" through a procedure: ctx identity is uid, not sub', async () => {
    const app = buildApp({ secretKey: secret, clock: clock.now, identityClaim: 'uid' });
    const res = await call(app, 'me', { headers: bearer(token({ uid: 'alice', sub: 'admin' })) });
    expect(res.status).toBe(200);
    expect(res.body.result.data.identity).toBe('alice');
  });
});

auditHygiene();
