/**
 * Turns section results into the Markdown table (printed, and written to bench/README.md) and the
 * targets-met verdicts. Ratios are paired: per round, case ÷ reference measured side by side in the
 * same run, then the median over rounds.
 */
import { type CaseResult, formatOps, median } from './harness.js';
import type { HttpResult } from './http.js';
import type { MemoryResult } from './memory.js';
import type { MicroResult } from './micro.js';
import type { RedisResult } from './redis.js';
import { renderScale, type ScaleSection, scaleTargets } from './scale-report.js';
import { SIZE_BUDGETS, type SizeRow } from './size.js';
import type { TrpcResult } from './trpc.js';

export interface Meta {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly quick: boolean;
  readonly loadAverageStart: number;
  readonly loadAverageEnd: number;
  readonly seconds: number;
  readonly abortSignalAnyRemoved: boolean;
}

export interface Results {
  readonly meta: Meta;
  readonly micro?: MicroResult[] | { error: string };
  readonly trpc?: TrpcResult | { error: string };
  readonly http?: HttpResult | { error: string };
  readonly memory?: MemoryResult | { error: string };
  readonly redis?: RedisResult | { error: string };
  readonly scale?: ScaleSection;
  readonly size?: SizeRow[] | { error: string };
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  readonly note: string;
}

/** Median over rounds of `a[r] / b[r]`. */
export function pairedRatio(a: CaseResult, b: CaseResult): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  const ratios: number[] = [];
  for (let r = 0; r < n; r++) ratios.push(a.rounds[r]! / b.rounds[r]!);
  return median(ratios);
}

function ok<T extends object>(value: T | { error: string } | undefined): value is T {
  return value !== undefined && !('error' in value);
}

function find(cases: readonly CaseResult[], prefix: string): CaseResult {
  const found = cases.find((c) => c.name.startsWith(prefix));
  if (!found) throw new Error(`report: no case "${prefix}"`);
  return found;
}

const usPerOp = (ops: number) => 1e6 / ops;
const x = (ratio: number) => `${ratio.toFixed(2)}×`;
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export function evaluateTargets(results: Results): Target[] {
  const targets: Target[] = [];
  const { trpc, http, micro, memory, redis } = results;
  if (ok(trpc)) {
    const bare = find(trpc.cases, 'bare');
    const warm = pairedRatio(find(trpc.cases, 'protected warm'), bare);
    const noop = pairedRatio(find(trpc.cases, 'empty tRPC middleware'), bare);
    targets.push({
      target: 'warm protectedProcedure ≥ 0.97× bare, in process (b)',
      measured: x(warm),
      met: warm >= 0.97,
      note:
        warm >= 0.97
          ? ''
          : `an empty tRPC middleware alone measures ${x(noop)} bare in the same run: tRPC's middleware step (ctx merge, next() chain) is most of the gap; our verification adds ${x(warm / noop)} on top of it`,
    });
  }
  if (ok(http)) {
    const bare = find(http.cases, 'bare');
    const warm = pairedRatio(find(http.cases, 'protected warm'), bare);
    const noop = pairedRatio(find(http.cases, 'empty tRPC middleware'), bare);
    const cpuRatio = pairedRatio(find(http.serverCpu, 'protected warm'), find(http.serverCpu, 'bare'));
    targets.push({
      target: 'warm protectedProcedure ≥ 0.97× bare, over HTTP (c)',
      measured: x(warm),
      met: warm >= 0.97,
      note:
        warm >= 0.97
          ? ''
          : `an empty tRPC middleware measures ${x(noop)} bare in the same run; protected vs that empty middleware: ${x(warm / noop)}; requests per server CPU-second: protected ${x(cpuRatio)} bare`,
    });
  }
  if (ok(micro)) {
    for (const { alg, verify, sign } of micro) {
      const floorV = find(verify, 'node:crypto floor');
      const cold = find(verify, 'ours cold');
      const coldRatio = pairedRatio(floorV, cold);
      // From the paired ratio, as the `measured` column: medians of separate rounds would disagree with it.
      const extraV = usPerOp(floorV.opsPerSec) * (coldRatio - 1);
      targets.push({
        target: `cold verify ${alg} ≤ 2× node:crypto floor (a)`,
        measured: x(coldRatio),
        met: coldRatio <= 2,
        note:
          coldRatio <= 2
            ? ''
            : `the floor is ${usPerOp(floorV.opsPerSec).toFixed(1)} µs of bare HMAC; the format gate, decoding and JSON.parse of the payload, the claim checks and the promise add ${extraV.toFixed(1)} µs per token`,
      });
      const floorS = find(sign, 'node:crypto floor');
      const ours = find(sign, 'ours');
      const signRatio = pairedRatio(floorS, ours);
      const extraS = usPerOp(floorS.opsPerSec) * (signRatio - 1);
      targets.push({
        target: `token creation ${alg} ≤ 2× node:crypto floor (a)`,
        measured: x(signRatio),
        met: signRatio <= 2,
        note:
          signRatio <= 2
            ? ''
            : `the floor is ${usPerOp(floorS.opsPerSec).toFixed(1)} µs of bare HMAC; two random UUIDs (jti, csrf), the payload JSON and its base64url and the promise add ${extraS.toFixed(1)} µs per token`,
      });
    }
  }
  if (ok(results.size)) {
    for (const row of results.size) {
      const budget = SIZE_BUDGETS[row.entry].own;
      targets.push({
        target: `${row.specifier} gzipped (own code) ≤ ${kB(budget)} (g)`,
        measured: kB(row.own.gzip),
        met: row.own.gzip <= budget,
        note: row.own.gzip <= budget ? '' : 'over its budget in bench/size.ts',
      });
    }
  }
  if (ok(memory)) {
    const bound = memory.cacheSize <= memory.cacheMaxSize;
    targets.push({
      target: `${memory.count.toLocaleString('en-US')} distinct tokens: RSS growth ≤ 64 MB (d)`,
      measured: `${memory.rssGrowthMB.toFixed(1)} MB`,
      met: memory.rssGrowthMB <= 64 && bound,
      note: bound ? '' : `the cache grew to ${memory.cacheSize}, over its bound ${memory.cacheMaxSize}`,
    });
  }
  if (ok(redis) && !('skipped' in redis)) {
    const base = find(redis.cases, 'protected, no blocklist');
    const cached = pairedRatio(find(redis.cases, 'protected, Redis blocklist + localCache'), base);
    const plain = pairedRatio(find(redis.cases, 'protected, Redis blocklist'), base);
    targets.push({
      target: 'protected warm, Redis blocklist (localCache) ≥ 0.9× no blocklist (e)',
      measured: x(cached),
      met: cached >= 0.9,
      note: cached >= 0.9 ? '' : `without the local cache: ${x(plain)}`,
    });
  }
  targets.push(...scaleTargets(results.scale));
  return targets;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function failed(name: string, value: { error: string } | undefined): string {
  return value === undefined ? `_${name}: not run._` : `_${name} failed: ${value.error}_`;
}

export function renderMarkdown(results: Results, targets: readonly Target[]): string {
  const { meta, micro, trpc, http, memory, redis } = results;
  const out: string[] = [];
  out.push(
    `Machine: ${meta.platform}, ${meta.cpus} cores (${meta.cpuModel}), ${meta.memoryGiB.toFixed(1)} GiB; Node ${meta.node}; ${meta.date}; ${meta.quick ? 'QUICK run' : 'full run'} in ${meta.seconds.toFixed(0)} s; load average ${meta.loadAverageStart.toFixed(2)} at start, ${meta.loadAverageEnd.toFixed(2)} at end.`,
  );
  out.push('', '### Targets', '');
  out.push(
    table(
      ['target', 'measured', 'met'],
      targets.map((t) => [t.target, t.measured, t.met ? '✓' : `✗ ${t.measured}: ${t.note}`]),
    ),
  );

  out.push('', '### (a) Micro: operations per second, and time per operation ÷ the node:crypto floor', '');
  if (ok(micro)) {
    const algs = micro.map((m) => m.alg);
    const cell = (cases: readonly CaseResult[], name: string) => {
      const c = cases.find((candidate) => candidate.name === name);
      if (!c) return '—';
      return `${formatOps(c.opsPerSec)} (${x(pairedRatio(find(cases, 'node:crypto floor'), c))})`;
    };
    const rows = (pick: (m: MicroResult) => CaseResult[]) => {
      const names = [...new Set(micro.flatMap((m) => pick(m).map((c) => c.name)))];
      return names.map((name) => [name, ...micro.map((m) => cell(pick(m), name))]);
    };
    out.push(
      'Verify:',
      '',
      table(
        ['case', ...algs],
        rows((m) => m.verify),
      ),
    );
    out.push(
      '',
      'Sign:',
      '',
      table(
        ['case', ...algs],
        rows((m) => m.sign),
      ),
    );
  } else out.push(failed('micro', micro));

  out.push(
    '',
    '### (b) tRPC in process: fetchRequestHandler, real Request objects, 50 concurrent, HS256',
    '',
  );
  if (ok(trpc)) {
    const bare = find(trpc.cases, 'bare');
    out.push(
      table(
        ['case', 'req/s', 'vs bare'],
        trpc.cases.map((c) => [c.name, formatOps(c.opsPerSec), x(pairedRatio(c, bare))]),
      ),
    );
  } else out.push(failed('trpc', trpc));

  out.push('', '### (c) HTTP: standalone adapter in a child process, autocannon, 50 connections', '');
  if (ok(http)) {
    const bare = find(http.cases, 'bare');
    const bareCpu = find(http.serverCpu, 'bare');
    out.push(
      table(
        ['case', 'req/s', 'vs bare', 'server CPU per request', 'vs bare (server CPU)', 'p99 latency'],
        http.cases.map((c, i) => {
          const cpu = http.serverCpu[i]!;
          return [
            c.name,
            formatOps(c.opsPerSec),
            x(pairedRatio(c, bare)),
            `${(1e6 / cpu.opsPerSec).toFixed(0)} µs`,
            x(pairedRatio(cpu, bareCpu)),
            `${http.latencyP99Ms[c.name]} ms`,
          ];
        }),
      ),
    );
  } else out.push(failed('http', http));

  out.push('', '### (d) Memory: distinct tokens through one manager at default settings (fresh process)', '');
  if (ok(memory)) {
    out.push(
      table(
        [
          'tokens',
          'time',
          'RSS growth after GC',
          'heap growth after GC',
          'peak RSS growth',
          'cache size / bound',
        ],
        [
          [
            memory.count.toLocaleString('en-US'),
            `${memory.seconds.toFixed(1)} s`,
            `${memory.rssGrowthMB.toFixed(1)} MB`,
            `${memory.heapGrowthMB.toFixed(1)} MB`,
            `${memory.peakRssGrowthMB.toFixed(1)} MB`,
            `${memory.cacheSize.toLocaleString('en-US')} / ${memory.cacheMaxSize.toLocaleString('en-US')}`,
          ],
        ],
      ),
    );
  } else out.push(failed('memory', memory));

  out.push('', '### (e) Blocklist: protected warm, in process, 50 concurrent', '');
  if (ok(redis)) {
    if ('skipped' in redis) out.push(`_Skipped: ${redis.skipped}._`);
    else {
      const base = find(redis.cases, 'protected, no blocklist');
      out.push(
        table(
          ['case', 'req/s', 'vs no blocklist'],
          redis.cases.map((c) => [c.name, formatOps(c.opsPerSec), x(pairedRatio(c, base))]),
        ),
      );
    }
  } else out.push(failed('redis', redis));
  out.push(...renderScale(results.scale));

  out.push('', '### (g) Bundle size: each entry bundled with esbuild (minified), gzipped', '');
  if (ok(results.size)) {
    out.push(
      table(
        ['entry', 'own code: min / gzip', 'budget (gzip)', 'with jose bundled: min / gzip', 'budget (gzip)'],
        results.size.map((row) => [
          `\`${row.specifier}\``,
          `${kB(row.own.minified)} / ${kB(row.own.gzip)}`,
          kB(SIZE_BUDGETS[row.entry].own),
          `${kB(row.withJose.minified)} / ${kB(row.withJose.gzip)}`,
          kB(SIZE_BUDGETS[row.entry].withJose),
        ]),
      ),
    );
  } else out.push(failed('size', results.size));
  return out.join('\n');
}
