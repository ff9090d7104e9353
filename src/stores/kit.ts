/**
 * The store kit: the rules every blocklist shares — options, key names, token lifetimes, identity
 * cut-offs and families — so that a store is storage only. The Redis entry loads this and the
 * error classes, nothing else at runtime.
 */
import { JwtConfigError } from '../errors.js';
import type { JwtPayload } from '../jwt.js';
import type { BlocklistOptions } from './types.js';

const DAY = 86_400;

/** The validated options a store runs on. */
export interface StoreRules {
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  readonly identityClaim: string;
  /** Seconds an identity cut-off lives (and a family revocation, by default). */
  readonly maxTokenLifetime: number;
  /** Seconds an entry outlives its token's `exp`. */
  readonly leeway: number;
}

/** A positive number (integer when asked) or `fallback`; a JwtConfigError naming `option` otherwise. */
export function positiveOption(option: string, value: unknown, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new JwtConfigError(option, `must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

/** Validates the options every store shares (`BlocklistOptions`). */
export function resolveStoreRules(options: BlocklistOptions): StoreRules {
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new JwtConfigError('clock', 'must be a function');
  const identityClaim = options.identityClaim ?? 'sub';
  if (typeof identityClaim !== 'string' || identityClaim === '') {
    throw new JwtConfigError('identityClaim', 'must be a non-empty string');
  }
  const leeway = options.leeway ?? 0;
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
    throw new JwtConfigError('leeway', 'must be a non-negative number');
  }
  return {
    clock,
    identityClaim,
    maxTokenLifetime: positiveOption('maxTokenLifetime', options.maxTokenLifetime, 30 * DAY),
    leeway,
  };
}

/**
 * Key names, `<prefix><kind>:<name>`; kinds hold no colon, so names never collide across kinds.
 * `jti`: a revoked token; `fam`: a revoked family; `id`: an identity cut-off (UNIX seconds);
 * `rot`: a family's latest refresh token (its jti); `used`: a `markUsed` token.
 */
export function keyNames(prefix: string) {
  return {
    jti: (jti: string) => `${prefix}jti:${jti}`,
    fam: (family: string) => `${prefix}fam:${family}`,
    id: (identity: string) => `${prefix}id:${identity}`,
    rot: (family: string) => `${prefix}rot:${family}`,
    used: (jti: string) => `${prefix}used:${jti}`,
  };
}

/**
 * When a token's entry may go (ms since the epoch): its `exp` plus leeway, at least a second from
 * now; never (Infinity) for a token without a finite `exp`, since the token itself never expires.
 */
export function tokenEndMs(exp: unknown, rules: StoreRules, nowMs: number): number {
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return Number.POSITIVE_INFINITY;
  return Math.max((exp + rules.leeway) * 1000, nowMs + 1000);
}

/** The cut-off of `revokeAllForIdentity`: `before`, or now in whole seconds; a TypeError otherwise. */
export function resolveCutoff(before: unknown, nowMs: number): number {
  const cutoff = before ?? Math.floor(nowMs / 1000);
  if (typeof cutoff !== 'number' || !Number.isFinite(cutoff)) {
    throw new TypeError('trpc-jwt-extended: blocklist.revokeAllForIdentity needs `before` in UNIX seconds');
  }
  return cutoff;
}

/** When an identity cut-off may go (ms): `maxTokenLifetime` after it, at least a second from now. */
export function cutoffEndMs(cutoff: number, rules: StoreRules, nowMs: number): number {
  return Math.max((cutoff + rules.maxTokenLifetime) * 1000, nowMs + 1000);
}

/** True when a token issued at `iat` is cut off by `cutoff`: issued at or before it, or without `iat`. */
export function isCutOff(iat: unknown, cutoff: number): boolean {
  return !(typeof iat === 'number' && iat > cutoff);
}

/** Seconds a family revocation lives: `ttlSeconds` (Infinity: forever) or `maxTokenLifetime`, at least 1. */
export function familyTtlSeconds(ttlSeconds: unknown, rules: StoreRules): number {
  const ttl = ttlSeconds ?? rules.maxTokenLifetime;
  if (typeof ttl !== 'number' || !(ttl > 0)) {
    throw new TypeError(
      'trpc-jwt-extended: blocklist.revokeFamily needs `ttlSeconds` as a positive number (or Infinity)',
    );
  }
  return Math.max(ttl, 1);
}

/** Most tokens one generation of a family may hold under a reuse grace (siblings of one parent). */
export const MAX_SIBLINGS = 8;

/** The `reuseGraceMs` of a rotation step: 0 unless a finite, non-negative number; a TypeError otherwise. */
export function reuseGraceOf(options: { readonly reuseGraceMs?: number } | undefined): number {
  const grace = options?.reuseGraceMs ?? 0;
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
    throw new TypeError(
      'trpc-jwt-extended: blocklist.rotate needs `reuseGraceMs` as a non-negative number of ms',
    );
  }
  return grace;
}

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
