/**
 * Regression tests for published JWT library advisories: one named test each, with what the bug
 * was. Each reproduces the attack against this library and asserts it is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, createJwtManager, JwtConfigError, JWTDecodeError } from '../../src/index.js';
import {
  auditHygiene,
  b64url,
  claimsFor,
  expectJwtError,
  forge,
  keyPair,
  newSecret,
  publicKeyFormats,
  registerSensitive,
} from './helpers.js';

const NOT_ALLOWED = 'The specified alg value is not allowed';
const BAD_SIGNATURE = 'Signature verification failed';

const rsa = keyPair('rsa', 'advisory rsa');
const rsaPem = String(rsa.publicKey.export({ type: 'spki', format: 'pem' }));
const rsaPkcs1 = String(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }));

/** A manager that allows RS256 and HS256 and whose key loader returns `key` for every token. */
function confusedLoaderManager(key: unknown) {
  return createJwtManager({
    algorithm: 'RS256',
    decodeAlgorithms: ['RS256', 'HS256'],
    encodeKeyLoader: () => rsa.privateKey,
    decodeKeyLoader: () => key as never,
  });
}

/** An OpenSSH `ssh-ed25519 AAAA…` public key line for an Ed25519 KeyObject. */
function openSshEd25519(): string {
  const { publicKey } = keyPair('ed25519', 'advisory ed25519');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return registerSensitive(`ssh-ed25519 ${blob.toString('base64')} user@host`, 'openssh key');
}

describe('jsonwebtoken', () => {
  it('CVE-2015-9235: alg "none" and HS256 signed with the RSA public key are both refused', async () => {
    // jsonwebtoken < 4.2.2 trusted the token's alg: "none" tokens verified without a signature,
    // and an HS256 token verified with the RSA public key used as the HMAC secret.
    const manager = createJwtManager({ algorithm: 'RS256', publicKey: rsa.publicKey });
    const none = forge({ header: { alg: 'none', typ: 'JWT' }, payload: claimsFor('admin') });
    await expectJwtError(manager.decodeToken(none), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
    const hs = forge({ header: { alg: 'HS256', typ: 'JWT' }, payload: claimsFor('admin'), key: rsaPem });
    await expectJwtError(manager.decodeToken(hs), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
  });

  it('CVE-2022-23539: insecure or mismatched asymmetric key types are refused', async () => {
    // jsonwebtoken ≤ 8.5.1 accepted any asymmetric key type for any algorithm (e.g. DSA keys,
    // RSA keys under 2048 bits, an EC key for RS256), so legacy/insecure keys could verify tokens.
    const weak = keyPair('rsa1024', 'rsa1024');
    const ec = keyPair('ec', 'advisory ec');
    const ed = keyPair('ed25519', 'advisory ed25519');
    const { publicKey: dsa } = generateKeyPairSyncDsa();
    const bad: [string, Parameters<typeof createJwtManager>[0]][] = [
      ['RSA-1024 for RS256', { algorithm: 'RS256', publicKey: weak.publicKey }],
      ['RSA-1024 for PS256', { algorithm: 'PS256', publicKey: weak.publicKey }],
      ['DSA for RS256', { algorithm: 'RS256', publicKey: dsa }],
      ['EC P-256 for RS256', { algorithm: 'RS256', publicKey: ec.publicKey }],
      ['EC P-256 for ES384', { algorithm: 'ES384', publicKey: ec.publicKey }],
      ['Ed25519 for ES256', { algorithm: 'ES256', publicKey: ed.publicKey }],
      ['RSA for EdDSA', { algorithm: 'EdDSA', publicKey: rsa.publicKey }],
    ];
    for (const [what, options] of bad) {
      expect(() => createJwtManager(options), what).toThrow(JwtConfigError);
    }
    // and at runtime, a decodeKeyLoader returning a 1024-bit key does not verify anything
    const manager = createJwtManager({
      algorithm: 'RS256',
      encodeKeyLoader: () => rsa.privateKey,
      decodeKeyLoader: () => weak.publicKey,
    });
    const token = forge({ header: { alg: 'RS256' }, payload: claimsFor('admin'), key: weak.privateKey });
    await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
  });

  it('CVE-2022-23540: a falsy key never means "no signature"', async () => {
    // jsonwebtoken ≤ 8.5.1: verify() with a falsy secretOrPublicKey and no `algorithms` defaulted
    // to "none", so unsigned tokens verified.
    for (const secretKey of ['', undefined, null]) {
      expect(() => createJwtManager({ secretKey: secretKey as never }), String(secretKey)).toThrow(
        JwtConfigError,
      );
    }
    for (const key of ['', null, undefined, 0, false]) {
      const manager = createJwtManager({ decodeKeyLoader: () => key as never, encodeKeyLoader: () => 'x' });
      const none = forge({ header: { alg: 'none' }, payload: claimsFor('admin') });
      await expectJwtError(manager.decodeToken(none), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
      const emptyKey = forge({ header: { alg: 'HS256' }, payload: claimsFor('admin'), key: '' });
      await expectJwtError(manager.decodeToken(emptyKey), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    }
  });

  it('CVE-2022-23541: a key retrieval function returning the RSA public key cannot verify HS256 forgeries', async () => {
    // jsonwebtoken ≤ 8.5.1 with a key-retrieval callback: the callback returned the RSA public key,
    // and an attacker's HS256 token verified with that key used as the HMAC secret.
    for (const loaderKey of [rsaPem, rsaPkcs1, rsa.publicKey, rsa.publicKey.export({ format: 'jwk' })]) {
      const manager = confusedLoaderManager(loaderKey);
      for (const { secret } of publicKeyFormats(rsa.publicKey)) {
        const token = forge({ header: { alg: 'HS256' }, payload: claimsFor('admin'), key: secret });
        await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
      }
    }
  });
});

describe('express-jwt', () => {
  it('CVE-2020-15084: without an explicit algorithms option only the configured algorithm is accepted', async () => {
    // express-jwt < 6.0.0 did not require `algorithms`; with a jwks-rsa secret callback an attacker
    // could pick HS256 (signed with the public key) or another algorithm. Here the decode list is
    // always pinned from configuration, defaulting to [algorithm].
    const hs = createJwtManager({ secretKey: newSecret(64, 'advisory hs512') });
    expect([...hs.config.decodeAlgorithms]).toEqual(['HS256']);
    const rs = createJwtManager({ algorithm: 'RS256', publicKey: rsa.publicKey });
    expect([...rs.config.decodeAlgorithms]).toEqual(['RS256']);
    for (const alg of ['HS256', 'HS384', 'HS512', 'PS256', 'none']) {
      const token = forge({ header: { alg }, payload: claimsFor('admin'), key: rsaPem, signAlg: 'HS256' });
      await expectJwtError(rs.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
    }
  });
});

describe('fast-jwt', () => {
  const prefixes = [
    ['no prefix', ''],
    ['a newline', '\n'],
    ['spaces', '   '],
    ['a tab', '\t'],
    ['CRLF', '\r\n'],
    ['a zero-width space', '\u200b'],
    ['a BOM', '\ufeff'],
    ['a NUL', '\u0000'],
    ['a comment line', '# production key\n'],
    ['an HTTP response head', 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n'],
  ];

  it('CVE-2023-48223: a PKCS#1 "BEGIN RSA PUBLIC KEY" PEM is never an HMAC secret', async () => {
    // fast-jwt < 3.3.2 recognised public keys with a regex matching only "BEGIN PUBLIC KEY", so a
    // PKCS#1 "BEGIN RSA PUBLIC KEY" was treated as an HMAC secret and HS256 forgeries verified.
    expect(rsaPkcs1).toContain('-----BEGIN RSA PUBLIC KEY-----');
    expect(() => createJwtManager({ secretKey: rsaPkcs1 })).toThrow(JwtConfigError);
    const manager = confusedLoaderManager(rsaPkcs1);
    const token = forge({ header: { alg: 'HS256' }, payload: claimsFor('admin'), key: rsaPkcs1 });
    await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    // control: the same loader key verifies genuine RS256 tokens
    const genuine = forge({ header: { alg: 'RS256' }, payload: claimsFor('alice'), key: rsa.privateKey });
    expect((await manager.decodeToken(genuine)).sub).toBe('alice');
  });

  it('CVE-2026-34950 and GHSA-ww5h-9m49-7xx4 (later key-sniffing fixes): any prefix before the PEM header is still key material', async () => {
    // fast-jwt ≤ 6.1.0 anchored its PEM matcher at position 0, so a public key with leading
    // whitespace fell through to the HMAC path (CVE-2026-34950); the first fix only trimmed
    // whitespace, so any non-whitespace prefix (zero-width space, comment, control char) still did
    // (GHSA-ww5h-9m49-7xx4). Here the header is found anywhere in the text.
    for (const [what, prefix] of prefixes) {
      for (const pem of [
        rsaPem,
        rsaPkcs1,
        '-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n',
      ]) {
        const text = `${prefix}${pem}`;
        expect(() => createJwtManager({ secretKey: text }), what).toThrow(JwtConfigError);
        expect(() => createJwtManager({ secretKey: Buffer.from(text) }), what).toThrow(JwtConfigError);
      }
      const manager = confusedLoaderManager(`${prefix}${rsaPem}`);
      const token = forge({
        header: { alg: 'HS256' },
        payload: claimsFor('admin'),
        key: `${prefix}${rsaPem}`,
      });
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    }
  });

  it('CVE-2026-35042 (fast-jwt ignored unknown "crit" extensions): crit is refused', async () => {
    // fast-jwt ≤ 6.1.0 accepted tokens whose `crit` header listed extensions it did not understand,
    // against the MUST of RFC 7515 §4.1.11.
    const secret = newSecret(32, 'crit secret');
    const manager = createJwtManager({ secretKey: secret });
    const token = forge({
      header: { alg: 'HS256', crit: ['x-must-understand'], 'x-must-understand': true },
      payload: claimsFor('alice'),
      key: secret,
    });
    await expectJwtError(
      manager.decodeToken(token),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Unsupported critical header parameter',
    );
  });
});

describe('jose', () => {
  it('CVE-2022-36083: no JWE and no PBES2 — a huge p2c costs nothing', async () => {
    // jose < 4.9.2 let a JWE's PBES2 "p2c" (PBKDF2 iteration count) be arbitrarily large, so one
    // token could burn minutes of CPU. This library never decrypts: a JWE (5 segments) is refused
    // by the format gate, and a PBES2 alg is refused before any key is looked up.
    let loaderCalls = 0;
    const secret = newSecret(32, 'pbes2 secret');
    const manager = createJwtManager({
      secretKey: secret,
      decodeKeyLoader: () => {
        loaderCalls++;
        return secret;
      },
    });
    const header = b64url(
      JSON.stringify({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2 ** 31, p2s: 'AAAAAAAAAAA' }),
    );
    await expectJwtError(
      manager.decodeToken(`${header}.${b64url('k')}.${b64url('iv')}.${b64url('ct')}.${b64url('tag')}`),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Too many segments',
    );
    const jwsShaped = forge({
      header: { alg: 'PBES2-HS256+A128KW', p2c: 2 ** 31 },
      payload: claimsFor('admin'),
      key: secret,
      signAlg: 'HS256',
    });
    await expectJwtError(manager.decodeToken(jwsShaped), JWTDecodeError, 'INVALID_TOKEN', NOT_ALLOWED);
    expect(loaderCalls).toBe(0);
    expect(ALGORITHMS.some((a) => a.startsWith('PBES2'))).toBe(false);
    expect(() => createJwtManager({ secretKey: secret, algorithm: 'PBES2-HS256+A128KW' as never })).toThrow(
      JwtConfigError,
    );
  });

  it('CVE-2024-28176: no decompression — a "zip": "DEF" payload is never inflated', async () => {
    // jose < 4.15.5 inflated JWE plaintext with "zip": "DEF" without a size limit, so a small
    // token could expand into gigabytes. This library has no JWE and never inflates a payload: a
    // validly signed token whose payload is a deflate bomb is just invalid JSON.
    const secret = newSecret(32, 'zip secret');
    const manager = createJwtManager({ secretKey: secret });
    const bomb = deflateRawSync(Buffer.alloc(2_000_000, ' '));
    expect(bomb.length).toBeLessThan(4000);
    const token = forge({ header: { alg: 'HS256', zip: 'DEF' }, payload: bomb, key: secret });
    expect(token.length).toBeLessThanOrEqual(8192);
    await expectJwtError(
      manager.decodeToken(token),
      JWTDecodeError,
      'INVALID_TOKEN',
      /^Invalid payload string: (not valid UTF-8 JSON|must be a json object)$/,
    );
    const jwe = `${b64url(JSON.stringify({ alg: 'dir', enc: 'A128GCM', zip: 'DEF' }))}..${b64url('iv')}.${b64url(bomb.subarray(0, 64))}.${b64url('tag')}`;
    await expectJwtError(manager.decodeToken(jwe), JWTDecodeError, 'INVALID_TOKEN', 'Too many segments');
  });
});

describe('PyJWT', () => {
  it('CVE-2022-29217: every algorithm allowed + an OpenSSH Ed25519 public key is never an HMAC secret', async () => {
    // PyJWT < 2.4.0: with algorithms=jwt.algorithms.get_default_algorithms() and an Ed25519 public
    // key in OpenSSH format ("ssh-ed25519 AAAA..."), HMAC's prepare_key did not recognise it as
    // key material, so an HS256 token signed with that text verified.
    const ssh = openSshEd25519();
    expect(() => createJwtManager({ secretKey: ssh })).toThrow(JwtConfigError);
    // allowing every algorithm with one static key is itself a configuration error
    expect(() =>
      createJwtManager({
        algorithm: 'EdDSA',
        publicKey: keyPair('ed25519', 'advisory ed25519').publicKey,
        decodeAlgorithms: [...ALGORITHMS],
      }),
    ).toThrow(JwtConfigError);
    // with a loader that returns the OpenSSH text for any token, the forgery still fails
    const manager = createJwtManager({
      algorithm: 'EdDSA',
      decodeAlgorithms: [...ALGORITHMS],
      encodeKeyLoader: () => keyPair('ed25519', 'advisory ed25519').privateKey,
      decodeKeyLoader: () => ssh,
    });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const token = forge({ header: { alg }, payload: claimsFor('admin'), key: ssh });
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    }
  });

  it('CVE-2024-53861: the issuer is compared exactly, never as a substring or superstring', async () => {
    // PyJWT 2.10.0 checked `payload["iss"] not in issuer` where issuer could be a str, so any
    // substring of the expected issuer (e.g. "b", "ab", "" for "abc") passed.
    const secret = newSecret(32, 'iss secret');
    for (const decodeIssuer of ['abc', ['abc', 'def']] as const) {
      const manager = createJwtManager({ secretKey: secret, decodeIssuer: decodeIssuer as never });
      for (const iss of [
        'acb',
        'a',
        'b',
        'c',
        'ab',
        'bc',
        '',
        '_abc_',
        'abcd',
        'xabc',
        'ABC',
        'abcdef',
        ['abc'],
      ]) {
        const token = forge({
          header: { alg: 'HS256' },
          payload: claimsFor('alice', undefined, { iss }),
          key: secret,
        });
        await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', 'Invalid issuer');
      }
      const good = forge({
        header: { alg: 'HS256' },
        payload: claimsFor('alice', undefined, { iss: 'abc' }),
        key: secret,
      });
      expect((await manager.decodeToken(good)).iss).toBe('abc');
    }
  });
});

/** A DSA key pair (a legacy key type no JWS algorithm here may use). */
function generateKeyPairSyncDsa() {
  return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
}

auditHygiene();
