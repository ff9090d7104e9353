/**
 * Roles, scopes and claim checks through the real adapters: `jwt.requireScopes`, `jwt.requireRoles`
 * and `jwt.requireClaims` are complete procedures (the JWT check included); a valid token without
 * what they require gets 403 FORBIDDEN, `data.jwt.code` INSUFFICIENT_SCOPE, and an RFC 6750
 * `insufficient_scope` challenge naming the required scope.
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, JwtConfigError, type JwtContextPart } from '../../src/index.js';
import { expectJwtError } from '../helpers/jwt-app.js';
import { callTrpc, type Endpoint, startAll } from '../helpers/servers.js';

const SECRET = 'authorization-secret-0123456789abcdef-01';

const jwt = createJwtManager({ secretKey: SECRET });
const scp = createJwtManager({ secretKey: SECRET, scopeClaim: 'scp', rolesClaim: 'groups' });
const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
const router = t.router({
  write: t.procedure.concat(jwt.requireScopes('notes:write')).query(({ ctx }) => ctx.token.identity),
  both: t.procedure.concat(jwt.requireScopes('notes:read', 'notes:write')).query(() => 'both'),
  admin: t.procedure.concat(jwt.requireRoles('admin')).query(() => 'admin'),
  tenant: t.procedure
    .concat(jwt.requireClaims(z.object({ tenant: z.literal('acme') })))
    .query(({ ctx }) => ctx.token.payload.tenant),
  even: t.procedure.concat(jwt.requireClaims((token) => token.identity.length % 2 === 0)).query(() => 'even'),
  throws: t.procedure
    .concat(
      jwt.requireClaims(() => {
        throw new Error('database down');
      }),
    )
    .query(() => 'never'),
  scp: t.procedure.concat(scp.requireScopes('notes:write')).query(() => 'scp'),
  groups: t.procedure.concat(scp.requireRoles('admin')).query(() => 'groups'),
});

let endpoints: Endpoint[] = [];
beforeAll(async () => {
  endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

const bearer = async (claims: Record<string, unknown>, identity = 'alice') => ({
  headers: { authorization: `Bearer ${await jwt.createAccessToken(identity, { additionalClaims: claims })}` },
});

describe.each(['standalone', 'express', 'fetch'] as const)('%s', (name) => {
  const endpoint = () => endpoints.find((e) => e.name === name)!;

  it('requireScopes: a space-separated scope claim (RFC 8693) or an array carrying the scope passes', async () => {
    for (const scope of ['notes:read notes:write', ['notes:write']]) {
      const res = await callTrpc(endpoint(), 'write', await bearer({ scope }));
      expect({ status: res.status, data: res.data }).toEqual({ status: 200, data: 'alice' });
    }
  });

  it('requireScopes: without the scope, 403 INSUFFICIENT_SCOPE with an insufficient_scope challenge', async () => {
    const res = await callTrpc(endpoint(), 'write', await bearer({ scope: 'notes:read' }));
    expectJwtError(res, 403, 'INSUFFICIENT_SCOPE', 'Insufficient scope: needs notes:write');
    expect(res.error?.data.code).toBe('FORBIDDEN');
    const raw = await endpoint().send(`${endpoint().url}/write`, await bearer({ scope: 'notes:read' }));
    expect(raw.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope: needs notes:write", scope="notes:write"',
    );
  });

  it('requireScopes: every scope is required; the message names the missing ones', async () => {
    const res = await callTrpc(endpoint(), 'both', await bearer({ scope: ['notes:write'] }));
    expectJwtError(res, 403, 'INSUFFICIENT_SCOPE', 'Insufficient scope: needs notes:read');
    for (const scope of [undefined, 42, { 'notes:read': true }, 'notes:readnotes:write']) {
      const bad = await callTrpc(endpoint(), 'both', await bearer({ scope }));
      expect(bad.status).toBe(403);
    }
  });

  it('is a complete protected check: no token 401, an expired or tampered token fails as usual', async () => {
    expectJwtError(
      await callTrpc(endpoint(), 'write'),
      401,
      'NO_AUTHORIZATION',
      'Missing Authorization Header',
    );
    const token = await jwt.createAccessToken('alice', {
      additionalClaims: { scope: 'notes:write' },
      expiresDelta: 0,
    });
    const expired = await callTrpc(endpoint(), 'write', { headers: { authorization: `Bearer ${token}` } });
    expectJwtError(expired, 401, 'TOKEN_EXPIRED', 'Token has expired');
    const refresh = await jwt.createRefreshToken('alice', { additionalClaims: { scope: 'notes:write' } });
    const wrongType = await callTrpc(endpoint(), 'write', {
      headers: { authorization: `Bearer ${refresh}` },
    });
    expectJwtError(wrongType, 422, 'WRONG_TOKEN_TYPE', 'Only non-refresh tokens are allowed');
  });

  it('requireRoles: the roles claim (array or string) must hold every role', async () => {
    expect((await callTrpc(endpoint(), 'admin', await bearer({ roles: ['user', 'admin'] }))).data).toBe(
      'admin',
    );
    const res = await callTrpc(endpoint(), 'admin', await bearer({ roles: ['user'] }));
    expectJwtError(res, 403, 'INSUFFICIENT_SCOPE', 'Insufficient role: needs admin');
    const raw = await endpoint().send(`${endpoint().url}/admin`, await bearer({ roles: 'user' }));
    expect(raw.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Insufficient role: needs admin"',
    );
  });

  it('requireClaims with a schema: a matching payload passes (typed); another is 403 naming the claim', async () => {
    expect((await callTrpc(endpoint(), 'tenant', await bearer({ tenant: 'acme' }))).data).toBe('acme');
    const res = await callTrpc(endpoint(), 'tenant', await bearer({ tenant: 'globex' }));
    expect({ status: res.status, jwt: res.error?.data.jwt }).toEqual({
      status: 403,
      jwt: { code: 'INSUFFICIENT_SCOPE' },
    });
    expect(res.error?.message).toMatch(/^Claims check failed: tenant: /);
    expect(res.error?.message).not.toContain('globex');
  });

  it('requireClaims with a predicate: only `true` passes; a throwing check fails closed (500)', async () => {
    expect((await callTrpc(endpoint(), 'even', await bearer({}, 'bob1'))).data).toBe('even');
    expectJwtError(
      await callTrpc(endpoint(), 'even', await bearer({}, 'bob')),
      403,
      'INSUFFICIENT_SCOPE',
      'Claims check failed',
    );
    const res = await callTrpc(endpoint(), 'throws', await bearer({}));
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 500,
      message: 'Token verification failed: a claims check threw',
    });
  });

  it('scopeClaim and rolesClaim choose the claims', async () => {
    expect((await callTrpc(endpoint(), 'scp', await bearer({ scp: 'notes:write' }))).status).toBe(200);
    expect((await callTrpc(endpoint(), 'scp', await bearer({ scope: 'notes:write' }))).status).toBe(403);
    expect((await callTrpc(endpoint(), 'groups', await bearer({ groups: ['admin'] }))).status).toBe(200);
    expect((await callTrpc(endpoint(), 'groups', await bearer({ roles: ['admin'] }))).status).toBe(403);
  });
});

describe('misuse fails where the procedure is defined', () => {
  it('requireScopes/requireRoles need names; requireClaims a schema or predicate', () => {
    expect(() => jwt.requireScopes()).toThrow(TypeError);
    expect(() => jwt.requireScopes('a b')).toThrow('non-empty string without spaces');
    expect(() => jwt.requireRoles('')).toThrow(TypeError);
    expect(() => jwt.requireClaims({} as never)).toThrow('a Standard Schema');
  });

  it('scopeClaim and rolesClaim must be non-empty strings', () => {
    expect(() => createJwtManager({ secretKey: SECRET, scopeClaim: '' })).toThrow(JwtConfigError);
    expect(() => createJwtManager({ secretKey: SECRET, rolesClaim: 7 as never })).toThrow(
      'option `rolesClaim` must be a string',
    );
  });
});
