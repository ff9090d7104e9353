/**
 * A small, bounded benchmark harness: each case is calibrated once, then all cases of a group run
 * round-robin (interleaved) for a fixed number of rounds, so slow drift (thermal, GC, other load)
 * hits every case alike; the reported figure is the MEDIAN of the rounds.
 *
 * Time is the process's CPU time (user + system, all threads), not wall time: on a shared machine
 * another process's load then costs a case nothing, while work on helper threads (GC, WebCrypto's
 * thread pool) still counts. Wall-clock rates are kept in the JSON results too.
 */
import { performance } from 'node:perf_hooks';

/** Runs `n` operations; may be sync (a plain loop) or async (awaits each operation). */
export type Batch = (n: number) => unknown;

export interface BenchCase {
  readonly name: string;
  readonly batch: Batch;
}

export interface CaseResult {
  readonly name: string;
  /** Median operations per second (of CPU time, or of wall time) over the rounds. */
  readonly opsPerSec: number;
  /** Every round's operations per second, in run order. */
  readonly rounds: readonly number[];
  /** Every round's operations per wall-clock second, in run order. */
  readonly wallRounds?: readonly number[];
  /** (max - min) / median of the rounds: how noisy the figure is. */
  readonly spread: number;
  /** Operations per round. */
  readonly opsPerRound: number;
}

export interface Budget {
  /** Rounds per case (the median is taken over them). */
  readonly rounds: number;
  /** Target duration of one round of one case, in ms. */
  readonly roundMs: number;
  /** Calibration time per case, in ms (also the JIT warm-up). */
  readonly warmupMs: number;
}

// More, shorter rounds than one long one: a case and its reference run close together in time, so
// the paired ratios hold up on a shared machine whose speed swings by ±30% from one second to the next.
export const FULL_BUDGET: Budget = { rounds: 9, roundMs: 100, warmupMs: 120 };
export const QUICK_BUDGET: Budget = { rounds: 3, roundMs: 50, warmupMs: 40 };

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall and CPU milliseconds of one batch. */
async function timeBatch(batch: Batch, n: number): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const out = batch(n);
  if (out instanceof Promise) await out;
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/** Ops/s estimate after running the case for about `ms` (doubling batch sizes). */
async function calibrate(batch: Batch, ms: number): Promise<number> {
  let n = 1;
  let spent = 0;
  let ops = 0;
  for (;;) {
    const elapsed = (await timeBatch(batch, n)).wall;
    spent += elapsed;
    ops += n;
    if (spent >= ms) return (ops / spent) * 1000;
    n = elapsed < 2 ? n * 4 : n * 2;
  }
}

/** Formats ops/s for humans: 1234567 → "1.23M". */
export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)}M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)}k`;
  return ops.toFixed(0);
}

export function progress(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Measures `cases` side by side: calibrate each, then `budget.rounds` interleaved rounds.
 * `label` prefixes the progress lines.
 */
export async function measureGroup(
  label: string,
  cases: readonly BenchCase[],
  budget: Budget,
  /** 'wall' where the cases wait on I/O (CPU time would not count the wait). */
  clock: 'cpu' | 'wall' = 'cpu',
): Promise<CaseResult[]> {
  const sizes: number[] = [];
  for (const c of cases) {
    const rate = await calibrate(c.batch, budget.warmupMs);
    sizes.push(Math.max(1, Math.round((rate * budget.roundMs) / 1000)));
  }
  const rounds: number[][] = cases.map(() => []);
  const wallRounds: number[][] = cases.map(() => []);
  for (let r = 0; r < budget.rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const n = sizes[i]!;
      const { wall, cpu } = await timeBatch(cases[i]!.batch, n);
      rounds[i]!.push((n / Math.max(clock === 'cpu' ? cpu : wall, 0.001)) * 1000);
      wallRounds[i]!.push((n / wall) * 1000);
    }
  }
  return cases.map((c, i) => {
    const values = rounds[i]!;
    const med = median(values);
    const result: CaseResult = {
      name: c.name,
      opsPerSec: med,
      rounds: values,
      wallRounds: wallRounds[i]!,
      spread: (Math.max(...values) - Math.min(...values)) / med,
      opsPerRound: sizes[i]!,
    };
    progress(
      `  ${label} · ${c.name.padEnd(28)} ${formatOps(med).padStart(8)} ${clock === 'cpu' ? 'ops/cpu-s' : 'ops/s    '}  (median of ${values.length}, spread ${(result.spread * 100).toFixed(1)}%)`,
    );
    return result;
  });
}

/** Runs `total` async operations with `concurrency` workers; returns ops/s. */
export async function runConcurrent(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      await op(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}
