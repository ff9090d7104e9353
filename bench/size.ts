/**
 * Bundle size of the package's entries, as an application's bundler ships them: each built entry
 * (dist/) bundled with esbuild, minified, tree-shaken, then gzipped (level 9). Two figures per
 * entry: the package's own code (jose left external, as tRPC and Node built-ins always are), and
 * with jose bundled in (what a server bundle carries; the client entry never imports jose).
 * `test/package/size.test.ts` fails when an entry exceeds its budget.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Budgets in gzipped bytes, about 15 % above the sizes measured when they were set (server 21.3 kB
 * own / 25.4 kB with jose, client 3.1 kB, redis 2.5 kB). Raise one only with a reason in the commit.
 */
export const SIZE_BUDGETS = {
  server: { own: 24_500, withJose: 29_000 },
  // Raised for 0.2.0's cross-tab refresh and WebSocket reconnect (client, 3.1 → 4.0 kB) and the local
  // cache and Cluster support (redis, 2.5 → 4.7 kB); still about 15 % above today's sizes.
  client: { own: 4_600, withJose: 4_600 },
  redis: { own: 5_400, withJose: 5_400 },
} as const;

export type SizeEntry = keyof typeof SIZE_BUDGETS;

const ENTRIES: Record<SizeEntry, { file: string; platform: 'node' | 'browser' }> = {
  server: { file: 'dist/index.js', platform: 'node' },
  client: { file: 'dist/client/index.js', platform: 'browser' },
  redis: { file: 'dist/stores/redis.js', platform: 'node' },
};

export interface SizeRow {
  readonly entry: SizeEntry;
  /** `trpc-jwt-extended`, `trpc-jwt-extended/client`, … */
  readonly specifier: string;
  readonly own: { readonly minified: number; readonly gzip: number };
  readonly withJose: { readonly minified: number; readonly gzip: number };
}

async function bundle(file: string, platform: 'node' | 'browser', external: string[]) {
  const result = await build({
    entryPoints: [join(ROOT, file)],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
    external: ['@trpc/*', 'redis', 'node:*', ...external],
  });
  const code = result.outputFiles[0]!.contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Measures every entry (needs `npm run build` first). */
export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const [entry, { file, platform }] of Object.entries(ENTRIES) as [
    SizeEntry,
    (typeof ENTRIES)[SizeEntry],
  ][]) {
    rows.push({
      entry,
      specifier: `trpc-jwt-extended${entry === 'server' ? '' : `/${entry}`}`,
      own: await bundle(file, platform, ['jose']),
      withJose: await bundle(file, platform, []),
    });
  }
  return rows;
}

/** The rows over budget, as messages (empty when all fit). */
export function overBudget(rows: readonly SizeRow[]): string[] {
  return rows.flatMap((row) =>
    (['own', 'withJose'] as const)
      .filter((kind) => row[kind].gzip > SIZE_BUDGETS[row.entry][kind])
      .map(
        (kind) =>
          `${row.specifier} (${kind === 'own' ? 'own code' : 'with jose'}): ${row[kind].gzip} B gzipped > budget ${SIZE_BUDGETS[row.entry][kind]} B`,
      ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const row of await measureSizes()) console.log(JSON.stringify(row));
}
