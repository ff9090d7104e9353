/**
 * Where a bench run's results go. Every run writes bench/results/latest.json and latest.md
 * (git-ignored); bench/README.md's block between two markers is rewritten only with `--write`, and
 * only by a full run (a quick or partial table would replace the published one).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECTIONS = ['micro', 'trpc', 'http', 'memory', 'redis', 'scale', 'size'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchArgs {
  readonly quick: boolean;
  /** The sections to run (all when `--only` is absent). */
  readonly only: readonly Section[];
  readonly partial: boolean;
  /** Rewrite the results block of bench/README.md. */
  readonly write: boolean;
}

/** Parses `[--quick] [--only=a,b] [--write]`; throws on anything else, and on `--write` with a partial run. */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const quick = args.includes('--quick');
  const write = args.includes('--write');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Section[]) : [...SECTIONS];
  for (const name of only) {
    if (!SECTIONS.includes(name))
      throw new Error(`--only: unknown section "${name}" (${SECTIONS.join(', ')})`);
  }
  const unknown = args.filter((a) => a !== '--quick' && a !== '--write' && a !== onlyArg);
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (--quick, --only=…, --write)`);
  if (write && (quick || onlyArg)) {
    throw new Error('--write rewrites bench/README.md: only with a full run (no --quick, no --only)');
  }
  return { quick, only, partial: onlyArg !== undefined, write };
}

export const START = '<!-- results:start -->';
export const END = '<!-- results:end -->';

/** `readme` with the text between the markers replaced by `markdown`. */
export function replaceResults(readme: string, markdown: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from === -1 || to === -1 || to < from) throw new Error('bench/README.md has no results markers');
  return `${readme.slice(0, from + START.length)}\n${markdown}\n${readme.slice(to)}`;
}

/** Writes results/latest.json and results/latest.md under `benchDir`, and README.md with `write`. */
export function writeOutputs(benchDir: string, results: unknown, markdown: string, write: boolean): string[] {
  const written: string[] = [];
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDir, 'results/latest.md'), `${markdown}\n`);
  written.push('bench/results/latest.json', 'bench/results/latest.md');
  if (write) {
    const readmePath = join(benchDir, 'README.md');
    writeFileSync(readmePath, replaceResults(readFileSync(readmePath, 'utf8'), markdown));
    written.push('bench/README.md');
  }
  return written;
}
