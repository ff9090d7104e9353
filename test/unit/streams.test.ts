/**
 * The timers behind a subscription's session limits (src/streams.ts): unref'd, so an open stream
 * never keeps the process alive, and cleared as soon as the stream ends, however it ends.
 */
import { TRPCError } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamLimits, untilSessionEnds } from '../../src/streams.js';

const HOUR = 3_600_000;

function limits(overrides: Partial<StreamLimits> = {}): StreamLimits {
  return {
    expMs: Date.now() + HOUR,
    clock: Date.now,
    expired: async () => new TRPCError({ code: 'UNAUTHORIZED', message: 'Token has expired' }),
    recheckMs: HOUR,
    recheck: async () => undefined,
    ...overrides,
  };
}

async function* twoEvents() {
  yield 1;
  yield 2;
}

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('untilSessionEnds', () => {
  it("arms unref'd timers: an open stream never holds the process", async () => {
    const real = globalThis.setTimeout;
    const handles: ReturnType<typeof setTimeout>[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = real(fn, ms);
      handles.push(handle);
      return handle;
    }) as typeof setTimeout);
    const iterator = (untilSessionEnds(twoEvents(), limits()) as AsyncGenerator)[Symbol.asyncIterator]();
    await iterator.next();
    expect(handles).toHaveLength(2); // expiry and re-check
    expect(handles.map((h) => h.hasRef())).toEqual([false, false]);
    await iterator.return(undefined);
  });

  it('clears its timers when a generator completes, errors, or the consumer leaves', async () => {
    vi.useFakeTimers();
    expect(await drain(untilSessionEnds(twoEvents(), limits()) as AsyncIterable<unknown>)).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);

    const failing = (async function* () {
      yield 1;
      throw new Error('source failed');
    })();
    await expect(drain(untilSessionEnds(failing, limits()) as AsyncIterable<unknown>)).rejects.toThrow(
      'source failed',
    );
    expect(vi.getTimerCount()).toBe(0);

    const left = (untilSessionEnds(twoEvents(), limits()) as AsyncGenerator)[Symbol.asyncIterator]();
    await left.next();
    expect(vi.getTimerCount()).toBe(2);
    await left.return(undefined);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timers when an Observable completes or is unsubscribed', () => {
    vi.useFakeTimers();
    const done = untilSessionEnds(
      observable<number>((emit) => {
        emit.next(1);
        emit.complete();
      }),
      limits(),
    ) as ReturnType<typeof observable<number>>;
    done.subscribe({});
    expect(vi.getTimerCount()).toBe(0);

    const open = untilSessionEnds(
      observable<number>(() => () => {}),
      limits(),
    ) as ReturnType<typeof observable<number>>;
    const subscription = open.subscribe({});
    expect(vi.getTimerCount()).toBe(2);
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends an Observable with the re-check error, and stops checking', async () => {
    vi.useFakeTimers();
    const error = new TRPCError({ code: 'UNAUTHORIZED', message: 'Token has been revoked' });
    const recheck = vi.fn(async () => (recheck.mock.calls.length >= 2 ? error : undefined));
    let torn = false;
    const source = observable<number>(() => () => (torn = true));
    const seen: unknown[] = [];
    (untilSessionEnds(source, limits({ recheckMs: 1000, recheck })) as typeof source).subscribe({
      error: (e) => seen.push(e),
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([error]);
    expect(torn).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(recheck).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
