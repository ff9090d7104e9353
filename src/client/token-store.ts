/** Options of {@link createTokenStore}. */
export interface TokenStoreOptions {
  /**
   * Where the token lives. `'memory'` is lost on reload but out of reach of other scripts' storage
   * reads; `'localStorage'` survives reloads and is shared by tabs, and falls back to memory where
   * `localStorage` is missing or refuses writes (private modes, sandboxed frames, Node).
   * @default 'memory'
   */
  storage?: 'memory' | 'localStorage';
  /**
   * The `localStorage` key.
   * @default 'access_token'
   */
  key?: string;
}

/** A token holder: what {@link createTokenStore} returns. */
export interface TokenStore {
  /** The token, or `null`. */
  get(): string | null;
  /** Stores a token, or removes it with `null` (or `''`). Listeners hear of a change. */
  set(token: string | null): void;
  /**
   * Calls `listener` with the new token each time it changes, here or (with `localStorage`) in another
   * tab. Returns the function that stops it.
   */
  subscribe(listener: (token: string | null) => void): () => void;
  /** The storage in use: `'memory'` when `localStorage` was asked for but is not usable. */
  readonly storage: 'memory' | 'localStorage';
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface StorageEventTarget {
  addEventListener(
    type: 'storage',
    listener: (event: { key: string | null; newValue: string | null }) => void,
  ): void;
  removeEventListener(
    type: 'storage',
    listener: (event: { key: string | null; newValue: string | null }) => void,
  ): void;
}

/**
 * Creates a small store for the access (or refresh) token, to give to `jwtHeaders` and `refreshLink`.
 * Its methods are bound: pass `store.get` as it is.
 *
 * @example
 * ```ts
 * import { createTokenStore } from 'trpc-jwt-extended/client';
 *
 * const tokens = createTokenStore({ storage: 'localStorage', key: 'access_token' });
 * const stop = tokens.subscribe((token) => console.log(token ? 'signed in' : 'signed out'));
 * tokens.set('eyJhbGciOi...');
 * tokens.get(); // 'eyJhbGciOi...'
 * tokens.set(null);
 * stop();
 * ```
 */
export function createTokenStore(options: TokenStoreOptions = {}): TokenStore {
  const { storage = 'memory', key = 'access_token' } = options;
  if (storage !== 'memory' && storage !== 'localStorage') {
    throw new TypeError(`createTokenStore: "storage" must be 'memory' or 'localStorage'`);
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('createTokenStore: "key" must be a non-empty string');
  }
  const local = storage === 'localStorage' ? usableLocalStorage() : null;
  const listeners = new Set<(token: string | null) => void>();
  let memory: string | null = local ? safeGet(local, key, null) : null;

  const emit = (token: string | null) => {
    for (const listener of [...listeners]) {
      listener(token);
    }
  };
  // Another tab changed the token (`storage` events only fire in the other tabs).
  const onStorage = (event: { key: string | null; newValue: string | null }) => {
    if ((event.key === key || event.key === null) && event.newValue !== memory) {
      memory = event.newValue;
      emit(memory);
    }
  };
  const events = local ? storageEvents() : null;

  const get = (): string | null => {
    if (local) {
      memory = safeGet(local, key, memory);
    }
    return memory;
  };
  const set = (token: string | null): void => {
    const next = token || null;
    const previous = get();
    memory = next;
    if (local) {
      try {
        if (next === null) {
          local.removeItem(key);
        } else {
          local.setItem(key, next);
        }
      } catch {
        // Quota or security errors: the token stays in memory for this page.
      }
    }
    if (next !== previous) {
      emit(next);
    }
  };
  const subscribe = (listener: (token: string | null) => void): (() => void) => {
    const wrapped = (token: string | null) => listener(token);
    listeners.add(wrapped);
    if (listeners.size === 1) {
      events?.addEventListener('storage', onStorage);
    }
    return () => {
      if (listeners.delete(wrapped) && listeners.size === 0) {
        events?.removeEventListener('storage', onStorage);
      }
    };
  };
  return { get, set, subscribe, storage: local ? 'localStorage' : 'memory' };
}

/** `localStorage`, if it exists and accepts a write; `null` otherwise. */
function usableLocalStorage(): StorageLike | null {
  try {
    const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!storage || typeof storage.getItem !== 'function') {
      return null;
    }
    const probe = '__trpc_jwt_extended_probe__';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

function storageEvents(): StorageEventTarget | null {
  const target = globalThis as Partial<StorageEventTarget>;
  return typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function'
    ? (target as StorageEventTarget)
    : null;
}

function safeGet(storage: StorageLike, key: string, fallback: string | null): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return fallback;
  }
}
