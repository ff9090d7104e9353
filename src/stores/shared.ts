import type { JwtPayload } from '../types.js';

/** Helpers both blocklists share (the Redis entry imports nothing else at runtime). */

/** The identity claim's value as a key, or undefined when the token has none usable. */
export function identityOf(payload: JwtPayload, claim: string): string | undefined {
  const value = payload[claim];
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

/** The token's `jti`; a TypeError naming the method when it has none. */
export function requireJti(payload: JwtPayload, method: string): string {
  const { jti } = payload ?? {};
  if (typeof jti !== 'string' || jti === '') {
    throw new TypeError(`trpc-jwt-extended: blocklist.${method} needs a token with a "jti" claim (string)`);
  }
  return jti;
}

/** Asserts a non-empty string argument (identity, family), naming the method. */
export function requireName(value: unknown, what: string, method: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`trpc-jwt-extended: blocklist.${method} needs ${what} as a non-empty string`);
  }
}
