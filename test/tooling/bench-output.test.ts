/**
 * `npm run bench` writes its table to bench/results/ (git-ignored) and rewrites bench/README.md only
 * with `--write`, and only on a full run. The output step on a copy in a temporary folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { END, parseBenchArgs, START, writeOutputs } from '../../bench/output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const README = `# Benchmarks\n\nintro\n\n${START}\nold table\n${END}\n\nafter\n`;

describe('bench output', () => {
  it('without --write: results/latest.json and latest.md are written, README.md is left alone', () => {
    writeFileSync(join(dir, 'README.md'), README);
    const written = writeOutputs(dir, { meta: 1 }, '| new | table |', parseBenchArgs([]).write);
    expect(written).toEqual(['bench/results/latest.json', 'bench/results/latest.md']);
    expect(readFileSync(join(dir, 'results/latest.md'), 'utf8')).toBe('| new | table |\n');
    expect(JSON.parse(readFileSync(join(dir, 'results/latest.json'), 'utf8'))).toEqual({ meta: 1 });
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(README);
  });

  it('with --write: the block between the markers is replaced, the rest kept', () => {
    writeFileSync(join(dir, 'README.md'), README);
    writeOutputs(dir, {}, '| new | table |', parseBenchArgs(['--write']).write);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(
      `# Benchmarks\n\nintro\n\n${START}\n| new | table |\n${END}\n\nafter\n`,
    );
  });

  it('--write only with a full run; unknown arguments are refused', () => {
    expect(() => parseBenchArgs(['--write', '--quick'])).toThrow(/only with a full run/);
    expect(() => parseBenchArgs(['--write', '--only=micro'])).toThrow(/only with a full run/);
    expect(() => parseBenchArgs(['--no-readme'])).toThrow(/unknown argument --no-readme/);
    expect(() => parseBenchArgs(['--only=nope'])).toThrow(/unknown section "nope"/);
    expect(parseBenchArgs(['--only=size,micro'])).toMatchObject({ only: ['size', 'micro'], write: false });
  });

  it('bench/results/ is git-ignored', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('bench/results/');
  });
});
