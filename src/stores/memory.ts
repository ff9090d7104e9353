import { BlocklistFullError } from '../errors.js';
import type { JwtPayload } from '../types.js';
import {
  cutoffEndMs,
  familyTtlSeconds,
  identityOf,
  isCutOff,
  keyNames,
  MAX_SIBLINGS,
  positiveOption,
  reuseGraceOf,
  requireJti,
  requireName,
  resolveCutoff,
  resolveStoreRules,
  tokenEndMs,
} from './kit.js';
import type { Blocklist, BlocklistOptions } from './types.js';

/** Options of `createMemoryBlocklist`. */
export interface MemoryBlocklistOptions extends BlocklistOptions {
  /**
   * Most live revocations kept: revoked jtis, revoked families and identity cut-offs. Expired
   * entries are pruned first; when live revocations alone fill the store, a new revocation throws
   * `BlocklistFullError` naming this option (fail closed): no revocation is ever forgotten to make
   * room. Size it above the revocations alive at once (about 100 bytes each). @default 100_000
   */
  maxEntries?: number;
  /**
   * Most live rotation records: one per refresh-token family that has rotated (however often it
   * rotates), plus one per `markUsed` token. A separate pool, so rotations never push a revocation
   * out; when full, a new family's first rotation throws `BlocklistFullError`. @default 100_000
   */
  maxRotationEntries?: number;
}

/** The in-process blocklist: one process only, lost on restart. Use the Redis one for several. */
export interface MemoryBlocklist extends Blocklist {
  /** Entries held in both pools, expired ones not yet pruned included. */
  readonly size: number;
}

interface Entry<T> {
  /** Milliseconds since the epoch; Infinity for an entry that never lapses. */
  expiresAt: number;
  value: T;
}

/** Fewest writes between two sweeps of expired entries. */
const SWEEP_EVERY = 64;

/**
 * Entries with an expiry, bounded by `limit`: expired entries are pruned lazily (amortised O(1) per
 * write); a write that finds the pool full of live entries throws, and nothing live is dropped.
 */
class Pool<T> {
  readonly #entries = new Map<string, Entry<T>>();
  // A sweep costs O(size); running one after as many writes as it left entries keeps it O(1) amortised.
  #writesSinceSweep = 0;
  #sizeAfterSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly option: string,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): Entry<T> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, entry: Entry<T>, now: number): void {
    if (++this.#writesSinceSweep >= Math.max(SWEEP_EVERY, this.#sizeAfterSweep)) this.#sweep(now);
    if (!this.#entries.has(key) && this.#entries.size >= this.limit) {
      this.#sweep(now);
      if (this.#entries.size >= this.limit) throw new BlocklistFullError(this.option, this.limit);
    }
    this.#entries.set(key, entry);
  }

  #sweep(now: number): void {
    this.#writesSinceSweep = 0;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    this.#sizeAfterSweep = this.#entries.size;
  }
}

/** A family's rotation state: its current generation, the one before, and when that one retired. */
interface RotationRecord {
  readonly current: readonly string[];
  readonly previous: readonly string[];
  /** ms since the epoch. */
  readonly retiredAt: number;
}

/**
 * What presenting `jti` is to a family's record: a token of the current generation (`latest`), a
 * token of the previous one within the grace with room for a sibling (`sibling`), or reuse.
 */
function rotationStep(
  record: RotationRecord,
  jti: string,
  graceMs: number,
  now: number,
): 'latest' | 'sibling' | 'reuse' {
  if (record.current.includes(jti)) return 'latest';
  const inGrace = graceMs > 0 && now - record.retiredAt <= graceMs;
  return inGrace && record.previous.includes(jti) && record.current.length < MAX_SIBLINGS
    ? 'sibling'
    : 'reuse';
}

/**
 * An in-memory `Blocklist`. Entries expire with their token and are pruned lazily on reads and
 * writes (amortised); no timer, so it never keeps the process alive. Revocations and rotation
 * records live in two pools, each bounded; a full pool fails the write, never forgets an entry.
 * Every method runs synchronously under the hood, so `markUsed` and `rotate` are atomic.
 */
export function createMemoryBlocklist(options: MemoryBlocklistOptions = {}): MemoryBlocklist {
  const rules = resolveStoreRules(options);
  const { clock, identityClaim } = rules;
  const maxEntries = positiveOption('maxEntries', options.maxEntries, 100_000, true);
  const maxRotationEntries = positiveOption('maxRotationEntries', options.maxRotationEntries, 100_000, true);
  const key = keyNames('');
  /** `jti`, `fam` (value unused) and `id` (value: the cut-off, UNIX seconds) entries. */
  const revocations = new Pool<number>(maxEntries, 'maxEntries');
  /** `rot` (value: the family's current and previous generation, see RotationRecord) and `used` entries. */
  const rotations = new Pool<RotationRecord | string>(maxRotationEntries, 'maxRotationEntries');

  function revoked(payload: JwtPayload, now: number): boolean {
    const { jti, iat, fam } = payload;
    if (typeof jti === 'string' && revocations.get(key.jti(jti), now)) return true;
    if (typeof fam === 'string' && revocations.get(key.fam(fam), now)) return true;
    const identity = identityOf(payload, identityClaim);
    const cut = identity === undefined ? undefined : revocations.get(key.id(identity), now);
    return cut !== undefined && isCutOff(iat, cut.value);
  }

  /** Revokes a family until `expiresAt`, never shorter than its rotation record or an earlier revocation. */
  function revokeFamilyUntil(family: string, expiresAt: number, now: number): void {
    const record = rotations.get(key.rot(family), now);
    const current = revocations.get(key.fam(family), now);
    const end = Math.max(expiresAt, record?.expiresAt ?? 0, current?.expiresAt ?? 0);
    revocations.set(key.fam(family), { expiresAt: end, value: 0 }, now);
  }

  const isRevoked = async (payload: JwtPayload) => revoked(payload, clock());

  return {
    get size() {
      return revocations.size + rotations.size;
    },

    async revoke(payload) {
      const jti = requireJti(payload, 'revoke');
      const now = clock();
      revocations.set(key.jti(jti), { expiresAt: tokenEndMs(payload.exp, rules, now), value: 0 }, now);
    },

    isRevoked,

    async revokeAllForIdentity(identity, before) {
      requireName(identity, 'an identity', 'revokeAllForIdentity');
      const now = clock();
      const cutoff = resolveCutoff(before, now);
      const current = revocations.get(key.id(identity), now);
      if (current !== undefined && current.value >= cutoff) return;
      revocations.set(key.id(identity), { expiresAt: cutoffEndMs(cutoff, rules, now), value: cutoff }, now);
    },

    async revokeFamily(family, ttlSeconds) {
      requireName(family, 'a family', 'revokeFamily');
      const ttl = familyTtlSeconds(ttlSeconds, rules);
      const now = clock();
      revokeFamilyUntil(family, now + ttl * 1000, now);
    },

    async markUsed(payload) {
      const jti = requireJti(payload, 'markUsed');
      const now = clock();
      if (rotations.get(key.used(jti), now)) return false;
      rotations.set(key.used(jti), { expiresAt: tokenEndMs(payload.exp, rules, now), value: jti }, now);
      return true;
    },

    async rotate(presented, family, next, options) {
      const jti = requireJti(presented, 'rotate');
      requireName(family, 'a family', 'rotate');
      const graceMs = reuseGraceOf(options);
      const now = clock();
      if (revoked(presented, now)) return 'revoked';
      const record = rotations.get(key.rot(family), now) as Entry<RotationRecord> | undefined;
      // The record outlives every token of the family: the presented one, the new pair, and (by
      // induction) every earlier one.
      const end = Math.max(
        tokenEndMs(presented.exp, rules, now),
        tokenEndMs(next.exp, rules, now),
        record?.expiresAt ?? 0,
      );
      const step = record === undefined ? 'latest' : rotationStep(record.value, jti, graceMs, now);
      if (step === 'reuse') {
        revokeFamilyUntil(family, end, now);
        return 'reused';
      }
      const value: RotationRecord =
        step === 'latest'
          ? { current: [next.jti], previous: record?.value.current ?? [jti], retiredAt: now }
          : { ...record!.value, current: [...record!.value.current, next.jti] };
      rotations.set(key.rot(family), { expiresAt: end, value }, now);
      return 'rotated';
    },

    loader: ({ payload }) => isRevoked(payload),
  };
}
