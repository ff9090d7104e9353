/**
 * Test keys and a token crafter. Keys are generated with node:crypto on first use and cached for the
 * rest of the process (vitest runs each test file in its own module graph, so at most once per file).
 */
import {
  createHmac,
  createPrivateKey,
  type KeyObject,
  generateKeyPairSync,
  sign as nodeSign,
  constants,
} from 'node:crypto';
import type { Algorithm } from '../../src/index.js';

/** HMAC secrets of exactly the minimum size for each hash (RFC 7518 §3.2). */
export const SECRET_HS256 = 'test-secret-0123456789abcdefghij'; // 32 bytes
export const SECRET_HS384 = 'test-secret-384-0123456789abcdefghijklmnopqrstuv'; // 48 bytes
export const SECRET_HS512 = 'test-secret-512-0123456789abcdefghijklmnopqrstuvwxyz0123456789ab'; // 64 bytes

/** One key pair in every form the library accepts. */
export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privatePem: string;
  readonly publicPem: string;
  readonly privateJwk: JsonWebKey;
  readonly publicJwk: JsonWebKey;
}

export type KeyKind = 'rsa' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'ed25519';

function generate(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (kind) {
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'rsa1024':
      return generateKeyPairSync('rsa', { modulusLength: 1024 });
    case 'p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'p521':
      return generateKeyPairSync('ec', { namedCurve: 'P-521' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
  }
}

const pairs = new Map<KeyKind, TestKeyPair>();

/** The key pair of a kind, generated once. */
export function testKeys(kind: KeyKind): TestKeyPair {
  let pair = pairs.get(kind);
  if (!pair) {
    const { privateKey, publicKey } = generate(kind);
    pair = Object.freeze({
      privateKey,
      publicKey,
      privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
      privateJwk: privateKey.export({ format: 'jwk' }) as JsonWebKey,
      publicJwk: publicKey.export({ format: 'jwk' }) as JsonWebKey,
    });
    pairs.set(kind, pair);
  }
  return pair;
}

const KIND_OF_ALG: Record<Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>, KeyKind> = {
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'p256',
  ES384: 'p384',
  ES512: 'p521',
  EdDSA: 'ed25519',
};

/** The key pair that fits an asymmetric algorithm. */
export function keysFor(alg: Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>): TestKeyPair {
  return testKeys(KIND_OF_ALG[alg]);
}

/** The minimum-size secret of an HMAC algorithm. */
export function secretFor(alg: 'HS256' | 'HS384' | 'HS512'): string {
  return { HS256: SECRET_HS256, HS384: SECRET_HS384, HS512: SECRET_HS512 }[alg];
}

function webAlgorithm(
  alg: Algorithm,
): RsaHashedImportParams | EcKeyImportParams | Algorithm | { name: string } {
  const hash = `SHA-${alg.slice(2)}`;
  switch (alg.slice(0, 2)) {
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5', hash };
    case 'PS':
      return { name: 'RSA-PSS', hash };
    case 'ES':
      return {
        name: 'ECDSA',
        namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'],
      };
    default:
      return { name: 'Ed25519' };
  }
}

const cryptoKeys = new Map<string, Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }>>();

/** WebCrypto keys for an asymmetric algorithm (a CryptoKey is bound to its algorithm), imported once. */
export function cryptoKeysFor(
  alg: Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>,
  extractable = true,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const cacheKey = `${alg}:${extractable}`;
  let found = cryptoKeys.get(cacheKey);
  if (!found) {
    const pair = keysFor(alg);
    const params = webAlgorithm(alg) as RsaHashedImportParams;
    found = (async () => ({
      privateKey: await crypto.subtle.importKey(
        'pkcs8',
        pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
        params,
        extractable,
        ['sign'],
      ),
      publicKey: await crypto.subtle.importKey(
        'spki',
        pair.publicKey.export({ format: 'der', type: 'spki' }),
        params,
        true,
        ['verify'],
      ),
    }))();
    cryptoKeys.set(cacheKey, found);
  }
  return found;
}

/** Unpadded base64url of bytes or of a string's UTF-8. */
export function b64url(input: string | Uint8Array): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url');
}

/** A segment's source: an object (JSON-encoded), raw JSON text (encoded as is), or raw bytes. */
export type SegmentSource = string | Uint8Array | Record<string, unknown> | unknown[];

function segment(source: SegmentSource): string {
  if (typeof source === 'string' || source instanceof Uint8Array) return b64url(source);
  return b64url(JSON.stringify(source));
}

const HASH = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;

/** Signs `input` (the JWS signing input) with `alg`, exactly as given. */
export function signInput(
  input: string,
  key: string | Uint8Array | KeyObject,
  alg: Algorithm | (string & {}),
): Uint8Array {
  const family = alg === 'EdDSA' ? 'EdDSA' : alg.slice(0, 2);
  const hash = HASH[alg.slice(2) as '256'];
  const data = Buffer.from(input, 'latin1');
  if (family === 'HS') {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) throw new TypeError('HS needs a secret');
    return createHmac(hash, key).update(input).digest();
  }
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : (key as KeyObject);
  if (family === 'EdDSA') return nodeSign(null, data, privateKey);
  if (family === 'RS') return nodeSign(hash, data, privateKey);
  if (family === 'PS') {
    return nodeSign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  if (family === 'ES') return nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  throw new TypeError(`cannot sign with alg ${alg}`);
}

/**
 * A token whose header and payload are EXACTLY the bytes chosen: raw JSON text is encoded as is (so
 * floats, strings, duplicate keys and invalid JSON survive), objects are JSON.stringify'd. The
 * signature is computed over them with `alg` (default: the header object's `alg`).
 */
export function craftToken(
  header: SegmentSource,
  payload: SegmentSource,
  key: string | Uint8Array | KeyObject,
  alg?: Algorithm | (string & {}),
): string {
  const algorithm =
    alg ??
    (typeof header === 'object' && !Array.isArray(header) && !(header instanceof Uint8Array)
      ? String((header as Record<string, unknown>).alg)
      : undefined);
  if (algorithm === undefined) throw new TypeError('craftToken: give alg when the header is raw');
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${b64url(signInput(input, key, algorithm))}`;
}

/** Splits a token and decodes its header and payload (for assertions on created tokens). */
export function parts(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  headerJson: string;
  payloadJson: string;
} {
  const [h, p] = token.split('.');
  const headerJson = Buffer.from(h!, 'base64url').toString('utf8');
  const payloadJson = Buffer.from(p!, 'base64url').toString('utf8');
  return { header: JSON.parse(headerJson), payload: JSON.parse(payloadJson), headerJson, payloadJson };
}
