/**
 * Refresh-token rotation with reuse detection (RFC 9700 §4.14) over real HTTP, against the memory
 * blocklist (one app process) and the Redis one (two app processes sharing a redis-server, requests
 * alternating between them): of concurrent uses of one refresh token exactly one wins, and any
 * reuse revokes the whole family, the winner's new tokens included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, bearer, payloadOf, startAppProcess, stopAll } from '../helpers/app-process.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { type CallResult, callTrpc, type Endpoint } from '../helpers/servers.js';

const SECRET = 'rotation-secret-0123456789abcdef-0123456';
const CONCURRENT = 20;

interface Pair {
  accessToken: string;
  refreshToken: string;
}

const expectRevoked = (res: CallResult) =>
  expectJwtError(res, 401, 'TOKEN_REVOKED', 'Token has been revoked');

function expectPair(res: CallResult<Pair>): Pair {
  expect({ status: res.status, error: res.error?.message }).toEqual({ status: 200, error: undefined });
  const pair = res.data!;
  expect(payloadOf(pair.accessToken).type).toBe('access');
  expect(payloadOf(pair.refreshToken).type).toBe('refresh');
  return pair;
}

const stores = [
  { store: 'memory', processes: 1, skip: false },
  { store: 'redis', processes: 2, skip: !hasRedis },
] as const;

describe.each(stores)(
  'rotation on the $store blocklist ($processes process(es))',
  ({ store, processes, skip }) => {
    let redis: RedisServer | undefined;
    const apps: (AppProcess | undefined)[] = [];

    beforeAll(async () => {
      if (skip) return;
      if (store === 'redis') redis = await startRedis();
      for (let i = 0; i < processes; i++) {
        apps.push(
          await startAppProcess(
            redis === undefined ? { secret: SECRET } : { secret: SECRET, redisUrl: redis.url },
          ),
        );
      }
    });

    afterAll(async () => {
      await stopAll(apps);
      await redis?.stop();
    });

    /** The i-th target: A, B, A, B… with two processes; always A with one. */
    const at = (i: number): Endpoint => apps[i % apps.length]!.endpoint;

    async function login(identity: string): Promise<Pair> {
      return expectPair(await callTrpc<Pair>(at(0), 'login', { type: 'mutation', input: { identity } }));
    }

    const refresh = (i: number, refreshToken: string) =>
      callTrpc<Pair>(at(i), 'refresh', { type: 'mutation', headers: bearer(refreshToken) });
    const me = (i: number, accessToken: string) => callTrpc(at(i), 'me', { headers: bearer(accessToken) });

    /** Procedure bodies run so far, over every process. */
    async function totalRuns(): Promise<number> {
      const stats = await Promise.all(apps.map((app) => callTrpc<{ runs: number }>(app!.endpoint, 'stats')));
      return stats.reduce((sum, res) => sum + res.data!.runs, 0);
    }

    it.skipIf(skip)('runs on the expected store', async () => {
      for (const app of apps) {
        expect((await callTrpc(app!.endpoint, 'health')).data).toEqual({ ok: true, store });
      }
    });

    it.skipIf(skip)(
      `${CONCURRENT} concurrent uses of one refresh token: one success, the rest TOKEN_REVOKED, family revoked`,
      async () => {
        const pair = await login('rita');
        const bystander = await login('sam');
        const runsBefore = await totalRuns();
        const results = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) => refresh(i, pair.refreshToken)),
        );

        const winners = results.filter((res) => res.status === 200);
        const losers = results.filter((res) => res.status !== 200);
        expect({ winners: winners.length, losers: losers.length }).toEqual({
          winners: 1,
          losers: CONCURRENT - 1,
        });
        for (const res of losers) expectRevoked(res);
        // The family is revoked by a loser that reached the procedure (markUsed said "used"), so at
        // least two procedure bodies ran: the winner's and that loser's.
        const ran = (await totalRuns()) - runsBefore;
        expect(ran).toBeGreaterThanOrEqual(2);
        expect(ran).toBeLessThanOrEqual(CONCURRENT);

        const won = expectPair(winners[0]!);
        const family = payloadOf(pair.refreshToken).fam;
        expect(typeof family).toBe('string');
        expect(payloadOf(won.accessToken).fam).toBe(family);
        expect(payloadOf(won.refreshToken).fam).toBe(family);
        expect(payloadOf(won.refreshToken).jti).not.toBe(payloadOf(pair.refreshToken).jti);

        // Reuse was detected, so the whole family is revoked: the winner's new tokens too, everywhere.
        for (let i = 0; i < processes; i++) {
          expectRevoked(await me(i, won.accessToken));
          expectRevoked(await me(i, pair.accessToken));
        }
        expectRevoked(await refresh(0, won.refreshToken));
        expectRevoked(await refresh(processes - 1, pair.refreshToken));

        // Another family (another session) is untouched.
        expect((await me(processes - 1, bystander.accessToken)).status).toBe(200);
        expectPair(await refresh(processes - 1, bystander.refreshToken));
      },
    );

    it.skipIf(skip)(
      `${CONCURRENT} uses of one refresh token in one batched request (same tick): one success`,
      async () => {
        const pair = await login('vera');
        // httpBatchLink's wire format: one POST, the procedure repeated in the path, inputs keyed by index.
        const url = `${at(0).url}/${Array(CONCURRENT).fill('refresh').join(',')}?batch=1`;
        const res = await at(0).send(url, {
          method: 'POST',
          headers: { ...bearer(pair.refreshToken), 'content-type': 'application/json' },
          body: '{}',
        });
        expect(res.status).toBe(207);
        const items = (await res.json()) as { result?: { data: Pair }; error?: CallResult['error'] }[];
        expect(items).toHaveLength(CONCURRENT);
        const won = items.filter((item) => item.result !== undefined);
        expect(won).toHaveLength(1);
        for (const item of items.filter((i) => i.error !== undefined)) {
          expect({
            message: item.error!.message,
            jwt: item.error!.data.jwt,
            status: item.error!.data.httpStatus,
          }).toEqual({
            message: 'Token has been revoked',
            jwt: { code: 'TOKEN_REVOKED' },
            status: 401,
          });
        }
        expectRevoked(await me(processes - 1, won[0]!.result!.data.accessToken));
      },
    );

    it.skipIf(skip)(
      'rotates sequentially: each refresh token works once; reusing an old one revokes the family',
      async () => {
        const first = await login('tom');
        const otherSession = await login('tom');
        const chain = [first];
        for (let i = 0; i < 4; i++) {
          const next = expectPair(await refresh(i, chain[chain.length - 1]!.refreshToken));
          // The new access token works on every process and is not fresh (rotation is no login).
          for (let j = 0; j < processes; j++) expect((await me(j, next.accessToken)).status).toBe(200);
          expect(payloadOf(next.accessToken).fresh).toBe(false);
          chain.push(next);
        }
        const family = payloadOf(first.refreshToken).fam;
        expect(new Set(chain.map((p) => payloadOf(p.refreshToken).fam))).toEqual(new Set([family]));
        expect(new Set(chain.map((p) => payloadOf(p.refreshToken).jti)).size).toBe(chain.length);

        // Reuse of a retired refresh token (the second of the chain) on the other process.
        const latest = chain[chain.length - 1]!;
        expectRevoked(await refresh(1, chain[1]!.refreshToken));
        for (let i = 0; i < processes; i++) {
          expectRevoked(await me(i, latest.accessToken));
          expectRevoked(await refresh(i, latest.refreshToken));
        }

        // Reuse detection revokes the family, not the identity: the user's other session still rotates.
        const other = expectPair(await refresh(0, otherSession.refreshToken));
        expect(payloadOf(other.refreshToken).fam).toBe(payloadOf(otherSession.refreshToken).fam);
        expect((await me(processes - 1, other.accessToken)).status).toBe(200);
      },
    );

    it.skipIf(skip)('refuses an access token at the refresh procedure, and rotates nothing', async () => {
      const pair = await login('uma');
      expectJwtError(
        await refresh(0, pair.accessToken),
        422,
        'WRONG_TOKEN_TYPE',
        'Only refresh tokens are allowed',
      );
      // The refresh token was not marked used by the refused call.
      expectPair(await refresh(processes - 1, pair.refreshToken));
    });
  },
);
