import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlocklistFullError, JwtConfigError } from '../../../src/errors.js';
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
  it('fails closed when live revocations fill maxEntries: throws naming it, forgets nothing', async () => {
    const { store, now } = make({ maxEntries: 100 });
    const t = now();
    const tokens = Array.from({ length: 100 }, (_, i) => token(t, { exp: t + 1000 + i }));
    for (const payload of tokens) await store.revoke(payload);
    const extra = token(t, { exp: t + 5000 });
    await expect(store.revoke(extra)).rejects.toThrow(BlocklistFullError);
    await expect(store.revoke(extra)).rejects.toThrow('maxEntries: 100');
    await expect(store.revokeFamily('f')).rejects.toMatchObject({ option: 'maxEntries' });
    await expect(store.revokeAllForIdentity('bob')).rejects.toMatchObject({ option: 'maxEntries' });
    // Every earlier revocation is still there, the soonest-expiring included.
    for (const payload of tokens) expect(await store.isRevoked(payload)).toBe(true);
    expect(store.size).toBe(100);
  });

  it('keeps rotation records in their own pool: 100 000 rotations of one family never push out a revocation', async () => {
    const { store, now } = make({ maxEntries: 10, maxRotationEntries: 10 });
    const t = now();
    const revoked = Array.from({ length: 10 }, () => token(t, { exp: t + 600 }));
    for (const payload of revoked) await store.revoke(payload);
    // One user rotating their own refresh token over and over: one record for the family.
    let presented = token(t, { type: 'refresh', fam: 'fam-a' });
    for (let i = 0; i < 100_000; i++) {
      const next = token(t, { type: 'refresh', fam: 'fam-a' });
      expect(await store.rotate(presented, 'fam-a', { jti: next.jti!, exp: next.exp })).toBe('rotated');
      presented = next;
    }
    for (const payload of revoked) expect(await store.isRevoked(payload)).toBe(true);
    expect(store.size).toBe(11);
  });

  it('fails closed when rotation records fill maxRotationEntries', async () => {
    const { store, now } = make({ maxRotationEntries: 3 });
    const t = now();
    for (let i = 0; i < 3; i++) {
      const presented = token(t, { type: 'refresh' });
      expect(await store.rotate(presented, `fam-${i}`, { jti: `next-${i}`, exp: t + 600 })).toBe('rotated');
    }
    await expect(store.rotate(token(t), 'fam-x', { jti: 'n', exp: t + 600 })).rejects.toMatchObject({
      name: 'BlocklistFullError',
      option: 'maxRotationEntries',
    });
    await expect(store.markUsed(token(t))).rejects.toThrow('maxRotationEntries: 3');
  });

  it('prunes expired entries on writes, without evicting live ones', async () => {
    const { store, now, advance } = make({ maxEntries: 100 });
    for (let i = 0; i < 100; i++) await store.revoke(token(now(), { exp: now() + 60 }));
    expect(store.size).toBe(100);
    advance(61);
    const live = token(now());
    await store.revoke(live);
    expect(store.size).toBe(1);
    expect(await store.isRevoked(live)).toBe(true);
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
    const store = createMemoryBlocklist({ maxEntries: 50 });
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
    ['maxRotationEntries', { maxRotationEntries: 0 }, 'must be a positive integer'],
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
