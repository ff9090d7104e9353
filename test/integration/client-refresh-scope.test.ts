/**
 * Issue 13, item 12, end to end against `createJwtManager` (standalone adapter, 127.0.0.1): the client
 * sends the refresh token (and the refresh CSRF value) to the refresh procedure only, recognised by its
 * exact path, and `refreshLink` gives up on a refresh that never settles (`refreshTimeout`) instead of
 * holding every waiting call forever. Tokens are compared by `jti` only, never printed.
 */
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
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

type ClientError = TRPCClientError<ClientAppRouter>;
type LinkKind = 'httpLink' | 'httpBatchLink';

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

/**
 * Header mode; the refresh call goes through the same client, and passes the link's abort signal on
 * unless `passSignal` is false (an app that forgot it).
 */
function headerClient(kind: LinkKind, extra: Partial<RefreshLinkOptions> = {}, passSignal = true) {
  const access = createTokenStore();
  const refresh = createTokenStore();
  const onRefreshFailed = vi.fn(() => access.set(null)); // "log out"
  const http = {
    url: headerApp.url,
    transformer: superjson,
    headers: jwtHeaders({ getAccessToken: access.get, getRefreshToken: refresh.get }),
  };
  const client = createTRPCClient<ClientAppRouter>({
    links: [
      refreshLink({
        refresh: async ({ signal }): Promise<void> =>
          access.set((await client.auth.refresh.mutate(undefined, passSignal ? { signal } : {})).accessToken),
        onRefreshFailed,
        ...extra,
      }),
      kind === 'httpLink' ? httpLink(http) : httpBatchLink(http),
    ],
  });
  const login = async () => {
    const tokens = await client.auth.login.mutate({ user: 'alice' });
    access.set(tokens.accessToken);
    refresh.set(tokens.refreshToken);
    headerApp.state.calls.length = 0;
    return { accessJti: jtiOf(tokens.accessToken)!, refreshJti: jtiOf(tokens.refreshToken)! };
  };
  return { client, access, onRefreshFailed, login };
}

describe.each<LinkKind>(['httpLink', 'httpBatchLink'])('refresh token scope (%s)', (kind) => {
  it('sends the refresh token to auth.refresh only: feed.refresh (ends with "refresh") gets the access token', async () => {
    const { client, login } = headerClient(kind);
    const { accessJti, refreshJti } = await login();

    await expect(client.feed.refresh.mutate({ tag: 'feed' })).resolves.toEqual({
      identity: 'alice',
      jti: accessJti,
    });
    await client.auth.refresh.mutate();

    expect(headerApp.state.calls.map((c) => [c.path, c.bearerJti, c.outcome])).toEqual([
      ['feed.refresh', accessJti, 'ok'],
      ['auth.refresh', refreshJti, 'ok'],
    ]);
  });

  it('an expired token on feed.refresh is refreshed and retried like any other call', async () => {
    const { client, access, onRefreshFailed, login } = headerClient(kind);
    const { accessJti } = await login();
    headerApp.advance(61);

    const result = await client.feed.refresh.mutate({ tag: 'feed' });

    const newJti = jtiOf(access.get());
    expect(newJti).not.toBe(accessJti);
    expect(result).toEqual({ identity: 'alice', jti: newJti });
    expect(onRefreshFailed).not.toHaveBeenCalled();
    expect(headerApp.state.calls.map((c) => [c.tag ?? c.path, c.bearerJti, c.outcome])).toEqual([
      ['feed', accessJti, 'TOKEN_EXPIRED'],
      ['auth.refresh', expect.any(String), 'ok'],
      ['feed', newJti, 'ok'],
    ]);
  });
});

it('cookie mode: feed.refresh carries the access CSRF value, auth.refresh the refresh one', async () => {
  const jar = new Map<string, string>();
  const fetchWithCookies = async (input: RequestInfo | URL | string, init?: object) => {
    const headers = new Headers((init as RequestInit | undefined)?.headers);
    headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(input, { ...(init as RequestInit), headers });
    for (const setCookie of response.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0] ?? '';
      jar.set(pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim());
    }
    return response;
  };
  const client = createTRPCClient<ClientAppRouter>({
    links: [
      httpLink({
        url: cookieApp.url,
        transformer: superjson,
        fetch: fetchWithCookies,
        headers: jwtHeaders({ csrf: { getCookie: (name) => jar.get(name) } }),
      }),
    ],
  });
  await client.auth.login.mutate({ user: 'alice' });
  await client.feed.refresh.mutate({ tag: 'feed' });
  await client.auth.refresh.mutate();

  expect(cookieApp.state.calls.map((c) => [c.tag ?? c.path, c.csrf, c.outcome])).toEqual([
    ['auth.login', 'missing', 'ok'],
    ['feed', 'csrf_access_token', 'ok'],
    ['auth.refresh', 'csrf_refresh_token', 'ok'],
  ]);
});

describe.each<{ kind: LinkKind; passSignal: boolean }>([
  { kind: 'httpLink', passSignal: true },
  { kind: 'httpLink', passSignal: false },
  { kind: 'httpBatchLink', passSignal: false },
])('refreshTimeout ($kind, refresh passes the signal: $passSignal)', ({ kind, passSignal }) => {
  it(
    'a refresh that never answers: the waiting calls fail TOKEN_EXPIRED, onRefreshFailed runs once, the late answer stores nothing',
    { timeout: 30_000 },
    async () => {
      let release!: () => void;
      headerApp.state.refreshGate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { client, access, onRefreshFailed, login } = headerClient(
        kind,
        { refreshTimeout: 300 },
        passSignal,
      );
      const { accessJti } = await login();
      headerApp.advance(61);

      let settled = 0;
      const results = Array.from({ length: 10 }, (_, i) =>
        client.me.query({ tag: `q${i}` }).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
      for (const result of results) void result.then(() => settled++);

      // The server holds auth.refresh forever; the link gives up after 300 ms (bound: 5 s).
      await vi.waitFor(() => expect(settled).toBe(10), { timeout: 5_000, interval: 20 });
      for (const result of await Promise.all(results)) {
        expect(result.ok).toBe(false);
        const error = (result as { error: ClientError }).error;
        expect(error).toBeInstanceOf(TRPCClientError);
        expect([error.message, error.data?.httpStatus, getJwtErrorCode(error)]).toEqual([
          'Token has expired',
          401,
          'TOKEN_EXPIRED',
        ]);
      }
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);
      const timeoutError = (onRefreshFailed.mock.calls[0] as unknown[])[0] as ClientError;
      expect(timeoutError).toBeInstanceOf(TRPCClientError);
      expect(timeoutError.message).toBe('Token refresh timed out after 300 ms');
      expect(timeoutError.cause).toMatchObject({ name: 'TimeoutError' });
      expect(getJwtErrorCode(timeoutError)).toBeNull();
      expect(jtiOf(access.get())).toBeUndefined(); // logged out by onRefreshFailed

      // The server answers the refresh at last. The link cut the refresh call off at the timeout (and
      // aborted the signal), so the answer reaches nobody: nothing is stored, the session stays ended.
      release();
      await vi.waitFor(() => expect(headerApp.callsTo('auth.refresh')[0]?.outcome).toBe('ok'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(jtiOf(access.get())).toBeUndefined();
      expect(onRefreshFailed).toHaveBeenCalledTimes(1);
      expect(headerApp.callsTo('me').map((c) => [c.bearerJti, c.outcome])).toEqual(
        Array.from({ length: 10 }, () => [accessJti, 'TOKEN_EXPIRED']),
      );
    },
  );
});
