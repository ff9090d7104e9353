/**
 * The example app's API as an API client sees it (header tokens through `trpc-jwt-extended/client`):
 * the role claim, per-user notes, `me` from the user loader, logout and password changes, and the
 * settings read from the environment.
 */
import { createTRPCClient, httpLink, type TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServer } from '../helpers/example.js';

type Server = Awaited<ReturnType<Awaited<ReturnType<typeof loadServer>>['startServer']>>;
type AppRouter = import('../../example-app/router.js').AppRouter;

let server: Server;
let startServer: Awaited<ReturnType<typeof loadServer>>['startServer'];
let DEMO_USER: { email: string; password: string };
let DEMO_ADMIN: { email: string; password: string };
let createTokenStore: typeof import('trpc-jwt-extended/client').createTokenStore;
let jwtHeaders: typeof import('trpc-jwt-extended/client').jwtHeaders;

beforeAll(async () => {
  const mod = await loadServer();
  ({ DEMO_USER, DEMO_ADMIN, startServer } = mod);
  ({ createTokenStore, jwtHeaders } = await import('trpc-jwt-extended/client'));
  server = await startServer({ port: 0, accessExpires: 60, secretKey: 's'.repeat(64), log: () => {} });
});

afterAll(async () => {
  await server?.close();
});

/** An API client with its own access and refresh token stores. */
function apiClient(url = server.url) {
  const access = createTokenStore();
  const refresh = createTokenStore();
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        transformer: superjson,
        headers: jwtHeaders({ getAccessToken: access.get, getRefreshToken: refresh.get }),
      }),
    ],
  });
  const login = async (creds: { email: string; password: string }) => {
    const result = await client.auth.login.mutate(creds);
    access.set(result.accessToken);
    refresh.set(result.refreshToken);
    return result;
  };
  return { client, access, refresh, login };
}

/** The rejection of `promise`, as the tRPC client error it must be. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ message: string; status: unknown; jwt: unknown; code: unknown }> {
  const error = (await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as TRPCClientError<AppRouter>;
  return {
    message: error.message,
    status: error.data?.httpStatus,
    code: error.data?.code,
    jwt: error.data?.jwt,
  };
}

describe('example app API', () => {
  it('logs in with the seeded user: tokens in the body, the user without its password hash', async () => {
    const { client, login } = apiClient();
    const result = await login(DEMO_USER);
    expect(result.user).toEqual({ id: expect.any(String), email: DEMO_USER.email, role: 'user' });
    expect(result.accessToken.split('.')).toHaveLength(3);
    expect(result.refreshToken).not.toBe(result.accessToken);
    expect(await client.me.query()).toEqual(result.user);
  });

  it('refuses a wrong password and an unknown email with the same 401 message', async () => {
    const { login } = apiClient();
    const wrong = await failure(login({ email: DEMO_USER.email, password: 'nope' }));
    const unknown = await failure(login({ email: 'nobody@example.com', password: 'nope' }));
    for (const result of [wrong, unknown]) {
      expect(result).toEqual({
        message: 'Wrong email or password',
        status: 401,
        code: 'UNAUTHORIZED',
        jwt: null,
      });
    }
  });

  it('refuses a call without a token: 401 NO_AUTHORIZATION naming every location', async () => {
    expect(await failure(apiClient().client.notes.list.query())).toEqual({
      message:
        'Missing JWT in headers, cookies or connection_params (Missing Authorization Header; ' +
        'Missing cookie "access_token_cookie"; Missing "token" in connection params)',
      status: 401,
      code: 'UNAUTHORIZED',
      jwt: { code: 'NO_AUTHORIZATION' },
    });
  });

  it('keeps notes per user, with dates through superjson', async () => {
    const alice = apiClient();
    const admin = apiClient();
    await alice.login(DEMO_USER);
    await admin.login(DEMO_ADMIN);
    const note = await alice.client.notes.add.mutate({ text: '  only mine  ' });
    expect(note).toEqual({ id: expect.any(Number), text: 'only mine', createdAt: expect.any(Date) });
    expect((await alice.client.notes.list.query()).map((n) => n.text)).toContain('only mine');
    expect((await admin.client.notes.list.query()).map((n) => n.text)).not.toContain('only mine');
    expect(await failure(alice.client.notes.add.mutate({ text: '   ' }))).toMatchObject({
      message: 'Write something first',
      status: 400,
    });
  });

  it('admin.stats checks the role claim: 403 for a user, the counts for an admin', async () => {
    const user = apiClient();
    const admin = apiClient();
    await user.login(DEMO_USER);
    await admin.login(DEMO_ADMIN);
    expect(await failure(user.client.admin.stats.query())).toEqual({
      message: 'Admins only',
      status: 403,
      code: 'FORBIDDEN',
      jwt: null,
    });
    const stats = await admin.client.admin.stats.query();
    expect(stats.users).toBe(2);
    expect(stats.notes).toBeGreaterThanOrEqual(1);
  });

  it('refuses a refresh token where an access token is expected, and the reverse (422)', async () => {
    const { client, access, refresh, login } = apiClient();
    await login(DEMO_USER);
    const accessToken = access.get();
    access.set(refresh.get());
    expect(await failure(client.me.query())).toMatchObject({
      message: 'Only non-refresh tokens are allowed',
      status: 422,
      jwt: { code: 'WRONG_TOKEN_TYPE' },
    });
    refresh.set(accessToken);
    expect(await failure(client.auth.refresh.mutate())).toMatchObject({
      message: 'Only refresh tokens are allowed',
      status: 422,
      jwt: { code: 'WRONG_TOKEN_TYPE' },
    });
  });

  it('logout revokes the access token and the refresh token given in the body', async () => {
    const { client, login } = apiClient();
    await login(DEMO_ADMIN);
    const { refreshToken } = await login(DEMO_ADMIN);
    expect(await client.auth.logout.mutate({ refreshToken })).toEqual({
      accessRevoked: true,
      refreshRevoked: true,
    });
    expect(await failure(client.me.query())).toMatchObject({ status: 401, jwt: { code: 'TOKEN_REVOKED' } });
    expect(await failure(client.auth.refresh.mutate())).toMatchObject({
      status: 401,
      jwt: { code: 'TOKEN_REVOKED' },
    });
  });

  it('changePassword: checks the current password, then revokes every token of the user', async () => {
    // A server of its own: this test changes the seeded admin's password.
    const own = await startServer({ port: 0, accessExpires: 60, secretKey: 'p'.repeat(64), log: () => {} });
    afterAll(() => own.close());
    const session = apiClient(own.url);
    const other = apiClient(own.url);
    const { user } = await session.login(DEMO_ADMIN);
    await other.login(DEMO_ADMIN);
    expect(
      await failure(
        session.client.account.changePassword.mutate({
          currentPassword: 'wrong',
          newPassword: 'long-enough',
        }),
      ),
    ).toMatchObject({
      message: 'The current password is wrong',
      status: 400,
    });
    expect(
      await failure(
        session.client.account.changePassword.mutate({
          currentPassword: DEMO_ADMIN.password,
          newPassword: 'short',
        }),
      ),
    ).toMatchObject({
      message: 'The new password needs at least 8 characters',
      status: 400,
    });
    expect(
      await session.client.account.changePassword.mutate({
        currentPassword: DEMO_ADMIN.password,
        newPassword: 'new-admin-password',
      }),
    ).toEqual({ signedOut: true });

    // Both sessions, access and refresh tokens alike.
    for (const { client } of [session, other]) {
      expect(await failure(client.me.query())).toMatchObject({ status: 401, jwt: { code: 'TOKEN_REVOKED' } });
      expect(await failure(client.auth.refresh.mutate())).toMatchObject({
        status: 401,
        jwt: { code: 'TOKEN_REVOKED' },
      });
    }
    expect(await failure(session.login(DEMO_ADMIN))).toMatchObject({
      status: 401,
      message: 'Wrong email or password',
    });
    const fresh = await session.login({ email: DEMO_ADMIN.email, password: 'new-admin-password' });
    expect(fresh.user).toEqual(user);
    expect(await session.client.me.query()).toEqual(user);
  });
});

describe('example app settings', () => {
  it('reads the environment, with defaults, and names a bad variable', async () => {
    const { readSettings } = await import('../../example-app/config.js');
    expect(readSettings({})).toEqual({
      algorithm: 'HS256',
      secretKey: undefined,
      privateKey: undefined,
      accessExpires: 900,
      port: 3000,
      host: '127.0.0.1',
      redisUrl: undefined,
      cookieSecure: false,
    });
    expect(
      readSettings({ ACCESS_EXPIRES: '2', PORT: '0', HOST: '0.0.0.0', COOKIE_SECURE: '1' }),
    ).toMatchObject({
      accessExpires: 2,
      port: 0,
      host: '0.0.0.0',
      cookieSecure: true,
    });
    expect(() => readSettings({ ACCESS_EXPIRES: '2.5' })).toThrow('ACCESS_EXPIRES must be an integer from 1');
    expect(() => readSettings({ PORT: '70000' })).toThrow('PORT must be an integer from 0 to 65535');
    expect(
      readSettings({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nAA\\n' }),
    ).toMatchObject({ algorithm: 'ES256', privateKey: '-----BEGIN PRIVATE KEY-----\nAA\n' });
    expect(() => readSettings({ JWT_ALGORITHM: 'RS256' })).toThrow(
      'JWT_ALGORITHM must be HS256 or ES256, got "RS256"',
    );
  });

  it('warns loudly when it makes up a development secret', async () => {
    const lines: string[] = [];
    const dev = await startServer({ port: 0, log: (line) => lines.push(line) });
    await dev.close();
    const printed = lines.join('\n');
    expect(printed).toContain('WARNING: JWT_SECRET_KEY is not set.');
    expect(printed).toContain('NOT SAFE IN PRODUCTION');
    expect(printed.split('\n').filter((line) => line.startsWith('!!')).length).toBeGreaterThanOrEqual(5);
  });
});
