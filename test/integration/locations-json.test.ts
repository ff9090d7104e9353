/**
 * The `json` location: the key is read from the procedure's raw input when it came in a request body
 * (mutations, and queries sent over POST), never from a GET query's `?input=` (API.md §5, §9), through
 * every adapter, with and without superjson, and per call in a batch.
 */
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { createTestApp, expectIdentity, expectJwtError, SECRET, serveAll } from '../helpers/jwt-app.js';
import { type CallOptions, callTrpc, type Endpoint, startAll } from '../helpers/servers.js';

const app = createTestApp({ tokenLocation: ['json'] });
const keyed = createTestApp({ tokenLocation: ['json'], jsonKey: 'jwt', refreshJsonKey: 'rt' });

// superjson, and a procedure with an input parser of its own
const sjJwt = createJwtManager({ secretKey: SECRET, tokenLocation: 'json' });
const sj = initTRPC
  .context<JwtContextPart>()
  .create({ transformer: superjson, errorFormatter: sjJwt.errorFormatter });
const sjRouter = sj.router({
  save: sj.procedure
    .concat(sjJwt.required())
    .input(z.object({ access_token: z.string(), when: z.date() }))
    .mutation(({ ctx, input }) => ({ who: ctx.token.identity, year: input.when.getUTCFullYear() })),
});

const served: Record<string, Endpoint[]> = {};
beforeAll(async () => {
  served.app = await serveAll(app);
  served.keyed = await serveAll(keyed);
  served.sj = await startAll(sjRouter, (opts) => sjJwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(Object.values(served).flatMap((list) => list.map((e) => e.close())));
});

const MISSING = 'Missing "access_token" key in json data.';
const NOT_JSON = 'Invalid content-type. Must be application/json.';

describe.each([
  ['standalone', 0],
  ['express', 1],
  ['fetch', 2],
] as const)('%s adapter', (_name, index) => {
  const call = (name: string, path: string, opts: CallOptions = {}) =>
    callTrpc(served[name]![index]!, path, opts);
  let token = '';
  let refresh = '';
  beforeAll(async () => {
    token = await app.jwt.createAccessToken('alice');
    refresh = await app.jwt.createRefreshToken('bob');
  });

  it('reads access_token from the input of a mutation (POST); never from a GET query (?input=)', async () => {
    expectIdentity(
      await call('app', 'meWrite', { type: 'mutation', input: { access_token: token, other: 1 } }),
      'alice',
      'json',
    );
    const query = await call('app', 'me', { input: { access_token: token } });
    expectJwtError(query, 401, 'NO_AUTHORIZATION', NOT_JSON);
  });

  it('refresh procedures read refresh_token', async () => {
    const ok = await call('app', 'refresh', { type: 'mutation', input: { refresh_token: refresh } });
    expectIdentity(ok, 'bob', 'json');
    const wrongKey = await call('app', 'refresh', { type: 'mutation', input: { access_token: refresh } });
    expectJwtError(wrongKey, 401, 'NO_AUTHORIZATION', 'Missing "refresh_token" key in json data.');
  });

  it('401 Missing "access_token" key for no input, other keys, empty values and non-objects', async () => {
    const inputs = [
      undefined,
      { other: token },
      { access_token: '' },
      { access_token: null },
      'a string',
      [token],
      42,
    ];
    for (const input of inputs) {
      const mutation = await call('app', 'meWrite', { type: 'mutation', input });
      expectJwtError(mutation, 401, 'NO_AUTHORIZATION', MISSING);
    }
  });

  it('a non-string value is an invalid token (422), never a crash', async () => {
    const res = await call('app', 'meWrite', {
      type: 'mutation',
      input: { access_token: { nested: token } },
    });
    expect(res.status).toBe(422);
    expect(res.error?.data.jwt).toEqual({ code: 'INVALID_TOKEN' });
  });

  it('custom jsonKey and refreshJsonKey', async () => {
    expectIdentity(
      await call('keyed', 'meWrite', { type: 'mutation', input: { jwt: token } }),
      'alice',
      'json',
    );
    expectJwtError(
      await call('keyed', 'meWrite', { type: 'mutation', input: { access_token: token } }),
      401,
      'NO_AUTHORIZATION',
      'Missing "jwt" key in json data.',
    );
    expectIdentity(
      await call('keyed', 'refresh', { type: 'mutation', input: { rt: refresh } }),
      'bob',
      'json',
    );
  });

  it('FormData input: 401 Invalid content-type. Must be application/json.', async () => {
    const body = new FormData();
    body.set('access_token', token);
    const res = await call('app', 'meWrite', { type: 'mutation', body });
    expectJwtError(res, 401, 'NO_AUTHORIZATION', NOT_JSON);
  });

  it('with superjson: the key is read from the deserialised input', async () => {
    const res = await call('sj', 'save', {
      type: 'mutation',
      input: { access_token: token, when: new Date('2031-05-01T00:00:00Z') },
      transformer: superjson,
    });
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { who: 'alice', year: 2031 },
    });
  });

  it('a batch: each call reads its own input', async () => {
    const endpoint = served.app![index]!;
    const carol = await app.jwt.createAccessToken('carol');
    const input = JSON.stringify({ 0: { access_token: token }, 1: { access_token: carol }, 2: {} });
    const res = await endpoint.send(`${endpoint.url}/meWrite,meWrite,meWrite?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: input,
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as Array<{ result?: { data: unknown }; error?: { message: string } }>;
    expect(body.map((r) => r.result?.data ?? r.error?.message)).toEqual([
      { identity: 'alice', location: 'json' },
      { identity: 'carol', location: 'json' },
      MISSING,
    ]);
  });
});
