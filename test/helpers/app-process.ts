/**
 * Spawns `app-process-server.ts` as a real child process (`node --import tsx`), so that tests can
 * run several app servers against one Redis. Stop every process in afterAll; any still running
 * when the test worker exits is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './servers.js';

export interface AppProcessOptions {
  /** Shared by every process so that a token minted by one verifies on the others. */
  secret: string;
  /** The Redis blocklist when given, else the memory one. */
  redisUrl?: string;
  /** `timeoutMs` of the Redis blocklist. @default 1000 */
  redisTimeoutMs?: number;
  /** The Redis blocklist's local cache (a second connection subscribes). @default false */
  localCache?: boolean;
  /** `NODE_ENV` of the child (tRPC adds `data.stack` to errors unless it is 'production'). @default 'production' */
  nodeEnv?: string;
}

export interface AppProcess {
  /** The tRPC base URL (`http://127.0.0.1:<port>/trpc`), as an Endpoint for `callTrpc`. */
  readonly endpoint: Endpoint;
  readonly pid: number;
  /** True while the child has not exited. */
  readonly running: boolean;
  /** stdout + stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./app-process-server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts one app server process and waits for the URL it prints (30 s at most). */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JWT_SECRET: options.secret,
    PORT: '0',
    NODE_ENV: options.nodeEnv ?? 'production',
    REDIS_TIMEOUT_MS: String(options.redisTimeoutMs ?? 1000),
    LOCAL_CACHE: options.localCache === true ? '1' : '0',
  };
  delete env.REDIS_URL;
  if (options.redisUrl !== undefined) env.REDIS_URL = options.redisUrl;
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stderr?.on('data', (chunk) => (output += chunk));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.kill('SIGTERM');
    await exited(child);
    clearTimeout(force);
  };

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`[test] app process ${why}:\n${output.slice(-3000)}`));
    };
    const timer = setTimeout(
      () => fail(`did not print its URL within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code, signal) => fail(`exited at start (code ${code}, signal ${signal})`));
    child.once('error', (error) => fail(`could not start (${error.message})`));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{"url"'));
      if (line === undefined || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });

  const endpoint: Endpoint = {
    name: 'standalone',
    url,
    // A bound so that a hanging request fails the test with a clear error instead of a timeout.
    send: (u, init) => fetch(u, { ...init, signal: AbortSignal.timeout(10_000) }),
    close: stop,
  };
  return {
    endpoint,
    pid: child.pid ?? -1,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    output: () => output,
    stop,
  };
}

/** Stops every process given, also when some never started (undefined). */
export async function stopAll(processes: readonly (AppProcess | undefined)[]): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop()));
}

/** An `Authorization: Bearer` header. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The payload of a token, not verified (to compare `fam`, `jti`, `iat`). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

/** Retries `fn` every 100 ms until it returns true, for at most `ms`; false when it never did. */
export async function eventually(fn: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
