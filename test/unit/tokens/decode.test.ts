import { describe, expect, it } from 'vitest';
import {
  CSRFError,
  createJwtManager,
  ExpiredSignatureError,
  JWTDecodeError,
  type JwtError,
  type JwtManagerOptions,
} from '../../../src/index.js';
import { b64url, craftToken, type SegmentSource, SECRET_HS256, signInput } from '../../helpers/keys.js';

const NOW_MS = 1_700_000_000_500;
const NOW = 1_700_000_000;
const HEADER = { alg: 'HS256', typ: 'JWT' };
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function manager(options: Partial<JwtManagerOptions> = {}) {
  return createJwtManager({ secretKey: SECRET_HS256, clock: () => NOW_MS, cache: false, ...options });
}

/** flask's claims for `alice`, with overrides; an `undefined` override removes the claim. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fresh: false,
    iat: NOW,
    jti: 'jti-1',
    type: 'access',
    sub: 'alice',
    nbf: NOW,
    csrf: 'csrf-1',
    exp: NOW + 900,
    ...overrides,
  };
}

function token(payload: SegmentSource = claims(), header: SegmentSource = HEADER): string {
  return craftToken(header, payload, SECRET_HS256, 'HS256');
}

/** A token from raw segment text, signed over exactly that text. */
function signedSegments(h: string, p: string): string {
  return `${h}.${p}.${b64url(signInput(`${h}.${p}`, SECRET_HS256, 'HS256'))}`;
}

async function failure(promise: Promise<unknown>): Promise<JwtError> {
  const result = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (result === undefined) throw new Error('expected the promise to reject');
  return result as JwtError;
}

/** Asserts a 422 JWTDecodeError (INVALID_TOKEN) with exactly this message, which never echoes the token. */
async function expectInvalid(promise: Promise<unknown>, message: string, raw?: string): Promise<void> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(JWTDecodeError);
  expect(error.code).toBe('INVALID_TOKEN');
  expect(error.httpStatus).toBe(422);
  expect(error.message).toBe(message);
  if (raw) expect(error.message).not.toContain(raw.slice(0, 20));
}

describe('decodeToken: a valid token', () => {
  it('returns the payload', async () => {
    const jwt = manager();
    expect(await jwt.decodeToken(token())).toEqual(claims());
    const created = await jwt.createAccessToken('bob', { additionalClaims: { role: 'admin' } });
    expect(await jwt.decodeToken(created)).toMatchObject({ sub: 'bob', role: 'admin', type: 'access' });
  });

  it('gives each verification its own header: one caller changing it does not reach the next', async () => {
    // Parsed headers are cached by segment (src/tokens/format.ts); what callers see must not be shared.
    const seen: Record<string, unknown>[] = [];
    const jwt = manager({
      decodeKeyLoader: ({ header }) => {
        seen.push({ ...header });
        (header as Record<string, unknown>).kid = 'changed';
        return SECRET_HS256;
      },
    });
    const text = token(claims(), { alg: 'HS256', typ: 'JWT', kid: 'k1' });
    await jwt.decodeToken(text);
    await jwt.decodeToken(text);
    expect(seen).toEqual([
      { alg: 'HS256', typ: 'JWT', kid: 'k1' },
      { alg: 'HS256', typ: 'JWT', kid: 'k1' },
    ]);
    expect(jwt.getUnverifiedJwtHeaders(text)).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
  });

  it('accepts a token without optional claims (only the identity claim is required)', async () => {
    expect(await manager().decodeToken(token({ sub: 'alice' }))).toEqual({ sub: 'alice' });
  });
});

describe('decodeToken: format (PyJWT messages)', () => {
  it('Not enough segments / Too many segments', async () => {
    const jwt = manager();
    for (const bad of ['', 'abc', 'abc.def'])
      await expectInvalid(jwt.decodeToken(bad), 'Not enough segments');
    const [h, p, s] = token().split('.');
    await expectInvalid(jwt.decodeToken(`${h}.${p}.${s}.${s}`), 'Too many segments');
  });

  it('Invalid header / payload / crypto padding for non-base64url segments', async () => {
    const jwt = manager();
    const [h, p, s] = token().split('.') as [string, string, string];
    await expectInvalid(jwt.decodeToken(`.${p}.${s}`), 'Invalid header padding');
    await expectInvalid(jwt.decodeToken(`!!${h}.${p}.${s}`), 'Invalid header padding');
    await expectInvalid(jwt.decodeToken(`${h}.${p}!.${s}`), 'Invalid payload padding');
    await expectInvalid(jwt.decodeToken(`${h}..${s}`), 'Invalid payload padding');
    await expectInvalid(jwt.decodeToken(`${h}.${p}.${s}*`), 'Invalid crypto padding');
    await expectInvalid(jwt.decodeToken(`${h}.${p}.a`), 'Invalid crypto padding');
  });

  it('refuses padding "=", "+" and "/", and whitespace in any segment', async () => {
    const jwt = manager();
    // A payload whose base64url has both "-" and "_" (so a base64 variant is a different string).
    let payload = '';
    for (let i = 0; i < 500 && !(payload.includes('-') && payload.includes('_')); i++) {
      payload = b64url(JSON.stringify(claims({ x: `${i}?>~${'ÿ'.repeat(i % 7)}` })));
    }
    expect(payload).toMatch(/-/);
    expect(payload).toMatch(/_/);
    const h = b64url(JSON.stringify(HEADER));
    expect((await jwt.decodeToken(signedSegments(h, payload))).sub).toBe('alice');

    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    expect(Buffer.from(base64, 'base64')).toEqual(Buffer.from(payload, 'base64url'));
    await expectInvalid(jwt.decodeToken(signedSegments(h, base64)), 'Invalid payload padding');

    const padded = `${payload}${'='.repeat((4 - (payload.length % 4)) % 4 || 4)}`;
    await expectInvalid(jwt.decodeToken(signedSegments(h, padded)), 'Invalid payload padding');
    await expectInvalid(jwt.decodeToken(signedSegments(`${h}=`, payload)), 'Invalid header padding');

    const mid = payload.length >> 1;
    for (const ws of [' ', '\n', '\r\n', '\t']) {
      const spaced = `${payload.slice(0, mid)}${ws}${payload.slice(mid)}`;
      await expectInvalid(jwt.decodeToken(signedSegments(h, spaced)), 'Invalid payload padding');
      await expectInvalid(jwt.decodeToken(signedSegments(`${ws}${h}`, payload)), 'Invalid header padding');
    }
    const valid = signedSegments(h, payload);
    await expectInvalid(jwt.decodeToken(`${valid}\n`), 'Invalid crypto padding');
    await expectInvalid(jwt.decodeToken(`${valid} `), 'Invalid crypto padding');
    await expectInvalid(jwt.decodeToken(`${valid}=`), 'Invalid crypto padding');
  });

  it('refuses non-zero trailing bits in the last character of each segment', async () => {
    const jwt = manager();
    const setLowBit = (segment: string) =>
      segment.slice(0, -1) + ALPHABET[ALPHABET.indexOf(segment.at(-1)!) | 1];

    // Headers and payloads of length 2 and 3 mod 4 (the lengths that have unused bits).
    for (const rem of [2, 3]) {
      let h = '';
      for (let k = 0; b64url(h).length % 4 !== rem || h === ''; k++) {
        h = JSON.stringify({ ...HEADER, pad: 'x'.repeat(k) });
      }
      let p = '';
      for (let k = 0; b64url(p).length % 4 !== rem || p === ''; k++) {
        p = JSON.stringify(claims({ pad: 'x'.repeat(k) }));
      }
      const hSeg = b64url(h);
      const pSeg = b64url(p);
      expect((await jwt.decodeToken(signedSegments(hSeg, pSeg))).sub).toBe('alice');
      // The altered segments decode to the same bytes: a lax decoder would accept them.
      expect(Buffer.from(setLowBit(hSeg), 'base64url')).toEqual(Buffer.from(hSeg, 'base64url'));
      expect(Buffer.from(setLowBit(pSeg), 'base64url')).toEqual(Buffer.from(pSeg, 'base64url'));
      await expectInvalid(jwt.decodeToken(signedSegments(setLowBit(hSeg), pSeg)), 'Invalid header padding');
      await expectInvalid(jwt.decodeToken(signedSegments(hSeg, setLowBit(pSeg))), 'Invalid payload padding');
    }

    // The HS256 signature is 43 characters (3 mod 4): altering its unused bits keeps the same bytes.
    const valid = token();
    const sig = valid.split('.')[2]!;
    expect(sig.length % 4).toBe(3);
    expect(Buffer.from(setLowBit(sig), 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    await expectInvalid(
      jwt.decodeToken(`${valid.slice(0, -sig.length)}${setLowBit(sig)}`),
      'Invalid crypto padding',
    );
  });

  it('refuses a header or payload that is not a JSON object', async () => {
    const jwt = manager();
    for (const json of ['[]', '[{"alg":"HS256"}]', '1', '"HS256"', 'null', 'true']) {
      await expectInvalid(
        jwt.decodeToken(token(claims(), json)),
        'Invalid header string: must be a json object',
      );
      await expectInvalid(jwt.decodeToken(token(json)), 'Invalid payload string: must be a json object');
    }
  });

  it('refuses invalid JSON and invalid UTF-8', async () => {
    const jwt = manager();
    await expectInvalid(
      jwt.decodeToken(token('{"sub":"alice"')),
      'Invalid payload string: not valid UTF-8 JSON',
    );
    await expectInvalid(
      jwt.decodeToken(token(claims(), '{alg:HS256}')),
      'Invalid header string: not valid UTF-8 JSON',
    );
    const invalidUtf8 = new Uint8Array([...Buffer.from('{"sub":"'), 0xff, 0xfe, ...Buffer.from('"}')]);
    await expectInvalid(jwt.decodeToken(token(invalidUtf8)), 'Invalid payload string: not valid UTF-8 JSON');
    const overlong = new Uint8Array([
      ...Buffer.from('{"alg":"HS256","x":"'),
      0xc0,
      0xaf,
      ...Buffer.from('"}'),
    ]);
    await expectInvalid(
      jwt.decodeToken(token(claims(), overlong)),
      'Invalid header string: not valid UTF-8 JSON',
    );
    // Valid multi-byte UTF-8 is fine.
    expect((await jwt.decodeToken(token(claims({ name: 'Zoë 🚀' })))).name).toBe('Zoë 🚀');
  });

  it('refuses a token that is not a string', async () => {
    for (const bad of [undefined, null, 42, { token: 'x' }]) {
      await expectInvalid(manager().decodeToken(bad as never), 'Invalid token type. Token must be a string');
    }
  });

  it('applies maxTokenLength inclusively: exactly max is accepted, max + 1 refused', async () => {
    const valid = token();
    const atMax = manager({ maxTokenLength: valid.length });
    expect((await atMax.decodeToken(valid)).sub).toBe('alice');
    const below = manager({ maxTokenLength: valid.length - 1 });
    await expectInvalid(
      below.decodeToken(valid),
      `Token is longer than the maximum of ${valid.length - 1} characters`,
    );
  });

  it('applies the default maxTokenLength of 8192 characters', async () => {
    const jwt = manager();
    let exact: string | undefined;
    for (let k = 5900; k < 6200 && !exact; k++) {
      const candidate = token(claims({ pad: 'x'.repeat(k) }));
      if (candidate.length === 8192) exact = candidate;
    }
    expect(exact).toHaveLength(8192);
    expect((await jwt.decodeToken(exact!)).sub).toBe('alice');
    let over: string | undefined;
    for (let k = 5900; k < 6200 && !over; k++) {
      const candidate = token(claims({ pad: 'y'.repeat(k) }));
      if (candidate.length === 8193) over = candidate;
    }
    expect(over).toHaveLength(8193);
    await expectInvalid(jwt.decodeToken(over!), 'Token is longer than the maximum of 8192 characters');
  });

  it('parses duplicate keys as the last one wins (as PyJWT), then checks the result', async () => {
    const jwt = manager();
    const dupSub = `{"iat":${NOW},"sub":"alice","sub":7}`;
    await expectInvalid(jwt.decodeToken(token(dupSub)), 'Subject must be a string');
    expect((await jwt.decodeToken(token(`{"sub":7,"sub":"alice"}`))).sub).toBe('alice');
    await expectInvalid(
      jwt.decodeToken(craftToken('{"alg":"HS256","alg":"none"}', claims(), SECRET_HS256, 'HS256')),
      'The specified alg value is not allowed',
    );
  });
});

describe('decodeToken: algorithm and signature', () => {
  it('Signature verification failed: tampered payload, wrong secret, empty or foreign signature', async () => {
    const jwt = manager();
    const valid = token();
    const [h, , s] = valid.split('.');
    const forged = b64url(JSON.stringify(claims({ sub: 'admin' })));
    await expectInvalid(jwt.decodeToken(`${h}.${forged}.${s}`), 'Signature verification failed');
    await expectInvalid(jwt.decodeToken(`${h}.${forged}.`), 'Signature verification failed');
    await expectInvalid(
      jwt.decodeToken(craftToken(HEADER, claims(), 'another-secret-0123456789abcdef!')),
      'Signature verification failed',
    );
    // A 512-bit MAC on an HS256 token.
    const input = valid.slice(0, valid.lastIndexOf('.'));
    const long = b64url(signInput(input, SECRET_HS256, 'HS512'));
    await expectInvalid(jwt.decodeToken(`${input}.${long}`), 'Signature verification failed');
  });

  it('refuses alg none in any casing', async () => {
    const jwt = manager();
    const p = b64url(JSON.stringify(claims()));
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const h = b64url(JSON.stringify({ alg, typ: 'JWT' }));
      await expectInvalid(jwt.decodeToken(`${h}.${p}.`), 'The specified alg value is not allowed');
      await expectInvalid(
        jwt.decodeToken(`${h}.${p}.${b64url(signInput(`${h}.${p}`, SECRET_HS256, 'HS256'))}`),
        'The specified alg value is not allowed',
      );
    }
  });

  it('refuses an alg outside decodeAlgorithms, and a missing or non-string alg', async () => {
    const jwt = manager();
    const hs384 = craftToken({ alg: 'HS384', typ: 'JWT' }, claims(), SECRET_HS256, 'HS384');
    await expectInvalid(jwt.decodeToken(hs384), 'The specified alg value is not allowed');
    await expectInvalid(
      jwt.decodeToken(craftToken({ alg: 'hs256' }, claims(), SECRET_HS256, 'HS256')),
      'The specified alg value is not allowed',
    );
    for (const header of [{ typ: 'JWT' }, { alg: 256 }, { alg: null }, { alg: ['HS256'] }, { alg: '' }]) {
      await expectInvalid(
        jwt.decodeToken(craftToken(header, claims(), SECRET_HS256, 'HS256')),
        'The specified alg value is not allowed',
      );
    }
    // Once allowed, the same HS384 token decodes.
    const both = manager({ secretKey: 'k'.repeat(48), decodeAlgorithms: ['HS384'] });
    const hs384ok = craftToken({ alg: 'HS384', typ: 'JWT' }, claims(), 'k'.repeat(48), 'HS384');
    expect((await both.decodeToken(hs384ok)).sub).toBe('alice');
  });

  it('refuses a crit header', async () => {
    await expectInvalid(
      manager().decodeToken(token(claims(), { ...HEADER, crit: ['exp'] })),
      'Unsupported critical header parameter',
    );
    await expectInvalid(
      manager().decodeToken(token(claims(), { ...HEADER, crit: [] })),
      'Unsupported critical header parameter',
    );
  });
});

describe('decodeToken: registered claims (PyJWT messages)', () => {
  it('aud: missing, mismatching, malformed, matching', async () => {
    const jwt = manager({ decodeAudience: 'api' });
    // PyJWT tests `not payload["aud"]`: every Python-falsy value is a missing claim.
    for (const aud of [undefined, '', [], null, 0, false, {}]) {
      await expectInvalid(jwt.decodeToken(token(claims({ aud }))), 'Token is missing the "aud" claim');
    }
    await expectInvalid(jwt.decodeToken(token(claims({ aud: 'web' }))), "Audience doesn't match");
    await expectInvalid(jwt.decodeToken(token(claims({ aud: ['web', 'app'] }))), "Audience doesn't match");
    await expectInvalid(jwt.decodeToken(token(claims({ aud: 'API' }))), "Audience doesn't match");
    for (const aud of [123, { api: true }, ['api', 1]]) {
      await expectInvalid(jwt.decodeToken(token(claims({ aud }))), 'Invalid claim format in token');
    }
    expect((await jwt.decodeToken(token(claims({ aud: 'api' })))).aud).toBe('api');
    expect((await jwt.decodeToken(token(claims({ aud: ['web', 'api'] })))).aud).toEqual(['web', 'api']);

    const list = manager({ decodeAudience: ['a', 'b'] });
    expect((await list.decodeToken(token(claims({ aud: 'b' })))).aud).toBe('b');
    await expectInvalid(list.decodeToken(token(claims({ aud: 'c' }))), "Audience doesn't match");
    // Without decodeAudience, aud is not verified (flask).
    expect((await manager().decodeToken(token(claims({ aud: 'anything' })))).aud).toBe('anything');
  });

  it('iss: missing, invalid, list, no substring match', async () => {
    const jwt = manager({ decodeIssuer: 'https://issuer.example' });
    await expectInvalid(jwt.decodeToken(token(claims())), 'Token is missing the "iss" claim');
    for (const iss of [
      'https://other.example',
      'https://issuer',
      'https://issuer.example/',
      42,
      ['https://issuer.example'],
    ]) {
      await expectInvalid(jwt.decodeToken(token(claims({ iss }))), 'Invalid issuer');
    }
    expect((await jwt.decodeToken(token(claims({ iss: 'https://issuer.example' })))).iss).toBe(
      'https://issuer.example',
    );
    const list = manager({ decodeIssuer: ['https://a.example', 'https://b.example'] });
    expect((await list.decodeToken(token(claims({ iss: 'https://b.example' })))).iss).toBe(
      'https://b.example',
    );
    await expectInvalid(list.decodeToken(token(claims({ iss: 'https://c.example' }))), 'Invalid issuer');
    expect((await manager().decodeToken(token(claims({ iss: 'any' })))).iss).toBe('any');
  });

  it('sub must be a string; verifySub: false lets an integer through (migration), nothing else', async () => {
    const jwt = manager();
    for (const sub of [7, null, { id: 1 }, ['alice'], true]) {
      await expectInvalid(jwt.decodeToken(token(claims({ sub }))), 'Subject must be a string');
    }
    const lax = manager({ verifySub: false });
    expect((await lax.decodeToken(token(claims({ sub: 7 })))).sub).toBe(7);
    // §9: identities are strings; an object has no string form to give ctx.token.identity.
    await expectInvalid(lax.decodeToken(token(claims({ sub: { id: 1 } }))), 'Subject must be a string');
    // verifySub concerns the literal `sub` claim, whatever the identity claim.
    const renamed = manager({ identityClaim: 'uid' });
    await expectInvalid(
      renamed.decodeToken(token(claims({ uid: 'alice', sub: 7 }))),
      'Subject must be a string',
    );
    // The identity claim itself must be a string, whatever its name.
    await expectInvalid(renamed.decodeToken(token({ uid: 42 })), 'Invalid claim: uid must be a string');
    const laxRenamed = manager({ identityClaim: 'uid', verifySub: false });
    expect((await laxRenamed.decodeToken(token({ uid: 42 }))).uid).toBe(42);
  });

  it('jti must be a string when present', async () => {
    const jwt = manager();
    for (const jti of [5, null, { id: 'x' }]) {
      await expectInvalid(jwt.decodeToken(token(claims({ jti }))), 'JWT ID must be a string');
    }
    expect('jti' in (await jwt.decodeToken(token(claims({ jti: undefined }))))).toBe(false);
  });

  it('Missing claim: <identityClaim>', async () => {
    await expectInvalid(manager().decodeToken(token(claims({ sub: undefined }))), 'Missing claim: sub');
    const renamed = manager({ identityClaim: 'user_id' });
    await expectInvalid(renamed.decodeToken(token(claims())), 'Missing claim: user_id');
    expect((await renamed.decodeToken(token(claims({ user_id: 'alice' })))).user_id).toBe('alice');
  });
});

describe('decodeToken: time claims', () => {
  it('nbf and iat in the future are not yet valid', async () => {
    const jwt = manager();
    await expectInvalid(jwt.decodeToken(token(claims({ nbf: NOW + 1 }))), 'The token is not yet valid (nbf)');
    await expectInvalid(jwt.decodeToken(token(claims({ iat: NOW + 1 }))), 'The token is not yet valid (iat)');
    expect((await jwt.decodeToken(token(claims({ nbf: NOW, iat: NOW })))).sub).toBe('alice');
  });

  it('expired tokens: ExpiredSignatureError (401) with the verified header and payload', async () => {
    const jwt = manager();
    const payload = claims({ exp: NOW - 1 });
    const error = await failure(jwt.decodeToken(token(payload)));
    expect(error).toBeInstanceOf(ExpiredSignatureError);
    expect(error.code).toBe('TOKEN_EXPIRED');
    expect(error.trpcCode).toBe('UNAUTHORIZED');
    expect(error.httpStatus).toBe(401);
    expect(error.message).toBe('Token has expired');
    expect(error.header).toEqual(HEADER);
    expect(error.payload).toEqual(payload);
  });

  it('exp <= now - leeway is expired, at the exact boundary', async () => {
    const jwt = manager();
    await expect(jwt.decodeToken(token(claims({ exp: NOW })))).rejects.toBeInstanceOf(ExpiredSignatureError);
    expect((await jwt.decodeToken(token(claims({ exp: NOW + 1 })))).exp).toBe(NOW + 1);
    const lenient = manager({ decodeLeeway: 10 });
    await expect(lenient.decodeToken(token(claims({ exp: NOW - 10 })))).rejects.toBeInstanceOf(
      ExpiredSignatureError,
    );
    expect((await lenient.decodeToken(token(claims({ exp: NOW - 9 })))).exp).toBe(NOW - 9);
  });

  it('a fractional leeway counts against the exact time, as PyJWT compares floats', async () => {
    // The clock is NOW + 0.5 s. exp <= now - leeway: NOW + 1 <= NOW + 0.5 - 0.25 is false; NOW is true.
    const quarter = manager({ decodeLeeway: 0.25 });
    expect((await quarter.decodeToken(token(claims({ exp: NOW + 1 })))).exp).toBe(NOW + 1);
    await expect(quarter.decodeToken(token(claims({ exp: NOW })))).rejects.toBeInstanceOf(
      ExpiredSignatureError,
    );
    // nbf > now + leeway: NOW + 1 > NOW + 0.75 (not yet valid), but NOW + 1 > NOW + 1.0 is false.
    await expectInvalid(
      quarter.decodeToken(token(claims({ nbf: NOW + 1 }))),
      'The token is not yet valid (nbf)',
    );
    const half = manager({ decodeLeeway: 0.5 });
    expect((await half.decodeToken(token(claims({ nbf: NOW + 1, iat: NOW + 1 })))).sub).toBe('alice');
  });

  it('nbf / iat > now + leeway are not yet valid, at the exact boundary', async () => {
    const lenient = manager({ decodeLeeway: 10 });
    expect((await lenient.decodeToken(token(claims({ nbf: NOW + 10, iat: NOW + 10 })))).sub).toBe('alice');
    await expectInvalid(
      lenient.decodeToken(token(claims({ nbf: NOW + 11 }))),
      'The token is not yet valid (nbf)',
    );
    await expectInvalid(
      lenient.decodeToken(token(claims({ iat: NOW + 11 }))),
      'The token is not yet valid (iat)',
    );
  });

  it('accepts float time claims, truncated as PyJWT does', async () => {
    const jwt = manager();
    const decoded = await jwt.decodeToken(
      token(claims({ exp: NOW + 100.25, iat: NOW + 0.9, nbf: NOW + 0.5 })),
    );
    expect(decoded.exp).toBe(NOW + 100.25);
    await expect(jwt.decodeToken(token(claims({ exp: NOW + 0.9 })))).rejects.toBeInstanceOf(
      ExpiredSignatureError,
    );
  });

  it('refuses non-numeric and non-finite exp, nbf and iat', async () => {
    const jwt = manager();
    const messages = {
      exp: 'Expiration Time claim (exp) must be an integer.',
      nbf: 'Not Before claim (nbf) must be an integer.',
      iat: 'Issued At claim (iat) must be an integer.',
    };
    for (const [claim, message] of Object.entries(messages)) {
      for (const value of [String(NOW + 100), null, true, [NOW], { t: NOW }]) {
        await expectInvalid(jwt.decodeToken(token(claims({ [claim]: value }))), message);
      }
      for (const raw of ['1e400', '-1e400']) {
        const json = JSON.stringify(claims({ [claim]: 0 })).replace(`"${claim}":0`, `"${claim}":${raw}`);
        expect(json).toContain(`"${claim}":${raw}`);
        await expectInvalid(jwt.decodeToken(token(json)), message);
      }
    }
  });

  it('allowExpired accepts an expired, otherwise valid token', async () => {
    const jwt = manager();
    const expired = token(claims({ exp: NOW - 3600 }));
    expect((await jwt.decodeToken(expired, { allowExpired: true })).exp).toBe(NOW - 3600);
    const [h, , s] = expired.split('.');
    const forged = `${h}.${b64url(JSON.stringify(claims({ exp: NOW - 3600, sub: 'mallory' })))}.${s}`;
    await expectInvalid(jwt.decodeToken(forged, { allowExpired: true }), 'Signature verification failed');
    await expectInvalid(
      jwt.decodeToken(token(claims({ exp: NOW - 1, sub: undefined })), { allowExpired: true }),
      'Missing claim: sub',
    );
  });

  it('uses the injected clock for every time check', async () => {
    let now = NOW_MS;
    const jwt = manager({ clock: () => now });
    const t = token(claims({ nbf: NOW + 60, exp: NOW + 120 }));
    await expectInvalid(jwt.decodeToken(t), 'The token is not yet valid (nbf)');
    now += 60_000;
    expect((await jwt.decodeToken(t)).sub).toBe('alice');
    now += 60_000;
    await expect(jwt.decodeToken(t)).rejects.toBeInstanceOf(ExpiredSignatureError);
  });
});

describe('decodeToken: CSRF', () => {
  it('compares csrfValue with the csrf claim', async () => {
    const jwt = manager();
    const t = token(claims({ csrf: 'csrf-value' }));
    expect((await jwt.decodeToken(t, { csrfValue: 'csrf-value' })).csrf).toBe('csrf-value');
    for (const csrfValue of ['csrf-valuf', 'csrf-value ', '', 'CSRF-VALUE']) {
      const error = await failure(jwt.decodeToken(t, { csrfValue }));
      expect(error).toBeInstanceOf(CSRFError);
      expect(error.code).toBe('CSRF_ERROR');
      expect(error.httpStatus).toBe(401);
      expect(error.message).toBe('CSRF double submit tokens do not match');
    }
    // A csrf claim that is not a string never matches.
    const numeric = token(claims({ csrf: 123 }));
    await expect(jwt.decodeToken(numeric, { csrfValue: '123' })).rejects.toBeInstanceOf(CSRFError);
    // Without csrfValue, nothing is compared.
    expect((await jwt.decodeToken(t)).csrf).toBe('csrf-value');
  });

  it('Missing claim: csrf when the token has none', async () => {
    await expectInvalid(
      manager().decodeToken(token(claims({ csrf: undefined })), { csrfValue: 'x' }),
      'Missing claim: csrf',
    );
  });
});

describe('decodeToken: which failure wins', () => {
  it('any other failure wins over expiry', async () => {
    const expired = { exp: NOW - 60 };
    const aud = manager({ decodeAudience: 'api' });
    await expectInvalid(aud.decodeToken(token(claims({ ...expired, aud: 'web' }))), "Audience doesn't match");
    await expectInvalid(aud.decodeToken(token(claims({ ...expired }))), 'Token is missing the "aud" claim');
    const jwt = manager();
    await expectInvalid(jwt.decodeToken(token(claims({ ...expired, sub: undefined }))), 'Missing claim: sub');
    await expectInvalid(jwt.decodeToken(token(claims({ ...expired, sub: 1 }))), 'Subject must be a string');
    await expectInvalid(jwt.decodeToken(token(claims({ ...expired, jti: 1 }))), 'JWT ID must be a string');
    await expectInvalid(
      jwt.decodeToken(token(claims({ ...expired, iat: 'x' }))),
      'Issued At claim (iat) must be an integer.',
    );
    await expectInvalid(
      jwt.decodeToken(craftToken(HEADER, claims(expired), 'wrong-secret-wrong-secret-wrong-s')),
      'Signature verification failed',
    );
    const iss = manager({ decodeIssuer: 'me' });
    await expectInvalid(iss.decodeToken(token(claims({ ...expired, iss: 'you' }))), 'Invalid issuer');
    await expect(jwt.decodeToken(token(claims(expired)), { csrfValue: 'nope' })).rejects.toBeInstanceOf(
      CSRFError,
    );
    await expectInvalid(
      jwt.decodeToken(token(claims({ ...expired, csrf: undefined })), { csrfValue: 'x' }),
      'Missing claim: csrf',
    );
  });
});

describe('getJti, getCsrfToken, getUnverifiedJwtHeaders', () => {
  it('getJti returns the verified jti (undefined without one)', async () => {
    const jwt = manager();
    expect(await jwt.getJti(token())).toBe('jti-1');
    expect(await jwt.getJti(token(claims({ jti: undefined })))).toBeUndefined();
    const created = await jwt.createAccessToken('alice');
    expect(await jwt.getJti(created)).toBe((await jwt.decodeToken(created)).jti);
    await expectInvalid(
      jwt.getJti(craftToken(HEADER, claims(), 'x'.repeat(32))),
      'Signature verification failed',
    );
    await expect(jwt.getJti(token(claims({ exp: NOW })))).rejects.toBeInstanceOf(ExpiredSignatureError);
  });

  it('getCsrfToken returns the verified csrf claim', async () => {
    const jwt = manager();
    expect(await jwt.getCsrfToken(token())).toBe('csrf-1');
    await expectInvalid(jwt.getCsrfToken(token(claims({ csrf: undefined }))), 'Missing claim: csrf');
    await expectInvalid(
      jwt.getCsrfToken(craftToken(HEADER, claims(), 'x'.repeat(32))),
      'Signature verification failed',
    );
  });

  it('getUnverifiedJwtHeaders returns the header without verifying', async () => {
    const jwt = manager();
    const foreign = craftToken({ alg: 'HS256', kid: 'k9', typ: 'JWT' }, claims({ exp: 1 }), 'x'.repeat(32));
    expect(jwt.getUnverifiedJwtHeaders(foreign)).toEqual({ alg: 'HS256', kid: 'k9', typ: 'JWT' });
    expect(jwt.getUnverifiedJwtHeaders(`${b64url('{"alg":"none"}')}.e30.`)).toEqual({ alg: 'none' });
    const bad = (t: unknown) => {
      try {
        jwt.getUnverifiedJwtHeaders(t as string);
      } catch (error) {
        expect(error).toBeInstanceOf(JWTDecodeError);
        return (error as Error).message;
      }
      throw new Error('did not throw');
    };
    expect(bad('abc')).toBe('Not enough segments');
    expect(bad('abc.def')).toBe('Not enough segments');
    expect(bad('a=.b.c')).toBe('Invalid header padding');
    expect(bad(`${b64url('[1]')}.e30.`)).toBe('Invalid header string: must be a json object');
    expect(bad(`${b64url('{')}.e30.`)).toBe('Invalid header string: not valid UTF-8 JSON');
    expect(bad(42)).toBe('Invalid token type. Token must be a string');
    expect(bad(`${'a'.repeat(9000)}.b.c`)).toBe('Token is longer than the maximum of 8192 characters');
  });
});
