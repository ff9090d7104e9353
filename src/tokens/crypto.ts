import { nodeCrypto } from '../internal/node-crypto.js';
import type { Algorithm } from '../types.js';
import { familyOf, hashOf, keyMismatch, type PreparedKey, webKey } from './keys.js';

const EC_SIG_BYTES = { ES256: 64, ES384: 96, ES512: 132 } as const;
const encoder = new TextEncoder();

function webParams(alg: Algorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (familyOf(alg)) {
    case 'HS':
      return { name: 'HMAC' };
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'PS':
      return { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 };
    case 'ES':
      return { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` };
    default:
      return { name: 'Ed25519' };
  }
}

/** Signs the JWS signing input (`header.payload`) with `alg`; sync on node:crypto. */
export function sign(alg: Algorithm, key: PreparedKey, input: string): Uint8Array | Promise<Uint8Array> {
  const node = key.node;
  if (node && nodeCrypto) {
    const family = familyOf(alg);
    if (family === 'HS') return nodeCrypto.createHmac(hashOf(alg), node).update(input).digest();
    const data = Buffer.from(input, 'latin1');
    if (family === 'EdDSA') return nodeCrypto.sign(null, data, node);
    if (family === 'RS') return nodeCrypto.sign(hashOf(alg), data, node);
    if (family === 'PS') {
      return nodeCrypto.sign(hashOf(alg), data, {
        key: node,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: nodeCrypto.constants.RSA_PSS_SALTLEN_DIGEST,
      });
    }
    return nodeCrypto.sign(hashOf(alg), data, { key: node, dsaEncoding: 'ieee-p1363' });
  }
  return webKey(key, alg).then(
    async (k) => new Uint8Array(await crypto.subtle.sign(webParams(alg), k, encoder.encode(input))),
  );
}

/**
 * Verifies a JWS signature. Never throws for a bad signature or a key that does not fit the
 * algorithm: both are simply `false` (an invalid token, not a server error).
 */
export function verify(
  alg: Algorithm,
  key: PreparedKey,
  input: string,
  signature: Uint8Array,
): boolean | Promise<boolean> {
  const node = key.node;
  if (node && nodeCrypto) {
    if (keyMismatch(node, alg) !== undefined) return false;
    const family = familyOf(alg);
    try {
      if (family === 'HS') {
        const mac = nodeCrypto.createHmac(hashOf(alg), node).update(input).digest();
        return mac.length === signature.length && nodeCrypto.timingSafeEqual(mac, signature);
      }
      const data = Buffer.from(input, 'latin1');
      if (family === 'EdDSA') return nodeCrypto.verify(null, data, node, signature);
      if (family === 'RS') return nodeCrypto.verify(hashOf(alg), data, node, signature);
      if (family === 'PS') {
        return nodeCrypto.verify(
          hashOf(alg),
          data,
          {
            key: node,
            padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
            saltLength: nodeCrypto.constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
      }
      if (signature.length !== EC_SIG_BYTES[alg as keyof typeof EC_SIG_BYTES]) return false;
      return nodeCrypto.verify(hashOf(alg), data, { key: node, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  }
  if (familyOf(alg) === 'ES' && signature.length !== EC_SIG_BYTES[alg as keyof typeof EC_SIG_BYTES]) {
    return false;
  }
  return webKey(key, alg)
    .then((k) =>
      crypto.subtle.verify(webParams(alg), k, signature as Uint8Array<ArrayBuffer>, encoder.encode(input)),
    )
    .catch(() => false);
}
