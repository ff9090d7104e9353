import { createTRPCUntypedClient, TRPCClientError } from '@trpc/client';
import type { Operation, TRPCUntypedClient, OperationResultEnvelope, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { Observable } from '@trpc/server/observable';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getJwtErrorCode, refreshLink } from '../../../src/client/index.js';
import type { RefreshLinkOptions } from '../../../src/client/index.js';

type Link = TRPCLink<AnyTRPCRouter>;
type Envelope = OperationResultEnvelope<unknown, TRPCClientError<AnyTRPCRouter>>;

/** A TRPCClientError as httpLink builds it from the server's error response (`jwt.errorFormatter` shape). */
function serverError(path: string, jwtCode: string | null, message = 'Token has expired') {
  return TRPCClientError.from<AnyTRPCRouter>({
    error: {
      code: -32001,
      message,
      data: { code: 'UNAUTHORIZED', httpStatus: 401, path, jwt: jwtCode ? { code: jwtCode } : null },
    },
  });
}

interface Sent {
  id: number;
  path: string;
  type: Operation['type'];
  token: string | null;
  input: unknown;
}

/**
 * A fake backend and its terminating link. The client holds `token`; the server accepts only
 * `accepted`, and answers TOKEN_EXPIRED to anything else. The token is read when the request is sent,
 * as jwtHeaders does.
 */
function createBackend() {
  const backend = {
    token: 'tok-1' as string | null,
    accepted: 'tok-2',
    latency: (_op: Operation, _attempt: number): number => 1,
    sends: [] as Sent[],
    /** Every error the backend emitted, per operation id. */
    errors: new Map<number, TRPCClientError<AnyTRPCRouter>[]>(),
    /** Overrides the answer to a request: an error, `null` for success, `undefined` for the default. */
    answer: undefined as
      | undefined
      | ((op: Operation, token: string | null) => TRPCClientError<AnyTRPCRouter> | null | undefined),
    sendsOf(id: number) {
      return backend.sends.filter((sent) => sent.id === id);
    },
    link: (() =>
      ({ op }) =>
        observable<Envelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
          const token = backend.token;
          backend.sends.push({ id: op.id, path: op.path, type: op.type, token, input: op.input });
          const attempt = backend.sendsOf(op.id).length;
          const fail = (error: TRPCClientError<AnyTRPCRouter>) => {
            backend.errors.set(op.id, [...(backend.errors.get(op.id) ?? []), error]);
            observer.error(error);
          };
          const timers: ReturnType<typeof setTimeout>[] = [];
          timers.push(
            setTimeout(
              () => {
                const custom = backend.answer?.(op, token);
                const error =
                  custom !== undefined
                    ? custom
                    : token === backend.accepted
                      ? null
                      : serverError(op.path, 'TOKEN_EXPIRED');
                if (op.type === 'subscription') {
                  observer.next({ result: { type: 'started' } });
                  if (error) {
                    fail(error);
                    return;
                  }
                  for (const id of ['1', '2']) {
                    timers.push(
                      setTimeout(() => observer.next({ result: { type: 'data', id, data: id } }), 1),
                    );
                  }
                  return;
                }
                if (error) {
                  fail(error);
                  return;
                }
                observer.next({ result: { type: 'data', data: { path: op.path, token } } });
                observer.complete();
              },
              backend.latency(op, attempt),
            ),
          );
          return () => {
            for (const timer of timers) clearTimeout(timer);
          };
        })) as Link,
  };
  return backend;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let nextId = 1000;
function makeOp(path: string, type: Operation['type'] = 'query', extra: Partial<Operation> = {}): Operation {
  return { id: ++nextId, path, type, input: undefined, context: {}, signal: null, ...extra };
}

/** Runs one operation through the links, as the client's chain does, without the promise wrapper. */
function execute(links: Link[], op: Operation): Observable<Envelope, TRPCClientError<AnyTRPCRouter>> {
  const opLinks = links.map((link) => link({}));
  const run = (index: number, current: Operation): Observable<Envelope, TRPCClientError<AnyTRPCRouter>> =>
    opLinks[index]!({ op: current, next: (nextOp) => run(index + 1, nextOp) });
  return run(0, op);
}

const flush = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(options: Partial<RefreshLinkOptions> = {}) {
  const backend = createBackend();
  const refresh = vi.fn(async () => {
    await flush(5);
    backend.token = backend.accepted;
  });
  const onRefreshFailed = vi.fn();
  const link = refreshLink({ refresh, onRefreshFailed, ...options });
  const client = createTRPCUntypedClient<AnyTRPCRouter>({ links: [link, backend.link] });
  return { backend, refresh, onRefreshFailed, link, client };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('getJwtErrorCode', () => {
  it('reads data.jwt.code and returns null for anything else', () => {
    expect(getJwtErrorCode(serverError('a', 'TOKEN_EXPIRED'))).toBe('TOKEN_EXPIRED');
    expect(getJwtErrorCode(serverError('a', null))).toBeNull();
    expect(getJwtErrorCode(new Error('x'))).toBeNull();
    expect(getJwtErrorCode(null)).toBeNull();
    expect(getJwtErrorCode({ data: { jwt: { code: 42 } } })).toBeNull();
  });
});

describe('refreshLink: reactive refresh', () => {
  it('runs ONE refresh for 50 operations that failed with TOKEN_EXPIRED, and retries each once', async () => {
    const { backend, refresh, onRefreshFailed, client } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.query(`item.${i}`)));

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(onRefreshFailed).not.toHaveBeenCalled();
    expect(results).toHaveLength(50);
    expect(results.every((result) => (result as { token: string }).token === 'tok-2')).toBe(true);
    expect(backend.sends).toHaveLength(100);
    const ids = new Set(backend.sends.map((sent) => sent.id));
    expect(ids.size).toBe(50);
    for (const id of ids) {
      expect(backend.sendsOf(id).map((sent) => sent.token)).toEqual(['tok-1', 'tok-2']);
    }
  });

  it('retries a mutation once with the same path and input', async () => {
    const { backend, refresh, client } = setup();
    await expect(client.mutation('post.create', { title: 'hi' })).resolves.toEqual({
      path: 'post.create',
      token: 'tok-2',
    });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends.map((sent) => [sent.path, sent.type, sent.input])).toEqual([
      ['post.create', 'mutation', { title: 'hi' }],
      ['post.create', 'mutation', { title: 'hi' }],
    ]);
  });

  it('retries exactly once: a second TOKEN_EXPIRED reaches the caller, with no second refresh', async () => {
    const { backend, refresh, client } = setup();
    backend.answer = (op) => serverError(op.path, 'TOKEN_EXPIRED');
    const results = await Promise.allSettled([client.query('a'), client.query('b'), client.query('c')]);

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(6);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(getJwtErrorCode((result as PromiseRejectedResult).reason)).toBe('TOKEN_EXPIRED');
    }
  });

  it('does not refresh for other errors (JWT or not)', async () => {
    const { backend, refresh, client } = setup();
    backend.answer = (op) =>
      op.path === 'revoked'
        ? serverError(op.path, 'TOKEN_REVOKED', 'Token has been revoked')
        : serverError(op.path, null, 'Boom');
    const revoked = await client.query('revoked').catch((error: unknown) => error);
    const other = await client.query('other').catch((error: unknown) => error);

    expect(getJwtErrorCode(revoked)).toBe('TOKEN_REVOKED');
    expect((other as Error).message).toBe('Boom');
    expect(refresh).not.toHaveBeenCalled();
    expect(backend.sends).toHaveLength(2);
  });

  it('passes the refresh operation through: never refreshed, never retried', async () => {
    const { backend, refresh, client } = setup();
    const error = await client.mutation('auth.refresh').catch((e: unknown) => e);

    expect(getJwtErrorCode(error)).toBe('TOKEN_EXPIRED');
    expect(refresh).not.toHaveBeenCalled();
    expect(backend.sends).toHaveLength(1);
  });

  it('honours a custom isRefreshOperation', async () => {
    const { backend, refresh, client } = setup({ isRefreshOperation: (op) => op.path === 'session.renew' });
    await expect(client.mutation('session.renew')).rejects.toThrow('Token has expired');
    expect(refresh).not.toHaveBeenCalled();
    expect(backend.sends).toHaveLength(1);
  });

  it('does not deadlock when refresh() calls the refresh procedure through the same client', async () => {
    const backend = createBackend();
    let refreshCalls = 0;
    backend.answer = (op) => {
      if (op.path === 'auth.refresh') {
        refreshCalls++;
        return null;
      }
      return undefined;
    };
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        refreshLink({
          refresh: async () => {
            await client.mutation('auth.refresh');
            backend.token = backend.accepted;
          },
        }),
        backend.link,
      ],
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.query(`q${i}`)));
    expect(results).toHaveLength(10);
    expect(refreshCalls).toBe(1);
  });

  it('passes through calls refresh() makes synchronously, even when their path is not recognised', async () => {
    const backend = createBackend();
    // The refresh procedure itself answers TOKEN_EXPIRED (its refresh token expired): it must not wait
    // for the refresh it belongs to.
    const onRefreshFailed = vi.fn();
    const client: TRPCUntypedClient<AnyTRPCRouter> = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        refreshLink({ refresh: (): Promise<unknown> => client.mutation('session.renew'), onRefreshFailed }),
        backend.link,
      ],
    });
    const results = await Promise.allSettled([client.query('a'), client.query('b')]);

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    expect(getJwtErrorCode(onRefreshFailed.mock.calls[0]![0])).toBe('TOKEN_EXPIRED');
    expect(backend.sends.filter((sent) => sent.path === 'session.renew')).toHaveLength(1);
  });

  it('retries without a new refresh when the failure arrives after the refresh finished', async () => {
    const { backend, refresh, client } = setup();
    // First sends answer 1..40 ms apart; the refresh takes 5 ms: most failures arrive after it.
    backend.latency = (op, attempt) => (attempt === 1 ? (op.id % 40) + 1 : 1);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => client.query(`late.${i}`)));

    expect(results).toHaveLength(40);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(80);
  });
});

describe('refreshLink: failed refresh', () => {
  it('calls onRefreshFailed once and fails all 50 waiting operations with their original error', async () => {
    const { backend, onRefreshFailed, client } = setup({
      refresh: vi.fn(async () => {
        await flush(5);
        throw new Error('refresh token expired');
      }),
    });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.query(`item.${i}`)));

    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    expect(onRefreshFailed).toHaveBeenCalledWith(new Error('refresh token expired'));
    expect(backend.sends).toHaveLength(50);
    for (const sent of backend.sends) {
      const result = results[Number(sent.path.split('.')[1])] as PromiseRejectedResult;
      expect(result.status).toBe('rejected');
      expect(result.reason).toBe(backend.errors.get(sent.id)![0]);
      expect(getJwtErrorCode(result.reason)).toBe('TOKEN_EXPIRED');
    }
  });

  it('late failures reuse the failed outcome instead of starting another refresh', async () => {
    const refresh = vi.fn(() => Promise.reject(new Error('nope')));
    const { backend, onRefreshFailed, client } = setup({ refresh });
    backend.latency = (op) => (op.id % 30) + 1;
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => client.query(`q${i}`)));

    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(30);
  });

  it('tries again for an operation sent after a failed refresh (once per refresh attempt)', async () => {
    const refresh = vi.fn(() => Promise.reject(new Error('nope')));
    const { onRefreshFailed, client } = setup({ refresh });
    await expect(client.query('a')).rejects.toThrow('Token has expired');
    await expect(client.query('b')).rejects.toThrow('Token has expired');
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(onRefreshFailed).toHaveBeenCalledTimes(2);
  });

  it('treats a synchronous throw in refresh() as a failed refresh', async () => {
    const { onRefreshFailed, client } = setup({
      refresh: () => {
        throw new Error('sync');
      },
    });
    await expect(client.query('a')).rejects.toThrow('Token has expired');
    expect(onRefreshFailed).toHaveBeenCalledWith(new Error('sync'));
  });
});

describe('refreshLink: refreshTimeout', () => {
  /** A refresh() that settles only when the test says so, and records the signal it was given. */
  function hangingRefresh() {
    const calls: { signal: AbortSignal; settle: ReturnType<typeof deferred<void>> }[] = [];
    const refresh = vi.fn(({ signal }: { signal: AbortSignal }) => {
      const settle = deferred<void>();
      calls.push({ signal, settle });
      return settle.promise;
    });
    return { refresh, calls };
  }

  it('fails the waiting operations with their own error, calls onRefreshFailed once, aborts the signal', async () => {
    const { refresh, calls } = hangingRefresh();
    const { backend, onRefreshFailed, client } = setup({ refresh, refreshTimeout: 50 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.query(`q.${i}`)));

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(10);
    for (const sent of backend.sends) {
      const result = results[Number(sent.path.split('.')[1])] as PromiseRejectedResult;
      expect(result.reason).toBe(backend.errors.get(sent.id)![0]);
    }
    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    const error = onRefreshFailed.mock.calls[0]![0] as TRPCClientError<AnyTRPCRouter>;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error.message).toBe('Token refresh timed out after 50 ms');
    expect(error.cause).toMatchObject({ name: 'TimeoutError' });
    expect(getJwtErrorCode(error)).toBeNull();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(calls[0]!.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it.each(['resolves', 'rejects'] as const)(
    'a timed-out refresh that later %s changes nothing: no second callback, no borrowed success',
    async (late) => {
      const { refresh, calls } = hangingRefresh();
      const { backend, onRefreshFailed, client } = setup({ refresh, refreshTimeout: 30 });
      await expect(client.query('a')).rejects.toThrow('Token has expired');

      // `b` is sent after the timeout; its TOKEN_EXPIRED answer arrives after the late settlement.
      backend.latency = (op) => (op.path === 'b' ? 60 : 1);
      const b = client.query('b').catch((error: unknown) => error);
      await flush(10);
      if (late === 'resolves') {
        backend.token = backend.accepted; // what an app's refresh would store
        calls[0]!.settle.resolve();
      } else {
        calls[0]!.settle.reject(new Error('late'));
      }
      await flush(10);
      backend.token = 'tok-1';
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);

      // `b` is not retried on the strength of the late answer: it waits for a refresh of its own.
      await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(2));
      backend.token = backend.accepted;
      calls[1]!.settle.resolve();
      await expect(b).resolves.toEqual({ path: 'b', token: backend.accepted });
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    },
  );

  it('cuts off the refresh call made through the same client when the refresh times out', async () => {
    const backend = createBackend();
    backend.latency = (op) => (op.path === 'auth.refresh' ? 60_000 : 1);
    const stored: unknown[] = [];
    const refreshCallErrors: unknown[] = [];
    const onRefreshFailed = vi.fn();
    const client: TRPCUntypedClient<AnyTRPCRouter> = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        refreshLink({
          // No signal passed on: the link still ends the call, so `stored` is never written.
          refresh: async (): Promise<void> => {
            try {
              stored.push(await client.mutation('auth.refresh'));
            } catch (error) {
              refreshCallErrors.push(error);
            }
          },
          onRefreshFailed,
          refreshTimeout: 40,
        }),
        backend.link,
      ],
    });

    await expect(client.query('a')).rejects.toThrow('Token has expired');
    await vi.waitFor(() => expect(refreshCallErrors).toHaveLength(1));
    expect(refreshCallErrors[0]).toBeInstanceOf(TRPCClientError);
    expect((refreshCallErrors[0] as Error).message).toBe('Token refresh timed out after 40 ms');
    expect(stored).toEqual([]);
    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
  });

  it('defaults to 10 s', async () => {
    vi.useFakeTimers();
    try {
      const { refresh } = hangingRefresh();
      const { onRefreshFailed, client } = setup({ refresh });
      const result = client.query('a').catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(9_900);
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(onRefreshFailed).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(200);
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);
      expect(getJwtErrorCode(await result)).toBe('TOKEN_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('refreshLink: cancellation', () => {
  it('sends no retry for an operation unsubscribed while the refresh runs', async () => {
    const backend = createBackend();
    const gate = deferred();
    const refresh = vi.fn(async () => {
      await gate.promise;
      backend.token = backend.accepted;
    });
    const links = [refreshLink({ refresh }), backend.link];
    const cancelled = makeOp('cancelled');
    const kept = makeOp('kept');
    const seen: string[] = [];
    const subCancelled = execute(links, cancelled).subscribe({
      next: () => seen.push('cancelled:next'),
      error: () => seen.push('cancelled:error'),
      complete: () => seen.push('cancelled:complete'),
    });
    const keptDone = deferred<unknown>();
    execute(links, kept).subscribe({ next: (envelope) => keptDone.resolve(envelope.result) });

    await flush();
    expect(refresh).toHaveBeenCalledTimes(1);
    subCancelled.unsubscribe();
    gate.resolve();

    await expect(keptDone.promise).resolves.toMatchObject({ data: { token: 'tok-2' } });
    await flush();
    expect(backend.sendsOf(cancelled.id)).toHaveLength(1);
    expect(backend.sendsOf(kept.id)).toHaveLength(2);
    expect(seen).toEqual([]);
  });

  it('fails an operation whose signal aborts while it waits, and sends no retry', async () => {
    const gate = deferred();
    const { backend, client } = setup({
      refresh: async () => {
        await gate.promise;
        backend.token = backend.accepted;
      },
    });
    const ac = new AbortController();
    const pending = client.query('slow', undefined, { signal: ac.signal }).catch((error: unknown) => error);
    await flush();
    ac.abort();
    const error = await pending;
    gate.resolve();
    await flush();

    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AnyTRPCRouter>).cause).toMatchObject({ name: 'AbortError' });
    expect(backend.sends).toHaveLength(1);
  });
});

/** An unsigned JWT-looking token with the given `exp` (only the payload matters to the client). */
function jwtWithExp(exp: number, tag: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: tag, exp })}.c2ln`;
}

describe('refreshLink: proactive mode (refreshBefore)', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('refreshes once before sending when the token expires within refreshBefore', async () => {
    const backend = createBackend();
    backend.token = jwtWithExp(now() + 10, 'old');
    backend.accepted = jwtWithExp(now() + 900, 'new');
    const refresh = vi.fn(async () => {
      await flush(5);
      backend.token = backend.accepted;
    });
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [refreshLink({ refresh, refreshBefore: 30, getAccessToken: () => backend.token }), backend.link],
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.query(`p${i}`)));

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(20);
    expect(backend.sends.every((sent) => sent.token === backend.accepted)).toBe(true);
  });

  it('does not refresh a token far from expiry, an opaque token, or no token', async () => {
    for (const token of [jwtWithExp(now() + 3600, 'fresh'), 'opaque-token', 'a.!!!.b', null]) {
      const backend = createBackend();
      backend.token = token;
      backend.accepted = token ?? 'x';
      backend.answer = () => null;
      const refresh = vi.fn(async () => {});
      const client = createTRPCUntypedClient<AnyTRPCRouter>({
        links: [
          refreshLink({ refresh, refreshBefore: 30, getAccessToken: async () => backend.token }),
          backend.link,
        ],
      });
      await client.query('q');
      expect(refresh).not.toHaveBeenCalled();
      expect(backend.sends).toHaveLength(1);
    }
  });

  it('does not refresh again for the same token when a refresh did not replace it (no storm)', async () => {
    const backend = createBackend();
    backend.token = jwtWithExp(now() + 10, 'soon');
    backend.accepted = backend.token;
    const refresh = vi.fn(async () => {});
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [refreshLink({ refresh, refreshBefore: 60, getAccessToken: () => backend.token }), backend.link],
    });
    await client.query('a');
    await client.query('b');
    await client.query('c');
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(3);
  });

  it('a failed proactive refresh counts as the attempt: an expired answer is not refreshed again', async () => {
    const backend = createBackend();
    backend.token = jwtWithExp(now() - 5, 'expired');
    const refresh = vi.fn(() => Promise.reject(new Error('down')));
    const onRefreshFailed = vi.fn();
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        refreshLink({ refresh, onRefreshFailed, refreshBefore: 30, getAccessToken: () => backend.token }),
        backend.link,
      ],
    });
    await expect(client.query('a')).rejects.toThrow('Token has expired');
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(onRefreshFailed).toHaveBeenCalledTimes(1);
    expect(backend.sends).toHaveLength(1);
  });

  it('never holds the refresh operation', async () => {
    const backend = createBackend();
    backend.token = jwtWithExp(now() + 1, 'soon');
    backend.answer = () => null;
    const refresh = vi.fn(async () => {});
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [refreshLink({ refresh, refreshBefore: 30, getAccessToken: () => backend.token }), backend.link],
    });
    await client.mutation('auth.refresh');
    expect(refresh).not.toHaveBeenCalled();
  });
});

describe('refreshLink: subscriptions', () => {
  it('refreshes and resubscribes once when a subscription fails with TOKEN_EXPIRED', async () => {
    const { backend, refresh, link } = setup();
    const op = makeOp('events.onChange', 'subscription', { input: { room: 'a' } });
    const data: unknown[] = [];
    const errors: unknown[] = [];
    const sub = execute([link, backend.link], op).subscribe({
      next: (envelope) => {
        const result = envelope.result as { type?: string; data?: unknown };
        if (result.type === 'data') data.push(result.data);
      },
      error: (error) => errors.push(error),
    });
    await flush(40);
    sub.unsubscribe();

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([]);
    expect(data).toEqual(['1', '2']);
    expect(backend.sendsOf(op.id).map((sent) => sent.token)).toEqual(['tok-1', 'tok-2']);
  });

  it('resumes from the last event id, may refresh again after data, and never loops', async () => {
    const inputs: unknown[] = [];
    // Each attempt: its events, then TOKEN_EXPIRED.
    const script = [['1', '2'], ['3'], []];
    const terminal: Link =
      () =>
      ({ op }) =>
        observable<Envelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
          const events = script[inputs.length] ?? [];
          inputs.push(op.input);
          const timer = setTimeout(() => {
            observer.next({ result: { type: 'started' } });
            for (const id of events) observer.next({ result: { type: 'data', id, data: id } });
            observer.error(serverError(op.path, 'TOKEN_EXPIRED'));
          }, 1);
          return () => clearTimeout(timer);
        });
    const refresh = vi.fn(async () => {});
    const op = makeOp('events.onChange', 'subscription', { input: { room: 'a' } });
    const data: unknown[] = [];
    const errors: unknown[] = [];
    execute([refreshLink({ refresh }), terminal], op).subscribe({
      next: (envelope) => {
        const result = envelope.result as { type?: string; data?: unknown };
        if (result.type === 'data') data.push(result.data);
      },
      error: (error) => errors.push(error),
    });
    await flush(40);

    expect(data).toEqual(['1', '2', '3']);
    expect(inputs).toEqual([{ room: 'a' }, { room: 'a', lastEventId: '2' }, { room: 'a', lastEventId: '3' }]);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(errors).toHaveLength(1);
    expect(getJwtErrorCode(errors[0])).toBe('TOKEN_EXPIRED');
  });

  it('fails a subscription whose resubscription expires again before any data', async () => {
    const { backend, refresh, link } = setup();
    backend.answer = (op) => serverError(op.path, 'TOKEN_EXPIRED');
    const op = makeOp('events.onChange', 'subscription');
    const errors: unknown[] = [];
    execute([link, backend.link], op).subscribe({ error: (error) => errors.push(error) });
    await flush(40);

    expect(refresh).toHaveBeenCalledTimes(1);
    expect(backend.sendsOf(op.id)).toHaveLength(2);
    expect(errors).toHaveLength(1);
    expect(getJwtErrorCode(errors[0])).toBe('TOKEN_EXPIRED');
  });
});

describe('refreshLink: options', () => {
  it('validates its options at construction, naming the option', () => {
    const refresh = async () => {};
    expect(() => refreshLink({} as RefreshLinkOptions)).toThrow(/"refresh"/);
    expect(() => refreshLink({ refresh, refreshBefore: 30 })).toThrow(
      /"refreshBefore" needs "getAccessToken"/,
    );
    expect(() => refreshLink({ refresh, refreshBefore: -1, getAccessToken: () => null })).toThrow(TypeError);
    expect(() => refreshLink({ refresh, refreshBefore: Number.NaN, getAccessToken: () => null })).toThrow(
      /"refreshBefore"/,
    );
    expect(() => refreshLink({ refresh, onRefreshFailed: 'x' as never })).toThrow(/"onRefreshFailed"/);
    for (const refreshTimeout of [0, -1, Number.NaN, 2 ** 31, '100' as never]) {
      expect(() => refreshLink({ refresh, refreshTimeout })).toThrow(/"refreshTimeout"/);
    }
    expect(() => refreshLink({ refresh, refreshTimeout: Infinity })).not.toThrow();
    expect(() => refreshLink({ refresh, refreshTimeout: 1 })).not.toThrow();
  });
});

describe('refreshLink: a throwing onRefreshFailed', () => {
  it('still fails the waiting operations, and reports the callback error', async () => {
    const report = vi.fn();
    vi.stubGlobal('reportError', report);
    try {
      const { client } = setup({
        refresh: () => Promise.reject(new Error('nope')),
        onRefreshFailed: () => {
          throw new Error('callback bug');
        },
      });
      const results = await Promise.allSettled([client.query('a'), client.query('b')]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      expect(report).toHaveBeenCalledTimes(1);
      expect(report).toHaveBeenCalledWith(new Error('callback bug'));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
