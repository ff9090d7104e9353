#!/usr/bin/env node
/**
 * `trpc-jwt-extended keygen <ALG> [--json]`: prints key material for `createJwtManager`.
 *
 * - HS256/384/512: a random secret as long as the hash (base64url), as `JWT_SECRET_KEY`.
 * - RS*, PS*: an RSA key pair (2048/3072/4096 bits for …256/384/512); ES*: an EC key pair on the
 *   algorithm's curve; EdDSA: an Ed25519 key pair. Printed as a PKCS#8 private key
 *   (`JWT_PRIVATE_KEY`) and an SPKI public key (`JWT_PUBLIC_KEY`) in PEM, and the public JWK
 *   (`JWT_PUBLIC_JWK`, with `alg`, `use` and its RFC 7638 thumbprint as `kid`).
 *
 * The default output is a dotenv file (`node --env-file`, dotenv): comment lines, `NAME=value`, PEMs
 * in double quotes over several lines. `--json` prints one JSON object instead. Exit code 2 on a
 * usage error. Nothing is written to disk.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { ALGORITHMS, type Algorithm, specOf } from '../tokens/algorithms.js';

const USAGE = `Usage: trpc-jwt-extended keygen <ALG> [--json]

ALG is one of ${ALGORITHMS.join(', ')}.
Prints a secret (HS*) or a PKCS#8 / SPKI PEM key pair and the public JWK, as a dotenv file
(JWT_ALGORITHM, JWT_SECRET_KEY or JWT_PRIVATE_KEY / JWT_PUBLIC_KEY / JWT_PUBLIC_JWK), or as JSON.`;

/** What `keygen` prints, before formatting. */
export interface GeneratedKeys {
  readonly algorithm: Algorithm;
  /** HS*: the secret (base64url of as many random bytes as the hash output). */
  readonly secret?: string;
  /** Asymmetric: PKCS#8 PEM. */
  readonly privateKey?: string;
  /** Asymmetric: SPKI PEM. */
  readonly publicKey?: string;
  /** Asymmetric: the public JWK with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk?: Record<string, string>;
}

const RSA_BITS = { sha256: 2048, sha384: 3072, sha512: 4096 } as const;
/** RFC 7638: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

function keyPairFor(alg: Algorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  const spec = specOf(alg);
  switch (spec.family) {
    case 'RS':
    case 'PS':
      return generateKeyPairSync('rsa', { modulusLength: RSA_BITS[spec.hash] });
    case 'ES':
      return generateKeyPairSync('ec', { namedCurve: spec.curve! });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'HS':
      throw new TypeError(`${alg} takes a secret, not a key pair`);
  }
}

function thumbprint(jwk: Record<string, string>): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Fresh key material for `alg`. */
export function generateKeys(alg: Algorithm): GeneratedKeys {
  const spec = specOf(alg);
  if (spec.family === 'HS') {
    return { algorithm: alg, secret: randomBytes(spec.minSecretBytes!).toString('base64url') };
  }
  const { privateKey, publicKey } = keyPairFor(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return {
    algorithm: alg,
    privateKey: String(privateKey.export({ type: 'pkcs8', format: 'pem' })).trim(),
    publicKey: String(publicKey.export({ type: 'spki', format: 'pem' })).trim(),
    publicJwk: { ...jwk, kid: thumbprint(jwk), alg, use: 'sig' },
  };
}

/** The keys as a dotenv file. */
export function toDotenv(keys: GeneratedKeys): string {
  const lines = [`# trpc-jwt-extended keygen ${keys.algorithm}`, `JWT_ALGORITHM=${keys.algorithm}`];
  if (keys.secret !== undefined) {
    lines.push('# The HMAC secret: keep it secret (it signs and verifies).', `JWT_SECRET_KEY=${keys.secret}`);
  } else {
    lines.push(
      '# The private key signs: keep it secret. The public key and JWK only verify: share them freely.',
      `JWT_PRIVATE_KEY="${keys.privateKey}"`,
      `JWT_PUBLIC_KEY="${keys.publicKey}"`,
      `JWT_PUBLIC_JWK='${JSON.stringify(keys.publicJwk)}'`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the command line `args` (without node and the script); returns the exit code. */
export function main(args: readonly string[], out = process.stdout, err = process.stderr): number {
  const flags = args.filter((arg) => arg.startsWith('-'));
  const words = args.filter((arg) => !arg.startsWith('-'));
  if (flags.includes('--help') || flags.includes('-h')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const unknownFlag = flags.find((flag) => flag !== '--json');
  const [command, alg, ...extra] = words;
  if (unknownFlag !== undefined || command !== 'keygen' || alg === undefined || extra.length > 0) {
    err.write(`${unknownFlag === undefined ? '' : `Unknown option ${unknownFlag}\n`}${USAGE}\n`);
    return 2;
  }
  if (!(ALGORITHMS as readonly string[]).includes(alg)) {
    err.write(`Unknown algorithm ${JSON.stringify(alg)}: use one of ${ALGORITHMS.join(', ')}\n`);
    return 2;
  }
  const keys = generateKeys(alg as Algorithm);
  out.write(flags.includes('--json') ? `${JSON.stringify(keys, null, 2)}\n` : toDotenv(keys));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
