/**
 * One app server process for the multi-process tests, spawned by `app-process.ts` with
 * `node --import tsx`. The same tRPC router on `createHTTPServer`, with a blocklist as
 * `tokenInBlocklistLoader`: the Redis one when `REDIS_URL` is set, else the memory one.
 *
 * Env: `JWT_SECRET` (required), `REDIS_URL`, `REDIS_TIMEOUT_MS` (default 1000), `PORT` (0),
 * `LOCAL_CACHE=1` (the Redis blocklist's local cache, on a second connection).
 * Prints one JSON line on stdout once listening: `{ "url": "http://127.0.0.1:<port>/trpc", "pid" }`.
 * Exits on SIGTERM/SIGINT, and when its stdin closes (the test process is gone).
 */
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import {
  type Blocklist,
  createJwtManager,
  createMemoryBlocklist,
  type JwtContextPart,
} from '../../src/index.js';
import { createRedisBlocklist, type RedisSubscriberLike } from '../../src/stores/redis.js';

const secretKey = process.env.JWT_SECRET;
if (!secretKey) throw new Error('app-process-server: JWT_SECRET is required');
const redisUrl = process.env.REDIS_URL;
const timeoutMs = Number(process.env.REDIS_TIMEOUT_MS ?? 1000);

const redis =
  redisUrl === undefined
    ? undefined
    : // node-redis emits 'error' on every failed reconnection; unheard, it would crash the process.
      await createClient({ url: redisUrl })
        .on('error', () => {})
        .connect();
const subscriber =
  redis === undefined || process.env.LOCAL_CACHE !== '1'
    ? undefined
    : await redis
        .duplicate()
        .on('error', () => {})
        .connect();
/** Epoch ms with sub-ms precision, comparable across the processes of one machine. */
const preciseNow = () => performance.timeOrigin + performance.now();
/**
 * Per jti: when a revoke through this process was acknowledged, and when this process first refused
 * it; per key: when the local cache here processed its invalidation.
 */
const times = {
  acknowledged: {} as Record<string, number>,
  refused: {} as Record<string, number>,
  invalidated: {} as Record<string, number>,
};
/** The subscriber as the local cache sees it, timestamping each invalidation it hands over. */
const timedSubscriber: RedisSubscriberLike | undefined = subscriber && {
  subscribe: (channel, listener) =>
    subscriber.subscribe(channel, (message: string, from: string) => {
      listener(message, from);
      if (message.startsWith('k')) times.invalidated[message.slice(1)] ??= preciseNow();
    }),
  on: (event, listener) => subscriber.on(event, listener),
};
const redisBlocklist =
  redis === undefined
    ? undefined
    : createRedisBlocklist({
        client: redis,
        timeoutMs,
        ...(timedSubscriber === undefined ? {} : { localCache: { subscriber: timedSubscriber } }),
      });
const blocklist: Blocklist = redisBlocklist ?? createMemoryBlocklist();

const jwt = createJwtManager({
  secretKey,
  tokenInBlocklistLoader: async (args) => {
    const revoked = await blocklist.loader(args);
    const { jti } = args.payload;
    if (revoked && typeof jti === 'string') times.refused[jti] ??= preciseNow();
    return revoked;
  },
});
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);

/** How many times a protected procedure body ran, and the causes of server-side errors. */
const stats = { runs: 0, errorCauses: [] as string[] };

const router = t.router({
  health: t.procedure.query(() => ({ ok: true, store: redis === undefined ? 'memory' : 'redis' })),
  stats: t.procedure.query(() => ({ ...stats, cacheLive: redisBlocklist?.localCache?.live ?? null })),
  times: t.procedure.query(() => times),
  login: t.procedure
    .input((raw) => {
      const identity = (raw as { identity?: unknown } | undefined)?.identity;
      if (typeof identity !== 'string') throw new Error('identity must be a string');
      return { identity };
    })
    .mutation(({ input }) => jwt.createTokenPair(input.identity)),
  me: protectedProcedure.query(({ ctx }) => {
    stats.runs++;
    return { identity: ctx.token.identity, jti: ctx.token.jti };
  }),
  logout: protectedProcedure.mutation(async ({ ctx }) => {
    stats.runs++;
    await blocklist.revoke(ctx.token.payload);
    times.acknowledged[ctx.token.jti ?? ''] = preciseNow();
    return { revoked: ctx.token.jti };
  }),
  logoutEverywhere: protectedProcedure.mutation(async ({ ctx }) => {
    stats.runs++;
    await blocklist.revokeAllForIdentity(ctx.token.identity);
    times.acknowledged[ctx.token.jti ?? ''] = preciseNow();
    return { identity: ctx.token.identity };
  }),
  refresh: refreshProcedure.mutation(async ({ ctx }) => {
    stats.runs++;
    return jwt.rotateRefreshToken(ctx.token, blocklist);
  }),
});

export type AppRouter = typeof router;

/** The name of the innermost cause: e.g. `BlocklistUnavailableError` behind a loader failure. */
function rootCause(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.name : typeof current;
}

const server = createHTTPServer({
  router,
  basePath: '/trpc/',
  createContext: (opts) => jwt.createJwtContext(opts),
  onError: ({ error }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') stats.errorCauses.push(rootCause(error));
  },
});

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => resolve());
});
const { port } = server.address() as AddressInfo;

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  server.closeAllConnections();
  server.close();
  // destroy(), not quit(): quit waits for an answer that never comes while Redis is down.
  redis?.destroy();
  subscriber?.destroy();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown()).resume();

process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/trpc`, pid: process.pid })}\n`);
