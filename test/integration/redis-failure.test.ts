/**
 * Redis going away under load: two app processes on the Redis blocklist (timeoutMs 300), one in
 * production mode and one in development mode. While redis-server is dead, protected calls fail
 * closed (500, generic message, no Redis detail, no stack in production) and their procedure never
 * runs; public procedures still answer. After a restart, the same processes recover by themselves.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, bearer, eventually, startAppProcess, stopAll } from '../helpers/app-process.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { type CallResult, callTrpc, type Endpoint } from '../helpers/servers.js';

const SECRET = 'redis-failure-secret-0123456789abcdef-01';

interface Pair {
  accessToken: string;
  refreshToken: string;
}
interface Stats {
  runs: number;
  errorCauses: string[];
}

describe.skipIf(!hasRedis)('Redis blocklist when redis-server dies and comes back', () => {
  let redis: RedisServer | undefined;
  let prod: AppProcess | undefined;
  let dev: AppProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    const options = { secret: SECRET, redisUrl: redis.url, redisTimeoutMs: 300 };
    // Each is assigned as soon as it runs, so afterAll stops it even if the other fails to start.
    await Promise.all([
      startAppProcess({ ...options, nodeEnv: 'production' }).then((p) => (prod = p)),
      startAppProcess({ ...options, nodeEnv: 'development' }).then((p) => (dev = p)),
    ]);
  });

  afterAll(async () => {
    await stopAll([prod, dev]);
    await redis?.stop();
  });

  const P = () => prod!.endpoint;
  const D = () => dev!.endpoint;

  async function login(on: Endpoint, identity: string): Promise<Pair> {
    const res = await callTrpc<Pair>(on, 'login', { type: 'mutation', input: { identity } });
    expect(res.status).toBe(200);
    return res.data!;
  }
  const me = (on: Endpoint, token: string) => callTrpc(on, 'me', { headers: bearer(token) });
  const stats = async (on: Endpoint) => (await callTrpc<Stats>(on, 'stats')).data!;

  /** A 500 that tells nothing about Redis; `data.stack` only in development mode. */
  function expectFailClosed(res: CallResult, mode: 'production' | 'development'): void {
    expect({ status: res.status, code: res.error?.data.code, jwt: res.error?.data.jwt }).toEqual({
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      jwt: null,
    });
    const { stack, ...data } = res.error!.data;
    const visible = JSON.stringify({ message: res.error!.message, data }).toLowerCase();
    const leaks = ['redis', 'blocklistunavailable', 'econnrefused', '127.0.0.1', `:${redis!.port}`];
    expect(leaks.filter((leak) => visible.includes(leak))).toEqual([]);
    expect(res.error!.message).not.toBe('');
    if (mode === 'production') {
      expect(stack).toBeUndefined();
      expect(JSON.stringify(res.body).toLowerCase()).not.toContain('redis');
    } else {
      // The control: development mode does add a stack, so its absence above is production's doing.
      expect(typeof stack).toBe('string');
    }
  }

  it('passes protected calls while Redis answers', async () => {
    const pair = await login(P(), 'kim');
    expect((await me(P(), pair.accessToken)).status).toBe(200);
    expect((await me(D(), pair.accessToken)).status).toBe(200);
  });

  it('fails closed, with no Redis detail, when the store fails inside rotateRefreshToken', async () => {
    const pair = await login(P(), 'jo');
    const admin = createClient({ url: redis!.url }).on('error', () => {});
    await admin.connect();
    try {
      // Reads still run (the loader's MGET passes), writes wait: markUsed times out in the procedure.
      await admin.sendCommand(['CLIENT', 'PAUSE', '5000', 'WRITE']);
      const before = await stats(P());
      const res = await callTrpc(P(), 'refresh', { type: 'mutation', headers: bearer(pair.refreshToken) });
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
      expectFailClosed(res, 'production');
      const after = await stats(P());
      expect(after.runs - before.runs).toBe(1);
      expect(after.errorCauses.slice(before.errorCauses.length)).toEqual(['BlocklistUnavailableError']);
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']).catch(() => {});
      admin.destroy();
    }
  });

  it('fails closed for calls in flight when redis-server is killed mid-run, never running the procedure', async () => {
    const { accessToken } = await login(P(), 'lee');
    const before = await stats(P());
    let killed = false;
    let afterKill = 0;
    const seen: { res: CallResult; startedAfterKill: boolean }[] = [];
    const worker = async () => {
      while (afterKill < 20) {
        const startedAfterKill = killed;
        const res = await me(P(), accessToken);
        seen.push({ res, startedAfterKill });
        if (startedAfterKill) afterKill++;
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    // Kill once some calls have passed, with the workers still sending.
    expect(await eventually(async () => seen.some(({ res }) => res.status === 200), 5000)).toBe(true);
    await redis!.kill();
    killed = true;
    await Promise.all(workers);

    const passed = seen.filter(({ res }) => res.status === 200);
    const failed = seen.filter(({ res }) => res.status !== 200);
    for (const { res } of failed) expectFailClosed(res, 'production');
    // Every call sent after redis-server was gone failed closed.
    expect(seen.filter(({ startedAfterKill, res }) => startedAfterKill && res.status !== 500)).toEqual([]);
    expect(failed.length).toBeGreaterThanOrEqual(20);
    expect(passed.length).toBeGreaterThan(0);

    const after = await stats(P());
    // The procedure body ran exactly for the calls that passed, never for a failed one.
    expect(after.runs - before.runs).toBe(passed.length);
    // Each 500 was the blocklist being unavailable, nothing else.
    expect(new Set(after.errorCauses.slice(before.errorCauses.length))).toEqual(
      new Set(['BlocklistUnavailableError']),
    );
    expect(after.errorCauses.length - before.errorCauses.length).toBe(failed.length);
  });

  it('while Redis is down: every protected procedure fails closed on both processes; public ones answer', async () => {
    const pair = await login(P(), 'max'); // login is public: tokens are minted without Redis
    for (const [on, mode] of [
      [P(), 'production'],
      [D(), 'development'],
    ] as const) {
      const before = await stats(on);
      const calls = await Promise.all([
        me(on, pair.accessToken),
        callTrpc(on, 'logout', { type: 'mutation', headers: bearer(pair.accessToken) }),
        callTrpc(on, 'logoutEverywhere', { type: 'mutation', headers: bearer(pair.accessToken) }),
        callTrpc(on, 'refresh', { type: 'mutation', headers: bearer(pair.refreshToken) }),
      ]);
      for (const res of calls) expectFailClosed(res, mode);
      expect((await stats(on)).runs).toBe(before.runs);
      const health = await callTrpc(on, 'health');
      expect({ status: health.status, data: health.data }).toEqual({
        status: 200,
        data: { ok: true, store: 'redis' },
      });
    }
    // JWT failures found before the blocklist still get their own answer: no token is a 401.
    expectJwtError(await callTrpc(P(), 'me'), 401, 'NO_AUTHORIZATION', 'Missing Authorization Header');
  });

  it('recovers after restart() with the same server processes: revocation works again', async () => {
    await redis!.restart();
    const pair = await login(P(), 'nia');
    for (const on of [P(), D()]) {
      const recovered = await eventually(async () => {
        const res = await me(on, pair.accessToken);
        if (res.status !== 200) expectFailClosed(res, on === P() ? 'production' : 'development');
        return res.status === 200;
      });
      expect(recovered).toBe(true);
    }
    expect({ prod: prod!.running, dev: dev!.running }).toEqual({ prod: true, dev: true });

    // The restarted Redis is shared again: a logout through one process is seen by the other.
    const logout = await callTrpc(D(), 'logout', { type: 'mutation', headers: bearer(pair.accessToken) });
    expect(logout.status).toBe(200);
    expectJwtError(await me(P(), pair.accessToken), 401, 'TOKEN_REVOKED', 'Token has been revoked');
    const rotated = await callTrpc<Pair>(P(), 'refresh', {
      type: 'mutation',
      headers: bearer(pair.refreshToken),
    });
    expect(rotated.status).toBe(200);
    expect((await me(D(), rotated.data!.accessToken)).status).toBe(200);
  });
});
