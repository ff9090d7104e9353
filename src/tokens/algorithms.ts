/**
 * Everything the implementation needs to know about one algorithm, in one row: its family, hash,
 * key type, curve, minimum secret size and signature size. `Algorithm` and `ALGORITHMS` are derived
 * from the table, so adding an algorithm is one row (and the compiler points at every switch over
 * families that needs a case). A leaf module: it imports nothing.
 */

/** The five families of JWS algorithms the package supports. */
export type AlgorithmFamily = 'HS' | 'RS' | 'PS' | 'ES' | 'EdDSA';

/** One algorithm's facts. */
export interface AlgorithmSpec {
  readonly family: AlgorithmFamily;
  /** node:crypto's hash name (EdDSA: the hash inside Ed25519, for WebCrypto's HMAC-free paths). */
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  /** WebCrypto's name of the same hash. */
  readonly webHash: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** HMAC: the shortest secret accepted, in bytes (the hash output size, RFC 7518 §3.2). */
  readonly minSecretBytes?: number;
  /** RSA: the smallest modulus accepted, in bits. */
  readonly minModulusBits?: number;
  /** RSA-PSS: the salt length in bytes (the hash output size, RFC 7518 §3.5). */
  readonly saltBytes?: number;
  /** ECDSA: the named curve (node:crypto's name) and the JWK `crv`. */
  readonly curve?: string;
  readonly jwkCurve?: string;
  /** ECDSA: the IEEE P1363 signature size in bytes. */
  readonly signatureBytes?: number;
}

const sha = (bits: 256 | 384 | 512) => ({ hash: `sha${bits}`, webHash: `SHA-${bits}` }) as const;

/** The algorithm table. Order is the order of `ALGORITHMS` (and of error messages listing them). */
export const ALGORITHM_TABLE = {
  HS256: { family: 'HS', ...sha(256), minSecretBytes: 32 },
  HS384: { family: 'HS', ...sha(384), minSecretBytes: 48 },
  HS512: { family: 'HS', ...sha(512), minSecretBytes: 64 },
  RS256: { family: 'RS', ...sha(256), minModulusBits: 2048 },
  RS384: { family: 'RS', ...sha(384), minModulusBits: 2048 },
  RS512: { family: 'RS', ...sha(512), minModulusBits: 2048 },
  PS256: { family: 'PS', ...sha(256), minModulusBits: 2048, saltBytes: 32 },
  PS384: { family: 'PS', ...sha(384), minModulusBits: 2048, saltBytes: 48 },
  PS512: { family: 'PS', ...sha(512), minModulusBits: 2048, saltBytes: 64 },
  ES256: { family: 'ES', ...sha(256), curve: 'prime256v1', jwkCurve: 'P-256', signatureBytes: 64 },
  ES384: { family: 'ES', ...sha(384), curve: 'secp384r1', jwkCurve: 'P-384', signatureBytes: 96 },
  ES512: { family: 'ES', ...sha(512), curve: 'secp521r1', jwkCurve: 'P-521', signatureBytes: 132 },
  EdDSA: { family: 'EdDSA', ...sha(512) },
} as const satisfies Record<string, AlgorithmSpec>;

/** Every algorithm the package signs and verifies. `none` is never accepted. */
export type Algorithm = keyof typeof ALGORITHM_TABLE;

/** Every algorithm the package signs and verifies, in table order. */
export const ALGORITHMS: readonly Algorithm[] = Object.freeze(Object.keys(ALGORITHM_TABLE) as Algorithm[]);

/** The table row of `alg`. */
export function specOf(alg: Algorithm): AlgorithmSpec {
  return ALGORITHM_TABLE[alg];
}

/** The family of `alg`. */
export function familyOf(alg: Algorithm): AlgorithmFamily {
  return ALGORITHM_TABLE[alg].family;
}

/** True when `value` names a supported algorithm (an own key of the table, never `toString` or `none`). */
export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHM_TABLE, value);
}
