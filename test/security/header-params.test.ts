/**
 * Header parameters an attacker controls: `jwk`, `jku`, `x5u`, `x5c`, `kid` never fetch anything and
 * never select an attacker key; `crit` is refused; `b64: false` is not honoured; `cty: JWT` is not
 * unwrapped. A local server on 127.0.0.1 (serving the attacker's JWKS) records any fetch.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtManager, JWTDecodeError } from '../../src/index.js';
import {
  auditHygiene,
  b64url,
  bearer,
  buildApp,
  call,
  claimsFor,
  expectHttpError,
  expectJwtError,
  expectOk,
  forge,
  keyPair,
  newSecret,
  registerToken,
  signRaw,
} from './helpers.js';

const BAD_SIGNATURE = 'Signature verification failed';
const CRIT = 'Unsupported critical header parameter';

const ours = keyPair('rsa', 'server rsa');
const attacker = keyPair('rsa', 'attacker rsa');
const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'server-key-1', use: 'sig' };
const secret = newSecret(32, 'header-params secret');
const attackerSecret = newSecret(32, 'attacker secret');

const hits: string[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [attackerJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const rs256 = () => createJwtManager({ algorithm: 'RS256', publicKey: ours.publicKey });
const hs256 = () => createJwtManager({ secretKey: secret });

/** Every key-locating header parameter, pointing at the attacker's key or the local server. */
function attackerHeader(alg: string): Record<string, unknown> {
  return {
    alg,
    typ: 'JWT',
    kid: 'server-key-1',
    jwk: alg.startsWith('HS') ? { kty: 'oct', k: b64url(attackerSecret) } : attackerJwk,
    jku: `${base}/jku/jwks.json`,
    x5u: `${base}/x5u/cert.pem`,
    x5c: [(attacker.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64')],
    x5t: 'AAAA',
  };
}

describe('key-locating header parameters', () => {
  it('control: the local server records a fetch (so "zero hits" below means something)', async () => {
    const before = hits.length;
    const res = await fetch(`${base}/control`);
    expect((await res.json()).keys[0].kid).toBe('server-key-1');
    expect(hits.length).toBe(before + 1);
    hits.length = 0;
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c', 'kid'])(
    'RS256: a token carrying an attacker "%s" and signed by the attacker key is refused, nothing fetched',
    async (param) => {
      const full = attackerHeader('RS256');
      const header = { alg: 'RS256', typ: 'JWT', [param]: full[param] };
      const token = forge({ header, payload: claimsFor('admin'), key: attacker.privateKey });
      await expectJwtError(rs256().decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
      expect(hits).toEqual([]);
    },
  );

  it('RS256: all of jwk, jku, x5u, x5c, x5t and kid at once (attacker-signed) are refused, nothing fetched', async () => {
    const token = forge({
      header: attackerHeader('RS256'),
      payload: claimsFor('admin'),
      key: attacker.privateKey,
    });
    await expectJwtError(rs256().decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    expect(hits).toEqual([]);
  });

  it('HS256: an embedded oct jwk with the attacker secret is never used as the key', async () => {
    const token = forge({
      header: attackerHeader('HS256'),
      payload: claimsFor('admin'),
      key: attackerSecret,
    });
    await expectJwtError(hs256().decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    expect(hits).toEqual([]);
  });

  it('the parameters are inert on a genuine token: it verifies with the configured key, nothing fetched', async () => {
    const header = { ...attackerHeader('RS256') };
    const token = forge({ header, payload: claimsFor('alice'), key: ours.privateKey });
    expect((await rs256().decodeToken(token)).sub).toBe('alice');
    expect(hits).toEqual([]);
  });

  it('through a procedure: 422 INVALID_TOKEN, the body never runs, nothing fetched', async () => {
    const app = buildApp({ algorithm: 'RS256', publicKey: ours.publicKey });
    const token = forge({
      header: attackerHeader('RS256'),
      payload: claimsFor('admin'),
      key: attacker.privateKey,
    });
    const res = await call(app, 'me', { headers: bearer(token) });
    expectHttpError(res, 422, 'INVALID_TOKEN', BAD_SIGNATURE);
    expect(app.calls.me).toBeUndefined();
    expect(hits).toEqual([]);
  });
});

describe('kid injection with a kid-based decodeKeyLoader', () => {
  const keys = new Map([['server-key-1', ours.publicKey]]);
  const seen: unknown[] = [];
  const manager = createJwtManager({
    algorithm: 'RS256',
    encodeKeyLoader: () => ours.privateKey,
    // a typical loader: looks the kid up in the server's own keys; unknown kid → undefined
    decodeKeyLoader: ({ header }) => {
      seen.push(header.kid);
      return keys.get(header.kid as string) as never;
    },
  });

  it.each([
    ['the server kid', 'server-key-1'],
    ['a path traversal', '../../../../../../dev/null'],
    ['SQL', "' UNION SELECT 'secret' --"],
    ['a URL', 'http://127.0.0.1:1/jwks.json'],
    ['a NUL byte', 'server-key-1\u0000'],
    ['__proto__', '__proto__'],
  ])(
    'kid = %s on an attacker-signed token: refused with the signature error, not a server error',
    async (_what, kid) => {
      const token = forge({
        header: { alg: 'RS256', kid, jwk: attackerJwk },
        payload: claimsFor('admin'),
        key: attacker.privateKey,
      });
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
      expect(seen.at(-1)).toBe(kid);
      expect(hits).toEqual([]);
    },
  );

  it('kid given as an object or array reaches the loader as data and is refused', async () => {
    for (const kid of [{ toString: 'x' }, ['server-key-1']]) {
      const token = forge({
        header: { alg: 'RS256', kid },
        payload: claimsFor('admin'),
        key: attacker.privateKey,
      });
      await expectJwtError(manager.decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
    }
  });

  it('control: the server kid on a genuine token verifies', async () => {
    const token = forge({
      header: { alg: 'RS256', kid: 'server-key-1' },
      payload: claimsFor('alice'),
      key: ours.privateKey,
    });
    expect((await manager.decodeToken(token)).sub).toBe('alice');
  });
});

describe('crit, b64 and cty', () => {
  it.each([
    ['an unknown extension', { crit: ['x-unknown'], 'x-unknown': 1 }],
    ['b64 (RFC 7797)', { crit: ['b64'], b64: false }],
    ['a registered claim name', { crit: ['exp'], exp: 1 }],
    ['an empty list', { crit: [] }],
    ['a string instead of a list', { crit: 'b64' }],
  ])('crit with %s is refused even when validly signed', async (_what, extra) => {
    const token = forge({ header: { alg: 'HS256', ...extra }, payload: claimsFor('alice'), key: secret });
    await expectJwtError(hs256().decodeToken(token), JWTDecodeError, 'INVALID_TOKEN', CRIT);
  });

  it('b64: false with an unencoded payload (signed over the raw payload) is refused by the format gate', async () => {
    const header = b64url(JSON.stringify({ alg: 'HS256', b64: false, crit: ['b64'] }));
    const raw = JSON.stringify(claimsFor('admin'));
    const token = registerToken(`${header}.${raw}.${b64url(signRaw('HS256', secret, `${header}.${raw}`))}`);
    await expectJwtError(
      hs256().decodeToken(token),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Invalid payload padding',
    );
    const detached = registerToken(`${header}..${b64url(signRaw('HS256', secret, `${header}.${raw}`))}`);
    await expectJwtError(
      hs256().decodeToken(detached),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Invalid payload padding',
    );
  });

  it('b64: false without crit has no effect: the payload is still base64url and the signature covers it', async () => {
    const token = forge({ header: { alg: 'HS256', b64: false }, payload: claimsFor('alice'), key: secret });
    expect((await hs256().decodeToken(token)).sub).toBe('alice');
    // the same header over a raw payload is refused
    const header = token.split('.')[0]!;
    const raw = JSON.stringify(claimsFor('admin'));
    const rawToken = registerToken(
      `${header}.${b64url(raw)}.${b64url(signRaw('HS256', secret, `${header}.${raw}`))}`,
    );
    await expectJwtError(hs256().decodeToken(rawToken), JWTDecodeError, 'INVALID_TOKEN', BAD_SIGNATURE);
  });

  it('cty: JWT with a nested JWT as the payload is not unwrapped (the payload must be a JSON object)', async () => {
    const inner = forge({ header: { alg: 'HS256', typ: 'JWT' }, payload: claimsFor('admin'), key: secret });
    const outer = forge({ header: { alg: 'HS256', cty: 'JWT' }, payload: Buffer.from(inner), key: secret });
    await expectJwtError(
      hs256().decodeToken(outer),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Invalid payload string: not valid UTF-8 JSON',
    );
    const asJsonString = forge({
      header: { alg: 'HS256', cty: 'JWT' },
      payload: JSON.stringify(inner),
      key: secret,
    });
    await expectJwtError(
      hs256().decodeToken(asJsonString),
      JWTDecodeError,
      'INVALID_TOKEN',
      'Invalid payload string: must be a json object',
    );
  });

  it('a JWT inside a claim stays a plain string: the identity is the outer token’s', async () => {
    const app = buildApp({ secretKey: secret });
    const inner = forge({ header: { alg: 'HS256', typ: 'JWT' }, payload: claimsFor('admin'), key: secret });
    const outer = forge({
      header: { alg: 'HS256', cty: 'JWT' },
      payload: claimsFor('alice', Math.floor(Date.now() / 1000), { token: inner }),
      key: secret,
    });
    expectOk(await call(app, 'me', { headers: bearer(outer) }), {
      identity: 'alice',
      type: 'access',
      location: 'headers',
      user: null,
    });
    const res = await call(app, 'payload', { headers: bearer(outer) });
    expect(res.body.result.data.payload.token).toBe(inner);
    expect(res.body.result.data.payload.sub).toBe('alice');
  });
});

describe('no network, ever', () => {
  it('after every test above, the local server saw zero requests from the library', () => {
    expect(hits).toEqual([]);
  });
});

auditHygiene();
