import { readCookie } from './cookies.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * Cross-tab coordination of `refreshLink` (the `crossTab` option): the tabs of one origin that share a
 * session refresh it one at a time, and a tab that waited for another tab's refresh uses its result.
 */
export interface CrossTabOptions {
  /**
   * The name of the Web Lock and of the `BroadcastChannel`. Both are scoped to the origin already; give
   * each session its own name when one origin holds several (two APIs, two accounts).
   * @default `trpc-jwt-extended:refresh:${location.origin}`
   */
  name?: string;
  /**
   * Reads a value that every tab sees and that a refresh in any tab replaces. It is read when an
   * operation is sent and again once the lock is held: when it changed, another tab refreshed, so this
   * tab retries with the new tokens instead of refreshing again. Return `null` when there is nothing to
   * compare; the tab then refreshes (after the other tab, with the refresh token it left).
   * @default `getAccessToken` when given (a `localStorage` token store is shared by the tabs), else the
   * `csrf_access_token` cookie (cookie mode: it changes with every new access-token cookie)
   */
  getSharedToken?: () => MaybePromise<string | null | undefined>;
}

/** The message a tab posts after it refreshed: never a token. */
const REFRESHED = 'trpc-jwt-extended:refreshed';

interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  unref?(): void;
}

/** What a tab knows of the shared session at one moment. */
export interface TabSnapshot {
  /** The shared value (`getSharedToken`), `null` when there is none or it cannot be read. */
  token: string | null;
  /** How many refreshes other tabs had announced by then. */
  announced: number;
}

/** The coordination of one link: `null` where Web Locks are missing (single-tab behaviour). */
export interface TabCoordinator {
  /** What this tab knows now (never throws). */
  snapshot(): Promise<TabSnapshot>;
  /**
   * Runs `refresh` while holding the lock, unless another tab refreshed since `before`: the shared
   * value changed, or a refresh was announced. Resolves `true` when it refreshed, `false` when it uses
   * the other tab's result. Waiting for the lock ends when `signal` aborts (it rejects with the signal's
   * reason), and so does the lock: a hung refresh does not hold the other tabs.
   */
  run(before: Promise<TabSnapshot>, signal: AbortSignal, refresh: () => Promise<unknown>): Promise<boolean>;
}

/**
 * Builds the coordinator of a link, or `null` when `crossTab` is `false` or the runtime has no Web
 * Locks (Node, React Native, old browsers). `onRemoteRefresh` is called when another tab announces a
 * refresh on the `BroadcastChannel`.
 */
export function createTabCoordinator(
  crossTab: boolean | CrossTabOptions | undefined,
  getAccessToken: (() => MaybePromise<string | null | undefined>) | undefined,
  onRemoteRefresh: () => void,
): TabCoordinator | null {
  if (crossTab === false) {
    return null;
  }
  const options = crossTab === true || crossTab === undefined ? {} : crossTab;
  const scope = globalThis as {
    navigator?: { locks?: LockManagerLike };
    location?: { origin?: string };
    BroadcastChannel?: new (name: string) => ChannelLike;
  };
  const locks = scope.navigator?.locks;
  if (!locks || typeof locks.request !== 'function') {
    return null;
  }
  const name = options.name ?? `trpc-jwt-extended:refresh:${scope.location?.origin ?? ''}`;
  const getShared = options.getSharedToken ?? getAccessToken ?? (() => readCookie('csrf_access_token'));
  const channel = openChannel(scope.BroadcastChannel, name);
  let announced = 0;
  channel?.addEventListener('message', (event) => {
    if (event.data === REFRESHED) {
      announced++;
      onRemoteRefresh();
    }
  });

  const snapshot = async (): Promise<TabSnapshot> => {
    const at = announced;
    try {
      return { token: (await getShared()) || null, announced: at };
    } catch {
      return { token: null, announced: at };
    }
  };

  return {
    snapshot,
    run: (before, signal, refresh) =>
      locks.request(name, { signal }, async () => {
        const [was, now] = await Promise.all([before, snapshot()]);
        // Two signals, since neither storage nor the channel is ordered with the lock across tabs.
        if ((now.token !== null && now.token !== was.token) || now.announced > was.announced) {
          return false;
        }
        signal.throwIfAborted();
        await untilAborted(refresh(), signal);
        try {
          channel?.postMessage(REFRESHED);
        } catch {
          // A closed channel: the other tabs learn of it through the shared value.
        }
        return true;
      }),
  };
}

function openChannel(
  Channel: (new (name: string) => ChannelLike) | undefined,
  name: string,
): ChannelLike | null {
  if (typeof Channel !== 'function') {
    return null;
  }
  try {
    const channel = new Channel(name);
    // Node's BroadcastChannel would keep the process alive.
    channel.unref?.();
    return channel;
  } catch {
    return null;
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
