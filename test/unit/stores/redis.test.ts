import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlocklistUnavailableError,
  createRedisBlocklist,
  type RedisBlocklistOptions,
  type RedisClientLike,
} from '../../../src/stores/redis.js';
import { hasRedis, type RedisServer, startRedis } from '../../helpers/redis-server.js';
import { blocklistContract, token } from './contract.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function connect(url: string, options: { disableOfflineQueue?: boolean } = {}) {
  const client = createClient({ url, ...options });
  // node-redis emits 'error' on every failed reconnection; unheard, it would crash the worker.
  client.on('error', () => {});
  await client.connect();
  return client;
}
type Client = Awaited<ReturnType<typeof connect>>;

/** The rejection of `promise` and how long it took, in ms. */
async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const start = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, ms: performance.now() - start };
  }
  throw new Error('expected a rejection');
}

/** Retries `fn` until it resolves (a reconnecting client), for at most `ms`. */
async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('createRedisBlocklist without a server', () => {
  it('validates options at construction, naming the option', () => {
    expect(() => createRedisBlocklist({} as RedisBlocklistOptions)).toThrow(
      'trpc-jwt-extended: option `client` must be a Redis client with sendCommand()',
    );
    const client: RedisClientLike = { sendCommand: async () => null };
    expect(() => createRedisBlocklist({ client, timeoutMs: 0 })).toThrow(
      'option `timeoutMs` must be a positive number',
    );
    expect(() => createRedisBlocklist({ client, maxTokenLifetime: Number.NaN })).toThrow(TypeError);
    expect(() => createRedisBlocklist({ client, prefix: 1 as never })).toThrow(
      'option `prefix` must be a string',
    );
    expect(() => createRedisBlocklist({ client, identityClaim: '' })).toThrow('option `identityClaim`');
    expect(() => createRedisBlocklist({ client, leeway: -1 })).toThrow(
      'option `leeway` must be a non-negative number',
    );
    expect(createRedisBlocklist({ client, leeway: 0 }).loader).toBeTypeOf('function');
  });

  it('times out a command that never answers, and aborts it in the client', async () => {
    let signal: AbortSignal | undefined;
    const client: RedisClientLike = {
      sendCommand: (_args, options) => {
        signal = options?.abortSignal;
        return new Promise(() => {});
      },
    };
    const store = createRedisBlocklist({ client, timeoutMs: 100 });
    const { error, ms } = await rejection(store.isRevoked(token(nowSeconds())));
    expect(error).toBeInstanceOf(BlocklistUnavailableError);
    expect(error.message).toBe('Blocklist unavailable: Redis did not answer within 100 ms');
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThan(600);
    expect(signal?.aborted).toBe(true);
  });

  it('reports a failed command by code only: no URL, address, key or token in the message', async () => {
    const secretJti = 'jti-that-must-not-leak';
    const fail = (error: Error): RedisClientLike => ({ sendCommand: async () => Promise.reject(error) });
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 10.1.2.3:6380 redis://user:pw@10.1.2.3:6380'),
      {
        code: 'ECONNREFUSED',
      },
    );
    const cases: [Error, string][] = [
      [refused, 'ECONNREFUSED'],
      [
        new Error(`WRONGTYPE Operation against a key holding the wrong kind of value jwt:jti:${secretJti}`),
        'WRONGTYPE',
      ],
      [new (class ClientClosedError extends Error {})('The client is closed'), 'ClientClosedError'],
      [new Error('something about redis://10.1.2.3'), 'unknown error'],
    ];
    for (const [cause, reason] of cases) {
      const store = createRedisBlocklist({ client: fail(cause) });
      const { error } = await rejection(store.revoke(token(nowSeconds(), { jti: secretJti })));
      expect(error).toBeInstanceOf(BlocklistUnavailableError);
      expect(error.message).toBe(`Blocklist unavailable: Redis command failed (${reason})`);
      expect(error.message).not.toMatch(/redis:|10\.1\.2\.3|6380|jti-that/);
      expect(error).not.toHaveProperty('cause');
    }
  });

  it('imports nothing at runtime but its own modules, the store kit, the LRU and the error classes: not redis, not tRPC, not jose', async () => {
    const entry = fileURLToPath(new URL('../../../src/stores/redis.ts', import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).sort()).toEqual([
      'src/errors.ts',
      'src/internal/lru.ts',
      'src/stores/kit.ts',
      'src/stores/local-cache.ts',
      'src/stores/redis-keys.ts',
      'src/stores/redis-scripts.ts',
      'src/stores/redis-send.ts',
      'src/stores/redis.ts',
    ]);
    expect(Object.values(result.metafile.outputs).flatMap((output) => output.imports)).toEqual([]);
  });
});

describe.skipIf(!hasRedis)('createRedisBlocklist against redis-server', () => {
  let server: RedisServer;
  let client: Client;
  let stores = 0;

  beforeAll(async () => {
    server = await startRedis();
    client = await connect(server.url);
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  blocklistContract('redis', async (options) => {
    stores += 1;
    return {
      store: createRedisBlocklist({ client, prefix: `jwt:contract-${stores}:`, ...options }),
      now: nowSeconds,
      elapse: (seconds) => sleep(seconds * 1000),
    };
  });

  it("writes under the prefix, with each key's TTL the token's remaining life", async () => {
    const prefix = 'app-ttl:';
    const store = createRedisBlocklist({ client, prefix, maxTokenLifetime: 3600 });
    const t = nowSeconds();
    const access = token(t, { jti: 'a1', exp: t + 100 });
    const { exp: _, ...noExp } = token(t, { jti: 'a2' });
    const expired = token(t, { jti: 'a3', exp: t - 50 });
    await store.revoke(access);
    await store.revoke(noExp);
    await store.revoke(expired);
    await store.markUsed(token(t, { jti: 'r1', exp: t + 200 }));
    await store.revokeFamily('f1', 50);
    await store.revokeAllForIdentity('alice', t);

    expect((await client.keys(`${prefix}*`)).sort()).toEqual([
      'app-ttl:fam:f1',
      'app-ttl:id:alice',
      'app-ttl:jti:a1',
      'app-ttl:jti:a2',
      'app-ttl:jti:a3',
      'app-ttl:used:r1',
    ]);
    const ttl = (key: string) => client.ttl(prefix + key);
    expect(await ttl('jti:a1')).toBeGreaterThanOrEqual(98);
    expect(await ttl('jti:a1')).toBeLessThanOrEqual(100);
    expect(await ttl('jti:a2')).toBe(-1); // no exp: the token never expires, nor does its revocation
    expect(await ttl('jti:a3')).toBe(1); // already expired: at least 1 s
    expect(await ttl('used:r1')).toBeGreaterThanOrEqual(198);
    expect(await ttl('used:r1')).toBeLessThanOrEqual(200);
    expect(await ttl('fam:f1')).toBeGreaterThanOrEqual(48);
    expect(await ttl('fam:f1')).toBeLessThanOrEqual(50);
    expect(await ttl('id:alice')).toBeGreaterThanOrEqual(3598); // cut-off + maxTokenLifetime
    expect(await client.get(`${prefix}id:alice`)).toBe(String(t));
  });

  it('defaults the prefix to "jwt:"; a token without exp stays revoked (no TTL)', async () => {
    const store = createRedisBlocklist({ client });
    const jti = `default-${Math.random()}`;
    await store.revoke({ jti });
    expect(await client.ttl(`jwt:jti:${jti}`)).toBe(-1);
    await client.del(`jwt:jti:${jti}`);
  });

  it('adds leeway seconds to the TTL', async () => {
    const store = createRedisBlocklist({ client, prefix: 'app-leeway:', leeway: 30 });
    await store.revoke(token(nowSeconds(), { jti: 'l1', exp: nowSeconds() + 10 }));
    expect(await client.ttl('app-leeway:jti:l1')).toBeGreaterThanOrEqual(38);
  });

  it('isRevoked is one round trip (MGET), and none when there is nothing to look up', async () => {
    const calls: string[][] = [];
    const counting: RedisClientLike = {
      sendCommand: (args, options) => {
        calls.push(args);
        return client.sendCommand(args, options);
      },
    };
    const store = createRedisBlocklist({ client: counting, prefix: 'app-rt:' });
    expect(await store.isRevoked(token(nowSeconds(), { jti: 'x', fam: 'f' }))).toBe(false);
    expect(calls).toEqual([['MGET', 'app-rt:jti:x', 'app-rt:fam:f', 'app-rt:id:alice']]);
    expect(await store.isRevoked({ iat: 1 })).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('raises an identity cut-off atomically: concurrent calls keep the greatest', async () => {
    const store = createRedisBlocklist({ client, prefix: 'app-cut:' });
    const t = nowSeconds();
    const cutoffs = Array.from({ length: 20 }, (_, i) => t - ((i * 7) % 20));
    await Promise.all(cutoffs.map((before) => store.revokeAllForIdentity('bob', before)));
    expect(await client.get('app-cut:id:bob')).toBe(String(t));
  });

  it('reports an error reply of the server by its code', async () => {
    const store = createRedisBlocklist({ client, prefix: 'app-err:' });
    await client.hSet('app-err:id:carol', 'not', 'a string');
    const { error } = await rejection(store.revokeAllForIdentity('carol'));
    expect(error).toBeInstanceOf(BlocklistUnavailableError);
    expect(error.message).toMatch(/^Blocklist unavailable: Redis command failed \((WRONGTYPE|ERR)\)$/);
  });

  it('reports a closed client at once', async () => {
    const closed = await connect(server.url);
    closed.destroy();
    const store = createRedisBlocklist({ client: closed });
    const { error, ms } = await rejection(store.isRevoked(token(nowSeconds())));
    expect(error.message).toBe('Blocklist unavailable: Redis command failed (ClientClosedError)');
    expect(ms).toBeLessThan(500);
  });

  describe('when Redis dies and comes back', () => {
    let failing: RedisServer;
    let queueing: Client;
    let offline: Client;

    beforeAll(async () => {
      failing = await startRedis();
      queueing = await connect(failing.url);
      offline = await connect(failing.url, { disableOfflineQueue: true });
    });

    afterAll(async () => {
      queueing?.destroy();
      offline?.destroy();
      await failing?.stop();
    });

    it('fails within timeoutMs with a clear message, then recovers without a new client', async () => {
      const store = createRedisBlocklist({ client: queueing, prefix: 'app-down:', timeoutMs: 300 });
      const before = token(nowSeconds(), { jti: 'before-crash' });
      await store.revoke(before);
      expect(await store.isRevoked(before)).toBe(true);

      await failing.kill();
      for (const attempt of [store.isRevoked(before), store.isRevoked(before)]) {
        const { error, ms } = await rejection(attempt);
        expect(error).toBeInstanceOf(BlocklistUnavailableError);
        expect(error.message).toMatch(
          /^Blocklist unavailable: Redis (did not answer within 300 ms|command failed \(\w+\))$/,
        );
        expect(error.message).not.toContain('redis://');
        expect(error.message).not.toContain(String(failing.port));
        expect(error.message).not.toContain('before-crash');
        expect(ms).toBeLessThan(1000);
      }
      // Once node-redis knows the socket is gone it queues commands: the timeout answers.
      await sleep(100);
      const queued = await rejection(store.revoke(token(nowSeconds(), { jti: 'during-outage' })));
      expect(queued.error.message).toBe('Blocklist unavailable: Redis did not answer within 300 ms');
      expect(queued.ms).toBeGreaterThanOrEqual(280);
      expect(queued.ms).toBeLessThan(1000);

      await failing.restart();
      // The same client reconnects by itself; the restarted server has no data (no persistence).
      expect(await eventually(() => store.isRevoked(before))).toBe(false);
      // The command that timed out was dropped from the queue, not replayed after reconnecting.
      expect(await queueing.exists('app-down:jti:during-outage')).toBe(0);
      await store.revoke(before);
      expect(await store.isRevoked(before)).toBe(true);
    });

    it('fails at once with disableOfflineQueue while reconnecting, then recovers', async () => {
      const store = createRedisBlocklist({ client: offline, prefix: 'app-offline:', timeoutMs: 2000 });
      const payload = token(nowSeconds());
      await eventually(() => store.isRevoked(payload));

      await failing.kill();
      await eventually(async () => {
        if (offline.isReady) throw new Error('still ready');
      }, 5000);
      const { error, ms } = await rejection(store.isRevoked(payload));
      expect(error.message).toBe('Blocklist unavailable: Redis command failed (ClientOfflineError)');
      expect(ms).toBeLessThan(500); // far below timeoutMs: no waiting

      await failing.restart();
      await eventually(() => store.revoke(payload));
      expect(await store.isRevoked(payload)).toBe(true);
    });
  });
});
