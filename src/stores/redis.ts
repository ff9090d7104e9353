/**
 * `trpc-jwt-extended/redis`: the Redis-backed blocklist.
 *
 * Written against node-redis (`redis` v4 and later, `createClient()`): it is Redis's official
 * client, promise-based, and its `sendCommand(args)` has kept the same shape from v4 to v6. Every
 * command goes through that one method — `MGET`, `SET … NX EX`, `EVAL` — so only a structural type
 * is needed here and this entry never imports `redis` at runtime. Any other client fits behind a
 * three-line adapter: `{ sendCommand: (args) => ioredis.call(...args) }`.
 *
 * At runtime this file imports only the store kit (the rules every store shares) and the error
 * classes, so it stays small and loads without jose, zod or tRPC.
 */
import { BlocklistUnavailableError, JwtConfigError } from '../errors.js';
import type { JwtPayload } from '../jwt.js';
import {
  cutoffEndMs,
  familyTtlSeconds,
  identityOf,
  isCutOff,
  keyNames,
  positiveOption,
  requireJti,
  requireName,
  resolveCutoff,
  resolveStoreRules,
  tokenEndMs,
} from './kit.js';
import type { Blocklist, BlocklistOptions } from './types.js';

export { BlocklistUnavailableError } from '../errors.js';
export type { Blocklist, BlocklistOptions, RotationNext, RotationOutcome } from './types.js';

/** The one method used, as node-redis v4–v6 clients have it (`createClient()`). */
export interface RedisClientLike {
  /**
   * Sends a raw command. `abortSignal` (node-redis v5+) and `signal` (v4) carry the same signal:
   * on timeout it drops the command from the client's queue, so it is not replayed later.
   */
  sendCommand(
    args: string[],
    options?: { abortSignal?: AbortSignal; signal?: AbortSignal },
  ): Promise<unknown>;
}

/** Options of `createRedisBlocklist`. */
export interface RedisBlocklistOptions extends BlocklistOptions {
  /**
   * A connected node-redis client. Give it an `'error'` listener (node-redis emits one per failed
   * reconnection, and an unhandled `'error'` crashes the process). While it reconnects it queues
   * commands; `timeoutMs` bounds the wait either way, and `createClient({ disableOfflineQueue: true })`
   * makes requests fail at once instead of after `timeoutMs` while Redis is down.
   */
  client: RedisClientLike;
  /**
   * Prefix of every key: `<prefix>jti:<jti>`, `<prefix>used:<jti>`, `<prefix>id:<identity>`,
   * `<prefix>fam:<family>`. On Redis Cluster, use a hash tag (`'{jwt}:'`) so that the keys `isRevoked`
   * reads together share a slot. @default 'jwt:'
   */
  prefix?: string;
  /** Milliseconds a command may take; then it fails with a `BlocklistUnavailableError`. @default 1000 */
  timeoutMs?: number;
}

/**
 * `SET key cutoff EX ttl` only when greater than the stored cut-off, atomically: a later call with an
 * earlier cut-off never lowers it.
 */
const RAISE_CUTOFF = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

/**
 * One rotation step, atomically (see `Blocklist.rotate`).
 * KEYS: jti, fam, rot (the family's latest refresh token), id (cut-off; absent without identity).
 * ARGV: the presented jti, its iat ('' when none), the next jti, ms the record must live (-1: forever).
 */
const ROTATE = `if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 'revoked' end
if KEYS[4] then
  local cut = tonumber(redis.call('GET', KEYS[4]))
  local iat = tonumber(ARGV[2])
  if cut and not (iat and iat > cut) then return 'revoked' end
end
local keep = tonumber(ARGV[4])
local left = redis.call('PTTL', KEYS[3])
if left == -1 then keep = -1 elseif keep ~= -1 and left > keep then keep = left end
local function put(key, value)
  if keep == -1 then redis.call('SET', key, value) else redis.call('SET', key, value, 'PX', keep) end
end
local latest = redis.call('GET', KEYS[3])
if latest and latest ~= ARGV[1] then
  local famLeft = redis.call('PTTL', KEYS[2])
  if famLeft == -1 then keep = -1 elseif keep ~= -1 and famLeft > keep then keep = famLeft end
  put(KEYS[2], '1')
  return 'reused'
end
put(KEYS[3], ARGV[3])
return 'rotated'`;

/** `SET` a family revocation for at least `ms` (-1: forever), never shortening a longer one or the rotation record. */
const REVOKE_FAMILY = `local keep = tonumber(ARGV[1])
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  local left = redis.call('PTTL', key)
  if left == -1 then keep = -1 elseif keep ~= -1 and left > keep then keep = left end
end
if keep == -1 then redis.call('SET', KEYS[1], '1') else redis.call('SET', KEYS[1], '1', 'PX', keep) end
return 1`;

/** A short reason safe to show: an error code or class name, never an address, key or stack. */
function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[A-Z][A-Z_]*$/.test(code)) return code;
  // An error reply of the server starts with its code: `WRONGTYPE …`, `NOAUTH …`, `READONLY …`.
  const word = typeof message === 'string' ? /^([A-Z][A-Z_]+)\b/.exec(message)?.[1] : undefined;
  if (word !== undefined) return word;
  const name = (error as object | null)?.constructor?.name;
  return typeof name === 'string' && /^[A-Z][A-Za-z]*Error$/.test(name) ? name : 'unknown error';
}

function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/**
 * A `Blocklist` in Redis, shared by every process. Keys expire with their token (TTL = remaining
 * life, at least 1 s); `isRevoked` is one `MGET`; `markUsed` is one `SET NX EX`; identity cut-offs
 * rise atomically (a Lua script). Every command times out after `timeoutMs` with a
 * `BlocklistUnavailableError`.
 *
 * ```ts
 * const client = await createClient({ url: process.env.REDIS_URL }).on('error', log).connect();
 * const blocklist = createRedisBlocklist({ client });
 * const jwt = createJwtManager({ secretKey, tokenInBlocklistLoader: blocklist.loader });
 * ```
 */
export function createRedisBlocklist(options: RedisBlocklistOptions): Blocklist {
  const { client } = options ?? {};
  if (typeof client?.sendCommand !== 'function') {
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
  const key = keyNames(prefix);

  /** One command, bounded by timeoutMs; every failure becomes a BlocklistUnavailableError. */
  async function send(args: string[]): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new BlocklistUnavailableError(`Blocklist unavailable: Redis did not answer within ${timeoutMs} ms`),
        );
        controller.abort();
      }, timeoutMs);
    });
    const signal = controller.signal;
    const reply = Promise.resolve()
      .then(() => client.sendCommand(args, { abortSignal: signal, signal }))
      .catch((error: unknown) => {
        throw new BlocklistUnavailableError(
          `Blocklist unavailable: Redis command failed (${reasonOf(error)})`,
        );
      });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ms a token's entry lives (its end from the kit, as a TTL); -1 (forever) for a token without exp. */
  function tokenTtlMs(exp: unknown): number {
    const now = clock();
    const end = tokenEndMs(exp, rules, now);
    return end === Number.POSITIVE_INFINITY ? -1 : Math.ceil(end - now);
  }

  /** `SET key 1` expiring with the token (`PX`), or never for a token without exp; extra args appended. */
  function setForToken(key: string, exp: unknown, ...extra: string[]): Promise<unknown> {
    const ms = tokenTtlMs(exp);
    return send(ms === -1 ? ['SET', key, '1', ...extra] : ['SET', key, '1', 'PX', String(ms), ...extra]);
  }

  async function isRevoked(payload: JwtPayload): Promise<boolean> {
    const { jti, iat, fam } = payload;
    const identity = identityOf(payload, identityClaim);
    const keys = [
      typeof jti === 'string' ? key.jti(jti) : undefined,
      typeof fam === 'string' ? key.fam(fam) : undefined,
      identity === undefined ? undefined : key.id(identity),
    ];
    const asked = keys.filter((name) => name !== undefined);
    if (asked.length === 0) return false;
    const reply = await send(['MGET', ...asked]);
    if (!Array.isArray(reply) || reply.length !== asked.length) {
      throw new BlocklistUnavailableError('Blocklist unavailable: unexpected reply to MGET');
    }
    const values = new Map(asked.map((name, i) => [name, toText(reply[i])]));
    const [jtiKey, famKey, idKey] = keys;
    if (jtiKey !== undefined && values.get(jtiKey) != null) return true;
    if (famKey !== undefined && values.get(famKey) != null) return true;
    const cutoff = idKey === undefined ? null : (values.get(idKey) ?? null);
    return cutoff !== null && isCutOff(iat, Number(cutoff));
  }

  return {
    async revoke(payload) {
      const jti = requireJti(payload, 'revoke');
      await setForToken(key.jti(jti), payload.exp);
    },

    isRevoked,

    async revokeAllForIdentity(identity, before) {
      requireName(identity, 'an identity', 'revokeAllForIdentity');
      const now = clock();
      const cutoff = resolveCutoff(before, now);
      const ttl = String(Math.ceil((cutoffEndMs(cutoff, rules, now) - now) / 1000)); // seconds (EX)
      await send(['EVAL', RAISE_CUTOFF, '1', key.id(identity), String(cutoff), ttl]);
    },

    async revokeFamily(family, ttlSeconds) {
      requireName(family, 'a family', 'revokeFamily');
      const ttl = familyTtlSeconds(ttlSeconds, rules);
      const ms = Number.isFinite(ttl) ? String(Math.ceil(ttl * 1000)) : '-1';
      await send(['EVAL', REVOKE_FAMILY, '2', key.fam(family), key.rot(family), ms]);
    },

    async markUsed(payload) {
      const jti = requireJti(payload, 'markUsed');
      // One atomic command, never read-then-write: of N concurrent calls exactly one gets 'OK'.
      const reply = await setForToken(key.used(jti), payload.exp, 'NX');
      return reply !== null && reply !== undefined;
    },

    async rotate(presented, family, next) {
      const jti = requireJti(presented, 'rotate');
      requireName(family, 'a family', 'rotate');
      const identity = identityOf(presented, identityClaim);
      const keys = [key.jti(jti), key.fam(family), key.rot(family)];
      if (identity !== undefined) keys.push(key.id(identity));
      const [now, later] = [tokenTtlMs(presented.exp), tokenTtlMs(next.exp ?? Number.NaN)];
      const keep = now === -1 || later === -1 ? -1 : Math.max(now, later);
      const { iat } = presented;
      const reply = toText(
        await send([
          'EVAL',
          ROTATE,
          String(keys.length),
          ...keys,
          jti,
          typeof iat === 'number' && Number.isFinite(iat) ? String(iat) : '',
          next.jti,
          String(keep),
        ]),
      );
      if (reply === 'rotated' || reply === 'reused' || reply === 'revoked') return reply;
      throw new BlocklistUnavailableError('Blocklist unavailable: unexpected reply to the rotation script');
    },

    loader: ({ payload }) => isRevoked(payload),
  };
}
