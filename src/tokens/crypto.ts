import { decodeBase64url, encodeBase64url } from '../internal/base64url.js';
import { timingSafeEqualStrings } from '../internal/compare.js';
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

/**
 * Signs the JWS signing input (`header.payload`) with `alg` and returns the signature as unpadded
 * base64url (the token's third segment); sync on node:crypto. HMAC asks node:crypto for the text
 * directly: a Buffer digest allocates an ArrayBuffer that costs more than the encoding (bench/README.md).
 */
export function sign(alg: Algorithm, key: PreparedKey, input: string): string | Promise<string> {
  const node = key.node;
  if (node && nodeCrypto) {
    const family = familyOf(alg);
    if (family === 'HS') return nodeCrypto.createHmac(hashOf(alg), node).update(input).digest('base64url');
    const data = Buffer.from(input, 'latin1');
    let signature: Buffer;
    if (family === 'EdDSA') signature = nodeCrypto.sign(null, data, node);
    else if (family === 'RS') signature = nodeCrypto.sign(hashOf(alg), data, node);
    else if (family === 'PS') {
      signature = nodeCrypto.sign(hashOf(alg), data, {
        key: node,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: nodeCrypto.constants.RSA_PSS_SALTLEN_DIGEST,
      });
    } else signature = nodeCrypto.sign(hashOf(alg), data, { key: node, dsaEncoding: 'ieee-p1363' });
    return signature.toString('base64url');
  }
  return webKey(key, alg).then(async (k) =>
    encodeBase64url(new Uint8Array(await crypto.subtle.sign(webParams(alg), k, encoder.encode(input)))),
  );
}

/**
 * Verifies a JWS signature given as its base64url segment (already checked canonical, so text and
 * bytes correspond one to one). Never throws for a bad signature or a key that does not fit the
 * algorithm: both are simply `false` (an invalid token, not a server error).
 */
export function verify(
  alg: Algorithm,
  key: PreparedKey,
  input: string,
  signatureSegment: string,
): boolean | Promise<boolean> {
  const node = key.node;
  if (node && nodeCrypto) {
    if (keyMismatch(node, alg) !== undefined) return false;
    const family = familyOf(alg);
    try {
      if (family === 'HS') {
        // The MAC as base64url text, compared in constant time with the (canonical) segment: no
        // Buffer digest and no decoding of the signature (bench/README.md).
        const mac = nodeCrypto.createHmac(hashOf(alg), node).update(input).digest('base64url');
        return timingSafeEqualStrings(mac, signatureSegment);
      }
      const signature = decodeBase64url(signatureSegment);
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
  const signature = decodeBase64url(signatureSegment);
  if (familyOf(alg) === 'ES' && signature.length !== EC_SIG_BYTES[alg as keyof typeof EC_SIG_BYTES]) {
    return false;
  }
  return webKey(key, alg)
    .then((k) =>
      crypto.subtle.verify(webParams(alg), k, signature as Uint8Array<ArrayBuffer>, encoder.encode(input)),
    )
    .catch(() => false);
}
