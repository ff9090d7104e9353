/**
 * (f) Redis at scale: three app servers (bench/scale-server.ts, the Redis blocklist with its local
 * cache) on one redis-server with AOF persistence (a blocklist must survive a restart), autocannon
 * against all three for a fixed time with a mix of tokens — valid, revoked before the run, revoked
 * during it (one every 40 ms, through the bench's own store), forged — and redis-server stopped and
 * restarted mid-run. Counts the protected calls that ran with a revoked or forged token, and the
 * time each server takes to serve again, and to trust its cache again, after Redis returns.
 * Also runs the invalidation-channel comparison (bench/invalidation.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { createJwtManager } from 'trpc-jwt-extended';
import { createRedisBlocklist } from 'trpc-jwt-extended/redis';
import { progress } from './harness.js';
import { type ChannelFigures, compareInvalidation } from './invalidation.js';
import { freePort, REDIS_SERVER } from './redis.js';

export interface ScaleResult {
  readonly channels: { pubsub: ChannelFigures; tracking: ChannelFigures };
  readonly servers: number;
  readonly connections: number;
  readonly seconds: number;
  readonly served: number;
  readonly refused: number;
  readonly failed: number;
  /** Protected runs with a token revoked before the run, or forged: must be 0. */
  readonly revokedRuns: number;
  readonly forgedRuns: number;
  /** Tokens revoked during the run; runs of them after the revoke was acknowledged (and the latest, ms after). */
  readonly revokedDuringRun: number;
  readonly runsAfterAck: number;
  /** Of those, runs of requests sent after the acknowledgement: must be 0. */
  readonly sentAfterAck: number;
  readonly latestRunAfterAckMs: number;
  readonly downMs: number;
  /** Protected runs between Redis's stop and its return, and the latest of them, ms after the stop. */
  readonly runsWhileDown: number;
  readonly latestRunAfterStopMs: number;
  /** Per server: ms from Redis answering again to the first 200, and to its cache being live again. */
  readonly recoveryMs: number[];
  readonly cacheLiveMs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SERVERS = 3;
const CONNECTIONS = 16;

function spawnServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const entry = fileURLToPath(new URL('./scale-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`scale-server exited early (code ${code})`)));
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
  });
}

/** A redis-server with AOF (fsync always) in `dir`, on `port`; resolves once it answers. */
async function startRedisServer(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const child = spawn(REDIS_SERVER, [...args, '--appendonly', 'yes', '--appendfsync', 'always'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    probe.on('error', () => {});
    if (
      (await probe.connect().then(
        () => probe.ping(),
        () => null,
      )) === 'PONG'
    ) {
      probe.destroy();
      return child;
    }
    probe.destroy();
    await sleep(25);
  }
  throw new Error('redis-server did not start');
}

const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const get = async <T>(url: string): Promise<T> =>
  ((await (await fetch(url)).json()) as { result: { data: T } }).result.data;

export async function runScale(seconds: number): Promise<ScaleResult | { skipped: string }> {
  progress(
    `(f) Redis at scale: ${SERVERS} servers with the local cache, ${seconds} s of load, Redis restarted mid-run`,
  );
  if (!existsSync(REDIS_SERVER))
    return { skipped: `${REDIS_SERVER} not found (apt-get install redis-server)` };
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let redis = await startRedisServer(port, dir);
  const servers: ChildProcess[] = [];
  const client = await createClient({ url })
    .on('error', () => {})
    .connect();
  try {
    const channels = await compareInvalidation(url, 500);
    progress(
      `  invalidation: pub/sub ${JSON.stringify(channels.pubsub)}, tracking ${JSON.stringify(channels.tracking)}`,
    );
    const secret = randomBytes(32).toString('hex');
    const jwt = createJwtManager({ secretKey: secret });
    const forger = createJwtManager({ secretKey: randomBytes(32).toString('hex') });
    const store = createRedisBlocklist({ client });
    const mint = (n: number, name: string, by = jwt) =>
      Promise.all(Array.from({ length: n }, (_, i) => by.createAccessToken(`${name}-${i % 50}`)));
    const [valid, revoked, doomed, forged] = await Promise.all([
      mint(500, 'user'),
      mint(100, 'revoked'),
      mint(400, 'doomed'),
      mint(100, 'forged', forger),
    ]);
    const jtiOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    for (const token of revoked) await store.revoke(await jwt.decodeToken(token));

    const urls: string[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const { child, url: at } = await spawnServer({ BENCH_SECRET: secret, REDIS_URL: url });
      servers.push(child);
      urls.push(at);
    }
    for (const at of urls) while (!(await get<boolean>(`${at}/live`))) await sleep(20);

    const pick = () => {
      const r = Math.random();
      const pool = r < 0.7 ? valid : r < 0.8 ? revoked : r < 0.9 ? doomed : forged;
      return pool[Math.floor(Math.random() * pool.length)]!;
    };
    const loads = urls.map((at) =>
      autocannon({
        url: at,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            path: '/protected',
            setupRequest: (req) => ({
              ...req,
              headers: { authorization: `Bearer ${pick()}`, 'x-sent': String(Date.now()) },
            }),
          },
        ],
      }),
    );

    // Revocations during the run, one every 40 ms while Redis is up; acknowledged times kept.
    const start = Date.now();
    const acknowledged = new Map<string, number>();
    let running = true;
    const revoking = (async () => {
      for (let i = 0; running && i < doomed.length; i++) {
        const token = doomed[i]!;
        await store
          .revoke(await jwt.decodeToken(token))
          .then(() => acknowledged.set(jtiOf(token), Date.now()))
          .catch(() => {});
        await sleep(40);
      }
    })();

    await sleep(seconds * 350);
    await stopProcess(redis);
    const stoppedAt = Date.now(); // the process has exited: from here Redis is down
    await sleep(seconds * 150);
    redis = await startRedisServer(port, dir);
    const backAt = Date.now();
    const probe = await jwt.createAccessToken('probe');
    const recoveryMs = await Promise.all(
      urls.map(async (at) => {
        for (;;) {
          const res = await fetch(`${at}/protected`, { headers: { authorization: `Bearer ${probe}` } });
          await res.arrayBuffer();
          if (res.status === 200) return Date.now() - backAt;
          await sleep(10);
        }
      }),
    );
    const cacheLiveMs = await Promise.all(
      urls.map(async (at) => {
        while (!(await get<boolean>(`${at}/live`))) await sleep(10);
        return Date.now() - backAt;
      }),
    );
    const results = await Promise.all(loads);
    progress(
      `  load: ${results.map((r) => `${r.requests.average.toFixed(0)} req/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms)`).join('; ')}`,
    );
    running = false;
    await revoking;

    type Stats = Record<'lastRun' | 'lastSent' | 'runs', Record<string, number>>;
    const stats = await Promise.all(urls.map((at) => get<Stats>(`${at}/stats`)));
    const lastRuns = stats.map((s) => s.lastRun);
    const ran = (token: string) => lastRuns.some((runs) => runs[jtiOf(token)] !== undefined);
    const afterAck = [...acknowledged].flatMap(([jti, at]) =>
      lastRuns.map((runs) => (runs[jti] ?? 0) - at).filter((ms) => ms > 0),
    );
    // Requests sent after the revoke was acknowledged (autocannon builds each just before sending it).
    const sentAfterAck = [...acknowledged].flatMap(([jti, at]) =>
      stats.map((s) => (s.lastSent[jti] ?? 0) - at).filter((ms) => ms > 0),
    );
    const whileDown = stats.flatMap((s) =>
      Object.entries(s.runs)
        .map(([bucket, n]) => [Number(bucket) * 10, n] as const)
        .filter(([t]) => t >= stoppedAt && t < backAt),
    );
    return {
      channels,
      servers: SERVERS,
      connections: CONNECTIONS * SERVERS,
      seconds: (Date.now() - start) / 1000,
      served: results.reduce((n, r) => n + r['2xx'], 0),
      refused: results.reduce((n, r) => n + r['4xx'], 0),
      failed: results.reduce((n, r) => n + r['5xx'] + r.errors + r.timeouts, 0),
      revokedRuns: revoked.filter(ran).length,
      forgedRuns: forged.filter(ran).length,
      revokedDuringRun: acknowledged.size,
      runsAfterAck: afterAck.length,
      sentAfterAck: sentAfterAck.length,
      latestRunAfterAckMs: Math.max(0, ...afterAck),
      downMs: backAt - stoppedAt,
      runsWhileDown: whileDown.reduce((n, [, count]) => n + count, 0),
      latestRunAfterStopMs: Math.max(0, ...whileDown.map(([t]) => t + 10 - stoppedAt)),
      recoveryMs,
      cacheLiveMs,
    };
  } finally {
    client.destroy();
    await Promise.all(servers.map(stopProcess));
    await stopProcess(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}
