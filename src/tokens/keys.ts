import type { KeyObject } from 'node:crypto';
import { exportJWK, importJWK, importPKCS8, importSPKI } from 'jose';
import { JwtConfigError } from '../errors.js';
import { backend, nodeCrypto } from '../internal/node-crypto.js';
import type { KeyInput } from '../types.js';
import { type Algorithm, familyOf, specOf } from './algorithms.js';

export { familyOf } from './algorithms.js';

/**
 * A key ready for use: a node:crypto KeyObject where the runtime has node:crypto, else the
 * original input, imported into WebCrypto on first use per algorithm (cached).
 */
export interface PreparedKey {
  readonly kind: 'secret' | 'private' | 'public';
  readonly node: KeyObject | undefined;
  readonly input: KeyInput;
  /** WebCrypto keys by algorithm, imported once. */
  readonly web: Map<Algorithm, Promise<CryptoKey>>;
}

const PEM_RE = /-----BEGIN [A-Z0-9 ]+-----/;
const SSH_RE = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-(ssh|ecdsa)[\w.@-]*)\s/;

function looksLikeKeyMaterial(text: string): boolean {
  const t = text.trim();
  if (PEM_RE.test(t) || SSH_RE.test(t)) return true;
  if (t.startsWith('{')) {
    try {
      const parsed = JSON.parse(t) as unknown;
      return typeof parsed === 'object' && parsed !== null && ('kty' in parsed || 'keys' in parsed);
    } catch {
      return false;
    }
  }
  return false;
}

function isKeyObject(key: unknown): key is KeyObject {
  return nodeCrypto !== undefined && key instanceof nodeCrypto.KeyObject;
}

function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof CryptoKey !== 'undefined' && key instanceof CryptoKey;
}

function isJwk(key: unknown): key is JsonWebKey {
  return typeof key === 'object' && key !== null && typeof (key as JsonWebKey).kty === 'string';
}

/**
 * Validates and prepares an HMAC secret for `alg`; throws JwtConfigError naming `option`.
 * Rejects secrets shorter than the hash, and key material (PEM, OpenSSH, JWK) given as a secret.
 */
export function prepareSecret(option: string, secret: unknown, algs: readonly Algorithm[]): PreparedKey {
  let bytes: Uint8Array;
  if (typeof secret === 'string') {
    if (looksLikeKeyMaterial(secret)) {
      throw new JwtConfigError(
        option,
        'looks like a public or private key (PEM, OpenSSH or JWK), not an HMAC secret: use privateKey/publicKey with an asymmetric algorithm',
      );
    }
    bytes = new TextEncoder().encode(secret);
  } else if (secret instanceof Uint8Array) {
    bytes = secret;
    if (looksLikeKeyMaterial(new TextDecoder().decode(secret))) {
      throw new JwtConfigError(option, 'looks like a public or private key, not an HMAC secret');
    }
  } else {
    throw new JwtConfigError(option, 'must be a string or a Uint8Array for HMAC algorithms');
  }
  for (const alg of algs) {
    const min = specOf(alg).minSecretBytes;
    if (min !== undefined && bytes.length < min) {
      throw new JwtConfigError(
        option,
        `is ${bytes.length} bytes; ${alg} needs at least ${min} bytes (RFC 7518 §3.2). Generate one with: node -e "console.log(require('crypto').randomBytes(${min}).toString('base64url'))"`,
      );
    }
  }
  return {
    kind: 'secret',
    node: backend.useNode && nodeCrypto ? nodeCrypto.createSecretKey(bytes) : undefined,
    input: bytes,
    web: new Map(),
  };
}

/** Checks that a node KeyObject fits `alg`; returns a reason when it does not. */
export function keyMismatch(key: KeyObject, alg: Algorithm): string | undefined {
  const { family, minModulusBits = 0, curve } = specOf(alg);
  if (family === 'HS') return key.type === 'secret' ? undefined : `${alg} needs a secret key`;
  if (key.type === 'secret') return `${alg} needs an asymmetric key, not a secret`;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (family) {
    case 'RS':
    case 'PS':
      if (type !== 'rsa' && !(family === 'PS' && type === 'rsa-pss'))
        return `${alg} needs an RSA key, got ${type}`;
      if ((details?.modulusLength ?? 0) < minModulusBits) {
        return `${alg} needs an RSA key of at least ${minModulusBits} bits`;
      }
      return undefined;
    case 'ES':
      if (type !== 'ec' || details?.namedCurve !== curve) return `${alg} needs an EC key on curve ${curve}`;
      return undefined;
    default:
      return type === 'ed25519' || type === 'ed448' ? undefined : `${alg} needs an Ed25519 or Ed448 key`;
  }
}

/**
 * Validates and prepares an asymmetric key. `want` is 'private' (signing) or 'public' (verifying; a
 * private key given here is reduced to its public half). Throws JwtConfigError naming `option`.
 */
export function prepareAsymmetric(
  option: string,
  input: unknown,
  want: 'private' | 'public',
  algs: readonly Algorithm[],
): PreparedKey {
  if (input === undefined || input === null || input === '') {
    throw new JwtConfigError(option, `is required for ${algs.join(', ')}`);
  }
  if (!(typeof input === 'string' || isKeyObject(input) || isCryptoKey(input) || isJwk(input))) {
    throw new JwtConfigError(option, 'must be a PEM string, a JWK, a KeyObject or a CryptoKey');
  }
  if (typeof input === 'string' && !PEM_RE.test(input)) {
    throw new JwtConfigError(option, 'must be PEM text (-----BEGIN ...-----) when given as a string');
  }
  if (!backend.useNode || !nodeCrypto) {
    if (want === 'public' && isCryptoKey(input) && input.type === 'private' && !input.extractable) {
      throw new JwtConfigError(
        option,
        'is a non-extractable private CryptoKey: its public half cannot be derived to verify tokens (give publicKey too)',
      );
    }
    return { kind: want, node: undefined, input: input as KeyInput, web: new Map() };
  }
  let key: KeyObject;
  try {
    if (isKeyObject(input)) key = input;
    else if (isCryptoKey(input)) key = nodeCrypto.KeyObject.from(input);
    else if (typeof input === 'string') {
      key = want === 'private' ? nodeCrypto.createPrivateKey(input) : nodeCrypto.createPublicKey(input);
    } else if (want === 'private' || input.d === undefined) {
      key =
        want === 'private'
          ? nodeCrypto.createPrivateKey({ key: input as never, format: 'jwk' })
          : nodeCrypto.createPublicKey({ key: input as never, format: 'jwk' });
    } else {
      key = nodeCrypto.createPublicKey({ key: input as never, format: 'jwk' });
    }
  } catch {
    throw new JwtConfigError(option, 'could not be parsed as a key');
  }
  if (want === 'public' && key.type === 'private') key = nodeCrypto.createPublicKey(key);
  if (want === 'private' && key.type !== 'private') {
    throw new JwtConfigError(option, `must be a private key, got a ${key.type} key`);
  }
  if (want === 'public' && key.type !== 'public') {
    throw new JwtConfigError(option, `must be a public key, got a ${key.type} key`);
  }
  for (const alg of algs) {
    const reason = keyMismatch(key, alg);
    if (reason) throw new JwtConfigError(option, `does not fit the algorithm: ${reason}`);
  }
  return { kind: want, node: key, input: input as KeyInput, web: new Map() };
}

const runtimeKeys = new WeakMap<object, Map<string, PreparedKey>>();
const runtimeSecrets = new Map<string, PreparedKey>();

/**
 * Prepares a key returned by encodeKeyLoader/decodeKeyLoader, cached by identity (and by algorithm
 * and use, so a key checked for one algorithm is checked again for another: a 32-byte secret fits
 * HS256, not HS512) so a loader that returns the same key object or string does not pay for an
 * import on every request. Throws a plain Error (the caller maps it) when the key does not fit.
 */
export function prepareRuntimeKey(input: KeyInput, alg: Algorithm, want: 'private' | 'public'): PreparedKey {
  const slot = `${want}:${alg}`;
  const perObject = typeof input === 'object' && input !== null ? runtimeKeys.get(input) : undefined;
  const cached = typeof input === 'string' ? runtimeSecrets.get(`${slot}:${input}`) : perObject?.get(slot);
  if (cached) return cached;
  const option = want === 'private' ? 'encodeKeyLoader' : 'decodeKeyLoader';
  const prepared =
    familyOf(alg) === 'HS'
      ? prepareSecret(option, input, [alg])
      : prepareAsymmetric(option, input, want, [alg]);
  if (typeof input === 'string') {
    if (runtimeSecrets.size >= 256) runtimeSecrets.clear();
    runtimeSecrets.set(`${slot}:${input}`, prepared);
  } else if (perObject) perObject.set(slot, prepared);
  else runtimeKeys.set(input as object, new Map([[slot, prepared]]));
  return prepared;
}

/** The WebCrypto key for `alg` (fallback path), imported once per key and algorithm. */
export function webKey(key: PreparedKey, alg: Algorithm): Promise<CryptoKey> {
  let found = key.web.get(alg);
  if (!found) {
    found = importWebKey(key, alg);
    key.web.set(alg, found);
  }
  return found;
}

async function importWebKey(key: PreparedKey, alg: Algorithm): Promise<CryptoKey> {
  const input = key.input;
  if (key.kind === 'secret') {
    return crypto.subtle.importKey(
      'raw',
      input as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: specOf(alg).webHash },
      false,
      ['sign', 'verify'],
    );
  }
  if (key.kind === 'public') return importWebPublicKey(input, alg);
  if (isCryptoKey(input)) return input;
  if (typeof input === 'string') return importPKCS8(input, alg);
  return (await importJWK(input as never, alg)) as CryptoKey;
}

const PRIVATE_PEM_RE = /-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----/;

/** The public members of a JWK (drops d, p, q, …, and key_ops/ext that would forbid `verify`). */
function publicJwk({ kty, crv, n, e, x, y }: JsonWebKey): JsonWebKey {
  return Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined));
}

/**
 * A verification key. Verifying with only `privateKey` configured gives private material here
 * (WebCrypto cannot verify with a private key), so its public half is derived through a JWK.
 */
async function importWebPublicKey(input: KeyInput, alg: Algorithm): Promise<CryptoKey> {
  let jwk: JsonWebKey;
  if (isCryptoKey(input)) {
    if (input.type !== 'private') return input;
    jwk = (await exportJWK(input)) as JsonWebKey; // rejects for a non-extractable key: verify → false
  } else if (typeof input === 'string') {
    if (!PRIVATE_PEM_RE.test(input)) return importSPKI(input, alg);
    jwk = (await exportJWK(await importPKCS8(input, alg, { extractable: true }))) as JsonWebKey;
  } else {
    jwk = input as JsonWebKey;
  }
  return (await importJWK(publicJwk(jwk) as never, alg)) as CryptoKey;
}
