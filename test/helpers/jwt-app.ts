/** A small tRPC app on a JWT manager, shared by the integration tests of locations and CSRF. */
import { createHmac } from 'node:crypto';
import { initTRPC } from '@trpc/server';
import { expect } from 'vitest';
import { createJwtManager, type JwtContextPart, type JwtManagerOptions } from '../../src/index.js';
import { type CallResult, type Endpoint, startAll } from './servers.js';

export const SECRET = 'integration-secret-0123456789abcdef-0123';

/** Procedures answering `{ identity, location }`: `me` (query), `meWrite` (mutation), refresh ones. */
export function createTestApp(options: Omit<JwtManagerOptions, 'secretKey'> = {}) {
  const jwt = createJwtManager({ secretKey: SECRET, ...options });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, optionalProcedure, refreshProcedure } = jwt.procedures(t.procedure);
  type Ctx = { ctx: { token: { identity: string; location: string } } };
  const me = ({ ctx }: Ctx) => ({ identity: ctx.token.identity, location: ctx.token.location });
  const router = t.router({
    me: protectedProcedure.query(me),
    meWrite: protectedProcedure.mutation(me),
    optional: optionalProcedure.query(({ ctx }) => ctx.token?.identity ?? null),
    refresh: refreshProcedure.mutation(me),
    refreshQuery: refreshProcedure.query(me),
  });
  return { jwt, t, router };
}

export type TestApp = ReturnType<typeof createTestApp>;

/** The app on the standalone, Express and fetch adapters. */
export function serveAll(app: TestApp): Promise<Endpoint[]> {
  return startAll(app.router, (opts) => app.jwt.createJwtContext(opts));
}

/** Asserts a JWT failure: HTTP status, `data.jwt.code` and message, in one comparison. */
export function expectJwtError(res: CallResult, status: number, code: string, message: string): void {
  expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
    status,
    jwt: { code },
    message,
  });
}

/** Asserts a success answering `{ identity, location }`. */
export function expectIdentity(res: CallResult, identity: string, location: string): void {
  expect({ status: res.status, data: res.data, error: res.error?.message }).toEqual({
    status: 200,
    data: { identity, location },
    error: undefined,
  });
}

/** An HS256 token signed by hand with SECRET, to craft claims createAccessToken never writes. */
export function signHs256(payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'HS256', typ: 'JWT', ...header })}.${enc(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
