/**
 * Errors on the wire: jwt.errorFormatter composed in an app's own formatter, with the superjson
 * transformer; a JwtError thrown in a resolver keeps its own status and code (flask's app-wide
 * handlers, reference §2.1).
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, type JwtContextPart } from '../../src/index.js';
import { type CallOptions, callTrpc, type Endpoint, startAll } from '../helpers/servers.js';

const SECRET = 'error-formatter-secret-0123456789abcdef';
const jwt = createJwtManager({ secretKey: SECRET });
const t = initTRPC.context<JwtContextPart>().create({
  transformer: superjson,
  errorFormatter: (opts) => {
    const shape = jwt.errorFormatter(opts);
    return { ...shape, data: { ...shape.data, app: 'mine', stack: undefined } };
  },
});
const { protectedProcedure } = jwt.procedures(t.procedure);

const router = t.router({
  echo: protectedProcedure
    .input(z.object({ at: z.date() }))
    .mutation(({ ctx, input }) => ({ who: ctx.token.identity, at: input.at, seen: new Set([1]) })),
  decodeInResolver: t.procedure.input(z.string()).query(({ input }) => jwt.decodeToken(input)),
  appForbidden: t.procedure.query(() => {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'not yours' });
  }),
  appCrash: t.procedure.query(() => {
    throw new Error('boom');
  }),
});

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

describe.each(['standalone', 'express', 'fetch'] as const)('%s adapter, superjson', (name) => {
  const call = (path: string, opts: CallOptions = {}) =>
    callTrpc(
      endpoints.find((e) => e.name === name)!,
      path,
      { transformer: superjson, ...opts },
    );

  it('a verified mutation round-trips superjson values', async () => {
    const at = new Date('2024-01-02T03:04:05Z');
    const token = await jwt.createAccessToken('alice');
    const res = await call('echo', {
      type: 'mutation',
      input: { at },
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ who: 'alice', at, seen: new Set([1]) });
  });

  it('a JWT failure keeps the app formatter’s fields and adds data.jwt', async () => {
    const res = await call('echo', { type: 'mutation', input: { at: new Date() } });
    expect(res.status).toBe(401);
    expect(res.error?.message).toBe('Missing Authorization Header');
    expect(res.error?.data).toMatchObject({
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      app: 'mine',
      jwt: { code: 'NO_AUTHORIZATION' },
    });
  });

  it('a JwtError thrown in a resolver maps to its own status (422) and code', async () => {
    const res = await call('decodeInResolver', { input: 'bad' });
    expect(res.status).toBe(422);
    expect(res.error?.message).toBe('Not enough segments');
    expect(res.error?.data).toMatchObject({
      code: 'UNPROCESSABLE_CONTENT',
      httpStatus: 422,
      app: 'mine',
      jwt: { code: 'INVALID_TOKEN' },
    });
  });

  it('an expired token decoded in a resolver is a 401 TOKEN_EXPIRED', async () => {
    const past = createJwtManager({ secretKey: SECRET, clock: () => Date.now() - 3_600_000 });
    const expired = await past.createAccessToken('bob', { expiresDelta: 60 });
    const res = await call('decodeInResolver', { input: expired });
    expect(res.status).toBe(401);
    expect(res.error?.data.jwt).toEqual({ code: 'TOKEN_EXPIRED' });
    expect(res.error?.message).toBe('Token has expired');
  });

  it('errors that are not the JWT layer’s get data.jwt = null and keep their status', async () => {
    const forbidden = await call('appForbidden');
    expect(forbidden.status).toBe(403);
    expect(forbidden.error?.data.jwt).toBeNull();
    expect(forbidden.error?.message).toBe('not yours');
    const crash = await call('appCrash');
    expect(crash.status).toBe(500);
    expect(crash.error?.data.jwt).toBeNull();
  });
});
