/**
 * The example app's live notes feed (`notes.onAdded` over httpSubscriptionLink, the token in the
 * connection params) and its JWK Set (`/.well-known/jwks.json`: empty with HS256, the public ES256 key
 * with JWT_ALGORITHM=ES256), over real HTTP.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClientError,
} from '@trpc/client';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FetchEventSource } from '../helpers/event-source.js';
import { loadServer } from '../helpers/example.js';

type ServerModule = Awaited<ReturnType<typeof loadServer>>;
type Server = Awaited<ReturnType<ServerModule['startServer']>>;
type AppRouter = import('../../example-app/router.js').AppRouter;
type Note = import('../../example-app/router.js').Note;
type Credentials = { email: string; password: string };

let mod: ServerModule;
let server: Server;

beforeAll(async () => {
  mod = await loadServer();
  server = await mod.startServer({ port: 0, accessExpires: 60, secretKey: 'l'.repeat(64), log: () => {} });
});

afterAll(async () => {
  await server?.close();
});

/** An API client: header token for calls, the same token in the connection params for subscriptions. */
function apiClient(url = server.url) {
  let token: string | null = null;
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          transformer: superjson,
          connectionParams: () => (token === null ? {} : { token }),
          EventSource: FetchEventSource,
        }),
        false: httpLink({
          url: `${url}/trpc`,
          transformer: superjson,
          headers: () => (token === null ? {} : { authorization: `Bearer ${token}` }),
        }),
      }),
    ],
  });
  const login = async (creds: Credentials) => {
    const result = await client.auth.login.mutate(creds);
    token = result.accessToken;
    return result;
  };
  return { client, login };
}

/** Subscribes to notes.onAdded: the events, whether it started, and how it ended. */
function feed(client: ReturnType<typeof apiClient>['client'], input?: { lastEventId: number }) {
  const events: { id: string; data: Note }[] = [];
  let started = false;
  let settle!: (error: TRPCClientError<AppRouter> | null) => void;
  const ended = new Promise<TRPCClientError<AppRouter> | null>((resolve) => (settle = resolve));
  const sub = client.notes.onAdded.subscribe(input, {
    onStarted: () => (started = true),
    onData: (event) => events.push(event),
    onError: (error) => settle(error as TRPCClientError<AppRouter>),
    onComplete: () => settle(null),
  });
  return {
    events,
    ended,
    isStarted: () => started,
    stop: () => sub.unsubscribe(),
    texts: () => events.map((event) => event.data.text),
  };
}

describe('example app: live notes feed (notes.onAdded)', () => {
  it("delivers the subscriber's own new notes, tracked by id, and never another user's", async () => {
    const mine = apiClient();
    const other = apiClient();
    await mine.login(mod.DEMO_USER);
    await other.login(mod.DEMO_ADMIN);
    const live = feed(mine.client);
    await vi.waitFor(() => expect(live.isStarted()).toBe(true), { timeout: 5_000 });

    await other.client.notes.add.mutate({ text: 'the admin note' });
    const note = await mine.client.notes.add.mutate({ text: 'my live note' });
    await vi.waitFor(() => expect(live.texts()).toContain('my live note'), { timeout: 5_000 });
    live.stop();
    // Notes of one user arrive in order: the admin's, added first, would be here already.
    expect(live.events).toEqual([{ id: String(note.id), data: note }]);
    expect(live.events[0]?.data.createdAt).toBeInstanceOf(Date);
  });

  it('a second session of the same user receives what the first adds', async () => {
    const phone = apiClient();
    const laptop = apiClient();
    await phone.login(mod.DEMO_USER);
    await laptop.login(mod.DEMO_USER);
    const live = feed(phone.client);
    await vi.waitFor(() => expect(live.isStarted()).toBe(true), { timeout: 5_000 });
    await laptop.client.notes.add.mutate({ text: 'from the laptop' });
    await vi.waitFor(() => expect(live.texts()).toEqual(['from the laptop']), { timeout: 5_000 });
    live.stop();
  });

  it('replays the notes added after lastEventId first (a resubscription misses nothing)', async () => {
    const { client, login } = apiClient();
    await login(mod.DEMO_USER);
    const first = await client.notes.add.mutate({ text: 'before the gap' });
    await client.notes.add.mutate({ text: 'in the gap 1' });
    await client.notes.add.mutate({ text: 'in the gap 2' });
    const live = feed(client, { lastEventId: first.id });
    await vi.waitFor(() => expect(live.texts()).toEqual(['in the gap 1', 'in the gap 2']), {
      timeout: 5_000,
    });
    await client.notes.add.mutate({ text: 'after' });
    await vi.waitFor(() => expect(live.texts()).toEqual(['in the gap 1', 'in the gap 2', 'after']), {
      timeout: 5_000,
    });
    live.stop();
  });

  it('refuses a subscription without a token: UNAUTHORIZED / NO_AUTHORIZATION', async () => {
    const live = feed(apiClient().client);
    const error = await live.ended;
    expect({ code: error?.data?.code, jwt: error?.data?.jwt }).toEqual({
      code: 'UNAUTHORIZED',
      jwt: { code: 'NO_AUTHORIZATION' },
    });
    expect(error?.message).toContain('Missing "token" in connection params');
    expect(live.events).toEqual([]);
  });

  it('ends the feed with TOKEN_EXPIRED when the access token expires', async () => {
    const short = await mod.startServer({
      port: 0,
      // Expiry is whole seconds (exp = floor(now + 2)): the token lives 1–2 s, enough to start the feed.
      accessExpires: 2,
      secretKey: 'e'.repeat(64),
      log: () => {},
    });
    try {
      const { client, login } = apiClient(short.url);
      await login(mod.DEMO_USER);
      const live = feed(client);
      await vi.waitFor(() => expect(live.isStarted()).toBe(true), { timeout: 5_000 });
      const error = await live.ended;
      expect({ code: error?.data?.code, jwt: error?.data?.jwt, message: error?.message }).toEqual({
        code: 'UNAUTHORIZED',
        jwt: { code: 'TOKEN_EXPIRED' },
        message: 'Token has expired',
      });
    } finally {
      await short.close();
    }
  });
});

async function fetchJwks(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

describe('example app: /.well-known/jwks.json', () => {
  it('is an empty set with HS256: the HMAC secret is never published', async () => {
    expect(server.jwksUrl).toBe(`${server.url}/.well-known/jwks.json`);
    expect(await fetchJwks(server.jwksUrl)).toEqual({
      status: 200,
      type: 'application/json',
      body: { keys: [] },
    });
  });

  it('with ES256 and a generated key: warns, publishes the public key only, and tokens verify with it', async () => {
    const lines: string[] = [];
    const es = await mod.startServer({ port: 0, algorithm: 'ES256', log: (line) => lines.push(line) });
    try {
      const printed = lines.join('\n');
      expect(printed).toContain('WARNING: JWT_ALGORITHM=ES256 but JWT_PRIVATE_KEY is not set.');
      expect(printed).toContain('NOT SAFE IN PRODUCTION');
      expect(printed).not.toContain('JWT_SECRET_KEY is not set');

      const { status, body } = await fetchJwks(es.jwksUrl);
      expect(status).toBe(200);
      expect(body.keys).toHaveLength(1);
      const [key] = body.keys;
      expect(key).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: expect.stringMatching(/^[\w-]{43}$/),
        alg: 'ES256',
        use: 'sig',
      });
      expect(key).not.toHaveProperty('d');

      const { login, client } = apiClient(es.url);
      const { accessToken, user } = await login(mod.DEMO_USER);
      expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'ES256', kid: key.kid });
      const { payload } = await jwtVerify(accessToken, createLocalJWKSet(body as JSONWebKeySet), {
        algorithms: ['ES256'],
      });
      expect(payload).toMatchObject({ sub: user.id, type: 'access', fresh: true, role: 'user' });
      expect(await client.me.query()).toEqual(user);
    } finally {
      await es.close();
    }
  });

  it('with ES256 and JWT_PRIVATE_KEY: publishes that key, without a warning', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const lines: string[] = [];
    const es = await mod.startServer({
      port: 0,
      algorithm: 'ES256',
      privateKey: pem,
      log: (line) => lines.push(line),
    });
    try {
      expect(lines.join('\n')).not.toContain('WARNING');
      const { body } = await fetchJwks(es.jwksUrl);
      const { x, y } = publicKey.export({ format: 'jwk' });
      expect(body.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', x, y, alg: 'ES256' })]);
      // A token signed by another key does not verify against the published set.
      const stranger = await mod.startServer({ port: 0, algorithm: 'ES256', log: () => {} });
      try {
        const { accessToken } = await apiClient(stranger.url).login(mod.DEMO_USER);
        await expect(
          jwtVerify(accessToken, createLocalJWKSet(body as JSONWebKeySet), { algorithms: ['ES256'] }),
        ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      } finally {
        await stranger.close();
      }
    } finally {
      await es.close();
    }
  });
});
