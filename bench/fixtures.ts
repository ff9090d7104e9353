/**
 * Keys, managers and token pools shared by the benchmark sections. Every library gets the same key
 * material, imported once outside the timed loops.
 */
import { createHmac, createSecretKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { importPKCS8, importSPKI } from 'jose';
import { type Algorithm, createJwtManager, type JwtManager } from 'trpc-jwt-extended';

export const MICRO_ALGS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const satisfies readonly Algorithm[];
export type MicroAlg = (typeof MICRO_ALGS)[number];

export interface AlgKeys {
  readonly alg: MicroAlg;
  /** What our manager and fast-jwt get: the secret string, or PEM text. */
  readonly signKey: string;
  readonly verifyKey: string;
  /** node:crypto KeyObjects for the floor. */
  readonly nodeSign: KeyObject;
  readonly nodeVerify: KeyObject;
  /** jose keys, imported once. */
  readonly joseSign: CryptoKey | Uint8Array;
  readonly joseVerify: CryptoKey | Uint8Array;
}

export async function makeKeys(alg: MicroAlg): Promise<AlgKeys> {
  if (alg === 'HS256') {
    const secret = randomBytes(32).toString('hex'); // 64 ASCII bytes
    const bytes = new TextEncoder().encode(secret);
    const node = createSecretKey(Buffer.from(bytes));
    return {
      alg,
      signKey: secret,
      verifyKey: secret,
      nodeSign: node,
      nodeVerify: node,
      joseSign: bytes,
      joseVerify: bytes,
    };
  }
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    alg,
    signKey: privatePem,
    verifyKey: publicPem,
    nodeSign: pair.privateKey,
    nodeVerify: pair.publicKey,
    joseSign: await importPKCS8(privatePem, alg),
    joseVerify: await importSPKI(publicPem, alg),
  };
}

/** A manager for `keys`; `cache: false` for the cold path. */
export function makeManager(keys: AlgKeys, cache?: false): JwtManager {
  const keyOptions =
    keys.alg === 'HS256'
      ? { secretKey: keys.signKey }
      : { privateKey: keys.signKey, publicKey: keys.verifyKey };
  return createJwtManager({
    algorithm: keys.alg,
    ...keyOptions,
    ...(cache === false ? { cache: false as const } : {}),
  });
}

/** `count` distinct access tokens (distinct `jti`/`csrf`), made by our manager. */
export async function makeTokens(jwt: JwtManager, count: number, identity = 'user-42'): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await jwt.createAccessToken(identity));
  return tokens;
}

/** The claims our manager writes, for signing the same payload with other libraries. */
export function sameClaims(identity = 'user-42'): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    fresh: false,
    iat,
    jti: crypto.randomUUID(),
    type: 'access',
    sub: identity,
    nbf: iat,
    csrf: crypto.randomUUID(),
    exp: iat + 900,
  };
}

/** A random HS256 secret and a cheap way to mint many distinct valid tokens for it. */
export function hs256Minter(secret: string): (i: number) => string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(6).toString('hex');
  return (i) => {
    const payload = Buffer.from(
      JSON.stringify({
        fresh: false,
        iat,
        jti: `${nonce}-${i}`,
        type: 'access',
        sub: 'user-42',
        nbf: iat,
        csrf: `${nonce}-c${i}`,
        exp: iat + 3600,
      }),
    ).toString('base64url');
    const input = `${header}.${payload}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
}
