/**
 * Issue 5 end to end: the client links (`refreshLink`, `jwtHeaders`, `createTokenStore`) against the
 * REAL server side: `createJwtManager` with an injected clock, `jwt.procedures`, `jwt.errorFormatter`,
 * superjson, a memory blocklist, served by the standalone adapter on 127.0.0.1. The server logs every
 * procedure call (the jti it carried, which CSRF cookie its header matched, how it ended), so counts
 * and retries are asserted server-side. Tokens are compared by `jti` only, never printed.
 */
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  type Operation,
  type OperationResultObservable,
  type TRPCLink,
  TRPCClientError,
} from '@trpc/client';
import { observable } from '@trpc/server/observable';
import superjson from 'superjson';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createTokenStore,
  getJwtErrorCode,
  jwtHeaders,
  refreshLink,
  type RefreshLinkOptions,
} from '../../src/client/index.js';
import { type ClientApp, type ClientAppRouter, jtiOf, startClientApp } from '../helpers/client-app.js';

type LinkKind = 'httpLink' | 'httpBatchLink';
type ClientError = TRPCClientError<ClientAppRouter>;

let headerApp: ClientApp;
let cookieApp: ClientApp;

beforeAll(async () => {
  headerApp = await startClientApp({ accessTokenExpires: 60 });
  cookieApp = await startClientApp({ accessTokenExpires: 60, tokenLocation: ['cookies'] });
});
afterAll(async () => {
  await Promise.all([headerApp?.close(), cookieApp?.close()]);
});
beforeEach(() => {
  for (const app of [headerApp, cookieApp]) {
    app.state.offsetMs = 0;
    app.state.refreshGate = null;
    app.state.calls.length = 0;
  }
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** A fetch that records the `tag` of every operation the client actually sends. */
function recordingFetch() {
  const sentTags: string[] = [];
  const fetchAndRecord = async (input: RequestInfo | URL | string, init?: object) => {
    const body = (init as RequestInit | undefined)?.body;
    const text = decodeURIComponent(String(input)) + (typeof body === 'string' ? body : '');
    for (const match of text.matchAll(/"tag":"([^"]+)"/g)) sentTags.push(match[1]!);
    return fetch(input, init as RequestInit);
  };
  return { sentTags, fetch: fetchAndRecord };
}

/** A pass-through link placed before the HTTP link: records the tag of every operation that failed. */
function failureTap(failedTags: string[]): TRPCLink<ClientAppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          complete: () => observer.complete(),
          error(error) {
            failedTags.push((op.input as { tag?: string } | undefined)?.tag ?? op.path);
            observer.error(error);
          },
        }),
      );
}

/** Header mode: tokens in memory stores, the refresh call through the same client. */
function headerClient(kind: LinkKind, extra: Partial<RefreshLinkOptions> = {}) {
  const access = createTokenStore();
  const refresh = createTokenStore();
  const onRefreshFailed = vi.fn();
  const recorder = recordingFetch();
  const failedTags: string[] = [];
  const http = {
    url: headerApp.url,
    transformer: superjson,
    fetch: recorder.fetch,
    headers: jwtHeaders({ getAccessToken: access.get, getRefreshToken: refresh.get }),
  };
  const links: TRPCLink<ClientAppRouter>[] = [
    refreshLink({
      refresh: async (): Promise<void> => access.set((await client.auth.refresh.mutate()).accessToken),
      onRefreshFailed,
      ...extra,
    }),
    failureTap(failedTags),
    kind === 'httpLink' ? httpLink(http) : httpBatchLink(http),
  ];
  const client = createTRPCClient<ClientAppRouter>({ links });
  /** The same links driven by hand (the refresh link's state is shared with `client`), for unsubscribe. */
  const runOperation = (op: Operation): OperationResultObservable<ClientAppRouter, unknown> => {
    const chain = links.map((link) => link({}));
    const run = (index: number, current: Operation): OperationResultObservable<ClientAppRouter, unknown> =>
      chain[index]!({ op: current, next: (nextOp) => run(index + 1, nextOp) });
    return run(0, op);
  };
  /** Logs in as alice; returns the jtis. The server log is cleared afterwards. */
  const login = async (refreshExpires?: number) => {
    const tokens = await client.auth.login.mutate(
      refreshExpires === undefined ? { user: 'alice' } : { user: 'alice', refreshExpires },
    );
    access.set(tokens.accessToken);
    refresh.set(tokens.refreshToken);
    headerApp.state.calls.length = 0;
    return { accessJti: jtiOf(tokens.accessToken)!, refreshToken: tokens.refreshToken! };
  };
  return {
    client,
    runOperation,
    access,
    refresh,
    onRefreshFailed,
    sentTags: recorder.sentTags,
    failedTags,
    login,
  };
}

function expectTokenExpired(result: PromiseSettledResult<unknown>, path: string): void {
  expect(result.status).toBe('rejected');
  const error = (result as PromiseRejectedResult).reason as ClientError;
  expect(error).toBeInstanceOf(TRPCClientError);
  expect({
    message: error.message,
    status: error.data?.httpStatus,
    path: error.data?.path,
    jwt: getJwtErrorCode(error),
  }).toEqual({ message: 'Token has expired', status: 401, path, jwt: 'TOKEN_EXPIRED' });
}

describe.each<LinkKind>(['httpLink', 'httpBatchLink'])(
  'header mode against createJwtManager (%s)',
  (kind) => {
    it('50 parallel queries with an expired access token: 1 auth.refresh, 50 successes on the new jti', async () => {
      const { client, access, refresh, onRefreshFailed, login } = headerClient(kind);
      const { accessJti: oldJti } = await login();
      headerApp.advance(61); // the access token (60 s) has expired; the refresh token (30 d) has not

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client.me.query({ tag: `q${i}` })),
      );

      const newJti = jtiOf(access.get());
      expect(newJti).toBeTypeOf('string');
      expect(newJti).not.toBe(oldJti);
      expect(results).toEqual(Array.from({ length: 50 }, () => ({ identity: 'alice', jti: newJti })));
      expect(onRefreshFailed).not.toHaveBeenCalled();
      // Exactly one refresh, carrying the refresh token.
      expect(headerApp.callsTo('auth.refresh').map((c) => [c.bearerJti, c.outcome])).toEqual([
        [jtiOf(refresh.get()), 'ok'],
      ]);
      // Each query: once with the expired token (refused by the real verifier), once with the new one.
      for (let i = 0; i < 50; i++) {
        expect(headerApp.callsTagged(`q${i}`).map((c) => [c.bearerJti, c.outcome])).toEqual([
          [oldJti, 'TOKEN_EXPIRED'],
          [newJti, 'ok'],
        ]);
      }
      expect(headerApp.state.calls).toHaveLength(101);
    });

    it.each([
      { name: 'revoked', refreshExpires: undefined, advance: 61, refreshCode: 'TOKEN_REVOKED' },
      { name: 'expired', refreshExpires: 120, advance: 121, refreshCode: 'TOKEN_EXPIRED' },
    ])(
      'a $name refresh token: 1 onRefreshFailed, 50 TOKEN_EXPIRED errors, 50 + 1 server calls',
      async ({ name, refreshExpires, advance, refreshCode }) => {
        const { client, access, onRefreshFailed, sentTags, login } = headerClient(kind);
        const { accessJti, refreshToken } = await login(refreshExpires);
        if (name === 'revoked') {
          await headerApp.blocklist.revoke(await headerApp.jwt.decodeToken(refreshToken));
        }
        headerApp.advance(advance);

        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => client.me.query({ tag: `q${i}` })),
        );

        for (const result of results) expectTokenExpired(result, 'me');
        expect(onRefreshFailed).toHaveBeenCalledTimes(1);
        const refreshError = onRefreshFailed.mock.calls[0]![0] as ClientError;
        expect(refreshError).toBeInstanceOf(TRPCClientError);
        expect([getJwtErrorCode(refreshError), refreshError.data?.httpStatus]).toEqual([refreshCode, 401]);
        // Every promise has settled, so nothing is waiting to retry: the counts are final.
        expect(headerApp.callsTo('auth.refresh').map((c) => c.outcome)).toEqual([refreshCode]);
        expect(headerApp.callsTo('me').map((c) => [c.bearerJti, c.outcome])).toEqual(
          Array.from({ length: 50 }, () => [accessJti, 'TOKEN_EXPIRED']),
        );
        expect(headerApp.state.calls).toHaveLength(51);
        expect(sentTags).toHaveLength(50);
        expect(jtiOf(access.get())).toBe(accessJti); // the failed refresh stored nothing
      },
    );

    it('an operation aborted while it waits for the refresh sends no retry; the others are retried', async () => {
      const gate = deferred();
      headerApp.state.refreshGate = gate.promise;
      const { client, access, sentTags, login } = headerClient(kind);
      const { accessJti: oldJti } = await login();
      headerApp.advance(61);

      const ac = new AbortController();
      const aborted = client.me.query({ tag: 'aborted' }, { signal: ac.signal }).catch((e: unknown) => e);
      const kept = client.me.query({ tag: 'kept' });

      // Both failed with the expired token and wait for the refresh, which the server holds.
      await vi.waitFor(() => expect(headerApp.callsTo('auth.refresh')).toHaveLength(1));
      expect(headerApp.callsTagged('aborted').map((c) => c.outcome)).toEqual(['TOKEN_EXPIRED']);
      ac.abort();
      const error = (await aborted) as ClientError;
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.cause).toMatchObject({ name: 'AbortError' });
      gate.resolve();

      const result = await kept;
      const newJti = jtiOf(access.get());
      expect(newJti).not.toBe(oldJti);
      expect(result).toEqual({ identity: 'alice', jti: newJti });
      // The retry of `kept` was sent (and answered) after the refresh; `aborted` was never sent again.
      expect(sentTags.filter((tag) => tag === 'kept')).toHaveLength(2);
      expect(sentTags.filter((tag) => tag === 'aborted')).toHaveLength(1);
      expect(headerApp.callsTagged('kept').map((c) => [c.bearerJti, c.outcome])).toEqual([
        [oldJti, 'TOKEN_EXPIRED'],
        [newJti, 'ok'],
      ]);
      expect(headerApp.callsTagged('aborted')).toHaveLength(1);
    });

    it('an operation unsubscribed while it waits for the refresh sends no retry and emits nothing', async () => {
      const gate = deferred();
      headerApp.state.refreshGate = gate.promise;
      const { client, runOperation, access, sentTags, failedTags, login } = headerClient(kind);
      const { accessJti: oldJti } = await login();
      headerApp.advance(61);

      // No signal: only the unsubscribe can stop the retry (tRPC's own links refuse an aborted signal).
      const events: string[] = [];
      const subscription = runOperation({
        id: 1,
        type: 'query',
        path: 'me',
        input: { tag: 'unsubscribed' },
        context: {},
        signal: null,
      }).subscribe({
        next: () => events.push('next'),
        error: () => events.push('error'),
        complete: () => events.push('complete'),
      });
      const kept = client.me.query({ tag: 'kept' });

      await vi.waitFor(() => {
        expect([...failedTags].sort()).toEqual(['kept', 'unsubscribed']);
        expect(headerApp.callsTo('auth.refresh')).toHaveLength(1);
      });
      subscription.unsubscribe();
      gate.resolve();

      const result = await kept;
      const newJti = jtiOf(access.get());
      expect(newJti).not.toBe(oldJti);
      expect(result).toEqual({ identity: 'alice', jti: newJti });
      expect(events).toEqual([]);
      expect(sentTags.filter((tag) => tag === 'kept')).toHaveLength(2);
      expect(sentTags.filter((tag) => tag === 'unsubscribed')).toHaveLength(1);
      expect(headerApp.callsTagged('unsubscribed').map((c) => [c.bearerJti, c.outcome])).toEqual([
        [oldJti, 'TOKEN_EXPIRED'],
      ]);
    });

    it.each([
      { name: 'expired', issuedAgo: 120 },
      { name: 'about to expire (within refreshBefore)', issuedAgo: 45 },
    ])(
      'proactive mode, $name token: refreshes once before sending; the server never sees the old token',
      async ({ issuedAgo }) => {
        const { client, access, login } = headerClient(kind, {
          refreshBefore: 30,
          getAccessToken: () => access.get(),
        });
        headerApp.state.offsetMs = -issuedAgo * 1000; // tokens issued `issuedAgo` seconds ago (60 s access)
        const { accessJti: oldJti } = await login();
        headerApp.state.offsetMs = 0;

        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => client.me.query({ tag: `p${i}` })),
        );
        const newJti = jtiOf(access.get());
        expect(newJti).not.toBe(oldJti);
        expect(results).toEqual(Array.from({ length: 10 }, () => ({ identity: 'alice', jti: newJti })));
        // The new token has 60 s left (more than refreshBefore): no second refresh.
        await expect(client.me.query({ tag: 'after' })).resolves.toEqual({ identity: 'alice', jti: newJti });

        const calls = headerApp.state.calls;
        expect(calls[0]).toMatchObject({ path: 'auth.refresh', outcome: 'ok' });
        expect(headerApp.callsTo('auth.refresh')).toHaveLength(1);
        expect(calls.filter((c) => c.bearerJti === oldJti)).toEqual([]);
        expect(headerApp.callsTo('me').map((c) => [c.bearerJti, c.outcome])).toEqual(
          Array.from({ length: 11 }, () => [newJti, 'ok']),
        );
      },
    );

    it('proactive mode, failing refresh: 1 refresh, 1 onRefreshFailed, each query sent once and refused', async () => {
      const { client, access, onRefreshFailed, sentTags, login } = headerClient(kind, {
        refreshBefore: 30,
        getAccessToken: () => access.get(),
      });
      headerApp.state.offsetMs = -120_000;
      const { accessJti, refreshToken } = await login();
      headerApp.state.offsetMs = 0;
      await headerApp.blocklist.revoke(await headerApp.jwt.decodeToken(refreshToken));

      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => client.me.query({ tag: `p${i}` })),
      );

      for (const result of results) expectTokenExpired(result, 'me');
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);
      expect(getJwtErrorCode(onRefreshFailed.mock.calls[0]![0])).toBe('TOKEN_REVOKED');
      // The proactive refresh failed, so the queries went out with the token they had, once each:
      // their TOKEN_EXPIRED is answered by that same failed refresh, not by a new one.
      expect(headerApp.state.calls[0]).toMatchObject({ path: 'auth.refresh', outcome: 'TOKEN_REVOKED' });
      expect(headerApp.callsTo('auth.refresh')).toHaveLength(1);
      expect(headerApp.callsTo('me').map((c) => [c.bearerJti, c.outcome])).toEqual(
        Array.from({ length: 20 }, () => [accessJti, 'TOKEN_EXPIRED']),
      );
      expect(sentTags).toHaveLength(20);
    });
  },
);

// ---------------------------------------------------------------------------------------------------
// Cookie mode: a cookie jar stands in for the browser; getCookie sees only the readable cookies.

function cookieJar() {
  const jar = new Map<string, { value: string; httpOnly: boolean }>();
  const fetchWithCookies = async (input: RequestInfo | URL | string, init?: object) => {
    const headers = new Headers((init as RequestInit | undefined)?.headers);
    if (jar.size > 0) {
      headers.set('cookie', [...jar].map(([name, { value }]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(input, { ...(init as RequestInit), headers });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const eq = pair.indexOf('=');
      const attrs = attributes.map((a) => a.trim().toLowerCase());
      const name = pair.slice(0, eq).trim();
      if (attrs.includes('max-age=0')) jar.delete(name);
      else jar.set(name, { value: pair.slice(eq + 1).trim(), httpOnly: attrs.includes('httponly') });
    }
    return response;
  };
  /** What `document.cookie` would show: no HttpOnly cookie. */
  const readable = (name: string) => {
    const cookie = jar.get(name);
    return cookie && !cookie.httpOnly ? cookie.value : null;
  };
  return { jar, fetch: fetchWithCookies, readable };
}

describe.each<LinkKind>(['httpLink', 'httpBatchLink'])(
  'cookie mode against createJwtManager (%s)',
  (kind) => {
    it('CSRF double submit on mutations, refused without it, and one cookie refresh after expiry', async () => {
      const cookies = cookieJar();
      const onRefreshFailed = vi.fn();
      const http = { url: cookieApp.url, transformer: superjson, fetch: cookies.fetch };
      const client = createTRPCClient<ClientAppRouter>({
        links: [
          refreshLink({ refresh: (): Promise<unknown> => client.auth.refresh.mutate(), onRefreshFailed }),
          (kind === 'httpLink' ? httpLink : httpBatchLink)({
            ...http,
            headers: jwtHeaders({ csrf: { getCookie: cookies.readable } }),
          }),
        ],
      });
      // The same browser (same jar), but a client that never sends the CSRF header.
      const noCsrf = createTRPCClient<ClientAppRouter>({ links: [httpLink(http)] });

      // Login sets the four cookies: the tokens HttpOnly, the CSRF values readable.
      await expect(client.auth.login.mutate({ user: 'alice' })).resolves.toEqual({
        accessToken: null,
        refreshToken: null,
      });
      expect(
        Object.fromEntries([...cookies.jar].map(([name, c]) => [name, c.httpOnly && c.value !== ''])),
      ).toEqual({
        access_token_cookie: true,
        csrf_access_token: false,
        refresh_token_cookie: true,
        csrf_refresh_token: false,
      });
      expect(cookies.readable('csrf_access_token')).toBeTruthy();
      const oldJti = jtiOf(cookies.jar.get('access_token_cookie')?.value);
      const oldCsrf = cookies.readable('csrf_access_token');

      // A mutation carries X-CSRF-TOKEN = csrf_access_token, and passes the real double-submit check.
      await expect(client.post.create.mutate({ tag: 'with-csrf' })).resolves.toEqual({
        identity: 'alice',
        jti: oldJti,
      });
      // Queries need no CSRF header.
      await expect(client.me.query({ tag: 'query' })).resolves.toEqual({ identity: 'alice', jti: oldJti });

      // Without the header, the server refuses the mutation: 401 CSRF_ERROR.
      const refused = (await noCsrf.post.create
        .mutate({ tag: 'no-csrf' })
        .catch((e: unknown) => e)) as ClientError;
      expect(refused).toBeInstanceOf(TRPCClientError);
      expect([refused.data?.httpStatus, getJwtErrorCode(refused), refused.message]).toEqual([
        401,
        'CSRF_ERROR',
        'Missing CSRF token',
      ]);

      // The access token expires: the next mutation refreshes through auth.refresh (refresh cookie +
      // the REFRESH CSRF cookie in the header), which sets new access cookies; the retry succeeds.
      cookieApp.advance(61);
      const retried = await client.post.create.mutate({ tag: 'after-expiry' });
      const newJti = jtiOf(cookies.jar.get('access_token_cookie')?.value);
      expect(newJti).toBeTypeOf('string');
      expect(newJti).not.toBe(oldJti);
      expect(retried).toEqual({ identity: 'alice', jti: newJti });
      expect(cookies.readable('csrf_access_token') === oldCsrf).toBe(false); // a new CSRF value came too
      expect(onRefreshFailed).not.toHaveBeenCalled();

      expect(
        cookieApp.state.calls.map((c) => [
          c.tag ?? c.path,
          c.type,
          c.cookieJti === oldJti,
          c.csrf,
          c.outcome,
        ]),
      ).toEqual([
        ['auth.login', 'mutation', false, 'missing', 'ok'],
        ['with-csrf', 'mutation', true, 'csrf_access_token', 'ok'],
        ['query', 'query', true, 'missing', 'ok'],
        ['no-csrf', 'mutation', true, 'missing', 'CSRF_ERROR'],
        ['after-expiry', 'mutation', true, 'csrf_access_token', 'TOKEN_EXPIRED'],
        ['auth.refresh', 'mutation', true, 'csrf_refresh_token', 'ok'],
        ['after-expiry', 'mutation', false, 'csrf_access_token', 'ok'],
      ]);
      expect(cookieApp.callsTagged('after-expiry').at(-1)?.cookieJti).toBe(newJti);
    });
  },
);
