/**
 * Runs one benchmark section in its own process (a fresh heap, flags of its own) and writes its
 * result as JSON to the file named on the command line: `section.ts <name> <result.json> [--quick]`.
 */
import './node20-abort-fix.js';
import { writeFileSync } from 'node:fs';
import { FULL_BUDGET, QUICK_BUDGET } from './harness.js';
import { HTTP_FULL, HTTP_QUICK, runHttp } from './http.js';
import { runMemory } from './memory.js';
import { runMicro } from './micro.js';
import { runRedis } from './redis.js';
import { runScale } from './scale.js';
import { measureSizes } from './size.js';
import { runTrpc } from './trpc.js';

const SECTIONS = ['micro', 'trpc', 'http', 'memory', 'redis', 'scale', 'size'] as const;
type SectionName = (typeof SECTIONS)[number];

/** In-process request benchmarks: longer rounds, more of them (request timings are noisier). */
const REQUEST_FULL = { rounds: 9, roundMs: 250, warmupMs: 300 };
const REQUEST_QUICK = { rounds: 3, roundMs: 100, warmupMs: 100 };

async function run(name: SectionName, quick: boolean): Promise<unknown> {
  switch (name) {
    case 'micro':
      return runMicro(quick ? QUICK_BUDGET : FULL_BUDGET);
    case 'trpc':
      return runTrpc(quick ? REQUEST_QUICK : REQUEST_FULL);
    case 'http':
      return runHttp(quick ? HTTP_QUICK : HTTP_FULL);
    case 'memory':
      return runMemory(quick ? 100_000 : 1_000_000);
    case 'redis':
      return runRedis(quick ? REQUEST_QUICK : REQUEST_FULL);
    case 'scale':
      return runScale(quick ? 8 : 20);
    case 'size':
      return measureSizes();
  }
}

const [name, out] = process.argv.slice(2);
if (!SECTIONS.includes(name as SectionName) || out === undefined) {
  throw new Error(`usage: section.ts <${SECTIONS.join('|')}> <result.json> [--quick]`);
}
writeFileSync(out, JSON.stringify(await run(name as SectionName, process.argv.includes('--quick'))));
