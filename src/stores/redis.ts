/**
 * `trpc-jwt-extended/redis`: the Redis-backed blocklist.
 *
 * Written against node-redis (`redis` v4 and later): it is Redis's official client, promise-based,
 * and its `sendCommand(args)` has kept the same shape from v4 to v6. Every command goes through that
 * one method — `MGET`, `SET … NX`, `EVAL`, `PUBLISH` — so only structural types are needed here and
 * this entry never imports `redis` at runtime. A Redis Cluster client (`createCluster()`) is taken as
 * `cluster`; any other client fits behind a three-line adapter: `{ sendCommand: (args) => ioredis.call(...args) }`.
 *
 * At runtime this entry imports only the store kit (the rules every store shares), its own modules
 * and the error classes, so it stays small and loads without jose, zod or tRPC.
 */
import { BlocklistUnavailableError, JwtConfigError } from '../errors.js';
import type { JwtPayload } from '../jwt.js';
import {
  cutoffEndMs,
  familyTtlSeconds,
  identityOf,
  isCutOff,
  MAX_SIBLINGS,
  positiveOption,
  requireJti,
  requireName,
  resolveCutoff,
  resolveStoreRules,
  reuseGraceOf,
  tokenEndMs,
} from './kit.js';
import { type Fill, LocalCache, type LocalCacheOptions, type LocalCacheState } from './local-cache.js';
import { redisKeys } from './redis-keys.js';
import { createSender, type RedisClientLike, type RedisClusterLike, toText } from './redis-send.js';
import { RAISE_CUTOFF, REVOKE, REVOKE_FAMILY, ROTATE } from './redis-scripts.js';
import type { Blocklist, BlocklistOptions } from './types.js';

export { BlocklistUnavailableError } from '../errors.js';
export type { LocalCacheOptions, LocalCacheState, RedisSubscriberLike } from './local-cache.js';
export type { RedisClientLike, RedisClusterLike } from './redis-send.js';
export type { Blocklist, BlocklistOptions, RotationNext, RotationOutcome } from './types.js';

/** Options of `createRedisBlocklist` shared by a single Redis and a Cluster. */
export interface RedisBlocklistCommonOptions extends BlocklistOptions {
  /**
   * Prefix of every key and of the invalidation channel (`<prefix>invalidations`). On a single Redis
   * the keys are `<prefix>jti:<jti>`, `<prefix>used:<jti>`, `<prefix>id:<identity>`,
   * `<prefix>fam:<family>`, `<prefix>rot:<family>`; on a Cluster `<prefix>{<name>}:<kind>`, and the
   * prefix may not contain braces. @default 'jwt:'
   */
  prefix?: string;
  /** Milliseconds a command may take; then it fails with a `BlocklistUnavailableError`. @default 1000 */
  timeoutMs?: number;
  /**
   * Keep `isRevoked` answers in process, invalidated through Redis pub/sub by every server's writes:
   * a warm check costs no round trip. Off by default (every check is one `MGET`). @default undefined
   */
  localCache?: LocalCacheOptions;
}

/** Options of `createRedisBlocklist`: a single Redis (`client`) or a Redis Cluster (`cluster`). */
export type RedisBlocklistOptions = RedisBlocklistCommonOptions &
  (
    | {
        /**
         * A connected node-redis client. Give it an `'error'` listener (node-redis emits one per
         * failed reconnection, and an unhandled `'error'` crashes the process). While it reconnects
         * it queues commands; `timeoutMs` bounds the wait either way, and
         * `createClient({ disableOfflineQueue: true })` makes requests fail at once while Redis is down.
         */
        client: RedisClientLike;
        cluster?: undefined;
      }
    | {
        /** A connected node-redis cluster client (`createCluster()`); keys then carry hash tags. */
        cluster: RedisClusterLike;
        client?: undefined;
      }
  );

/** A Redis blocklist: the `Blocklist` methods, its local cache's state, and `close()`. */
export interface RedisBlocklist extends Blocklist {
  /** The local cache's state; undefined without `localCache`. */
  readonly localCache: LocalCacheState | undefined;
  /** Stops the local cache's heartbeat and subscription (your connections stay open). */
  close(): Promise<void>;
}

const finite = (ms: number, fallback: number) => (Number.isFinite(ms) ? Math.min(ms, fallback) : fallback);

/**
 * A `Blocklist` in Redis, shared by every process. Keys expire with their token (TTL = remaining
 * life, at least 1 s); `isRevoked` is one `MGET` (one per slot on a Cluster), or none for a warm
 * token with `localCache`; `markUsed` is one `SET NX`; revocations and rotations are Lua scripts that
 * also publish the key they wrote. Every command times out after `timeoutMs` with a
 * `BlocklistUnavailableError`.
 *
 * ```ts
 * const client = await createClient({ url: process.env.REDIS_URL }).on('error', log).connect();
 * const blocklist = createRedisBlocklist({ client });
 * const jwt = createJwtManager({ secretKey, tokenInBlocklistLoader: blocklist.loader });
 * ```
 */
export function createRedisBlocklist(options: RedisBlocklistOptions): RedisBlocklist {
  const { client, cluster } = options ?? {};
  if (cluster !== undefined && typeof cluster?.sendCommand !== 'function') {
    throw new JwtConfigError(
      'cluster',
      'must be a Redis cluster client with sendCommand() (createCluster())',
    );
  }
  if (cluster === undefined && typeof client?.sendCommand !== 'function') {
    throw new JwtConfigError(
      'client',
      'must be a Redis client with sendCommand() (node-redis v4+, createClient())',
    );
  }
  const prefix = options.prefix ?? 'jwt:';
  if (typeof prefix !== 'string') throw new JwtConfigError('prefix', 'must be a string');
  const rules = resolveStoreRules(options);
  const { clock, identityClaim } = rules;
  const timeoutMs = positiveOption('timeoutMs', options.timeoutMs, 1000);
  const key = redisKeys(prefix, cluster !== undefined);
  const channel = `${prefix}invalidations`;
  const send = createSender(client, cluster, timeoutMs);

  const cache =
    options.localCache === undefined
      ? undefined
      : new LocalCache(options.localCache, channel, (message) =>
          send(['PUBLISH', channel, message], undefined),
        );
  cache?.start();

  /** The values of `keys` (null: absent): one MGET per slot. */
  async function read(keys: readonly string[]): Promise<(string | null)[]> {
    const values: (string | null)[] = [];
    await Promise.all(
      key.groups(keys).map(async (group) => {
        const names = group.map((i) => keys[i]!);
        const reply = await send(['MGET', ...names], names[0]);
        if (!Array.isArray(reply) || reply.length !== names.length) {
          throw new BlocklistUnavailableError('Blocklist unavailable: unexpected reply to MGET');
        }
        group.forEach((i, j) => (values[i] = toText(reply[j])));
      }),
    );
    return values;
  }

  /** Revoked by these values of its jti, family and identity keys (null or undefined: absent). */
  function revokedBy(values: readonly (string | null | undefined)[], iat: unknown): boolean {
    const [jti, fam, cutoff] = values;
    return jti != null || fam != null || (cutoff != null && isCutOff(iat, Number(cutoff)));
  }

  /** Until when (ms) the local cache may keep `value` of a key of `kind` (0: jti, 1: fam, 2: id). */
  function keepUntil(kind: number, value: string | null, exp: unknown, now: number): number {
    const ttl = now + cache!.ttlMs;
    if (value === null) return ttl;
    if (kind === 0) return typeof exp === 'number' ? finite((exp + rules.leeway) * 1000, ttl) : ttl;
    if (kind === 1) return value === '-1' ? ttl : finite(Number(value), ttl);
    return finite((Number(value) + rules.maxTokenLifetime) * 1000, ttl);
  }

  async function isRevoked(payload: JwtPayload): Promise<boolean> {
    const { jti, iat, fam } = payload;
    const identity = identityOf(payload, identityClaim);
    const keys = [
      typeof jti === 'string' ? key.jti(jti) : undefined,
      typeof fam === 'string' ? key.fam(fam) : undefined,
      identity === undefined ? undefined : key.id(identity),
    ];
    const values: (string | null | undefined)[] = [undefined, undefined, undefined];
    const missing: number[] = [];
    if (cache?.live) await cache.settle();
    const now = clock();
    keys.forEach((name, i) => {
      if (name === undefined) return;
      const hit = cache?.read(name, now);
      if (hit === undefined) missing.push(i);
      else values[i] = hit;
    });
    if (missing.length === 0) return revokedBy(values, iat);
    const names = missing.map((i) => keys[i]!);
    const fill: Fill | undefined = cache?.begin(names);
    try {
      const fetched = await read(names);
      const later = clock();
      missing.forEach((kind, j) => {
        values[kind] = fetched[j];
        if (fill)
          cache!.fill(fill, names[j]!, fetched[j]!, keepUntil(kind, fetched[j]!, payload.exp, later), later);
      });
    } finally {
      if (fill) cache!.end(fill);
    }
    return revokedBy(values, iat);
  }

  /** Ms a token's entry lives (its end from the kit, as a TTL); -1 (forever) for a token without exp. */
  function tokenTtlMs(exp: unknown): number {
    const now = clock();
    const end = tokenEndMs(exp, rules, now);
    return end === Number.POSITIVE_INFINITY ? -1 : Math.ceil(end - now);
  }

  /**
   * Runs a script on `keys`. With a local cache, the keys a write may change are forgotten here
   * before it is sent and again once it is acknowledged: this process reads its own writes at once,
   * without waiting for their invalidation to come back through the subscription.
   */
  async function script(body: string, keys: string[], ...args: string[]): Promise<unknown> {
    for (const name of keys) cache?.invalidate(name);
    try {
      return await send(['EVAL', body, String(keys.length), ...keys, ...args], keys[0]);
    } finally {
      for (const name of keys) cache?.invalidate(name);
    }
  }

  return {
    async revoke(payload) {
      const jti = requireJti(payload, 'revoke');
      await script(REVOKE, [key.jti(jti)], String(tokenTtlMs(payload.exp)), channel);
    },

    isRevoked,

    async revokeAllForIdentity(identity, before) {
      requireName(identity, 'an identity', 'revokeAllForIdentity');
      const now = clock();
      const cutoff = resolveCutoff(before, now);
      const ttl = String(Math.ceil((cutoffEndMs(cutoff, rules, now) - now) / 1000)); // seconds (EX)
      await script(RAISE_CUTOFF, [key.id(identity)], String(cutoff), ttl, channel);
    },

    async revokeFamily(family, ttlSeconds) {
      requireName(family, 'a family', 'revokeFamily');
      const ttl = familyTtlSeconds(ttlSeconds, rules);
      const ms = Number.isFinite(ttl) ? String(Math.ceil(ttl * 1000)) : '-1';
      await script(REVOKE_FAMILY, [key.fam(family), key.rot(family)], ms, String(clock()), channel);
    },

    async markUsed(payload) {
      const jti = requireJti(payload, 'markUsed');
      // One atomic command, never read-then-write: of N concurrent calls exactly one gets 'OK'.
      const ms = tokenTtlMs(payload.exp);
      const name = key.used(jti);
      const args = ms === -1 ? ['SET', name, '1', 'NX'] : ['SET', name, '1', 'PX', String(ms), 'NX'];
      const reply = await send(args, name);
      return reply !== null && reply !== undefined;
    },

    async rotate(presented, family, next, options) {
      const jti = requireJti(presented, 'rotate');
      requireName(family, 'a family', 'rotate');
      const graceMs = reuseGraceOf(options);
      const identity = identityOf(presented, identityClaim);
      const { iat } = presented;
      // The presented token's jti and its identity's cut-off: in the script on a single Redis; on a
      // Cluster (other slots) read before it and again after it, so a revocation acknowledged before
      // the rotation step is never missed.
      const outside = [key.jti(jti), ...(identity === undefined ? [] : [key.id(identity)])];
      const outsideRevoked = async () => {
        const [jtiValue, cutoff] = await read(outside);
        return revokedBy([jtiValue, null, cutoff], iat);
      };
      const keys = [key.fam(family), key.rot(family), ...(cluster === undefined ? outside : [])];
      if (cluster !== undefined && (await outsideRevoked())) return 'revoked';
      const [now, later] = [tokenTtlMs(presented.exp), tokenTtlMs(next.exp ?? Number.NaN)];
      const keep = now === -1 || later === -1 ? -1 : Math.max(now, later);
      const iatText = typeof iat === 'number' && Number.isFinite(iat) ? String(iat) : '';
      const argv = [
        String(keep),
        String(clock()),
        channel,
        jti,
        iatText,
        next.jti,
        String(graceMs),
        String(MAX_SIBLINGS),
      ];
      const reply = toText(await script(ROTATE, keys, ...argv));
      if (reply === 'rotated' && cluster !== undefined && (await outsideRevoked())) return 'revoked';
      if (reply === 'rotated' || reply === 'reused' || reply === 'revoked') return reply;
      throw new BlocklistUnavailableError('Blocklist unavailable: unexpected reply to the rotation script');
    },

    loader: ({ payload }) => isRevoked(payload),

    localCache: cache,

    close: async () => cache?.close(),
  };
}
