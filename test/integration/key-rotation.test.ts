/**
 * Key rotation by `kid` (option `keys`) over a real HTTP server: the first key signs and names itself
 * in the header; a token is verified only by the configured key its kid names, pinned to that key's
 * algorithm; `jwt.jwks()` publishes the public halves, which another service can verify with.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJwtManager,
  JwtConfigError,
  type JwtContextPart,
  type JwtManager,
  type RotatingKey,
} from '../../src/index.js';
import { startJwksServer } from '../helpers/jwks-server.js';
import { craftToken, parts, secretFor, testKeys } from '../helpers/keys.js';
import { callTrpc, type Endpoint, startStandalone } from '../helpers/servers.js';

const ec = testKeys('p256');
const rsa = testKeys('rsa');
const k2: RotatingKey = { kid: 'k2', algorithm: 'ES256', privateKey: ec.privatePem };
const k1: RotatingKey = { kid: 'k1', algorithm: 'RS256', privateKey: rsa.privatePem };
const k0: RotatingKey = { kid: 'k0', algorithm: 'HS256', secret: secretFor('HS256') };

const endpoints: Endpoint[] = [];
const closers: (() => Promise<void>)[] = [];

/** The manager on a standalone server with a protected `me` query. */
async function serve(jwt: JwtManager): Promise<Endpoint> {
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ({ identity: ctx.token.identity, kid: ctx.token.header.kid })),
  });
  const endpoint = await startStandalone(router, (opts) => jwt.createJwtContext(opts));
  endpoints.push(endpoint);
  return endpoint;
}

const me = (endpoint: Endpoint, token: string) =>
  callTrpc(endpoint, 'me', { headers: { authorization: `Bearer ${token}` } });

function expectInvalid(res: Awaited<ReturnType<typeof me>>, message: string): void {
  expect({ status: res.status, jwt: res.error?.data.jwt, message: res.error?.message }).toEqual({
    status: 422,
    jwt: { code: 'INVALID_TOKEN' },
    message,
  });
}

const rotated = createJwtManager({ keys: [k2, k1] });
const beforeRotation = createJwtManager({ keys: [k1] });
const afterRemoval = createJwtManager({ keys: [k2] });
let api: Endpoint;
let apiWithoutK1: Endpoint;
beforeAll(async () => {
  api = await serve(rotated);
  apiWithoutK1 = await serve(afterRemoval);
});
afterAll(async () => {
  await Promise.all([...endpoints.map((e) => e.close()), ...closers.map((close) => close())]);
});

describe('signing and verifying by kid', () => {
  it('signs new tokens with the first key and writes its kid; they verify', async () => {
    const token = await rotated.createAccessToken('alice');
    expect(parts(token).header).toEqual({ alg: 'ES256', kid: 'k2', typ: 'JWT' });
    const res = await me(api, token);
    expect({ status: res.status, data: res.data }).toEqual({
      status: 200,
      data: { identity: 'alice', kid: 'k2' },
    });
  });

  it('keeps verifying tokens of the old key while it is configured; refuses them once it is removed', async () => {
    const old = await beforeRotation.createAccessToken('bob');
    expect(parts(old).header.kid).toBe('k1');
    expect((await me(api, old)).data).toEqual({ identity: 'bob', kid: 'k1' });
    expectInvalid(await me(apiWithoutK1, old), 'Unknown or missing "kid" header parameter');
  });

  it('refuses a kid naming a configured key under another algorithm (each key is pinned to its alg)', async () => {
    const { payload } = parts(await rotated.createAccessToken('alice'));
    // k1 is RS256; ES256 is allowed for k2 only.
    const wrongAlg = craftToken({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, payload, ec.privateKey);
    expectInvalid(await me(api, wrongAlg), 'The specified alg value is not allowed');
    // Classic confusion: HS256 keyed with k1's public PEM. HS256 is no key's algorithm here.
    const confused = craftToken({ alg: 'HS256', kid: 'k1', typ: 'JWT' }, payload, rsa.publicPem);
    expectInvalid(await me(api, confused), 'The specified alg value is not allowed');
  });

  it('refuses a token without a kid, and one whose kid is not a string', async () => {
    const { payload } = parts(await rotated.createAccessToken('alice'));
    const noKid = craftToken({ alg: 'ES256', typ: 'JWT' }, payload, ec.privateKey);
    expectInvalid(await me(api, noKid), 'Unknown or missing "kid" header parameter');
    const numericKid = craftToken({ alg: 'ES256', kid: 2, typ: 'JWT' }, payload, ec.privateKey);
    expectInvalid(await me(api, numericKid), 'Unknown or missing "kid" header parameter');
  });

  it('never takes a key from the token: embedded `jwk`, `jku` and `x5u` headers are ignored', async () => {
    const attacker = await startJwksServer();
    closers.push(() => attacker.close());
    const { payload } = parts(await rotated.createAccessToken('alice'));
    const ownEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ownRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' });
    const urls = { jku: attacker.url, x5u: attacker.url };
    const tokens = [
      // The attacker's key embedded under a configured kid: verified with k2, so it fails.
      craftToken({ alg: 'ES256', kid: 'k2', jwk: jwkOf(ownEc.publicKey) }, payload, ownEc.privateKey),
      craftToken(
        { alg: 'RS256', kid: 'k1', jwk: jwkOf(ownRsa.publicKey), ...urls },
        payload,
        ownRsa.privateKey,
      ),
      // A kid we do not know, with a key set URL the attacker serves: never fetched.
      await attacker.sign('alice', payload, { header: urls }),
    ];
    const results = await Promise.all(tokens.map((token) => me(api, token)));
    expect(results.map((r) => [r.status, r.error?.message])).toEqual([
      [422, 'Signature verification failed'],
      [422, 'Signature verification failed'],
      [422, 'Unknown or missing "kid" header parameter'],
    ]);
    expect(attacker.hits).toBe(0);
  });
});

describe('jwt.jwks(): the public key set', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  const publishing = createJwtManager({ keys: [k2, k1, k0] });
  beforeAll(async () => {
    jwksServer = createServer(async (req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify(await publishing.jwks()));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          jwksServer.close(() => resolve());
          jwksServer.closeAllConnections();
        }),
    );
  });

  it('serves only public JWKs with kid, alg and use; HS keys are left out', async () => {
    const res = await fetch(jwksUrl);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => [k.kid, k.alg, k.use, k.kty])).toEqual([
      ['k2', 'ES256', 'sig', 'EC'],
      ['k1', 'RS256', 'sig', 'RSA'],
    ]);
    for (const key of keys) {
      for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(field);
    }
    expect(keys[0]).toMatchObject({ crv: 'P-256', x: ec.publicJwk.x, y: ec.publicJwk.y });
    expect(keys[1]).toMatchObject({ n: rsa.publicJwk.n, e: rsa.publicJwk.e });
  });

  it('is enough for another service to verify the tokens (jwksUrl on the published set)', async () => {
    const verifier = createJwtManager({ jwksUrl, decodeAlgorithms: ['ES256', 'RS256'] });
    const other = await serve(verifier);
    const current = await me(other, await publishing.createAccessToken('carol'));
    const old = await me(other, await beforeRotation.createAccessToken('dave'));
    expect([current.data, old.data]).toEqual([
      { identity: 'carol', kid: 'k2' },
      { identity: 'dave', kid: 'k1' },
    ]);
  });
});

describe('configuration errors name the option', () => {
  const configError = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(JwtConfigError);
      return { option: (error as JwtConfigError).option, message: (error as Error).message };
    }
    throw new Error('expected a JwtConfigError');
  };

  it('a repeated kid', () => {
    expect(configError(() => createJwtManager({ keys: [k2, { ...k1, kid: 'k2' }] }))).toEqual({
      option: 'keys[1].kid',
      message: 'trpc-jwt-extended: option `keys[1].kid` repeats the kid "k2"',
    });
  });

  it('a current key without a private key (it must sign)', () => {
    const verifyOnly: RotatingKey = { kid: 'k3', algorithm: 'RS256', publicKey: rsa.publicPem };
    const error = configError(() => createJwtManager({ keys: [verifyOnly, k2] }));
    expect(error.option).toBe('keys[0]');
    expect(error.message).toContain('needs `secret` or `privateKey`');
    // An old key may be verify-only.
    expect(createJwtManager({ keys: [k2, verifyOnly] }).config.keyring?.byKid.size).toBe(2);
  });

  it('keys combined with secretKey, privateKey, algorithm or jwksUrl', () => {
    expect(configError(() => createJwtManager({ keys: [k2], secretKey: secretFor('HS256') })).option).toBe(
      'secretKey',
    );
    expect(configError(() => createJwtManager({ keys: [k2], privateKey: rsa.privatePem })).option).toBe(
      'privateKey',
    );
    expect(configError(() => createJwtManager({ keys: [k2], algorithm: 'RS256' })).option).toBe('algorithm');
    expect(configError(() => createJwtManager({ keys: [k2], jwksUrl: 'https://idp.test/jwks' })).option).toBe(
      'jwksUrl',
    );
  });

  it('a key that does not fit its algorithm, and an empty key list', () => {
    expect(
      configError(() =>
        createJwtManager({ keys: [{ kid: 'x', algorithm: 'ES256', privateKey: rsa.privatePem }] }),
      ).option,
    ).toBe('keys[0].privateKey');
    expect(configError(() => createJwtManager({ keys: [] })).option).toBe('keys');
  });
});
