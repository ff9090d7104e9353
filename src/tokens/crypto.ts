import { decodeBase64url, encodeBase64url } from '../internal/base64url.js';
import { timingSafeEqualStrings } from '../internal/compare.js';
import { nodeCrypto } from '../internal/node-crypto.js';
import { type Algorithm, specOf } from './algorithms.js';
import { keyMismatch, type PreparedKey, webKey } from './keys.js';

const encoder = new TextEncoder();

function webParams(alg: Algorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  const { family, webHash, saltBytes = 0 } = specOf(alg);
  switch (family) {
    case 'HS':
      return { name: 'HMAC' };
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'PS':
      return { name: 'RSA-PSS', saltLength: saltBytes };
    case 'ES':
      return { name: 'ECDSA', hash: webHash };
    case 'EdDSA':
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
    const { family, hash } = specOf(alg);
    if (family === 'HS') return nodeCrypto.createHmac(hash, node).update(input).digest('base64url');
    const data = Buffer.from(input, 'latin1');
    let signature: Buffer;
    if (family === 'EdDSA') signature = nodeCrypto.sign(null, data, node);
    else if (family === 'RS') signature = nodeCrypto.sign(hash, data, node);
    else if (family === 'PS') {
      signature = nodeCrypto.sign(hash, data, {
        key: node,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: nodeCrypto.constants.RSA_PSS_SALTLEN_DIGEST,
      });
    } else signature = nodeCrypto.sign(hash, data, { key: node, dsaEncoding: 'ieee-p1363' });
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
    const { family, hash, signatureBytes } = specOf(alg);
    try {
      if (family === 'HS') {
        // The MAC as base64url text, compared in constant time with the (canonical) segment: no
        // Buffer digest and no decoding of the signature (bench/README.md).
        const mac = nodeCrypto.createHmac(hash, node).update(input).digest('base64url');
        return timingSafeEqualStrings(mac, signatureSegment);
      }
      const signature = decodeBase64url(signatureSegment);
      const data = Buffer.from(input, 'latin1');
      if (family === 'EdDSA') return nodeCrypto.verify(null, data, node, signature);
      if (family === 'RS') return nodeCrypto.verify(hash, data, node, signature);
      if (family === 'PS') {
        return nodeCrypto.verify(
          hash,
          data,
          {
            key: node,
            padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
            saltLength: nodeCrypto.constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
      }
      if (signature.length !== signatureBytes) return false;
      return nodeCrypto.verify(hash, data, { key: node, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  }
  const signature = decodeBase64url(signatureSegment);
  const { family, signatureBytes } = specOf(alg);
  if (family === 'ES' && signature.length !== signatureBytes) {
    return false;
  }
  return webKey(key, alg)
    .then((k) =>
      crypto.subtle.verify(webParams(alg), k, signature as Uint8Array<ArrayBuffer>, encoder.encode(input)),
    )
    .catch(() => false);
}
