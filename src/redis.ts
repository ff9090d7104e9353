/**
 * `trpc-jwt-extended/redis`: the Redis-backed blocklist.
 *
 * Written against node-redis (`redis` v4 and later, `createClient()`): it is Redis's official
 * client, promise-based, and its `sendCommand(args)` has kept the same shape from v4 to v6. Every
 * command goes through that one method — `MGET`, `SET … NX EX`, `EVAL` — so only a structural type
 * is needed here and this entry never imports `redis` at runtime. Any other client fits behind a
 * three-line adapter: `{ sendCommand: (args) => ioredis.call(...args) }`.
 *
 * At runtime this file imports only the stores' small shared helpers (src/stores/shared.ts), so it
 * stays small and loads without jose, zod or tRPC.
 */
import type { Blocklist, BlocklistOptions } from './stores/types.js';
import type { JwtPayload } from './types.js';
import { identityOf, requireJti, requireName } from './stores/shared.js';

export type { Blocklist, BlocklistOptions } from './stores/types.js';

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
 * Redis did not answer in time, or the connection failed. Thrown by every method of the Redis
 * blocklist; a loader that throws fails the request closed (INTERNAL_SERVER_ERROR). The message
 * never contains the Redis URL, a key or a token.
 */
export class BlocklistUnavailableError extends Error {
  override readonly name = 'BlocklistUnavailableError';
}

/**
 * `SET key cutoff EX ttl` only when greater than the stored cut-off, atomically: a later call with an
 * earlier cut-off never lowers it.
 */
const RAISE_CUTOFF = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

const DAY = 86_400;

function optionError(option: string, message: string): TypeError {
  return new TypeError(`trpc-jwt-extended: option \`${option}\` ${message}`);
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw optionError(option, 'must be a positive number');
  }
  return value;
}

function nonNegative(option: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw optionError(option, 'must be a non-negative number');
  }
  return value;
}

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
    throw optionError('client', 'must be a Redis client with sendCommand() (node-redis v4+, createClient())');
  }
  const prefix = options.prefix ?? 'jwt:';
  if (typeof prefix !== 'string') throw optionError('prefix', 'must be a string');
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw optionError('clock', 'must be a function');
  const identityClaim = options.identityClaim ?? 'sub';
  if (typeof identityClaim !== 'string' || identityClaim === '') {
    throw optionError('identityClaim', 'must be a non-empty string');
  }
  const maxTokenLifetime = positive('maxTokenLifetime', options.maxTokenLifetime, 30 * DAY);
  const leeway = nonNegative('leeway', options.leeway);
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 1000);

  const nowSeconds = () => clock() / 1000;

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

  /** Seconds a token's entry lives: to its exp plus leeway, or maxTokenLifetime; at least 1. */
  function tokenTtl(payload: JwtPayload): number {
    const { exp } = payload;
    const ttl =
      typeof exp === 'number' && Number.isFinite(exp) ? exp + leeway - nowSeconds() : maxTokenLifetime;
    return Math.max(1, Math.ceil(ttl));
  }

  async function isRevoked(payload: JwtPayload): Promise<boolean> {
    const { jti, iat, fam } = payload;
    const identity = identityOf(payload, identityClaim);
    const keys = [
      typeof jti === 'string' ? `${prefix}jti:${jti}` : undefined,
      typeof fam === 'string' ? `${prefix}fam:${fam}` : undefined,
      identity === undefined ? undefined : `${prefix}id:${identity}`,
    ];
    const asked = keys.filter((key) => key !== undefined);
    if (asked.length === 0) return false;
    const reply = await send(['MGET', ...asked]);
    if (!Array.isArray(reply) || reply.length !== asked.length) {
      throw new BlocklistUnavailableError('Blocklist unavailable: unexpected reply to MGET');
    }
    const values = new Map(asked.map((key, i) => [key, toText(reply[i])]));
    const [jtiKey, famKey, idKey] = keys;
    if (jtiKey !== undefined && values.get(jtiKey) != null) return true;
    if (famKey !== undefined && values.get(famKey) != null) return true;
    const cutoff = idKey === undefined ? null : (values.get(idKey) ?? null);
    return cutoff !== null && !(typeof iat === 'number' && iat > Number(cutoff));
  }

  return {
    async revoke(payload) {
      const jti = requireJti(payload, 'revoke');
      await send(['SET', `${prefix}jti:${jti}`, '1', 'EX', String(tokenTtl(payload))]);
    },

    isRevoked,

    async revokeAllForIdentity(identity, before) {
      requireName(identity, 'an identity', 'revokeAllForIdentity');
      const cutoff = before ?? Math.floor(nowSeconds());
      if (typeof cutoff !== 'number' || !Number.isFinite(cutoff)) {
        throw new TypeError(
          'trpc-jwt-extended: blocklist.revokeAllForIdentity needs `before` in UNIX seconds',
        );
      }
      const ttl = Math.max(1, Math.ceil(cutoff + maxTokenLifetime - nowSeconds()));
      await send(['EVAL', RAISE_CUTOFF, '1', `${prefix}id:${identity}`, String(cutoff), String(ttl)]);
    },

    async revokeFamily(family, ttlSeconds) {
      requireName(family, 'a family', 'revokeFamily');
      const ttl = ttlSeconds ?? maxTokenLifetime;
      if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
        throw new TypeError(
          'trpc-jwt-extended: blocklist.revokeFamily needs `ttlSeconds` as a positive number',
        );
      }
      await send(['SET', `${prefix}fam:${family}`, '1', 'EX', String(Math.max(1, Math.ceil(ttl)))]);
    },

    async markUsed(payload) {
      const jti = requireJti(payload, 'markUsed');
      // One atomic command, never read-then-write: of N concurrent calls exactly one gets 'OK'.
      const reply = await send(['SET', `${prefix}used:${jti}`, '1', 'NX', 'EX', String(tokenTtl(payload))]);
      return reply !== null && reply !== undefined;
    },

    loader: ({ payload }) => isRevoked(payload),
  };
}
