/**
 * The WebCrypto fallback (runtimes without node:crypto): `backend.useNode = false` makes managers
 * created afterwards prepare no node KeyObjects, so signing and verifying go through crypto.subtle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvedConfigOf } from '../../../src/config/view.js';
import { backend } from '../../../src/internal/node-crypto.js';
import {
  type Algorithm,
  createJwtManager,
  JwtConfigError,
  JWTDecodeError,
  type JwtManager,
  type KeyInput,
} from '../../../src/index.js';
import {
  b64url,
  cryptoKeysFor,
  keysFor,
  parts,
  SECRET_HS256,
  secretFor,
  testKeys,
} from '../../helpers/keys.js';

type Asymmetric = Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>;
const ONE_PER_FAMILY: Asymmetric[] = ['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA'];

const original = backend.useNode;
let nodeManagers: Map<string, JwtManager>;

beforeAll(() => {
  expect(original).toBe(true);
  // Node-backed managers, created before the switch, to check interoperability both ways.
  nodeManagers = new Map<string, JwtManager>([['HS256', createJwtManager({ secretKey: SECRET_HS256 })]]);
  for (const alg of ONE_PER_FAMILY) {
    nodeManagers.set(alg, createJwtManager({ algorithm: alg, privateKey: keysFor(alg).privateKey }));
  }
  backend.useNode = false;
});

afterAll(() => {
  backend.useNode = original;
});

function tamper(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  return `${h}.${b64url(JSON.stringify({ ...payload, sub: 'mallory' }))}.${s}`;
}

async function expectSignatureFailure(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JWTDecodeError);
  expect((error as JWTDecodeError).message).toBe('Signature verification failed');
}

async function roundTrip(jwt: JwtManager, alg: Algorithm): Promise<void> {
  expect(resolvedConfigOf(jwt.config).signingKey?.node).toBeUndefined();
  expect(resolvedConfigOf(jwt.config).verifyKey?.node).toBeUndefined();
  const t = await jwt.createAccessToken('alice', { fresh: true });
  expect(parts(t).header).toEqual({ alg, typ: 'JWT' });
  expect(await jwt.decodeToken(t)).toMatchObject({ sub: 'alice', fresh: true });
  await expectSignatureFailure(jwt.decodeToken(tamper(t)));
  // Interoperable with the node:crypto path, both ways.
  const node = nodeManagers.get(alg)!;
  expect((await node.decodeToken(t)).sub).toBe('alice');
  expect((await jwt.decodeToken(await node.createAccessToken('bob'))).sub).toBe('bob');
}

describe('WebCrypto fallback', () => {
  it('HS256 / HS384 / HS512 with string and bytes secrets', async () => {
    await roundTrip(createJwtManager({ secretKey: SECRET_HS256 }), 'HS256');
    for (const alg of ['HS384', 'HS512'] as const) {
      const jwt = createJwtManager({ algorithm: alg, secretKey: new TextEncoder().encode(secretFor(alg)) });
      expect(resolvedConfigOf(jwt.config).signingKey?.node).toBeUndefined();
      expect((await jwt.decodeToken(await jwt.createAccessToken('alice'))).sub).toBe('alice');
    }
    const other = createJwtManager({ secretKey: 'another-secret-another-secret-xx' });
    await expectSignatureFailure(
      other.decodeToken(await createJwtManager({ secretKey: SECRET_HS256 }).createAccessToken('a')),
    );
  });

  for (const alg of ONE_PER_FAMILY) {
    it(`${alg} with PEM, JWK and CryptoKey keys`, async () => {
      const k = keysFor(alg);
      const crypto = await cryptoKeysFor(alg);
      const forms: [KeyInput, KeyInput][] = [
        [k.privatePem, k.publicPem],
        [k.privateJwk, k.publicJwk],
        [crypto.privateKey, crypto.publicKey],
      ];
      for (const [privateKey, publicKey] of forms) {
        await roundTrip(createJwtManager({ algorithm: alg, privateKey, publicKey }), alg);
      }
    });

    it(`${alg} with only a private key (the public half is derived)`, async () => {
      const k = keysFor(alg);
      for (const privateKey of [k.privatePem, k.privateJwk, (await cryptoKeysFor(alg)).privateKey]) {
        await roundTrip(createJwtManager({ algorithm: alg, privateKey }), alg);
      }
    });
  }

  it('refuses a non-extractable private CryptoKey alone (it cannot verify), accepts it with publicKey', async () => {
    const { privateKey, publicKey } = await cryptoKeysFor('ES256', false);
    expect(privateKey.extractable).toBe(false);
    let error: unknown;
    try {
      createJwtManager({ algorithm: 'ES256', privateKey });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JwtConfigError);
    expect((error as JwtConfigError).message).toBe(
      'trpc-jwt-extended: option `privateKey` is a non-extractable private CryptoKey: its public half cannot be derived to verify tokens (give publicKey too)',
    );
    await roundTrip(createJwtManager({ algorithm: 'ES256', privateKey, publicKey }), 'ES256');
  });

  it('a key that does not fit the algorithm is an invalid token, not a server error', async () => {
    const signer = nodeManagers.get('ES256')!;
    const t = await signer.createAccessToken('alice');
    const wrongCurve = createJwtManager({ algorithm: 'ES256', publicKey: testKeys('p384').publicPem });
    await expectSignatureFailure(wrongCurve.decodeToken(t));
    const rsaForEc = createJwtManager({ algorithm: 'ES256', publicKey: testKeys('rsa').publicJwk });
    await expectSignatureFailure(rsaForEc.decodeToken(t));
    const loader = createJwtManager({
      algorithm: 'ES256',
      publicKey: keysFor('ES256').publicPem,
      decodeKeyLoader: () => testKeys('ed25519').publicPem,
    });
    await expectSignatureFailure(loader.decodeToken(t));
  });
});
