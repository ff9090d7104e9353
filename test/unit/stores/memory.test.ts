import { afterEach, describe, expect, it, vi } from 'vitest';
import { JwtConfigError } from '../../../src/errors.js';
import { createMemoryBlocklist, type MemoryBlocklistOptions } from '../../../src/stores/memory.js';
import { blocklistContract, token } from './contract.js';

const START = Date.UTC(2030, 0, 1);

function fakeClock(start = START) {
  let ms = start;
  return {
    clock: () => ms,
    now: () => Math.floor(ms / 1000),
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
  };
}

function make(options: MemoryBlocklistOptions = {}) {
  const time = fakeClock();
  return { ...time, store: createMemoryBlocklist({ clock: time.clock, ...options }) };
}

blocklistContract('memory', async (options) => {
  const { store, now, advance } = make(options);
  return {
    store,
    now,
    elapse: async (seconds) => advance(seconds),
  };
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('createMemoryBlocklist', () => {
  it('stays within maxEntries, dropping the entries expiring soonest, and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { store, now } = make({ maxEntries: 100 });
    const t = now();
    // Tokens 0..149, token i expiring at t + 1000 + i: the later ones outlive the earlier ones.
    const tokens = Array.from({ length: 150 }, (_, i) => token(t, { exp: t + 1000 + i }));
    for (const payload of tokens) {
      await store.revoke(payload);
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(await store.isRevoked(tokens[149]!)).toBe(true);
    expect(await store.isRevoked(tokens[100]!)).toBe(true);
    expect(await store.isRevoked(tokens[0]!)).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('maxEntries: 100');
  });

  it('counts every kind of entry against maxEntries', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { store, now } = make({ maxEntries: 10 });
    for (let i = 0; i < 20; i++) {
      await store.revoke(token(now()));
      await store.markUsed(token(now()));
      await store.revokeFamily(`fam-${i}`);
      await store.revokeAllForIdentity(`user-${i}`);
      expect(store.size).toBeLessThanOrEqual(10);
    }
  });

  it('prunes expired entries on writes, without evicting live ones', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { store, now, advance } = make({ maxEntries: 100 });
    for (let i = 0; i < 100; i++) await store.revoke(token(now(), { exp: now() + 60 }));
    expect(store.size).toBe(100);
    advance(61);
    const live = token(now());
    await store.revoke(live);
    expect(store.size).toBe(1);
    expect(await store.isRevoked(live)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('prunes expired entries periodically, well before the store is full', async () => {
    const { store, now, advance } = make();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) await store.revoke(token(now(), { exp: now() + 10 }));
      advance(11);
    }
    // 2000 entries written, at most ~2 rounds' worth alive or awaiting the next sweep.
    expect(store.size).toBeLessThanOrEqual(200);
  });

  it('drops an expired entry when it is read', async () => {
    const { store, now, advance } = make();
    const payload = token(now(), { exp: now() + 10 });
    await store.revoke(payload);
    advance(11);
    expect(store.size).toBe(1);
    expect(await store.isRevoked(payload)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('keeps entries `leeway` seconds past exp', async () => {
    const { store, now, advance } = make({ leeway: 30 });
    const payload = token(now(), { exp: now() + 10 });
    await store.revoke(payload);
    advance(39);
    expect(await store.isRevoked(payload)).toBe(true);
    advance(2);
    expect(await store.isRevoked(payload)).toBe(false);
  });

  it('starts no timer, so it never keeps the process alive', async () => {
    vi.useFakeTimers();
    const store = createMemoryBlocklist({ maxEntries: 5 });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (let i = 0; i < 10; i++) {
      const payload = token(Math.floor(Date.now() / 1000));
      await store.revoke(payload);
      await store.markUsed(payload);
      await store.isRevoked(payload);
    }
    await store.revokeAllForIdentity('alice');
    await store.revokeFamily('f');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses Date.now by default', async () => {
    const store = createMemoryBlocklist();
    const t = Math.floor(Date.now() / 1000);
    await store.revokeAllForIdentity('alice');
    expect(await store.isRevoked({ sub: 'alice', iat: t - 1 })).toBe(true);
    expect(await store.isRevoked({ sub: 'alice', iat: t + 5 })).toBe(false);
  });

  it.each([
    ['maxEntries', { maxEntries: 0 }, 'must be a positive integer'],
    ['maxEntries', { maxEntries: 1.5 }, 'must be a positive integer'],
    ['maxTokenLifetime', { maxTokenLifetime: -1 }, 'must be a positive number'],
    ['maxTokenLifetime', { maxTokenLifetime: Number.POSITIVE_INFINITY }, 'must be a positive number'],
    ['leeway', { leeway: -1 }, 'must be a non-negative number'],
    ['identityClaim', { identityClaim: '' }, 'must be a non-empty string'],
    ['clock', { clock: 5 as never }, 'must be a function'],
  ] as const)('refuses a bad %s at construction', (option, options, message) => {
    const error = (() => {
      try {
        createMemoryBlocklist(options as MemoryBlocklistOptions);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error).toMatchObject({ option, message: `trpc-jwt-extended: option \`${option}\` ${message}` });
  });
});
