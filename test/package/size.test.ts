/**
 * Size budgets of the gzipped entries (bench/size.ts measures them; bench/README.md reports them):
 * the built entries bundled with esbuild as an application would, minified and gzipped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { measureSizes, overBudget, SIZE_BUDGETS, type SizeRow } from '../../bench/size.js';

describe('bundle size budgets (gzipped)', () => {
  let rows: SizeRow[] = [];
  beforeAll(async () => {
    rows = await measureSizes();
  }, 60_000);

  it('measures the server, client and redis entries, each with and without jose', () => {
    expect(rows.map((row) => row.specifier)).toEqual([
      'trpc-jwt-extended',
      'trpc-jwt-extended/client',
      'trpc-jwt-extended/redis',
    ]);
    for (const row of rows) {
      expect(row.own.gzip).toBeGreaterThan(1000);
      expect(row.own.gzip).toBeLessThan(row.own.minified);
      expect(row.withJose.gzip).toBeGreaterThanOrEqual(row.own.gzip);
    }
    // the client and the Redis store never import jose
    const client = rows.find((row) => row.entry === 'client')!;
    expect(client.withJose).toEqual(client.own);
  });

  it('every entry is within its budget', () => {
    expect(overBudget(rows)).toEqual([]);
  });

  it('the check can fail: an entry over budget is named', () => {
    const server = rows.find((row) => row.entry === 'server')!;
    const fat = { ...server, own: { ...server.own, gzip: SIZE_BUDGETS.server.own + 1 } };
    expect(overBudget([fat])).toEqual([
      `trpc-jwt-extended (own code): ${SIZE_BUDGETS.server.own + 1} B gzipped > budget ${SIZE_BUDGETS.server.own} B`,
    ]);
  });
});
