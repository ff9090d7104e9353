/**
 * `npm run bench` (after the build): runs each section in its own process, prints a progress line
 * per case, then the Markdown tables; writes bench/results/latest.json and latest.md (git-ignored),
 * and with `--write` (a full run only) the results block of bench/README.md.
 *
 *   tsx bench/run.ts [--quick] [--only=micro,trpc,http,memory,redis,scale,size] [--write]
 *   (`--only=redis,scale`: the Redis parts alone)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { abortSignalAnyRemoved } from './node20-abort-fix.js';
import { parseBenchArgs, type Section, writeOutputs } from './output.js';
import { evaluateTargets, renderMarkdown, type Results } from './report.js';

/** Node flags per section: memory needs a GC it can call. */
const FLAGS: Partial<Record<Section, string[]>> = { memory: ['--expose-gc'] };

const { quick, only, write } = parseBenchArgs(process.argv.slice(2));

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function runSection(name: Section, dir: string): Promise<unknown> {
  const out = join(dir, `${name}.json`);
  const child = spawn(
    process.execPath,
    [
      ...(FLAGS[name] ?? []),
      '--import',
      'tsx',
      here('./section.ts'),
      name,
      out,
      ...(quick ? ['--quick'] : []),
    ],
    { stdio: 'inherit' },
  );
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(readFileSync(out, 'utf8')));
      else resolve({ error: `section process exited with ${signal ?? `code ${code}`}` });
    });
  });
}

const start = performance.now();
const loadAverageStart = os.loadavg()[0]!;
console.log(
  `trpc-jwt-extended bench: ${quick ? 'quick' : 'full'} run of ${only.join(', ')} on ${os.cpus().length} cores, Node ${process.version}`,
);
if (loadAverageStart > 1) {
  console.log(`note: load average is ${loadAverageStart.toFixed(2)}; other processes share the cores`);
}
const dir = mkdtempSync(join(os.tmpdir(), 'bench-'));
const sections: Partial<Record<Section, unknown>> = {};
try {
  for (const name of only) sections[name] = await runSection(name, dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const results = {
  meta: {
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    node: process.version,
    platform: `${os.type()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: os.totalmem() / 1024 ** 3,
    quick,
    loadAverageStart,
    loadAverageEnd: os.loadavg()[0]!,
    seconds: (performance.now() - start) / 1000,
    abortSignalAnyRemoved,
  },
  ...sections,
} as Results;
const targets = evaluateTargets(results);
const markdown = renderMarkdown(results, targets);
console.log(`\n${markdown}\n`);

for (const file of writeOutputs(here('.'), { ...results, targets }, markdown, write)) {
  console.log(`wrote ${file}`);
}
if (!write) console.log('bench/README.md unchanged (a full run with --write rewrites its results block)');
if (Object.values(sections).some((s) => typeof s === 'object' && s !== null && 'error' in s)) {
  process.exitCode = 1;
}
