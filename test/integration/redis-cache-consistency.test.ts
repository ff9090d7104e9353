/**
 * Consistency of the local cache across processes: three app server processes on one real
 * redis-server, each with the Redis blocklist's local cache. A token revoked (or an identity logged
 * out everywhere) through one server is refused by both others, though each had just answered it
 * from its warm cache; the lag from the revoke's acknowledgement to the first refusal on each other
 * server is measured over 240 revocations while other requests keep every server busy. The assertion
 * is correctness within a generous bound (a loaded 2-core machine); the figures are printed, and the
 * bench (`npm run bench -- --only=scale`) measures them for bench/README.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager } from '../../src/index.js';
import {
  type AppProcess,
  bearer,
  eventually,
  payloadOf,
  startAppProcess,
  stopAll,
} from '../helpers/app-process.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { callTrpc, type Endpoint } from '../helpers/servers.js';

const SECRET = 'redis-cache-consistency-secret-0123456789';
const SERVERS = 3;
const REVOCATIONS = 240;
/** A correctness bound, not a performance target: every other server refuses within it. */
const BOUND_MS = 5000;

const jwt = createJwtManager({ secretKey: SECRET });
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

describe.skipIf(!hasRedis)('local caches of three server processes on one Redis', () => {
  let redis: RedisServer | undefined;
  const servers: (AppProcess | undefined)[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const url = redis.url;
    await Promise.all(
      Array.from({ length: SERVERS }, (_, i) =>
        startAppProcess({ secret: SECRET, redisUrl: url, localCache: true }).then((p) => (servers[i] = p)),
      ),
    );
    const live = async (s: AppProcess | undefined) =>
      (await callTrpc<{ cacheLive: boolean }>(s!.endpoint, 'stats')).data?.cacheLive === true;
    for (const s of servers) expect(await eventually(() => live(s))).toBe(true);
  });

  afterAll(async () => {
    await stopAll(servers);
    await redis?.stop();
  });

  const at = (i: number): Endpoint => servers[i % SERVERS]!.endpoint;
  const me = (on: Endpoint, token: string) => callTrpc(on, 'me', { headers: bearer(token) });

  it('refuses on every other server a token revoked through one; lag from acknowledgement to refusal', async () => {
    // Background load: every server keeps answering a warm token while revocations go on.
    let loading = true;
    const busy = await jwt.createAccessToken('busy');
    const load = Array.from({ length: 2 * SERVERS }, async (_, i) => {
      let served = 0;
      while (loading) served += (await me(at(i), busy)).status === 200 ? 1 : 0;
      return served;
    });

    /** Client side: from the revoke's answer to the first refused answer, per other server. */
    const seen: number[] = [];
    const late: string[] = [];
    const revoked: { jti: string; key: string; through: number }[] = [];
    try {
      for (let i = 0; i < REVOCATIONS; i++) {
        const everywhere = i % 4 === 3; // a quarter are logouts everywhere (identity cut-offs)
        const token = await jwt.createAccessToken(`user-${i}`);
        // Warm: every server answers it (and caches the answer) before the revocation.
        for (const res of await Promise.all([0, 1, 2].map((s) => me(at(s), token)))) {
          expect(res.status).toBe(200);
        }
        // Two pollers per other server keep asking from before the revocation until refused.
        let acknowledged = Number.POSITIVE_INFINITY;
        const pollers = [1, 1, 2, 2].map(async (offset) => {
          const other = at(i + offset);
          for (;;) {
            const answer = await me(other, token);
            if (answer.status === 401) {
              expectJwtError(answer, 401, 'TOKEN_REVOKED', 'Token has been revoked');
              return performance.now() - acknowledged;
            }
            expect(answer.status).toBe(200);
            if (performance.now() - acknowledged > BOUND_MS) {
              late.push(`revocation ${i} on server ${(i + offset) % SERVERS}`);
              return Number.NaN;
            }
          }
        });
        const res = await callTrpc(at(i), everywhere ? 'logoutEverywhere' : 'logout', {
          type: 'mutation',
          headers: bearer(token),
        });
        expect(res.status).toBe(200);
        acknowledged = performance.now();
        const [b1, b2, c1, c2] = await Promise.all(pollers);
        seen.push(Math.min(b1!, b2!), Math.min(c1!, c2!));
        const jti = payloadOf(token).jti as string;
        revoked.push({ jti, key: everywhere ? `jwt:id:user-${i}` : `jwt:jti:${jti}`, through: i % SERVERS });
      }
    } finally {
      loading = false;
    }
    const served = (await Promise.all(load)).reduce((a, b) => a + b, 0);
    expect(late).toEqual([]);

    // Server side, from the revoking server's acknowledgement by Redis: to the moment each other
    // server's cache processed the invalidation (from then on it refuses), and to its first refusal.
    type Times = Record<'acknowledged' | 'refused' | 'invalidated', Record<string, number>>;
    const times = await Promise.all(
      [0, 1, 2].map(async (s) => (await callTrpc<Times>(at(s), 'times')).data!),
    );
    const invalidated: number[] = [];
    const refused: number[] = [];
    for (const { jti, key, through } of revoked) {
      const acknowledgedAt = times[through]!.acknowledged[jti]!;
      expect(acknowledgedAt).toEqual(expect.any(Number));
      for (const offset of [1, 2]) {
        const other = times[(through + offset) % SERVERS]!;
        expect([other.invalidated[key], other.refused[jti]]).toEqual([
          expect.any(Number),
          expect.any(Number),
        ]);
        invalidated.push(other.invalidated[key]! - acknowledgedAt);
        refused.push(other.refused[jti]! - acknowledgedAt);
      }
    }
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
    };
    console.log(
      `[lag] ${REVOCATIONS} revocations × ${SERVERS - 1} other servers, ${served} background requests meanwhile\n` +
        `[lag] Redis ack on the revoking server → invalidation processed by another's cache: ${summary(invalidated)}\n` +
        `[lag] Redis ack on the revoking server → first refusal on another (pollers running): ${summary(refused)}\n` +
        `[lag] revoke answered to the client → first refused answer (client clock, incl. one HTTP round trip): ${summary(seen)}`,
    );
    expect(refused).toHaveLength(REVOCATIONS * (SERVERS - 1));
    // The servers answered from their caches all along: still live after the run.
    for (const s of servers) {
      const stats = await callTrpc<{ cacheLive: boolean }>(s!.endpoint, 'stats');
      expect(stats.data?.cacheLive).toBe(true);
    }
  }, 120_000);
});
