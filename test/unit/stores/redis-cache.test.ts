/**
 * The Redis blocklist's local cache (`localCache`), against a real redis-server: warm answers stay in
 * process, every write anywhere invalidates them through the pub/sub channel, and a store that
 * loses (or stops hearing) its invalidation stream goes back to round trips until it has a fresh one.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisBlocklist,
  type RedisBlocklist,
  type RedisClientLike,
  type RedisSubscriberLike,
} from '../../../src/stores/redis.js';
import { hasRedis, type RedisServer, startRedis } from '../../helpers/redis-server.js';
import { blocklistContract, token } from './contract.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function connect(url: string, options: Parameters<typeof createClient>[0] = {}) {
  const client = createClient({ url, ...options });
  client.on('error', () => {});
  await client.connect();
  return client;
}
type Client = Awaited<ReturnType<typeof connect>>;

/** Polls `fn` every 10 ms until true; fails with `what` after `ms`. */
async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** A subscriber whose messages the test can watch, or silently drop (a partition the socket never sees). */
function watched(subscriber: Client) {
  const watchers = new Set<(message: string) => void>();
  const state = { dropping: false };
  const wrapped: RedisSubscriberLike = {
    subscribe: (channel, listener) =>
      subscriber.subscribe(channel, (message: string, from: string) => {
        if (state.dropping) return;
        listener(message, from);
        for (const watch of watchers) watch(message);
      }),
    unsubscribe: (channel, listener) => subscriber.unsubscribe(channel, listener),
    on: (event, listener) => subscriber.on(event, listener),
    off: (event, listener) => subscriber.off(event, listener),
  };
  /** Resolves with the next invalidation message (not a heartbeat) delivered to the store. */
  const nextInvalidation = () =>
    new Promise<string>((resolve) => {
      const watch = (message: string) => {
        if (!message.startsWith('k')) return;
        watchers.delete(watch);
        resolve(message);
      };
      watchers.add(watch);
    });
  return { wrapped, state, nextInvalidation };
}

describe.skipIf(!hasRedis)('createRedisBlocklist with localCache', () => {
  let server: RedisServer;
  let client: Client;
  const opened: { close(): unknown }[] = [];
  const stores: RedisBlocklist[] = [];
  let serial = 0;

  beforeAll(async () => {
    server = await startRedis();
    client = await connect(server.url);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const c of opened.splice(0)) c.close();
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  async function subscriberClient(options: Parameters<typeof createClient>[0] = {}): Promise<Client> {
    const sub = await connect(server.url, options);
    opened.push({ close: () => sub.destroy() });
    return sub;
  }

  /** A cached store on `prefix`, counting its MGETs; `peer` is another server's store (no cache). */
  async function cachedStore(
    options: {
      subscriber?: RedisSubscriberLike;
      client?: RedisClientLike;
      maxEntries?: number;
      ttlMs?: number;
      heartbeatMs?: number;
    } = {},
  ) {
    serial += 1;
    const prefix = `cache-${serial}:`;
    const mgets: string[][] = [];
    const inner = options.client ?? client;
    const counting: RedisClientLike = {
      sendCommand: (args, o) => {
        if (args[0] === 'MGET') mgets.push(args.slice(1));
        return inner.sendCommand(args, o);
      },
    };
    const subscriber = options.subscriber ?? (await subscriberClient());
    const { subscriber: _, client: __, ...cacheOptions } = options;
    const store = createRedisBlocklist({
      client: counting,
      prefix,
      localCache: { subscriber, ...cacheOptions },
    });
    stores.push(store);
    const peer = createRedisBlocklist({ client, prefix });
    await until('the local cache is live', () => store.localCache?.live === true);
    return { store, peer, mgets };
  }

  blocklistContract('redis with localCache', async (options) => {
    serial += 1;
    const store = createRedisBlocklist({
      client,
      prefix: `cache-contract-${serial}:`,
      localCache: { subscriber: await subscriberClient() },
      ...options,
    });
    stores.push(store);
    await until('the local cache is live', () => store.localCache?.live === true);
    return { store, now: nowSeconds, elapse: (seconds) => sleep(seconds * 1000) };
  });

  it('answers a warm isRevoked locally: one MGET for the first call, none after', async () => {
    const { store, mgets } = await cachedStore();
    const t = token(nowSeconds(), { fam: 'f-warm' });
    expect(await store.isRevoked(t)).toBe(false);
    expect(mgets).toHaveLength(1);
    for (let i = 0; i < 100; i++) expect(await store.isRevoked(t)).toBe(false);
    expect(mgets).toHaveLength(1);
    // Another token of the same identity only reads its own jti: the identity's key is cached.
    const other = token(nowSeconds());
    expect(await store.isRevoked(other)).toBe(false);
    expect(mgets[1]).toEqual([`cache-${serial}:jti:${other.jti}`]);
  });

  it("refuses here a token revoked through another server, once that server's write has published", async () => {
    const { store, peer, mgets } = await cachedStore();
    const t = token(nowSeconds());
    const other = token(nowSeconds());
    expect(await store.isRevoked(t)).toBe(false);
    expect(await store.isRevoked(other)).toBe(false);
    const reads = mgets.length;

    await peer.revoke(t); // a store without localCache publishes too
    await until('the revocation is seen here', () => store.isRevoked(t));
    expect(await store.isRevoked(t)).toBe(true);
    // The positive answer is cached as well; the untouched token was never re-read.
    expect(await store.isRevoked(other)).toBe(false);
    expect(mgets.length).toBe(reads + 1);
  });

  it('a logout everywhere invalidates every cached answer of the identity; revokeFamily and reuse those of the family', async () => {
    const { store, peer } = await cachedStore();
    const t = nowSeconds();
    const erin = [token(t - 5, { sub: 'erin' }), token(t - 5, { sub: 'erin', fam: 'f1' })];
    const frank = token(t - 5, { sub: 'frank' });
    for (const p of [...erin, frank]) expect(await store.isRevoked(p)).toBe(false);
    await peer.revokeAllForIdentity('erin', t - 1);
    await until('the cut-off is seen', async () => (await store.isRevoked(erin[0]!)) === true);
    expect(await store.isRevoked(erin[1]!)).toBe(true);
    expect(await store.isRevoked(frank)).toBe(false);

    const fam = [token(t, { sub: 'gus', fam: 'f2' }), token(t, { sub: 'gus', fam: 'f2', type: 'refresh' })];
    for (const p of fam) expect(await store.isRevoked(p)).toBe(false);
    await peer.revokeFamily('f2');
    await until('the family revocation is seen', () => store.isRevoked(fam[0]!));
    expect(await store.isRevoked(fam[1]!)).toBe(true);

    const r0 = token(t, { sub: 'hal', fam: 'f3', type: 'refresh' });
    const r1 = token(t, { sub: 'hal', fam: 'f3', type: 'refresh' });
    expect(await peer.rotate(r0, 'f3', { jti: r1.jti!, exp: r1.exp })).toBe('rotated');
    expect(await store.isRevoked(r1)).toBe(false);
    expect(await peer.rotate(r0, 'f3', { jti: 'thief', exp: r1.exp })).toBe('reused');
    await until('the reuse revocation is seen', () => store.isRevoked(r1));
  });

  it('a miss-fill racing a revocation: an invalidation that arrives before the fill completes wins', async () => {
    let hold: Promise<void> | undefined;
    let sent = () => {};
    const gated: RedisClientLike = {
      async sendCommand(args, options) {
        if (args[0] === 'MGET') sent();
        const reply = await client.sendCommand(args, options);
        if (args[0] === 'MGET' && hold !== undefined) await hold;
        return reply;
      },
    };
    const sub = watched(await subscriberClient());
    const { store, peer } = await cachedStore({ client: gated, subscriber: sub.wrapped });
    const t = token(nowSeconds());
    let release = () => {};
    hold = new Promise<void>((resolve) => (release = resolve));
    // The MGET runs first on the shared connection (not revoked yet); its reply is held here.
    const mgetSent = new Promise<void>((resolve) => (sent = resolve));
    const pending = store.isRevoked(t);
    await mgetSent;
    const invalidation = sub.nextInvalidation();
    await peer.revoke(t);
    await invalidation; // the invalidation reached this store before the fill completed
    release();
    hold = undefined;
    expect(await pending).toBe(false); // that read ran before the revocation: a true answer then
    expect(await store.isRevoked(t)).toBe(true); // but it was not kept
  });

  it('applies an invalidation already received before answering from the cache, even one queued behind the check', async () => {
    const sub = watched(await subscriberClient());
    const { store, peer } = await cachedStore({ subscriber: sub.wrapped });
    const t = token(nowSeconds());
    expect(await store.isRevoked(t)).toBe(false);
    // Hold the event loop until the invalidation is readable on the subscriber's socket, then ask
    // at once, in the same turn: the check must not answer before the pending message is processed.
    await peer.revoke(t);
    const deadline = Date.now() + 50;
    while (Date.now() < deadline); // the message arrives meanwhile, unread
    expect(await store.isRevoked(t)).toBe(true);
  });

  it('stops trusting local answers at once when its subscriber disconnects, and recovers by itself', async () => {
    const subscriber = await subscriberClient();
    const { store, peer, mgets } = await cachedStore({ subscriber });
    const t = token(nowSeconds());
    expect(await store.isRevoked(t)).toBe(false);
    const reads = mgets.length;

    const disconnected = new Promise((resolve) => subscriber.once('reconnecting', resolve));
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await disconnected;
    expect(store.localCache?.live).toBe(false);
    await peer.revoke(t); // published while this store hears nothing
    expect(await store.isRevoked(t)).toBe(true); // a round trip, not the cached "not revoked"
    expect(mgets.length).toBe(reads + 1);

    await until('live again', () => store.localCache?.live === true);
    const fresh = token(nowSeconds());
    expect(await store.isRevoked(t)).toBe(true);
    expect(await store.isRevoked(fresh)).toBe(false);
    const warm = mgets.length;
    expect(await store.isRevoked(fresh)).toBe(false);
    expect(mgets.length).toBe(warm); // local answers again
  });

  it('stops trusting local answers when heartbeats stop coming back (a silent partition), then recovers', async () => {
    const sub = watched(await subscriberClient());
    const { store, peer, mgets } = await cachedStore({ subscriber: sub.wrapped, heartbeatMs: 50 });
    const [t, cachedOnly] = [token(nowSeconds()), token(nowSeconds())];
    expect(await store.isRevoked(t)).toBe(false);
    expect(await store.isRevoked(cachedOnly)).toBe(false);

    sub.state.dropping = true; // the socket stays open; nothing arrives
    await until('the lease lapses', () => store.localCache?.live === false, 3000);
    await peer.revoke(t);
    await peer.revoke(cachedOnly); // its invalidation is lost; it is not asked for until after the gap
    const reads = mgets.length;
    expect(await store.isRevoked(t)).toBe(true);
    expect(mgets.length).toBe(reads + 1);

    sub.state.dropping = false;
    await until('live again', () => store.localCache?.live === true, 3000);
    expect(await store.isRevoked(t)).toBe(true);
    // The answer cached before the gap did not survive it: the new epoch started empty.
    expect(await store.isRevoked(cachedOnly)).toBe(true);
  });

  it('holds at most maxEntries keys (least recently used go first) and re-reads an entry after ttlMs', async () => {
    const { store, mgets } = await cachedStore({ maxEntries: 3, ttlMs: 300 });
    const t = nowSeconds();
    const [a, b] = [token(t, { sub: 'ann' }), token(t, { sub: 'bea' })];
    await store.isRevoked(a); // jti:a, id:ann
    await store.isRevoked(b); // jti:b, id:bea: evicts jti:a
    expect(store.localCache?.size).toBe(3);
    const reads = mgets.length;
    await store.isRevoked(b);
    expect(mgets.length).toBe(reads);
    await store.isRevoked(a);
    expect(mgets.length).toBe(reads + 1);

    await sleep(400);
    await store.isRevoked(a);
    expect(mgets.length).toBe(reads + 2);
  });

  it('validates localCache options at construction, naming the option', () => {
    const subscriber: RedisSubscriberLike = { subscribe: async () => undefined };
    const make = (localCache: unknown) =>
      createRedisBlocklist({ client, localCache: localCache as { subscriber: RedisSubscriberLike } });
    expect(() => make({})).toThrow('option `localCache.subscriber` must be a Redis client with subscribe()');
    expect(() => make({ subscriber, maxEntries: 1.5 })).toThrow(
      'option `localCache.maxEntries` must be a positive integer',
    );
    expect(() => make({ subscriber, ttlMs: 0 })).toThrow(
      'option `localCache.ttlMs` must be a positive number',
    );
    expect(() => make({ subscriber, heartbeatMs: -1 })).toThrow(
      'option `localCache.heartbeatMs` must be a positive number',
    );
    expect(createRedisBlocklist({ client }).localCache).toBeUndefined();
  });
});
