/**
 * `jwt.config` shows the resolved options, never key material (issue 16 item 6): neither
 * JSON.stringify nor util.inspect of it reveals a secret (as text, base64, base64url, hex or bytes),
 * a private key (PEM or its DER body) or a private JWK's `d`.
 */
import { Buffer } from 'node:buffer';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createJwtManager, type JwtManagerOptions } from '../../src/index.js';
import { SECRET_HS256, SECRET_HS512, testKeys } from '../helpers/keys.js';

/** Every spelling of `secret` a dump could contain. */
function spellings(secret: string | Uint8Array): string[] {
  const bytes = Buffer.from(secret);
  const forms = [
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    // The bytes as util.inspect lists them (compared without whitespace), and as JSON.stringify does.
    [...bytes.subarray(0, 12)].join(','),
    [...bytes.subarray(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    [...bytes.subarray(0, 6)].map((b, i) => `"${i}":${b}`).join(','),
  ];
  if (typeof secret === 'string') forms.push(secret);
  return forms;
}

/** The DER body of a PEM (a 48-character stretch from its middle, as it would appear in a dump). */
function pemBody(pem: string): string {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, '');
  return body.slice(100, 148);
}

function dumps(options: JwtManagerOptions): string[] {
  const { config } = createJwtManager(options);
  return [
    JSON.stringify(config, (_key, value: unknown) => (value instanceof Map ? [...value] : value)),
    inspect(config, { depth: 10 }),
    inspect(config, { depth: 10, showHidden: true }),
  ];
}

function expectNoneIn(texts: string[], secrets: string[]): void {
  for (const text of texts) {
    expect(text).not.toMatch(/PRIVATE KEY/);
    const compact = text.replace(/\s/g, '');
    for (const secret of secrets) {
      const found = text.includes(secret) || compact.includes(secret.replace(/\s/g, ''));
      expect(found, `a dump contains ${secret.slice(0, 6)}…`).toBe(false);
    }
  }
}

describe('jwt.config holds no key material', () => {
  const rsa = testKeys('rsa');
  const ed = testKeys('ed25519');

  it('an HMAC secret given as a string', () => {
    expectNoneIn(dumps({ secretKey: SECRET_HS256 }), spellings(SECRET_HS256));
  });

  it('an HMAC secret given as bytes', () => {
    const secret = new Uint8Array(64).map((_, i) => (i * 37 + 11) % 256);
    expectNoneIn(dumps({ algorithm: 'HS512', secretKey: secret }), spellings(secret));
  });

  it('a PEM private key, and a private JWK', () => {
    const rsaSecrets = [pemBody(rsa.privatePem), rsa.privateJwk.d!, ...spellings(rsa.privateJwk.d!)];
    expectNoneIn(dumps({ algorithm: 'RS256', privateKey: rsa.privatePem }), rsaSecrets);
    expectNoneIn(dumps({ algorithm: 'EdDSA', privateKey: ed.privateJwk }), [ed.privateJwk.d!]);
  });

  it('rotating keys (option keys)', () => {
    const texts = dumps({
      keys: [
        { kid: 'k2', algorithm: 'RS256', privateKey: rsa.privatePem },
        { kid: 'k1', algorithm: 'HS512', secret: SECRET_HS512 },
      ],
    });
    expectNoneIn(texts, [pemBody(rsa.privatePem), ...spellings(SECRET_HS512)]);
  });

  it('still describes the keys and the options (the check is not vacuous)', () => {
    const config = createJwtManager({
      keys: [
        { kid: 'k2', algorithm: 'RS256', privateKey: rsa.privatePem },
        { kid: 'k1', algorithm: 'HS512', secret: SECRET_HS512 },
      ],
    }).config;
    expect(config.algorithm).toBe('RS256');
    expect(config.keyring?.current.kid).toBe('k2');
    expect(config.keyring?.byKid.size).toBe(2);
    expect(config.signingKey).toEqual({ kind: 'private' });
    expect(config.keyring?.byKid.get('k1')).toEqual({
      kid: 'k1',
      algorithm: 'HS512',
      signingKey: { kind: 'secret' },
      verifyKey: { kind: 'secret' },
    });
    const hs = createJwtManager({ secretKey: SECRET_HS256 }).config;
    expect(hs.signingKey).toEqual({ kind: 'secret' });
    expect(hs.verifyKey).toEqual({ kind: 'secret' });
    expect(Object.isFrozen(hs)).toBe(true);
    expect(inspect(hs, { depth: 10 })).toContain("headerName: 'Authorization'");
  });
});
