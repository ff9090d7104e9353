/**
 * Revocation at scale: two app server processes share one real redis-server through the Redis
 * blocklist. A token revoked through one process is refused by the other on the next request;
 * logout-everywhere cuts off every older token of the identity on every process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager } from '../../src/index.js';
import { type AppProcess, bearer, payloadOf, startAppProcess, stopAll } from '../helpers/app-process.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { hasRedis, type RedisServer, startRedis } from '../helpers/redis-server.js';
import { type CallResult, callTrpc } from '../helpers/servers.js';

const SECRET = 'redis-revocation-secret-0123456789abcdef';

interface Pair {
  accessToken: string;
  refreshToken: string;
}

/** A manager of the test process on the same secret, its clock 10 s in the past: tokens with an older `iat`. */
const past = createJwtManager({ secretKey: SECRET, clock: () => Date.now() - 10_000 });

describe.skipIf(!hasRedis)('Redis blocklist shared by two app processes', () => {
  let redis: RedisServer | undefined;
  let a: AppProcess | undefined;
  let b: AppProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    const url = redis.url;
    // Each is assigned as soon as it runs, so afterAll stops it even if the other fails to start.
    await Promise.all([
      startAppProcess({ secret: SECRET, redisUrl: url }).then((p) => (a = p)),
      startAppProcess({ secret: SECRET, redisUrl: url }).then((p) => (b = p)),
    ]);
  });

  afterAll(async () => {
    await stopAll([a, b]);
    await redis?.stop();
  });

  const A = () => a!.endpoint;
  const B = () => b!.endpoint;

  async function login(on: typeof A, identity: string): Promise<Pair> {
    const res = await callTrpc<Pair>(on(), 'login', { type: 'mutation', input: { identity } });
    expect(res.status).toBe(200);
    return res.data!;
  }

  const me = (on: typeof A, token: string) => callTrpc(on(), 'me', { headers: bearer(token) });

  function expectMe(res: CallResult, identity: string): void {
    expect({
      status: res.status,
      identity: (res.data as { identity?: string } | undefined)?.identity,
    }).toEqual({
      status: 200,
      identity,
    });
  }

  const expectRevoked = (res: CallResult) =>
    expectJwtError(res, 401, 'TOKEN_REVOKED', 'Token has been revoked');

  async function runsOf(on: typeof A): Promise<number> {
    return (await callTrpc<{ runs: number }>(on(), 'stats')).data!.runs;
  }

  it('runs two separate processes on the Redis store, and a token of one verifies on the other', async () => {
    const [healthA, healthB] = await Promise.all([callTrpc(A(), 'health'), callTrpc(B(), 'health')]);
    expect([healthA.data, healthB.data]).toEqual([
      { ok: true, store: 'redis' },
      { ok: true, store: 'redis' },
    ]);
    expect(a!.pid).not.toBe(b!.pid);
    expect(A().url).not.toBe(B().url);
    const pair = await login(A, 'alice');
    expectMe(await me(A, pair.accessToken), 'alice');
    expectMe(await me(B, pair.accessToken), 'alice');
  });

  it('refuses on B, at the next request, a token revoked through A; other tokens still pass', async () => {
    const first = await login(A, 'bob');
    const second = await login(B, 'bob');
    const other = await login(B, 'carol');
    expectMe(await me(B, first.accessToken), 'bob');

    const logout = await callTrpc(A(), 'logout', { type: 'mutation', headers: bearer(first.accessToken) });
    expect({ status: logout.status, data: logout.data }).toEqual({
      status: 200,
      data: { revoked: payloadOf(first.accessToken).jti },
    });

    const runsBefore = await runsOf(B);
    expectRevoked(await me(B, first.accessToken));
    expectRevoked(await me(A, first.accessToken));
    // The procedure body never ran for the refused call.
    expect(await runsOf(B)).toBe(runsBefore);

    // Only that jti is revoked: the same identity's other session and other identities pass.
    expectMe(await me(B, second.accessToken), 'bob');
    expectMe(await me(A, second.accessToken), 'bob');
    expectMe(await me(B, other.accessToken), 'carol');
  });

  it('logout everywhere on A refuses every older token of the identity on B; other identities pass', async () => {
    const olds = [
      await past.createAccessToken('erin'),
      await past.createAccessToken('erin', { fresh: true }),
      (await past.createTokenPair('erin')).accessToken,
    ];
    const oldRefresh = await past.createRefreshToken('erin');
    const current = await login(B, 'erin');
    const frankOld = await past.createAccessToken('frank');
    const frank = await login(A, 'frank');
    for (const token of olds) expectMe(await me(B, token), 'erin');
    expect(payloadOf(olds[0]!).iat).toBeLessThan(payloadOf(current.accessToken).iat as number);

    const everywhere = await callTrpc(A(), 'logoutEverywhere', {
      type: 'mutation',
      headers: bearer(current.accessToken),
    });
    expect({ status: everywhere.status, data: everywhere.data }).toEqual({
      status: 200,
      data: { identity: 'erin' },
    });
    const loggedOutAt = Math.floor(Date.now() / 1000);

    const runsBefore = await runsOf(B);
    for (const token of olds) {
      expectRevoked(await me(B, token));
      expectRevoked(await me(A, token));
    }
    // The token used to log out, issued at or before the cut-off second, is refused too.
    expectRevoked(await me(B, current.accessToken));
    // So are the refresh tokens: neither can be rotated into a new session.
    expectRevoked(await callTrpc(B(), 'refresh', { type: 'mutation', headers: bearer(oldRefresh) }));
    expectRevoked(
      await callTrpc(B(), 'refresh', { type: 'mutation', headers: bearer(current.refreshToken) }),
    );
    expect(await runsOf(B)).toBe(runsBefore);

    // Another identity's tokens, older ones included, still pass on both processes.
    expectMe(await me(B, frankOld), 'frank');
    expectMe(await me(B, frank.accessToken), 'frank');
    expectMe(await me(A, frank.accessToken), 'frank');

    // Cut-offs are whole seconds, "at or before": a login in a later second starts a valid session.
    while (Math.floor(Date.now() / 1000) <= loggedOutAt) await new Promise((r) => setTimeout(r, 50));
    const again = await login(B, 'erin');
    expect(payloadOf(again.accessToken).iat).toBeGreaterThan(loggedOutAt);
    expectMe(await me(A, again.accessToken), 'erin');
    expectMe(await me(B, again.accessToken), 'erin');
  });
});
