/**
 * (d) Memory, run in its own process with --expose-gc: verify `count` distinct tokens through a
 * manager at default settings, then report RSS and heap growth after a full GC, and the cache size
 * (which must stay at its bound).
 */
import { randomBytes } from 'node:crypto';
import { createJwtManager, DEFAULTS } from 'trpc-jwt-extended';
import { hs256Minter } from './fixtures.js';
import { progress } from './harness.js';

export interface MemoryResult {
  readonly count: number;
  readonly seconds: number;
  readonly rssGrowthMB: number;
  readonly heapGrowthMB: number;
  readonly peakRssGrowthMB: number;
  readonly cacheSize: number;
  readonly cacheMaxSize: number;
}

const MB = 1024 * 1024;

async function settle(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory bench: run node with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}

export async function runMemory(count: number): Promise<MemoryResult> {
  progress(
    `(d) memory: ${count.toLocaleString('en-US')} distinct tokens through one manager, default settings`,
  );
  const secret = randomBytes(32).toString('hex');
  const jwt = createJwtManager({ secretKey: secret });
  const mint = hs256Minter(secret);
  // Warm the code paths (fewer tokens than the cache holds), then start from an empty cache.
  for (let i = 0; i < 2_000; i++) await jwt.decodeToken(mint(-1 - i));
  jwt.cache.clear();
  const before = await settle();
  let peakRss = before.rss;
  const start = performance.now();
  const step = Math.max(1, Math.floor(count / 10));
  for (let i = 0; i < count; i++) {
    await jwt.decodeToken(mint(i));
    if ((i + 1) % step === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      progress(
        `  memory · ${(i + 1).toLocaleString('en-US').padStart(9)} tokens, rss ${((process.memoryUsage().rss - before.rss) / MB).toFixed(1)} MB over baseline, cache ${jwt.cache.size}`,
      );
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const after = await settle();
  return {
    count,
    seconds,
    rssGrowthMB: (after.rss - before.rss) / MB,
    heapGrowthMB: (after.heapUsed - before.heapUsed) / MB,
    peakRssGrowthMB: (peakRss - before.rss) / MB,
    cacheSize: jwt.cache.size,
    cacheMaxSize: DEFAULTS.cacheMaxSize,
  };
}
