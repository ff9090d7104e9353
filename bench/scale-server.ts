/**
 * One app server of the scale section (f), a child process: tRPC's standalone adapter, the Redis
 * blocklist with its local cache (a second connection subscribes), the package as users import it.
 * Env: BENCH_SECRET, REDIS_URL. Prints `READY <port>`. Routes: `protected` (records each run: the
 * token's jti, when, and when the request was sent: header `x-sent`), `stats` (those records, the cache's state, server errors per 10 ms).
 */
import './node20-abort-fix.js';
import type { AddressInfo } from 'node:net';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { createClient } from 'redis';
import { createJwtManager, type JwtContextPart } from 'trpc-jwt-extended';
import { createRedisBlocklist } from 'trpc-jwt-extended/redis';

const secretKey = process.env.BENCH_SECRET;
const url = process.env.REDIS_URL;
if (!secretKey || !url) throw new Error('scale-server: BENCH_SECRET and REDIS_URL are required');

const client = await createClient({ url })
  .on('error', () => {})
  .connect();
const subscriber = await client
  .duplicate()
  .on('error', () => {})
  .connect();
const blocklist = createRedisBlocklist({ client, localCache: { subscriber } });
const jwt = createJwtManager({ secretKey, tokenInBlocklistLoader: blocklist.loader });
const t = initTRPC.context<JwtContextPart>().create();
const { protectedProcedure } = jwt.procedures(t.procedure);

/** Per jti: the last time (epoch ms) the protected procedure ran with it, and the latest send time (x-sent). */
const lastRun: Record<string, number> = {};
const lastSent: Record<string, number> = {};
/** Runs and server errors (500) per 10 ms bucket (epoch ms / 10). */
const runs: Record<number, number> = {};
const failures: Record<number, number> = {};
const bump = (table: Record<number, number>) => {
  const bucket = Math.floor(Date.now() / 10);
  table[bucket] = (table[bucket] ?? 0) + 1;
};

const router = t.router({
  protected: protectedProcedure.query(({ ctx }) => {
    const jti = ctx.token.jti ?? '';
    lastRun[jti] = Date.now();
    const sent = Number(ctx.jwt.header('x-sent'));
    if (sent > (lastSent[jti] ?? 0)) lastSent[jti] = sent;
    bump(runs);
    return { ok: true };
  }),
  stats: t.procedure.query(() => ({
    lastRun,
    lastSent,
    runs,
    failures,
    cacheLive: blocklist.localCache?.live,
  })),
  live: t.procedure.query(() => blocklist.localCache?.live === true),
});

const server = createHTTPServer({
  router,
  createContext: (opts) => jwt.createJwtContext(opts),
  onError: ({ error }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') bump(failures);
  },
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  client.destroy();
  subscriber.destroy();
  process.exit(0);
});
