/**
 * The strict format gate: segment count, empty segments, padding, whitespace, the standard base64
 * alphabet, non-canonical trailing bits (which jose accepts), non-ASCII, invalid UTF-8, non-object
 * JSON, duplicate keys, deep nesting and maxTokenLength. Every variant below that is "signed" is
 * signed correctly over its own (non-canonical) spelling, so only the gate can refuse it.
 */
import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtManager, JWTDecodeError } from '../../src/index.js';
import {
  auditHygiene,
  b64url,
  bearer,
  buildApp,
  call,
  claimsFor,
  expectHttpError,
  expectJwtError,
  expectOk,
  forge,
  newSecret,
  registerToken,
  resignHS,
} from './helpers.js';

const secret = newSecret(32, 'format secret');
const jwt = createJwtManager({ secretKey: secret });
const refuse = (token: string, message: string | RegExp) =>
  expectJwtError(jwt.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', message);

const SEGMENT_MESSAGES = ['Invalid header padding', 'Invalid payload padding', 'Invalid crypto padding'];
const HEADER = { alg: 'HS256', typ: 'JWT' };

/** A valid token, its segments, and a rebuild helper that re-signs edited header/payload segments. */
async function validToken(extra: Record<string, unknown> = {}) {
  const token = registerToken(await jwt.createAccessToken('alice', { additionalClaims: extra }));
  const segments = token.split('.') as [string, string, string];
  /** Replaces segment `i`; header/payload edits are re-signed with the secret (a valid MAC over the new spelling). */
  const withSegment = (i: number, value: string): string => {
    const next = [...segments];
    next[i] = value;
    if (i === 2) return registerToken(next.join('.'));
    return resignHS(`${next[0]}.${next[1]}`, secret);
  };
  return { token, segments, withSegment };
}

/** The last character of a canonical segment with a non-zero unused trailing bit, or undefined. */
function withTrailingBits(segment: string): string | undefined {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const rem = segment.length % 4;
  if (rem === 0) return undefined;
  const last = alphabet.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + alphabet[last | 1]!;
}

describe('segment count and empty segments', () => {
  it.each([
    ['an empty string', '', 'Not enough segments'],
    ['one segment', 'eyJhbGciOiJIUzI1NiJ9', 'Not enough segments'],
    ['two segments', 'eyJhbGciOiJIUzI1NiJ9.e30', 'Not enough segments'],
    ['four segments', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln.c2ln', 'Too many segments'],
    ['five segments (JWE compact)', 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn', 'Too many segments'],
    ['only dots', '..', 'Invalid header padding'],
    ['three dots', '...', 'Too many segments'],
    ['an empty header', '.e30.c2ln', 'Invalid header padding'],
    ['an empty payload', 'eyJhbGciOiJIUzI1NiJ9..c2ln', 'Invalid payload padding'],
  ])('%s is refused', async (_what, token, message) => {
    await refuse(token, message);
  });

  it('an empty signature on a valid header and payload is refused: Signature verification failed', async () => {
    const { withSegment } = await validToken();
    await refuse(withSegment(2, ''), 'Signature verification failed');
  });
});

describe('padding, whitespace and the standard alphabet', () => {
  for (const [i, message] of SEGMENT_MESSAGES.entries()) {
    it.each(['=', '=='])(`segment ${i} with "%s" padding is refused: ${message}`, async (pad) => {
      const { segments, withSegment } = await validToken();
      await refuse(withSegment(i, segments[i]! + pad), message);
    });

    it.each([
      ['a space at the start', (s: string) => ` ${s}`],
      ['a space at the end', (s: string) => `${s} `],
      ['a newline in the middle', (s: string) => `${s.slice(0, 8)}\n${s.slice(8)}`],
      ['CRLF in the middle', (s: string) => `${s.slice(0, 8)}\r\n${s.slice(8)}`],
      ['a tab in the middle', (s: string) => `${s.slice(0, 8)}\t${s.slice(8)}`],
      ['a NUL at the end', (s: string) => `${s}\0`],
    ])(`segment ${i} with %s is refused: ${message}`, async (_what, edit) => {
      const { segments, withSegment } = await validToken();
      await refuse(withSegment(i, edit(segments[i]!)), message);
    });
  }

  it('whitespace around the whole token is refused by the decoder (only the transport trims)', async () => {
    const { token } = await validToken();
    await refuse(registerToken(` ${token}`), 'Invalid header padding');
    await refuse(registerToken(`${token}\n`), 'Invalid crypto padding');
    await refuse(registerToken(token.replace('.', ' .')), 'Invalid header padding');
    await refuse(registerToken(token.replace('.', '.\n')), 'Invalid payload padding');
  });

  it('"+" and "/" (standard base64 for the same bytes) are refused in every segment', async () => {
    // a token (validly signed) whose three segments each contain a URL-safe character to respell
    let token: string | undefined;
    for (let n = 0; n < 500 && !token; n++) {
      const candidate = forge({
        header: { ...HEADER, kid: `k${n}?>` },
        payload: claimsFor('alice', Math.floor(Date.now() / 1000), { n: `${n}~~>` }),
        key: secret,
      });
      if (candidate.split('.').every((s) => /[-_]/.test(s))) token = candidate;
    }
    expect(token, 'a token with "-" or "_" in every segment').toBeDefined();
    expect((await jwt.decodeToken(token!)).sub).toBe('alice');
    const segments = token!.split('.');
    for (const [i, message] of SEGMENT_MESSAGES.entries()) {
      const next = [...segments];
      next[i] = segments[i]!.replace(/-/g, '+').replace(/_/g, '/');
      expect(Buffer.from(next[i]!, 'base64')).toEqual(Buffer.from(segments[i]!, 'base64url'));
      const respelled = i === 2 ? registerToken(next.join('.')) : resignHS(`${next[0]}.${next[1]}`, secret);
      await refuse(respelled, message);
    }
  });
});

describe('non-canonical trailing bits', () => {
  it('a signature whose last character has non-zero trailing bits: jose compactVerify accepts it, we refuse it', async () => {
    const { token, segments, withSegment } = await validToken();
    const variant = withTrailingBits(segments[2])!;
    expect(variant).not.toBe(segments[2]);
    // the same 32 signature bytes
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(segments[2], 'base64url'));
    const nonCanonical = withSegment(2, variant);
    const key = new TextEncoder().encode(secret);
    const joseResult = await compactVerify(nonCanonical, key, { algorithms: ['HS256'] });
    expect(new TextDecoder().decode(joseResult.payload)).toContain('"sub":"alice"');
    await refuse(nonCanonical, 'Invalid crypto padding');
    expect((await jwt.decodeToken(token)).sub).toBe('alice'); // the canonical one is fine
  });

  it.each([
    ['header', 0, 'Invalid header padding'],
    ['payload', 1, 'Invalid payload padding'],
  ])(
    'a %s segment with non-zero trailing bits (validly signed over that spelling): jose accepts, we refuse',
    async (part, _i, message) => {
      // header/payload JSON lengths chosen so the segment does not end on a 4-character boundary
      let header: Record<string, unknown> = { ...HEADER, x: '' };
      while (part === 'header' && b64url(JSON.stringify(header)).length % 4 === 0) {
        header = { ...header, x: `${header.x}y` };
      }
      let payload = claimsFor('alice', Math.floor(Date.now() / 1000), { p: '' });
      while (b64url(JSON.stringify(payload)).length % 4 === 0) payload = { ...payload, p: `${payload.p}y` };
      const good = forge({ header, payload, key: secret });
      const i = part === 'header' ? 0 : 1;
      const segments = good.split('.');
      expect(segments[i]!.length % 4).not.toBe(0);
      segments[i] = withTrailingBits(segments[i]!)!;
      const bad = resignHS(`${segments[0]}.${segments[1]}`, secret);
      const jose = await compactVerify(bad, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
      expect(jose.protectedHeader.alg).toBe('HS256');
      await refuse(bad, message);
      expect((await jwt.decodeToken(good)).sub).toBe('alice');
    },
  );

  it('a segment whose length is 1 mod 4 (not decodable as whole bytes) is refused', async () => {
    const { segments, withSegment } = await validToken();
    const sig = segments[2];
    await refuse(
      withSegment(2, `${sig}A`.slice(0, sig.length - (sig.length % 4) + 1)),
      'Invalid crypto padding',
    );
  });
});

describe('non-ASCII and invalid UTF-8', () => {
  it.each([
    ['é', 'é'],
    ['a full-width A', 'Ａ'],
    ['an emoji', '😀'],
    ['a lone surrogate', '\ud800'],
  ])('%s in any segment is refused', async (_what, char) => {
    const { segments, withSegment } = await validToken();
    for (const [i, message] of SEGMENT_MESSAGES.entries()) {
      await refuse(withSegment(i, `${segments[i]!.slice(0, 4)}${char}${segments[i]!.slice(4)}`), message);
    }
  });

  it.each([
    ['a 0xFF byte', Buffer.from([0xff])],
    ['an overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
    ['a UTF-8-encoded surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated sequence (E2 82)', Buffer.from([0xe2, 0x82])],
  ])('%s inside a JSON string of the header or payload is refused', async (_what, bytes) => {
    const json = (obj: object) => {
      const text = JSON.stringify({ ...obj, z: 'XX' });
      const at = text.indexOf('XX');
      return Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at + 2))]);
    };
    await refuse(
      forge({ header: json(HEADER), payload: claimsFor('alice'), key: secret, signAlg: 'HS256' }),
      'Invalid header string: not valid UTF-8 JSON',
    );
    await refuse(
      forge({ header: HEADER, payload: json(claimsFor('alice')), key: secret }),
      'Invalid payload string: not valid UTF-8 JSON',
    );
  });

  it('a UTF-8 BOM before the payload JSON is ignored (as Python json.loads on bytes); it never helps a forgery', async () => {
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(claimsFor('alice'))),
    ]);
    // validly signed over the BOM bytes: the signature covers them, so this is the issuer's choice
    expect((await jwt.decodeToken(forge({ header: HEADER, payload: bom, key: secret }))).sub).toBe('alice');
    // an attacker adding a BOM to a genuine token changes the signed bytes
    const { segments } = await validToken();
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(segments[1], 'base64url')]);
    const tampered = registerToken(`${segments[0]}.${b64url(payload)}.${segments[2]}`);
    await refuse(tampered, 'Signature verification failed');
  });
});

describe('header and payload must be JSON objects', () => {
  const nonObjects: [string, string][] = [
    ['an array', '[]'],
    ['an array of an object', JSON.stringify([HEADER])],
    ['a number', '256'],
    ['a string', '"HS256"'],
    ['null', 'null'],
    ['true', 'true'],
  ];
  it.each(nonObjects)('a header that is %s is refused', async (_what, text) => {
    await refuse(
      forge({ header: text, payload: claimsFor('alice'), key: secret, signAlg: 'HS256' }),
      'Invalid header string: must be a json object',
    );
  });
  it.each(nonObjects)('a payload that is %s is refused (validly signed)', async (_what, text) => {
    await refuse(
      forge({ header: HEADER, payload: text, key: secret }),
      'Invalid payload string: must be a json object',
    );
  });
  it.each([
    ['truncated JSON', '{"alg":"HS256"'],
    ['JSON with a trailing comma', '{"alg":"HS256",}'],
    ['JSON followed by garbage', '{"alg":"HS256"}x'],
    ['two JSON objects', '{"alg":"HS256"}{"alg":"none"}'],
  ])('a header that is %s is refused', async (_what, text) => {
    const token = registerToken(`${b64url(text)}.${b64url(JSON.stringify(claimsFor('a')))}.c2ln`);
    await refuse(token, 'Invalid header string: not valid UTF-8 JSON');
  });
});

describe('duplicate keys: the last one wins (as JSON.parse, and as PyJWT via Python json)', () => {
  it('a payload with "sub" twice verifies with the last value', async () => {
    const base = claimsFor('alice');
    const text = JSON.stringify(base).replace('"sub":"alice"', '"sub":"alice","sub":"admin"');
    const payload = await jwt.decodeToken(forge({ header: HEADER, payload: text, key: secret }));
    expect(payload.sub).toBe('admin');
  });

  it('a header with "alg" twice uses the last value: none-then-HS256 verifies, HS256-then-none is refused', async () => {
    const payload = claimsFor('alice');
    const lastHs = forge({ header: '{"alg":"none","alg":"HS256"}', payload, key: secret, signAlg: 'HS256' });
    expect((await jwt.decodeToken(lastHs)).sub).toBe('alice');
    const lastNone = forge({
      header: '{"alg":"HS256","alg":"none"}',
      payload,
      key: secret,
      signAlg: 'HS256',
    });
    await refuse(lastNone, 'The specified alg value is not allowed');
  });
});

describe('deep nesting within maxTokenLength', () => {
  it('claims nested ~2000 levels deep (arrays and objects) verify and come back intact, also through a procedure', async () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 1000; i++) nested = i % 2 ? [nested] : { a: nested };
    const app = buildApp({ secretKey: secret });
    const token = registerToken(await app.jwt.createAccessToken('alice', { additionalClaims: { nested } }));
    expect(token.length).toBeLessThanOrEqual(8192);
    let depth = 0;
    let cursor: unknown = (await app.jwt.decodeToken(token)).nested;
    while (typeof cursor === 'object' && cursor !== null) {
      cursor = Array.isArray(cursor) ? cursor[0] : (cursor as { a: unknown }).a;
      depth++;
    }
    expect([depth, cursor]).toEqual([1000, 'leaf']);
    const res = await call(app, 'me', { headers: bearer(token) });
    expectOk(res, { identity: 'alice', type: 'access', location: 'headers', user: null });
  });

  it('a forged payload of 3000 nested arrays (unsigned) is refused for its signature, without a crash', async () => {
    const deep = `{"sub":"a","x":${'['.repeat(3000)}${']'.repeat(3000)}}`;
    const token = forge({ header: HEADER, payload: deep, signature: 'c2ln' });
    expect(token.length).toBeLessThanOrEqual(8192);
    await refuse(token, 'Signature verification failed');
  });
});

describe('maxTokenLength', () => {
  it('is inclusive: a token of exactly maxTokenLength verifies, one character shorter limit refuses it', async () => {
    const token = registerToken(await jwt.createAccessToken('alice'));
    const exact = createJwtManager({ secretKey: secret, maxTokenLength: token.length });
    expect((await exact.decodeToken(token)).sub).toBe('alice');
    const shorter = createJwtManager({ secretKey: secret, maxTokenLength: token.length - 1 });
    await expectJwtError(
      shorter.decodeToken(token),
      JWTDecodeError,
      'INVALID_TOKEN',
      `Token is longer than the maximum of ${token.length - 1} characters`,
    );
  });

  it('an over-long token is refused before any parsing or cryptography (decodeKeyLoader never runs)', async () => {
    let loaderCalls = 0;
    const manager = createJwtManager({
      secretKey: secret,
      decodeKeyLoader: () => {
        loaderCalls++;
        return secret;
      },
    });
    const filler = 'f'.repeat(9000);
    const longValid = registerToken(
      await manager.createAccessToken('alice', { additionalClaims: { filler } }),
    );
    expect(longValid.length).toBeGreaterThan(8192);
    await expectJwtError(
      manager.decodeToken(longValid),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Token is longer than the maximum of 8192 characters',
    );
    // garbage that would fail the format gate: the length check comes first
    await expectJwtError(
      manager.decodeToken(`${'!'.repeat(100_000)}.x.y`),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Token is longer than the maximum of 8192 characters',
    );
    expect(() => manager.getUnverifiedJwtHeaders('a'.repeat(8193))).toThrow(
      'Token is longer than the maximum of 8192 characters',
    );
    expect(loaderCalls).toBe(0);
    // control: a normal token does reach the loader
    await manager.decodeToken(registerToken(await manager.createAccessToken('alice')));
    expect(loaderCalls).toBe(1);
  });

  it('through a procedure an over-long token is a 422 INVALID_TOKEN and the body never runs', async () => {
    const app = buildApp({ secretKey: secret });
    const res = await call(app, 'me', { headers: bearer(`${'a'.repeat(8190)}.b.c`) });
    expectHttpError(res, 422, 'INVALID_TOKEN', 'Token is longer than the maximum of 8192 characters');
    expect(app.calls.me).toBeUndefined();
  });
});

auditHygiene();
