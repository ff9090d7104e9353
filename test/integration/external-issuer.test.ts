/**
 * Verifying tokens of an external identity provider by its JWK Set URL (`jwksUrl`), over a real
 * HTTP server: the IdP is test/helpers/jwks-server.ts (RS256, iss, aud, no `type` claim).
 */
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJwtManager,
  JwtConfigError,
  type JwtContextPart,
  type JwtManagerOptions,
} from '../../src/index.js';
import { createIdpKey, type JwksServer, signIdpToken, startJwksServer } from '../helpers/jwks-server.js';
import { craftToken, parts } from '../helpers/keys.js';
import { callTrpc, type Endpoint, startStandalone } from '../helpers/servers.js';

type Options = JwtManagerOptions<{}, never, JwtContextPart>;

const idps: JwksServer[] = [];
const endpoints: Endpoint[] = [];

/** A verify-only app on `jwksUrl`: `me` (protected) and `refreshOnly` (refresh procedure). */
async function serveVerifier(options: Options): Promise<Endpoint> {
  const jwt = createJwtManager(options);
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ({
      identity: ctx.token.identity,
      type: ctx.token.type,
      scope: ctx.token.payload.scope ?? null,
      kid: ctx.token.header.kid,
    })),
    refreshOnly: refreshProcedure.query(({ ctx }) => ctx.token.identity),
  });
  const endpoint = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
  endpoints.push(endpoint);
  return endpoint;
}

async function idp(): Promise<JwksServer> {
  const server = await startJwksServer();
  idps.push(server);
  return server;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

afterAll(async () => {
  await Promise.all([...endpoints, ...idps].map((s) => s.close()));
});

describe('an IdP token on a protected procedure', () => {
  let server: JwksServer;
  let api: Endpoint;
  beforeAll(async () => {
    server = await idp();
    api = await serveVerifier({
      jwksUrl: server.url,
      decodeIssuer: server.issuer,
      decodeAudience: server.audience,
    });
  });

  it('passes; the token has no `type` claim, so it counts as an access token', async () => {
    const token = await server.sign('user-1', { scope: 'read' });
    expect(parts(token).payload.type).toBeUndefined();
    const res = await callTrpc(api, 'me', bearer(token));
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { identity: 'user-1', type: 'access', scope: 'read', kid: server.current.kid },
    });
    const refresh = await callTrpc(api, 'refreshOnly', bearer(token));
    expect({ status: refresh.status, message: refresh.error?.message }).toEqual({
      status: 422,
      message: 'Only refresh tokens are allowed',
    });
  });

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example.test/' }, 'Invalid issuer'],
    ['no issuer', { iss: undefined }, 'Token is missing the "iss" claim'],
    ['a wrong audience', { aud: 'api://someone-else' }, "Audience doesn't match"],
    ['no audience', { aud: undefined }, 'Token is missing the "aud" claim'],
  ])('refuses %s with 422 and the PyJWT message', async (_name, opts, message) => {
    const res = await callTrpc(api, 'me', bearer(await server.sign('user-1', {}, opts)));
    expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
      status: 422,
      jwt: { code: 'INVALID_TOKEN' },
      message,
    });
  });

  it('refuses a key the IdP does not publish, and an HS256 token keyed with its public key', async () => {
    const stranger = await createIdpKey();
    const forged = await signIdpToken(stranger, 'user-1', {}, { iss: server.issuer, aud: server.audience });
    const res = await callTrpc(api, 'me', bearer(forged));
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 422,
      message: 'Signature verification failed',
    });

    const genuine = parts(await server.sign('user-1'));
    const confused = craftToken(
      { ...genuine.header, alg: 'HS256' },
      genuine.payload,
      JSON.stringify(server.current.publicJwk),
    );
    const res2 = await callTrpc(api, 'me', bearer(confused));
    expect({ status: res2.status, message: res2.error?.message }).toEqual({
      status: 422,
      message: 'The specified alg value is not allowed',
    });
  });

  it('cannot sign: createAccessToken on a verify-only manager throws a JwtConfigError naming jwksUrl', async () => {
    const jwt = createJwtManager({ jwksUrl: server.url, decodeIssuer: server.issuer });
    const error = await jwt.createAccessToken('user-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtConfigError);
    expect(error).toMatchObject({ option: 'jwksUrl' });
    expect((error as Error).message).toContain('`jwksUrl`');
  });

  it('rejects bad configuration at construction, naming the option', () => {
    expect(() => createJwtManager({ jwksUrl: 'ftp://idp.example.test/jwks' })).toThrow(
      expect.objectContaining({ option: 'jwksUrl' }),
    );
    expect(() => createJwtManager({ jwksUrl: server.url, decodeAlgorithms: ['HS256'] })).toThrow(
      expect.objectContaining({ option: 'decodeAlgorithms' }),
    );
    expect(() => createJwtManager({ jwksUrl: server.url, secretKey: 'x'.repeat(32) })).toThrow(
      expect.objectContaining({ option: 'secretKey' }),
    );
  });
});

describe('key rotation at the IdP', () => {
  it('fetches the set once, then once per rotation (on the first unknown kid), never per request', async () => {
    const server = await idp();
    const api = await serveVerifier({
      jwksUrl: server.url,
      decodeIssuer: server.issuer,
      decodeAudience: server.audience,
      jwksOptions: { cooldownDuration: 0 },
    });
    const me = async (token: string) => (await callTrpc(api, 'me', bearer(token))).status;
    const first = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((sub) => server.sign(sub)));
    expect(await Promise.all(first.map(me))).toEqual([200, 200, 200, 200, 200]);
    for (const token of first) expect(await me(token)).toBe(200);
    expect(server.hits).toBe(1);

    await server.rotate({ keepPrevious: true });
    const second = await Promise.all(['f', 'g', 'h'].map((sub) => server.sign(sub)));
    for (const token of second) expect(await me(token)).toBe(200);
    expect(await me(first[0]!)).toBe(200); // the previous key is still published
    expect(server.hits).toBe(2);

    const retired = server.current;
    await server.rotate();
    expect(await me(await server.sign('i'))).toBe(200);
    expect(server.hits).toBe(3);
    const res = await callTrpc(api, 'me', bearer(await server.sign('j', {}, { key: retired })));
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 422,
      message: 'Signature verification failed',
    });
  });

  it('within the cooldown, a flood of unknown kids does not refetch the set', async () => {
    const server = await idp();
    const api = await serveVerifier({
      jwksUrl: server.url,
      decodeIssuer: server.issuer,
      decodeAudience: server.audience,
      jwksOptions: { cooldownDuration: 60_000 },
    });
    expect((await callTrpc(api, 'me', bearer(await server.sign('a')))).status).toBe(200);
    const stranger = await createIdpKey();
    const opts = { iss: server.issuer, aud: server.audience };
    for (let i = 0; i < 10; i++) {
      const forged = await signIdpToken(stranger, 'a', {}, { ...opts, header: { kid: `unknown-${i}` } });
      expect((await callTrpc(api, 'me', bearer(forged))).status).toBe(422);
    }
    expect(server.hits).toBe(1);
  });
});

describe('an unreachable JWK Set fails closed', () => {
  const expectServerError = async (api: Endpoint, token: string, hidden: string[]) => {
    const res = await callTrpc(api, 'me', bearer(token));
    expect({ status: res.status, code: res.error?.data.code, message: res.error?.message }).toEqual({
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Token verification failed',
    });
    const text = JSON.stringify(res.body);
    for (const secret of hidden) expect(text.includes(secret), 'the JWKS URL leaked').toBe(false);
  };

  it('a JWKS server that is down → INTERNAL_SERVER_ERROR, with no URL in the response', async () => {
    const server = await startJwksServer();
    const token = await server.sign('user-1');
    await server.close();
    const api = await serveVerifier({
      jwksUrl: server.url,
      decodeIssuer: server.issuer,
      decodeAudience: server.audience,
    });
    await expectServerError(api, token, [server.url, new URL(server.url).host, 'jwks.json']);
  });

  it('an HTTP 500 or a hanging JWK Set fails closed, refetched once per cooldown; the next good answer recovers', async () => {
    const server = await idp();
    let offset = 0;
    const api = await serveVerifier({
      jwksUrl: server.url,
      decodeIssuer: server.issuer,
      decodeAudience: server.audience,
      clock: () => Date.now() + offset,
      jwksOptions: { timeoutDuration: 300 },
    });
    const token = await server.sign('user-1');
    const hidden = [server.url, new URL(server.url).host];
    server.mode = 'fail';
    await expectServerError(api, token, hidden);
    server.mode = 'hang';
    await expectServerError(api, token, hidden); // within the cooldown (30 s): no second fetch
    expect(server.hits).toBe(1);
    offset += 30_000;
    await expectServerError(api, token, hidden);
    server.mode = 'ok';
    offset += 30_000;
    expect((await callTrpc(api, 'me', bearer(token))).status).toBe(200);
    expect(server.hits).toBe(3);
  });
});
