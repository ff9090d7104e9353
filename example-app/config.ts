/** The example app's settings, read from the environment. */
import { randomBytes } from 'node:crypto';

export interface AppSettings {
  /** `JWT_SECRET_KEY`; undefined means "generate a random development secret". */
  secretKey: string | undefined;
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
  return {
    secretKey: env.JWT_SECRET_KEY || undefined,
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
