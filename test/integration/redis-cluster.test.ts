/**
 * The Redis blocklist on a real Redis Cluster (three masters started here, joined with
 * `redis-cli --cluster create`), through node-redis's cluster client: the Blocklist contract (the
 * cases that wait for an expiry are left out: the same scripts run them on a single Redis), keys
 * spread over the nodes by hash tag, and the local cache invalidated across cluster clients.
 */
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBlocklist, type RedisBlocklist } from '../../src/stores/redis.js';
import { hasRedisCluster, type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { blocklistContract, token } from '../unit/stores/contract.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function connect(url: string) {
  const cluster = createCluster({ rootNodes: [{ url }] });
  cluster.on('error', () => {});
  await cluster.connect();
  return cluster;
}
type Cluster = Awaited<ReturnType<typeof connect>>;

async function live(store: RedisBlocklist): Promise<void> {
  for (let i = 0; store.localCache?.live !== true; i++) {
    if (i === 500) throw new Error('the local cache never became live');
    await sleep(10);
  }
}

describe.skipIf(!hasRedisCluster)('Redis blocklist on a Redis Cluster of three masters', () => {
  let redis: RedisCluster | undefined;
  let one: Cluster;
  let two: Cluster;
  const stores: RedisBlocklist[] = [];
  let serial = 0;

  beforeAll(async () => {
    redis = await startRedisCluster();
    [one, two] = await Promise.all([connect(redis.urls[0]!), connect(redis.urls[1]!)]);
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    one?.destroy();
    two?.destroy();
    await redis?.stop();
  });

  blocklistContract(
    'redis cluster with localCache',
    async (options) => {
      serial += 1;
      const store = createRedisBlocklist({
        cluster: one,
        prefix: `contract-${serial}:`,
        localCache: { subscriber: one },
        ...options,
      });
      stores.push(store);
      await live(store);
      return { store, now: nowSeconds, elapse: (seconds) => sleep(seconds * 1000) };
    },
    { timed: false },
  );

  it("spreads keys over the nodes by hash tag; a family's revocation and rotation record share a slot", async () => {
    const store = createRedisBlocklist({ cluster: one, prefix: 'spread:' });
    const t = nowSeconds();
    for (let i = 0; i < 30; i++) {
      const fam = `fam-${i}`;
      const r0 = token(t, { sub: `user-${i}`, fam, type: 'refresh' });
      expect(await store.rotate(r0, fam, { jti: `next-${i}`, exp: t + 600 })).toBe('rotated');
      await store.revoke(r0);
      await store.revokeFamily(fam);
      await store.revokeAllForIdentity(`user-${i}`, t - 60);
      expect(await store.isRevoked(r0)).toBe(true);
      expect(await store.isRevoked(token(t, { sub: `user-${i}` }))).toBe(false);
    }
    const perNode = await Promise.all(
      one.masters.map(async (master) => (await one.nodeClient(master)).keys('spread:*')),
    );
    expect(perNode.flat()).toHaveLength(30 * 4);
    expect(perNode.filter((keys) => keys.length > 0).length).toBe(3);
    const nodeOf = (key: string) => perNode.findIndex((keys) => keys.includes(key));
    for (let i = 0; i < 30; i++) {
      expect(nodeOf(`spread:{fam-${i}}:fam`)).toBe(nodeOf(`spread:{fam-${i}}:rot`));
    }
  });

  it('refuses through one cluster client, from its local cache, a token revoked through another', async () => {
    const cached = createRedisBlocklist({ cluster: one, prefix: 'shared:', localCache: { subscriber: one } });
    const writer = createRedisBlocklist({ cluster: two, prefix: 'shared:' });
    stores.push(cached);
    await live(cached);
    const t = nowSeconds();
    const tokens = Array.from({ length: 12 }, (_, i) => token(t - 5, { sub: `u${i % 4}`, fam: `f${i % 3}` }));
    for (const p of tokens) expect(await cached.isRevoked(p)).toBe(false);
    await writer.revoke(tokens[0]!);
    await writer.revokeFamily('f1');
    await writer.revokeAllForIdentity('u3', t - 1);
    const expected = tokens.map((p, i) => i === 0 || p.fam === 'f1' || p.sub === 'u3');
    for (let i = 0; ; i++) {
      const seen = await Promise.all(tokens.map((p) => cached.isRevoked(p)));
      if (JSON.stringify(seen) === JSON.stringify(expected)) break;
      if (i === 200) expect(seen).toEqual(expected);
      await sleep(10);
    }
  });

  it('refuses braces in the prefix on a Cluster, naming the option', () => {
    expect(() => createRedisBlocklist({ cluster: one, prefix: '{jwt}:' })).toThrow(
      'option `prefix` must not contain { or } on a Redis Cluster',
    );
  });
});
