/**
 * A throwaway Redis Cluster for tests: three `redis-server --cluster-enabled yes` masters on free
 * loopback ports (client and bus ports both chosen free), joined by `redis-cli --cluster create`,
 * in a temporary directory removed on stop. Needs `redis-cli` beside `redis-server` (Debian's
 * redis-server package brings it; `REDIS_CLI` overrides).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { redisServerPath } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of each master. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

const cliPath =
  process.env.REDIS_CLI ?? (redisServerPath === null ? null : join(dirname(redisServerPath), 'redis-cli'));
/** True when both redis-server and redis-cli are there. */
export const hasRedisCluster = cliPath !== null && existsSync(cliPath);
if (!hasRedisCluster) {
  const reason = 'redis-cli was not found beside redis-server (REDIS_CLI); apt-get install redis-server';
  if (process.env.CI) throw new Error(`[test] ${reason} (required on CI)`);
  console.warn(`\n[test] SKIPPING the Redis Cluster tests: ${reason}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(cliPath!, args, { timeout: 20_000 });
  return stdout;
}

/** Starts the cluster and waits until every node reports `cluster_state:ok` (30 s at most). */
export async function startRedisCluster(): Promise<RedisCluster> {
  if (!hasRedisCluster) throw new Error('[test] redis-cli / redis-server not found');
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.exitCode !== null || node.signalCode !== null) return resolve();
            node.once('exit', () => resolve());
            node.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const [port, bus] = [await freePort(), await freePort()];
      ports.push(port);
      const args = ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1'];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
      args.push('--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir);
      const node = spawn(redisServerPath!, args, { stdio: 'ignore' });
      nodes.push(node);
      process.once('exit', () => node.kill('SIGKILL'));
    }
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await cli('-p', String(port), 'PING').catch(() => '')).includes('PONG')) break;
        if (i === 200) throw new Error(`[test] cluster node ${port} did not start`);
        await sleep(50);
      }
    }
    const hosts = ports.map((p) => `127.0.0.1:${p}`);
    await cli('--cluster', 'create', ...hosts, '--cluster-replicas', '0', '--cluster-yes');
    for (let i = 0; ; i++) {
      const states = await Promise.all(ports.map((p) => cli('-p', String(p), 'CLUSTER', 'INFO')));
      if (states.every((s) => s.includes('cluster_state:ok'))) break;
      if (i === 300) throw new Error('[test] the cluster did not reach cluster_state:ok');
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), stop };
}
