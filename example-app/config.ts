/** The example app's settings, read from the environment. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** The signing algorithms the app offers: an HMAC secret, or an EC key pair with a published JWKS. */
export const SIGNING_ALGORITHMS = ['HS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface AppSettings {
  /** `JWT_ALGORITHM`: `HS256` (secret) or `ES256` (private key; the public key is in the JWKS). @default 'HS256' */
  algorithm: SigningAlgorithm;
  /** `JWT_SECRET_KEY` (HS256); undefined means "generate a random development secret". */
  secretKey: string | undefined;
  /**
   * `JWT_PRIVATE_KEY` (ES256): a PKCS#8 PEM (`\n` escapes allowed, for one-line env files); undefined
   * means "generate a development key pair".
   */
  privateKey: string | undefined;
  /** `ACCESS_EXPIRES`: access-token lifetime in seconds. @default 900 */
  accessExpires: number;
  /** `PORT`; 0 picks a free port. @default 3000 */
  port: number;
  /** `HOST`. @default '127.0.0.1' */
  host: string;
  /** `REDIS_URL`: revocations go to Redis when set. */
  redisUrl: string | undefined;
  /** `COOKIE_SECURE=1`: mark the cookies `Secure` (set it behind HTTPS). @default false */
  cookieSecure: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Reads the settings; throws a TypeError naming the variable on a bad value. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): AppSettings {
  const algorithm = env.JWT_ALGORITHM || 'HS256';
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new TypeError(`JWT_ALGORITHM must be HS256 or ES256, got ${JSON.stringify(algorithm)}`);
  }
  return {
    algorithm: algorithm as SigningAlgorithm,
    secretKey: env.JWT_SECRET_KEY || undefined,
    privateKey: env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') || undefined,
    accessExpires: integer(env, 'ACCESS_EXPIRES', 900, 1, 31_536_000),
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    redisUrl: env.REDIS_URL || undefined,
    cookieSecure: env.COOKIE_SECURE === '1' || env.COOKIE_SECURE === 'true',
  };
}

/** A random 64-byte secret, and the warning to print about it. */
export function developmentSecret(): { secret: string; warning: string } {
  const bar = '!'.repeat(78);
  return {
    secret: randomBytes(64).toString('base64url'),
    warning: [
      bar,
      '!!  WARNING: JWT_SECRET_KEY is not set.',
      '!!  Using a random development secret generated for this process only:',
      '!!  every token is invalid after a restart, and this is NOT SAFE IN PRODUCTION.',
      '!!  Set JWT_SECRET_KEY to at least 32 random bytes, e.g.',
      '!!    export JWT_SECRET_KEY="$(node -e "console.log(crypto.randomBytes(64).toString(\'base64url\'))")"',
      bar,
    ].join('\n'),
  };
}

/** A P-256 key pair generated for this process (PKCS#8 PEM), and the warning to print about it. */
export function developmentKeyPair(): { privateKey: string; warning: string } {
  const bar = '!'.repeat(78);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    warning: [
      bar,
      '!!  WARNING: JWT_ALGORITHM=ES256 but JWT_PRIVATE_KEY is not set.',
      '!!  Using a P-256 key pair generated for this process only: every token is invalid',
      '!!  after a restart, the JWKS changes, and this is NOT SAFE IN PRODUCTION.',
      '!!  Set JWT_PRIVATE_KEY to a PKCS#8 PEM, e.g.',
      '!!    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out jwt-es256.pem',
      '!!    export JWT_PRIVATE_KEY="$(cat jwt-es256.pem)"',
      bar,
    ].join('\n'),
  };
}
