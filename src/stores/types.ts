import type { JwtPayload, TokenLoaderArgs } from '../types.js';

/**
 * A revocation store: the memory blocklist (`createMemoryBlocklist`) and the Redis one
 * (`createRedisBlocklist` from `trpc-jwt-extended/redis`) share it. Entries expire with the token
 * they revoke, so the store never holds more than the tokens still alive.
 */
export interface Blocklist {
  /**
   * Revokes one token by its `jti`. The entry lives until the token's `exp` (plus `leeway`), or
   * `maxTokenLifetime` when the token has no `exp`. Throws a TypeError when `jti` is missing.
   */
  revoke(payload: JwtPayload): Promise<void>;
  /**
   * True when the token's `jti` is revoked, or its identity was cut off at or after its `iat`
   * (`revokeAllForIdentity`; a token without `iat` counts as issued before), or its family `fam`
   * is revoked.
   */
  isRevoked(payload: JwtPayload): Promise<boolean>;
  /**
   * Logout everywhere: tokens of `identity` issued at or before `before` (UNIX seconds, default now
   * from the clock) are refused — so is a token issued later within the same second. A later call
   * with an earlier cut-off never lowers an existing one. The cut-off lives `maxTokenLifetime`.
   */
  revokeAllForIdentity(identity: string, before?: number): Promise<void>;
  /**
   * Revokes a whole refresh-token family: every token carrying `fam: family` (refresh and access).
   * The entry lives `ttlSeconds`, default `maxTokenLifetime`.
   */
  revokeFamily(family: string, ttlSeconds?: number): Promise<void>;
  /**
   * Atomically marks a refresh token (by `jti`) as used: true the first time, false on any later
   * call (reuse), also under concurrency. The mark lives as long as the token. Throws a TypeError
   * when `jti` is missing.
   */
  markUsed(payload: JwtPayload): Promise<boolean>;
  /** `isRevoked` as a `tokenInBlocklistLoader`: `createJwtManager({ tokenInBlocklistLoader: blocklist.loader })`. */
  readonly loader: (args: TokenLoaderArgs) => Promise<boolean>;
}

/** Options both blocklists share. */
export interface BlocklistOptions {
  /** Milliseconds since the epoch; use the manager's clock. @default () => Date.now() */
  clock?: () => number;
  /** The claim holding the identity, as the manager's `identityClaim`. @default 'sub' */
  identityClaim?: string;
  /**
   * Seconds an identity cut-off, and the entry of a token without `exp`, are kept: set it to your
   * longest token lifetime (the refresh token's). @default 2_592_000 (30 days)
   */
  maxTokenLifetime?: number;
  /**
   * Seconds an entry outlives its token's `exp`: set it to the manager's `decodeLeeway`, which
   * still accepts a token that long after `exp`. @default 0
   */
  leeway?: number;
}
