/**
 * Algorithms and signatures: `alg: none`, algorithms outside decodeAlgorithms, RS→HS confusion
 * with the public key as HMAC secret in every format, foreign signatures, signature stripping.
 * Tokens are forged with node:crypto directly (helpers.forge), never with the library under test.
 */
import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJwtManager, JwtConfigError, JWTDecodeError } from '../../src/index.js';
import {
  ASYM_CONFIGS,
  auditHygiene,
  b64url,
  bearer,
  buildApp,
  call,
  claimsFor,
  expectHttpError,
  expectJwtError,
  forge,
  keyPair,
  newSecret,
  publicKeyFormats,
  registerToken,
  signRaw,
} from './helpers.js';

const NOT_ALLOWED = 'The specified alg value is not allowed';
const BAD_SIGNATURE = 'Signature verification failed';

const secret = newSecret(32, 'HS256 secret');
const jwt = createJwtManager({ secretKey: secret });
const refuse = (token: string, message: string) =>
  expectJwtError(jwt.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', message);

describe('control: the independent forger produces tokens the library accepts', () => {
  it('an HS256 token forged with the right secret verifies', async () => {
    const token = forge({ header: { alg: 'HS256', typ: 'JWT' }, payload: claimsFor('alice'), key: secret });
    expect((await jwt.decodeToken(token)).sub).toBe('alice');
  });

  it.each(ASYM_CONFIGS)('a $alg token forged with the right private key verifies', async ({ alg, kind }) => {
    const { privateKey, publicKey } = keyPair(kind);
    const manager = createJwtManager({ algorithm: alg, publicKey });
    const token = forge({ header: { alg, typ: 'JWT' }, payload: claimsFor('alice'), key: privateKey });
    expect((await manager.decodeToken(token)).sub).toBe('alice');
  });
});

describe('alg: none', () => {
  const casings = ['none', 'None', 'NONE', 'nOnE'];
  const signatures = [
    ['no signature (empty third segment)', () => ''],
    ['an HMAC signature made with the secret', (input: string) => b64url(signRaw('HS256', secret, input))],
    ['a garbage signature', () => 'c2lnbmF0dXJl'],
  ] as const;

  for (const alg of casings) {
    for (const [what, sig] of signatures) {
      it(`alg "${alg}" with ${what} is refused: ${NOT_ALLOWED}`, async () => {
        const header = { alg, typ: 'JWT' };
        const unsigned = forge({ header, payload: claimsFor('admin') });
        const signingInput = unsigned.slice(0, unsigned.lastIndexOf('.'));
        const token = registerToken(`${signingInput}.${sig(signingInput)}`);
        await refuse(token, NOT_ALLOWED);
      });
    }
  }

  it('alg none is refused through a tRPC procedure (422 INVALID_TOKEN) and the procedure never runs', async () => {
    const app = buildApp({ secretKey: secret });
    const token = forge({ header: { alg: 'none' }, payload: claimsFor('admin') });
    const res = await call(app, 'me', { headers: bearer(token) });
    expectHttpError(res, 422, 'INVALID_TOKEN', NOT_ALLOWED);
    expect(app.calls.me).toBeUndefined();
  });

  it.each(casings)('"%s" can never be configured as an algorithm or decode algorithm', (alg) => {
    expect(() => createJwtManager({ secretKey: secret, algorithm: alg as never })).toThrow(JwtConfigError);
    expect(() => createJwtManager({ secretKey: secret, decodeAlgorithms: [alg as never] })).toThrow(
      JwtConfigError,
    );
  });
});

describe('algorithms outside decodeAlgorithms', () => {
  it('a token signed HS384 (with the same secret) is refused by an HS256 manager', async () => {
    const secret48 = newSecret(48, 'HS384 secret');
    const hs256 = createJwtManager({ secretKey: secret48 });
    const token = forge({ header: { alg: 'HS384', typ: 'JWT' }, payload: claimsFor('alice'), key: secret48 });
    await expectJwtError(hs256.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
    // and the same secret with HS384 allowed accepts it: the refusal was the algorithm, nothing else
    const both = createJwtManager({ secretKey: secret48, decodeAlgorithms: ['HS384'] });
    expect((await both.decodeToken(token)).sub).toBe('alice');
  });

  it.each([
    ['HS512', 'HS512'],
    ['lower-case hs256', 'hs256'],
    ['"HS256 " with a trailing space', 'HS256 '],
    ['an unknown HS1', 'HS1'],
    ['an empty string', ''],
  ])('alg %s, correctly HMAC-signed with the secret, is refused', async (_what, alg) => {
    const token = forge({
      header: { alg, typ: 'JWT' },
      payload: claimsFor('alice'),
      key: secret,
      signAlg: 'HS256',
    });
    await refuse(token, NOT_ALLOWED);
  });

  it.each([
    ['an array', ['HS256']],
    ['a number', 256],
    ['null', null],
    ['an object', { name: 'HS256' }],
  ])('alg given as %s is refused', async (_what, alg) => {
    const token = forge({
      header: { alg, typ: 'JWT' },
      payload: claimsFor('alice'),
      key: secret,
      signAlg: 'HS256',
    });
    await refuse(token, NOT_ALLOWED);
  });

  it('a header without alg is refused', async () => {
    const token = forge({
      header: { typ: 'JWT' },
      payload: claimsFor('alice'),
      key: secret,
      signAlg: 'HS256',
    });
    await refuse(token, NOT_ALLOWED);
  });

  it('an RS256 token (valid signature) is refused by an HS256 manager', async () => {
    const { privateKey } = keyPair('rsa');
    const token = forge({
      header: { alg: 'RS256', typ: 'JWT' },
      payload: claimsFor('alice'),
      key: privateKey,
    });
    await refuse(token, NOT_ALLOWED);
  });
});

describe('RS→HS confusion: the public key used as the HMAC secret', () => {
  for (const { alg, kind } of ASYM_CONFIGS) {
    const { publicKey } = keyPair(kind);
    for (const { name, secret: asSecret } of publicKeyFormats(publicKey)) {
      for (const hs of ['HS256', 'HS384', 'HS512'] as const) {
        it(`${alg} manager (static key): ${hs} signed with the ${name} public key is refused: ${NOT_ALLOWED}`, async () => {
          const manager = createJwtManager({ algorithm: alg, publicKey });
          const token = forge({
            header: { alg: hs, typ: 'JWT' },
            payload: claimsFor('admin'),
            key: asSecret,
          });
          await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
        });
      }
    }
  }

  // The dangerous setup: HS and asymmetric algorithms both allowed, and a decodeKeyLoader that
  // returns the asymmetric public key whatever the token's alg says. Every key form such a loader
  // can return for the asymmetric algorithm (PEM, PKCS#1 PEM, JWK object, KeyObject) is refused as
  // an HMAC secret: the forged token fails, it never verifies.
  for (const { alg, kind } of ASYM_CONFIGS) {
    const { publicKey } = keyPair(kind);
    const loaderForms: [string, unknown][] = [
      ['SPKI PEM string', String(publicKey.export({ type: 'spki', format: 'pem' }))],
      ['JWK object', publicKey.export({ format: 'jwk' })],
      ['KeyObject', publicKey],
    ];
    if (kind === 'rsa') {
      loaderForms.push(['PKCS#1 PEM string', String(publicKey.export({ type: 'pkcs1', format: 'pem' }))]);
    }
    for (const [form, loaderKey] of loaderForms) {
      it(`${alg}+HS256 manager whose decodeKeyLoader returns the public key as ${form}: every forged HS256 token is refused`, async () => {
        const manager = createJwtManager({
          algorithm: alg,
          decodeAlgorithms: [alg, 'HS256'],
          decodeKeyLoader: () => loaderKey as never,
          encodeKeyLoader: () => keyPair(kind).privateKey,
        });
        for (const { secret: asSecret } of publicKeyFormats(publicKey)) {
          const token = forge({
            header: { alg: 'HS256', typ: 'JWT' },
            payload: claimsFor('admin'),
            key: asSecret,
          });
          await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
        }
        // control: the genuine asymmetric token still verifies through the same loader
        const genuine = await manager.createAccessToken('alice');
        registerToken(genuine);
        expect((await manager.decodeToken(genuine)).sub).toBe('alice');
      });
    }
  }

  it('a public key given as secretKey is a configuration error in every text format', () => {
    const { publicKey } = keyPair('rsa');
    for (const { name, secret: asSecret } of publicKeyFormats(publicKey)) {
      if (name.startsWith('DER')) continue; // raw DER is indistinguishable from random bytes: see the report
      expect(() => createJwtManager({ secretKey: asSecret }), name).toThrow(JwtConfigError);
    }
  });
});

describe('signatures', () => {
  it('an HS256 signature made with another secret is refused', async () => {
    const token = forge({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: claimsFor('alice'),
      key: newSecret(32, 'other'),
    });
    await refuse(token, BAD_SIGNATURE);
  });

  it.each(ASYM_CONFIGS)(
    'a $alg signature made with another private key is refused',
    async ({ alg, kind }) => {
      const manager = createJwtManager({ algorithm: alg, publicKey: keyPair(kind).publicKey });
      const attacker = keyPair(kind, `attacker ${kind}`).privateKey;
      const token = forge({ header: { alg, typ: 'JWT' }, payload: claimsFor('admin'), key: attacker });
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    },
  );

  it('signature stripping (empty third segment) is refused for HS256 and every asymmetric algorithm', async () => {
    const stripped = registerToken((await jwt.createAccessToken('alice')).replace(/[^.]+$/, ''));
    expect(stripped.endsWith('.')).toBe(true);
    await refuse(stripped, BAD_SIGNATURE);
    for (const { alg, kind } of ASYM_CONFIGS) {
      const { privateKey, publicKey } = keyPair(kind);
      const manager = createJwtManager({ algorithm: alg, privateKey, publicKey });
      const token = registerToken((await manager.createAccessToken('alice')).replace(/[^.]+$/, ''));
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    }
  });

  it('dropping the signature segment entirely is refused: Not enough segments', async () => {
    const token = registerToken((await jwt.createAccessToken('alice')).replace(/\.[^.]+$/, ''));
    await refuse(token, 'Not enough segments');
  });

  it('an ES256 signature in DER (not the JOSE r||s form) is refused', async () => {
    const { privateKey, publicKey } = keyPair('ec');
    const manager = createJwtManager({ algorithm: 'ES256', publicKey });
    const unsigned = forge({ header: { alg: 'ES256' }, payload: claimsFor('alice') });
    const input = unsigned.slice(0, -1);
    const { sign } = await import('node:crypto');
    const der = sign('sha256', Buffer.from(input), privateKey); // DER-encoded ECDSA signature
    const token = registerToken(`${input}.${der.toString('base64url')}`);
    await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
  });

  it('a secret KeyObject returned by decodeKeyLoader for an RS256 token is refused (no key-type confusion)', async () => {
    const hmacKey = createSecretKey(Buffer.from(newSecret(32, 'loader secret')));
    const manager = createJwtManager({
      algorithm: 'RS256',
      decodeKeyLoader: () => hmacKey,
      encodeKeyLoader: () => keyPair('rsa').privateKey,
    });
    const token = forge({
      header: { alg: 'RS256' },
      payload: claimsFor('admin'),
      key: keyPair('rsa').privateKey,
    });
    await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
  });
});

auditHygiene();
