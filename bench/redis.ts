/**
 * (e) Protected throughput with a blocklist: none, the memory blocklist, the Redis blocklist (a
 * redis-server started here on a free port, stopped after), and the Redis blocklist with its local
 * cache. In process, as (b), warm token: the difference is the blocklist lookup alone (one MGET per
 * request for Redis; none for a warm token with the local cache).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { createClient } from 'redis';
import { createMemoryBlocklist } from 'trpc-jwt-extended';
import { createBenchApp } from './app.js';
import { type Budget, type CaseResult, measureGroup, progress, runConcurrent } from './harness.js';
import { CONCURRENCY, inProcessHandler } from './trpc.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export type RedisResult = { readonly skipped: string } | { readonly cases: CaseResult[] };

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(300, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

async function startRedis(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (await ping(port)) return { child, port };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function runRedis(budget: Budget): Promise<RedisResult> {
  progress('(e) blocklist: protected warm without, with the memory and with the Redis blocklist');
  const mod = (await import('trpc-jwt-extended/redis')) as Record<string, unknown>;
  if (typeof mod.createRedisBlocklist !== 'function') {
    const skipped = 'trpc-jwt-extended/redis does not export createRedisBlocklist';
    progress(`  SKIPPED: ${skipped}`);
    return { skipped };
  }
  if (!existsSync(REDIS_SERVER)) {
    const skipped = `${REDIS_SERVER} not found (apt-get install redis-server)`;
    progress(`  SKIPPED: ${skipped}`);
    return { skipped };
  }
  const createRedisBlocklist =
    mod.createRedisBlocklist as typeof import('trpc-jwt-extended/redis').createRedisBlocklist;
  const { child, port } = await startRedis();
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  client.on('error', () => {});
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  try {
    await client.connect();
    await subscriber.connect();
    const secret = randomBytes(32).toString('hex');
    const plain = createBenchApp(secret);
    const memory = createBenchApp(secret, { tokenInBlocklistLoader: createMemoryBlocklist().loader });
    const redis = createBenchApp(secret, { tokenInBlocklistLoader: createRedisBlocklist({ client }).loader });
    const cachedBlocklist = createRedisBlocklist({ client, localCache: { subscriber } });
    const cached = createBenchApp(secret, { tokenInBlocklistLoader: cachedBlocklist.loader });
    for (let i = 0; i < 200 && cachedBlocklist.localCache?.live !== true; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (cachedBlocklist.localCache?.live !== true)
      throw new Error('bench: the local cache never became live');
    const token = await plain.jwt.createAccessToken('user-42');
    const cases = [
      { name: 'protected, no blocklist', app: plain },
      { name: 'protected, memory blocklist', app: memory },
      { name: 'protected, Redis blocklist', app: redis },
      { name: 'protected, Redis blocklist + localCache', app: cached },
    ].map(({ name, app }) => {
      const handler = inProcessHandler(app);
      return {
        name,
        batch: (n: number) =>
          runConcurrent(n, CONCURRENCY, async () => {
            const res = await handler('protected', token);
            await res.text();
            if (res.status !== 200) throw new Error(`bench sanity: ${name} answered ${res.status}`);
          }),
      };
    });
    // Wall time: the Redis case waits on the network, which CPU time would not count.
    const result = { cases: await measureGroup('blocklist', cases, budget, 'wall') };
    await cachedBlocklist.close();
    return result;
  } finally {
    subscriber.destroy();
    await client.quit().catch(() => {});
    await stopRedis(child);
  }
}
