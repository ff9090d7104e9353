/**
 * The measurement behind the choice of invalidation channel for the local cache (section (f)): on
 * loopback, how long after a write's acknowledgement the invalidation reaches another connection of
 * the same process, and what the write costs, for
 * - pub/sub, published from the write's own Lua script (what the store does), and
 * - RESP3 server-assisted client-side caching (`CLIENT TRACKING` in default mode, node-redis
 *   `RESP: 3, emitInvalidate: true`): the reader must have read the key on the tracked connection.
 */
import { createClient } from 'redis';
import { median } from './harness.js';

export interface ChannelFigures {
  /** Invalidation arrival minus write acknowledgement, ms (negative: it came first). */
  readonly lagP50: number;
  readonly lagP99: number;
  /** Write round trip, ms. */
  readonly writeP50: number;
}

const REVOKE = `redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], 'k' .. KEYS[1])
return 1`;

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1]!;

function figures(lags: number[], writes: number[]): ChannelFigures {
  return { lagP50: median(lags), lagP99: p99(lags), writeP50: median(writes) };
}

export async function compareInvalidation(
  url: string,
  writes: number,
): Promise<{ pubsub: ChannelFigures; tracking: ChannelFigures }> {
  const writer = await createClient({ url })
    .on('error', () => {})
    .connect();
  const subscriber = await createClient({ url })
    .on('error', () => {})
    .connect();
  const reader = await createClient({ url, RESP: 3, emitInvalidate: true })
    .on('error', () => {})
    .connect();
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const arrived = (key: string) => {
    arrivals.set(key, performance.now());
    waiters.get(key)?.();
  };
  const arrival = (key: string) =>
    arrivals.has(key) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(key, resolve));
  await subscriber.subscribe('cmp:inv', (message: string) => arrived(message.slice(1)));
  reader.on('invalidate', (key: unknown) => {
    if (key !== null) arrived(String(key));
  });

  async function measure(kind: 'pubsub' | 'tracking'): Promise<ChannelFigures> {
    const lags: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < writes; i++) {
      const key = `cmp:${kind}:${i}`;
      if (kind === 'tracking') await reader.get(key); // tracked from now on
      const start = performance.now();
      if (kind === 'pubsub') await writer.sendCommand(['EVAL', REVOKE, '1', key, '60000', 'cmp:inv']);
      else await writer.sendCommand(['SET', key, '1', 'PX', '60000']);
      const acknowledged = performance.now();
      await arrival(key);
      lags.push(arrivals.get(key)! - acknowledged);
      times.push(acknowledged - start);
    }
    return figures(lags, times);
  }

  try {
    const pubsub = await measure('pubsub');
    const tracking = await measure('tracking');
    return { pubsub, tracking };
  } finally {
    for (const c of [writer, subscriber, reader]) c.destroy();
  }
}
