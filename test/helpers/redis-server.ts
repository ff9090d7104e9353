/**
 * A throwaway `redis-server` for tests: a free port on 127.0.0.1, no persistence. Without
 * `redis-server` (on PATH, or at `REDIS_SERVER`) the Redis tests are skipped, and the closing
 * summary of `npm test` says so with the install command; on CI (`CI` set) that is an error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './ports.js';
import { findRedisServer, installCommand } from './system-tools.js';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs); its data is gone. */
  restart(): Promise<void>;
}

/** The redis-server binary, or null when absent (the Redis tests then skip). */
export const redisServerPath: string | null = findRedisServer();
export const hasRedis = redisServerPath !== null;

if (!hasRedis && process.env.CI) {
  throw new Error(
    `[test] redis-server was not found (REDIS_SERVER, PATH), and CI requires it: ${installCommand(['redis-server'])}`,
  );
}

/** True when something on the port answers `PING` with `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a redis-server and waits until it answers PING (10 s at most). Stop it in afterAll. */
export async function startRedis(): Promise<RedisServer> {
  if (redisServerPath === null)
    throw new Error(`[test] redis-server not found; install it: ${installCommand(['redis-server'])}`);
  const binary = redisServerPath;
  let port = await freePort();
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    let output = '';
    proc.stdout?.on('data', (chunk) => (output += chunk));
    proc.stderr?.on('data', (chunk) => (output += chunk));
    proc.once('exit', () => running.delete(proc));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`[test] redis-server exited at start (port ${port}):\n${output.slice(-2000)}`);
      }
      if (await ping(port)) return;
      await sleep(50);
    }
    proc.kill('SIGKILL');
    throw new Error(
      `[test] redis-server did not answer PING within 10 s (port ${port}):\n${output.slice(-2000)}`,
    );
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    // Bounded: a redis-server that ignores SIGTERM is killed after 5 s (an unbounded wait here would
    // stall the file's afterAll until the hook timeout).
    const force = name === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.kill(name);
    await exited(proc);
    clearTimeout(force);
  }

  // Another process may take the free port before redis-server binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Address already in use')) throw error;
      port = await freePort();
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await launch();
    },
  };
}
