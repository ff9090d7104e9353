import type { JwtPayload } from '../jwt.js';
import type { TokenLoaderArgs } from '../types.js';

/**
 * A revocation store: the memory blocklist (`createMemoryBlocklist`) and the Redis one
 * (`createRedisBlocklist` from `trpc-jwt-extended/redis`) share it. Entries expire with the token
 * they revoke, so the store never holds more than the tokens still alive.
 */
export interface Blocklist {
  /**
   * Revokes one token by its `jti`. The entry lives until the token's `exp` (plus `leeway`); a token
   * without `exp` never expires, so neither does its revocation. Throws a TypeError when `jti` is
   * missing.
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
   * The entry lives `ttlSeconds` (`Infinity`: never lapses), default `maxTokenLifetime`, and never
   * less than the family's rotation record: a family rotated with longer-lived tokens stays revoked
   * as long as they live.
   */
  revokeFamily(family: string, ttlSeconds?: number): Promise<void>;
  /**
   * One step of refresh-token rotation, atomically: refuses a presented refresh token whose `jti`,
   * family or identity cut-off is revoked (`'revoked'`); detects reuse, a token of the family
   * other than its latest, and then revokes the family (`'reused'`); else records `next` as the
   * family's latest refresh token (`'rotated'`). The record lives as long as the longest-lived token
   * of the family (forever when one never expires), so reuse is caught for as long as it matters;
   * it takes one entry per family, however often the family rotates.
   *
   * With `reuseGraceMs`, a token of the generation just retired, presented again within that many ms
   * of its retirement (two tabs refreshing at once), is not reuse: `next` joins the family as a
   * sibling of the current latest token (at most 8 per generation). Older tokens are reuse as always.
   */
  rotate(
    presented: JwtPayload,
    family: string,
    next: RotationNext,
    options?: RotationOptions,
  ): Promise<RotationOutcome>;
  /**
   * Atomically marks a refresh token (by `jti`) as used: true the first time, false on any later
   * call (reuse), also under concurrency. The mark lives as long as the token. Throws a TypeError
   * when `jti` is missing.
   */
  markUsed(payload: JwtPayload): Promise<boolean>;
  /** `isRevoked` as a `tokenInBlocklistLoader`: `createJwtManager({ tokenInBlocklistLoader: blocklist.loader })`. */
  readonly loader: (args: TokenLoaderArgs) => Promise<boolean>;
}

/** What `Blocklist.rotate` found. */
export type RotationOutcome = 'rotated' | 'reused' | 'revoked';

/** The new refresh token of a rotation: its `jti`, and the latest `exp` of the new pair. */
export interface RotationNext {
  readonly jti: string;
  /** UNIX seconds; undefined when a token of the new pair never expires. */
  readonly exp: number | undefined;
}

/** Options of one rotation step. */
export interface RotationOptions {
  /** ms after a generation's retirement during which presenting one of its tokens is not reuse. @default 0 */
  readonly reuseGraceMs?: number;
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
