/**
 * The package as a user installs it: `npm pack`, the tarball unpacked into a temporary project's
 * node_modules (its dependencies linked from this checkout's node_modules, as npm would hoist them),
 * then every entry is `require()`d and `import`ed by plain `node` in that project. Node ≥ 20.19 can
 * require() ESM without top-level await when a `default` condition points at the ESM file. Also: the
 * `exports` shape, and that the runtime dependencies are exactly what the built entries import.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const ENTRIES = ['.', './client', './redis'] as const;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(file: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('package.json exports', () => {
  it.each(ENTRIES)('%s has types, import and default, in that order, each in dist/', (entry) => {
    const target = pkg.exports[entry];
    expect(typeof target).toBe('object');
    const conditions = target as Record<string, string>;
    expect(Object.keys(conditions)).toEqual(['types', 'import', 'default']);
    expect(conditions.default).toBe(conditions.import);
    expect(conditions.import).toMatch(/^\.\/dist\/.+\.js$/);
    expect(conditions.types).toBe(conditions.import!.replace(/\.js$/, '.d.ts'));
  });
});

describe('the packed package in a fresh project (Node ≥ 20.19)', () => {
  const project = mkdtempSync(join(tmpdir(), 'pack-test-'));
  let files: string[] = [];

  beforeAll(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', project], ROOT);
    expect(packed, packed.stderr).toMatchObject({ code: 0 });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    const installed = join(project, 'node_modules/trpc-jwt-extended');
    mkdirSync(installed, { recursive: true });
    const untar = await run(
      'tar',
      ['-xzf', join(project, info!.filename), '-C', installed, '--strip-components=1'],
      project,
    );
    expect(untar, untar.stderr).toMatchObject({ code: 0 });
    // The runtime and peer dependencies, where npm would put them.
    for (const name of ['jose', '@trpc']) {
      symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    }
    writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
  }, 120_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('the tarball holds every exports target and the bin, and no tests', () => {
    for (const entry of ENTRIES) {
      for (const path of Object.values(pkg.exports[entry] as Record<string, string>)) {
        expect(files, path).toContain(path.slice(2));
      }
    }
    expect(files).toContain('dist/cli/keygen.js');
    expect(files.filter((f) => f.startsWith('test/'))).toEqual([]);
  });

  it('require() loads every entry from CommonJS (no ERR_REQUIRE_ASYNC_MODULE, no ERR_PACKAGE_PATH_NOT_EXPORTED)', async () => {
    const script = `
      const main = require('trpc-jwt-extended');
      const client = require('trpc-jwt-extended/client');
      const redis = require('trpc-jwt-extended/redis');
      console.log(JSON.stringify([typeof main.createJwtManager, typeof client.refreshLink, typeof redis.createRedisBlocklist]));`;
    const res = await run(process.execPath, ['-e', script], project);
    expect(res.stderr).not.toMatch(/ERR_REQUIRE_ASYNC_MODULE|ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ESM/);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(res.stdout)).toEqual(['function', 'function', 'function']);
  });

  it('import loads every entry from ESM, and a token made by one verifies', async () => {
    const script = `
      import { createJwtManager } from 'trpc-jwt-extended';
      import { jwtHeaders } from 'trpc-jwt-extended/client';
      import { createRedisBlocklist } from 'trpc-jwt-extended/redis';
      const jwt = createJwtManager({ secretKey: 'k'.repeat(32) });
      const payload = await jwt.decodeToken(await jwt.createAccessToken('ann'));
      console.log(JSON.stringify([payload.sub, typeof jwtHeaders, typeof createRedisBlocklist]));`;
    const res = await run(process.execPath, ['--input-type=module', '-e', script], project);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(res.stdout)).toEqual(['ann', 'function', 'function']);
  });

  it('the bin runs from node_modules/.bin, through its shebang', async () => {
    // What npm's bin-links does on install: link the bin and make its target executable.
    const target = join(
      project,
      'node_modules/trpc-jwt-extended',
      pkg.bin?.['trpc-jwt-extended'] ?? 'missing',
    );
    chmodSync(target, 0o755);
    mkdirSync(join(project, 'node_modules/.bin'), { recursive: true });
    const bin = join(project, 'node_modules/.bin/trpc-jwt-extended');
    symlinkSync(relative(dirname(bin), target), bin);
    const res = await run(bin, ['keygen', 'HS256', '--json'], project);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(res.stdout)).toMatchObject({ algorithm: 'HS256' });
  });
});

describe('dependencies', () => {
  it('the runtime dependencies are exactly the bare imports of the built entries that are not peers', async () => {
    const imported = new Set<string>();
    const result = await build({
      entryPoints: ENTRIES.map((entry) => join(ROOT, (pkg.exports[entry] as Record<string, string>).import!)),
      bundle: true,
      write: false,
      outdir: 'out',
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    for (const input of Object.values(result.metafile.inputs)) {
      for (const { path, external } of input.imports) {
        if (!external || path.startsWith('node:')) continue;
        imported.add(path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!);
      }
    }
    const peers = Object.keys(pkg.peerDependencies ?? {});
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(
      [...imported].filter((d) => !peers.includes(d)).sort(),
    );
    for (const name of imported)
      expect(peers.includes(name) || name in (pkg.dependencies ?? {}), name).toBe(true);
  });

  it('zod and superjson are dev dependencies only: the library never imports them', () => {
    for (const name of ['zod', 'superjson']) {
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(pkg.peerDependencies?.[name], name).toBeUndefined();
      expect(pkg.devDependencies?.[name], name).toBeDefined();
    }
  });
});
