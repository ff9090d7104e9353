import { JwtConfigError } from '../errors.js';
import type { JwtPayload } from '../types.js';
import type { Blocklist, BlocklistOptions } from './types.js';
import { identityOf, requireJti, requireName } from './shared.js';

/** Options of `createMemoryBlocklist`. */
export interface MemoryBlocklistOptions extends BlocklistOptions {
  /**
   * Most entries kept (revoked jtis, used refresh tokens, identity cut-offs and families together).
   * When full, expired entries are dropped, then those expiring soonest: an entry dropped early
   * lets its token through again, so size it above the revocations alive at once (a warning is
   * printed the first time it happens). @default 100_000
   */
  maxEntries?: number;
}

/** The in-process blocklist: one process only, lost on restart. Use the Redis one for several. */
export interface MemoryBlocklist extends Blocklist {
  /** Entries held, expired ones not yet pruned included. */
  readonly size: number;
}

interface Entry {
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** The cut-off (UNIX seconds) of an identity entry; 0 otherwise. */
  cutoff: number;
}

const DAY = 86_400;
/** Fewest writes between two sweeps of expired entries. */
const SWEEP_EVERY = 64;

function positive(option: string, value: number | undefined, fallback: number, integer = false): number {
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

function nonNegative(option: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new JwtConfigError(option, 'must be a non-negative number');
  }
  return value;
}

/**
 * An in-memory `Blocklist`. Entries expire with their token and are pruned lazily on reads and
 * writes (amortised); no timer, so it never keeps the process alive. Memory is bounded by
 * `maxEntries`. Checks are synchronous under the hood, so `markUsed` is atomic.
 */
export function createMemoryBlocklist(options: MemoryBlocklistOptions = {}): MemoryBlocklist {
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new JwtConfigError('clock', 'must be a function');
  const identityClaim = options.identityClaim ?? 'sub';
  if (typeof identityClaim !== 'string' || identityClaim === '') {
    throw new JwtConfigError('identityClaim', 'must be a non-empty string');
  }
  const maxEntries = positive('maxEntries', options.maxEntries, 100_000, true);
  const maxTokenLifetime = positive('maxTokenLifetime', options.maxTokenLifetime, 30 * DAY);
  const leeway = nonNegative('leeway', options.leeway);

  // Keys are `<kind>:<name>`; kinds contain no colon, so names cannot collide across kinds.
  const entries = new Map<string, Entry>();
  // A sweep costs O(size); running one after as many writes as it left entries keeps it O(1) amortised.
  let writesSinceSweep = 0;
  let sizeAfterSweep = 0;
  let warned = false;

  function live(key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    entries.delete(key);
    return undefined;
  }

  function sweep(now: number): void {
    writesSinceSweep = 0;
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    sizeAfterSweep = entries.size;
  }

  /** Frees a tenth of the room, soonest-expiring first: O(n log n) every n/10 inserts. */
  function evict(): void {
    const byExpiry = [...entries].sort((a, b) => a[1].expiresAt - b[1].expiresAt);
    const count = entries.size - maxEntries + Math.max(1, Math.floor(maxEntries / 10));
    for (const [key] of byExpiry.slice(0, count)) entries.delete(key);
    if (!warned) {
      warned = true;
      console.warn(
        `trpc-jwt-extended: the memory blocklist is full (maxEntries: ${maxEntries}); entries expiring soonest ` +
          'were dropped before their token expired. Raise maxEntries or use the Redis blocklist.',
      );
    }
  }

  function put(key: string, entry: Entry, now: number): void {
    if (++writesSinceSweep >= Math.max(SWEEP_EVERY, sizeAfterSweep)) sweep(now);
    if (!entries.has(key) && entries.size >= maxEntries) {
      sweep(now);
      if (entries.size >= maxEntries) evict();
    }
    entries.set(key, entry);
  }

  /** When the entry of a token ends (ms): its exp plus leeway, or maxTokenLifetime; ≥ 1 s from now. */
  function tokenExpiry(payload: JwtPayload, now: number): number {
    const { exp } = payload;
    const end =
      typeof exp === 'number' && Number.isFinite(exp) ? (exp + leeway) * 1000 : now + maxTokenLifetime * 1000;
    return Math.max(end, now + 1000);
  }

  async function isRevoked(payload: JwtPayload): Promise<boolean> {
    const now = clock();
    const { jti, iat, fam } = payload;
    if (typeof jti === 'string' && live(`jti:${jti}`, now)) return true;
    if (typeof fam === 'string' && live(`fam:${fam}`, now)) return true;
    const identity = identityOf(payload, identityClaim);
    const cut = identity === undefined ? undefined : live(`id:${identity}`, now);
    return cut !== undefined && !(typeof iat === 'number' && iat > cut.cutoff);
  }

  return {
    get size() {
      return entries.size;
    },

    async revoke(payload) {
      const jti = requireJti(payload, 'revoke');
      const now = clock();
      put(`jti:${jti}`, { expiresAt: tokenExpiry(payload, now), cutoff: 0 }, now);
    },

    isRevoked,

    async revokeAllForIdentity(identity, before) {
      requireName(identity, 'an identity', 'revokeAllForIdentity');
      const now = clock();
      const cutoff = before ?? Math.floor(now / 1000);
      if (typeof cutoff !== 'number' || !Number.isFinite(cutoff)) {
        throw new TypeError(
          'trpc-jwt-extended: blocklist.revokeAllForIdentity needs `before` in UNIX seconds',
        );
      }
      const key = `id:${identity}`;
      const current = live(key, now);
      if (current !== undefined && current.cutoff >= cutoff) return;
      const expiresAt = Math.max((cutoff + maxTokenLifetime) * 1000, now + 1000);
      put(key, { expiresAt, cutoff }, now);
    },

    async revokeFamily(family, ttlSeconds) {
      requireName(family, 'a family', 'revokeFamily');
      const ttl = ttlSeconds ?? maxTokenLifetime;
      if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
        throw new TypeError(
          'trpc-jwt-extended: blocklist.revokeFamily needs `ttlSeconds` as a positive number',
        );
      }
      const now = clock();
      put(`fam:${family}`, { expiresAt: now + Math.max(ttl, 1) * 1000, cutoff: 0 }, now);
    },

    async markUsed(payload) {
      const jti = requireJti(payload, 'markUsed');
      const now = clock();
      const key = `used:${jti}`;
      if (live(key, now)) return false;
      put(key, { expiresAt: tokenExpiry(payload, now), cutoff: 0 }, now);
      return true;
    },

    loader: ({ payload }) => isRevoked(payload),
  };
}
