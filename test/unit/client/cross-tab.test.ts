/**
 * refreshLink across tabs, in Node: several links stand for the tabs of one origin. Web Locks are a
 * small fake LockManager (FIFO per name, `signal` aborts a wait) on `navigator.locks`; BroadcastChannel
 * is Node's own, which reaches the other channels of the same name in this process. The real browser
 * is in test/e2e/cross-tab-refresh.test.ts.
 */
import { createTRPCUntypedClient, TRPCClientError } from '@trpc/client';
import type { OperationResultEnvelope, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getJwtErrorCode, refreshLink, type RefreshLinkOptions } from '../../../src/client/index.js';

type Envelope = OperationResultEnvelope<unknown, TRPCClientError<AnyTRPCRouter>>;

/** A LockManager: one holder per name, the others wait in order; an aborted wait rejects. */
function createLocks() {
  const queues = new Map<string, Promise<void>>();
  const locks = {
    requests: 0,
    request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T> {
      locks.requests++;
      const previous = queues.get(name) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      queues.set(
        name,
        previous.then(() => mine),
      );
      return new Promise<T>((resolve, reject) => {
        let aborted = false;
        options.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(options.signal?.reason);
        });
        void previous.then(async () => {
          if (aborted) return release();
          try {
            resolve(await callback());
          } catch (error) {
            reject(error);
          } finally {
            release();
          }
        });
      });
    },
  };
  return locks;
}

let sessions = 0;

/** The session the tabs share: the server accepts only `valid`; `stored` is what shared storage holds. */
function createSession() {
  // Its own lock and channel name, so that the tabs of earlier tests hear nothing of it.
  return { valid: 'tok-1', stored: 'tok-1', refreshes: 0, version: 1, name: `session-${++sessions}` };
}
type Session = ReturnType<typeof createSession>;

function expired(path: string) {
  return TRPCClientError.from<AnyTRPCRouter>({
    error: {
      code: -32001,
      message: 'Token has expired',
      data: { code: 'UNAUTHORIZED', httpStatus: 401, path, jwt: { code: 'TOKEN_EXPIRED' } },
    },
  });
}

/**
 * One tab: a client whose requests carry `token()` (the shared storage, or this tab's memory with
 * `memory: true`), and whose `refresh` takes `refreshMs`, then stores a new token.
 */
function openTab(
  session: Session,
  options: Partial<RefreshLinkOptions> & { memory?: boolean; refreshMs?: number } = {},
) {
  const { memory, refreshMs = 20, ...linkOptions } = options;
  let own = session.stored;
  const token = () => (memory ? own : session.stored);
  const tab = { refreshes: 0, refreshed: 0, sent: [] as string[] };
  const terminal: TRPCLink<AnyTRPCRouter> =
    () =>
    ({ op }) =>
      observable<Envelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
        const sent = token();
        tab.sent.push(sent);
        const timer = setTimeout(() => {
          if (sent !== session.valid) return observer.error(expired(op.path));
          observer.next({ result: { type: 'data', data: sent } });
          observer.complete();
        }, 5);
        return () => clearTimeout(timer);
      });
  const client = createTRPCUntypedClient<AnyTRPCRouter>({
    links: [
      refreshLink({
        getAccessToken: token,
        crossTab: { name: session.name },
        onTokenRefreshed: () => void tab.refreshed++,
        refresh: async () => {
          tab.refreshes++;
          session.refreshes++;
          await new Promise((resolve) => setTimeout(resolve, refreshMs));
          const next = `tok-${++session.version}`;
          session.valid = next;
          session.stored = next;
          own = next;
        },
        ...linkOptions,
      }),
      terminal,
    ],
  });
  const call = () =>
    client.query('me').then(
      (data) => ({ ok: true, data }),
      (error: unknown) => ({ ok: false, code: getJwtErrorCode(error) }),
    );
  return { stats: tab, call };
}

let locks: ReturnType<typeof createLocks>;
beforeEach(() => {
  locks = createLocks();
  vi.stubGlobal('navigator', { locks });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('refreshLink: many tabs, one session', () => {
  it('two tabs expire at once: one refresh in total, both retry with its token', async () => {
    const session = createSession();
    const [a, b] = [openTab(session), openTab(session)];
    session.valid = 'expired-for-everyone';

    const results = await Promise.all([a.call(), b.call()]);
    expect(results).toEqual([
      { ok: true, data: 'tok-2' },
      { ok: true, data: 'tok-2' },
    ]);
    expect(session.refreshes).toBe(1);
    expect(a.stats.refreshes + b.stats.refreshes).toBe(1);
    // Both tabs heard of new tokens (the one that waited used them without refreshing; it may also
    // have heard the announcement on the channel).
    await vi.waitFor(() => expect(b.stats.refreshed).toBeGreaterThanOrEqual(1));
    expect(a.stats.refreshed).toBe(1);
  });

  it('without Web Locks each tab refreshes on its own (the single-tab behaviour)', async () => {
    vi.stubGlobal('navigator', {});
    const session = createSession();
    const [a, b] = [openTab(session), openTab(session)];
    session.valid = 'expired-for-everyone';
    await Promise.all([a.call(), b.call()]);
    expect(session.refreshes).toBe(2);
  });

  it('crossTab: false takes no lock', async () => {
    const session = createSession();
    const tab = openTab(session, { crossTab: false });
    session.valid = 'expired';
    expect(await tab.call()).toEqual({ ok: true, data: 'tok-2' });
    expect(locks.requests).toBe(0);
  });

  it('a tab keeping its token in memory retries once with it, then refreshes on its own', async () => {
    const session = createSession();
    const [a, b] = [openTab(session), openTab(session, { memory: true })];
    session.valid = 'expired-for-everyone';

    const results = await Promise.all([a.call(), b.call()]);
    expect(results.every((result) => result.ok)).toBe(true);
    // b adopted a's refresh (announced), its memory token still failed, so it refreshed after a.
    expect(session.refreshes).toBe(2);
    expect(b.stats.refreshes).toBe(1);
  });

  it("a tab's wait for another tab's hung refresh ends at its refreshTimeout", async () => {
    const session = createSession();
    const failed: unknown[] = [];
    const a = openTab(session, { refreshMs: 60_000, refreshTimeout: 1_000 });
    const b = openTab(session, { refreshTimeout: 200, onRefreshFailed: (error) => failed.push(error) });
    session.valid = 'expired-for-everyone';

    const results = await Promise.all([a.call(), b.call()]);
    expect(results).toEqual([
      { ok: false, code: 'TOKEN_EXPIRED' },
      { ok: false, code: 'TOKEN_EXPIRED' },
    ]);
    expect(b.stats.refreshes).toBe(0);
    expect(failed).toHaveLength(1);
    // b gave up waiting at 200 ms; a's hung refresh released the lock at its own timeout (1 s), so a
    // later refresh runs.
    const c = openTab(session);
    expect(await c.call()).toEqual({ ok: true, data: 'tok-2' });
  });

  it('another tab hears of a refresh on the BroadcastChannel (onTokenRefreshed), without a call of its own', async () => {
    const session = createSession();
    const [a, b] = [openTab(session), openTab(session)];
    session.valid = 'expired';
    await a.call();
    await vi.waitFor(() => expect(b.stats.refreshed).toBe(1));
    expect(b.stats.sent).toEqual([]);
  });

  it('an onTokenRefreshed that throws is reported; the call is retried all the same', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
    const session = createSession();
    const tab = openTab(session, {
      onTokenRefreshed: () => {
        throw new Error('socket gone');
      },
    });
    session.valid = 'expired';
    expect(await tab.call()).toEqual({ ok: true, data: 'tok-2' });
    expect(reported).toEqual([new Error('socket gone')]);
  });

  it('refuses bad options with a TypeError naming the option', () => {
    const refresh = async () => {};
    expect(() => refreshLink({ refresh, crossTab: 'yes' as never })).toThrow(
      new TypeError('refreshLink: "crossTab" must be a boolean or an object'),
    );
    expect(() => refreshLink({ refresh, crossTab: { name: '' } })).toThrow(
      new TypeError('refreshLink: "crossTab.name" must be a non-empty string'),
    );
    expect(() => refreshLink({ refresh, crossTab: { getSharedToken: 'x' as never } })).toThrow(
      new TypeError('refreshLink: "crossTab.getSharedToken" must be a function'),
    );
    expect(() => refreshLink({ refresh, onTokenRefreshed: 1 as never })).toThrow(
      new TypeError('refreshLink: "onTokenRefreshed" must be a function'),
    );
  });
});
