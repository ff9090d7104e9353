/**
 * (c) Over real HTTP: tRPC's standalone adapter in a CHILD process (its own core; the load generator
 * in this process has the other), autocannon with 50 connections. Bare public query, an empty tRPC
 * middleware, and protectedProcedure with the same token (warm); rounds interleaved, median reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createJwtManager } from 'trpc-jwt-extended';
import { type CaseResult, formatOps, median, progress } from './harness.js';

export interface HttpBudget {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

export const HTTP_FULL: HttpBudget = { rounds: 5, seconds: 3, warmupSeconds: 1 };
export const HTTP_QUICK: HttpBudget = { rounds: 1, seconds: 2, warmupSeconds: 0.5 };
const CONNECTIONS = 50;

export interface HttpResult {
  /** Requests per second (wall clock, as autocannon counts them). */
  readonly cases: CaseResult[];
  /** Requests per CPU-second of the server process (less sensitive to other load on the machine). */
  readonly serverCpu: CaseResult[];
  readonly connections: number;
  readonly latencyP99Ms: Record<string, number>;
}

function startServer(secret: string): Promise<{ child: ChildProcess; port: number }> {
  const entry = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, BENCH_SECRET: secret },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`http-server exited early (code ${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
  });
}

/** The server's CPU time so far, in seconds. */
function serverCpuSeconds(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage: NodeJS.CpuUsage) => resolve((usage.user + usage.system) / 1e6));
    child.send('cpu');
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function load(url: string, token: string, seconds: number) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`bench sanity: ${url} had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  return result;
}

export async function runHttp(budget: HttpBudget): Promise<HttpResult> {
  progress(`(c) HTTP: standalone adapter in a child process, autocannon ${CONNECTIONS} connections`);
  const secret = randomBytes(32).toString('hex');
  const token = await createJwtManager({ secretKey: secret }).createAccessToken('user-42');
  const { child, port } = await startServer(secret);
  try {
    const cases = [
      { name: 'bare public query', url: `http://127.0.0.1:${port}/bare` },
      { name: 'empty tRPC middleware', url: `http://127.0.0.1:${port}/noop` },
      { name: 'protected warm (same token)', url: `http://127.0.0.1:${port}/protected` },
    ];
    for (const c of cases) await load(c.url, token, budget.warmupSeconds);
    const rounds: number[][] = cases.map(() => []);
    const cpuRounds: number[][] = cases.map(() => []);
    const p99: number[][] = cases.map(() => []);
    for (let r = 0; r < budget.rounds; r++) {
      for (let i = 0; i < cases.length; i++) {
        const cpuBefore = await serverCpuSeconds(child);
        const result = await load(cases[i]!.url, token, budget.seconds);
        const cpu = (await serverCpuSeconds(child)) - cpuBefore;
        rounds[i]!.push(result.requests.average);
        cpuRounds[i]!.push(result.requests.total / cpu);
        p99[i]!.push(result.latency.p99);
        progress(
          `  HTTP · ${cases[i]!.name.padEnd(28)} round ${r + 1}/${budget.rounds}: ${formatOps(result.requests.average)} req/s, ${((cpu * 1e6) / result.requests.total).toFixed(0)} µs server CPU per request`,
        );
      }
    }
    const summarize = (perCase: number[][]): CaseResult[] =>
      cases.map((c, i) => {
        const values = perCase[i]!;
        const med = median(values);
        return {
          name: c.name,
          opsPerSec: med,
          rounds: values,
          spread: (Math.max(...values) - Math.min(...values)) / med,
          opsPerRound: Math.round(med * budget.seconds),
        };
      });
    const results = summarize(rounds);
    const serverCpu = summarize(cpuRounds);
    const latencyP99Ms = Object.fromEntries(cases.map((c, i) => [c.name, median(p99[i]!)]));
    return { cases: results, serverCpu, connections: CONNECTIONS, latencyP99Ms };
  } finally {
    await stopServer(child);
  }
}
