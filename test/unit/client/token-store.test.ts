import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenStore } from '../../../src/client/index.js';

/** A Map-backed localStorage. */
function fakeLocalStorage(opts: { failWrites?: boolean } = {}) {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => {
      if (opts.failWrites) throw new DOMException('quota', 'QuotaExceededError');
      data.set(key, value);
    },
    removeItem: (key: string) => void data.delete(key),
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('createTokenStore: memory', () => {
  it('gets, sets and clears a token', () => {
    const store = createTokenStore();
    expect(store.storage).toBe('memory');
    expect(store.get()).toBeNull();
    store.set('t1');
    expect(store.get()).toBe('t1');
    store.set('');
    expect(store.get()).toBeNull();
  });

  it('notifies subscribers of changes only, until they unsubscribe', () => {
    const store = createTokenStore();
    const listener = vi.fn();
    const stop = store.subscribe(listener);
    store.set('t1');
    store.set('t1');
    store.set(null);
    stop();
    store.set('t2');
    expect(listener.mock.calls).toEqual([['t1'], [null]]);
  });

  it('has bound methods, usable as getAccessToken', () => {
    const store = createTokenStore();
    const { get, set } = store;
    set('t');
    expect(get()).toBe('t');
  });

  it('falls back to memory when localStorage is asked for but missing', () => {
    const store = createTokenStore({ storage: 'localStorage' });
    expect(store.storage).toBe('memory');
    store.set('t');
    expect(store.get()).toBe('t');
  });

  it('validates its options', () => {
    expect(() => createTokenStore({ storage: 'cookie' as never })).toThrow(/"storage"/);
    expect(() => createTokenStore({ key: '' })).toThrow(/"key"/);
  });
});

describe('createTokenStore: localStorage', () => {
  it('persists under the key and reads what is already there', () => {
    const local = fakeLocalStorage();
    local.data.set('my_token', 'existing');
    vi.stubGlobal('localStorage', local);
    const store = createTokenStore({ storage: 'localStorage', key: 'my_token' });

    expect(store.storage).toBe('localStorage');
    expect(store.get()).toBe('existing');
    store.set('t2');
    expect(local.data.get('my_token')).toBe('t2');
    store.set(null);
    expect(local.data.has('my_token')).toBe(false);
    expect([...local.data.keys()]).toEqual([]);
  });

  it('uses the default key access_token, and sees writes made elsewhere', () => {
    const local = fakeLocalStorage();
    vi.stubGlobal('localStorage', local);
    const store = createTokenStore({ storage: 'localStorage' });
    local.data.set('access_token', 'from-another-tab');
    expect(store.get()).toBe('from-another-tab');
  });

  it('falls back to memory when localStorage refuses writes', () => {
    vi.stubGlobal('localStorage', fakeLocalStorage({ failWrites: true }));
    const store = createTokenStore({ storage: 'localStorage' });
    expect(store.storage).toBe('memory');
    store.set('t');
    expect(store.get()).toBe('t');
  });

  it('falls back to memory when touching localStorage throws', () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    try {
      expect(createTokenStore({ storage: 'localStorage' }).storage).toBe('memory');
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('notifies subscribers of changes made in other tabs (storage events)', () => {
    vi.stubGlobal('localStorage', fakeLocalStorage());
    const target = new EventTarget();
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    const fire = (key: string | null, newValue: string | null) =>
      target.dispatchEvent(Object.assign(new Event('storage'), { key, newValue }));

    const store = createTokenStore({ storage: 'localStorage' });
    const listener = vi.fn();
    const stop = store.subscribe(listener);
    fire('access_token', 'other-tab');
    fire('unrelated', 'x');
    fire(null, null); // localStorage.clear() in another tab
    stop();
    fire('access_token', 'after-stop');

    expect(listener.mock.calls).toEqual([['other-tab'], [null]]);
  });
});
