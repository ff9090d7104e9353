/**
 * `npm run bench` (after the build): runs each section in its own process, prints a progress line
 * per case, then the Markdown table; writes bench/results/latest.json and, on a full run, the
 * results block of bench/README.md.
 *
 *   tsx bench/run.ts [--quick] [--only=micro,trpc,http,memory,redis,scale] [--no-readme]
 *   (`--only=redis,scale`: the Redis parts alone)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { abortSignalAnyRemoved } from './node20-abort-fix.js';
import { evaluateTargets, renderMarkdown, type Results } from './report.js';

const SECTIONS = ['micro', 'trpc', 'http', 'memory', 'redis', 'scale'] as const;
type Section = (typeof SECTIONS)[number];
/** Node flags per section: memory needs a GC it can call. */
const FLAGS: Partial<Record<Section, string[]>> = { memory: ['--expose-gc'] };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Section[]) : [...SECTIONS];
for (const name of only) {
  if (!SECTIONS.includes(name)) throw new Error(`--only: unknown section "${name}" (${SECTIONS.join(', ')})`);
}
const writeReadme = !quick && !onlyArg && !args.includes('--no-readme');

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

mkdirSync(here('./results'), { recursive: true });
writeFileSync(here('./results/latest.json'), `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
console.log('wrote bench/results/latest.json');

if (writeReadme) {
  const readmePath = here('./README.md');
  const START = '<!-- results:start -->';
  const END = '<!-- results:end -->';
  const readme = readFileSync(readmePath, 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from === -1 || to === -1) throw new Error('bench/README.md has no results markers');
  writeFileSync(readmePath, `${readme.slice(0, from + START.length)}\n${markdown}\n${readme.slice(to)}`);
  console.log('wrote bench/README.md');
}
if (Object.values(sections).some((s) => typeof s === 'object' && s !== null && 'error' in s)) {
  process.exitCode = 1;
}
