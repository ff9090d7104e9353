import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolvedConfigOf } from '../../../src/config/view.js';
import {
  type Algorithm,
  createJwtManager,
  JWTDecodeError,
  type JwtError,
  type JwtHeader,
  type JwtPayload,
  type KeyInput,
} from '../../../src/index.js';
import {
  b64url,
  craftToken,
  cryptoKeysFor,
  keysFor,
  parts,
  SECRET_HS256,
  secretFor,
  testKeys,
} from '../../helpers/keys.js';

type Asymmetric = Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>;
const HMAC = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC: Asymmetric[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const FORMS = ['PEM', 'JWK', 'KeyObject', 'CryptoKey'] as const;
/** Raw signature sizes: HMAC output, RSA modulus, IEEE P1363 r||s, Ed25519. */
const SIG_BYTES: Record<Algorithm, number> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
  RS256: 256,
  RS384: 256,
  RS512: 256,
  PS256: 256,
  PS384: 256,
  PS512: 256,
  ES256: 64,
  ES384: 96,
  ES512: 132,
  EdDSA: 64,
};

async function keyPair(alg: Asymmetric, form: (typeof FORMS)[number]): Promise<[KeyInput, KeyInput]> {
  const k = keysFor(alg);
  switch (form) {
    case 'PEM':
      return [k.privatePem, k.publicPem];
    case 'JWK':
      return [k.privateJwk, k.publicJwk];
    case 'KeyObject':
      return [k.privateKey, k.publicKey];
    case 'CryptoKey': {
      const { privateKey, publicKey } = await cryptoKeysFor(alg);
      return [privateKey, publicKey];
    }
  }
}

async function failure(promise: Promise<unknown>): Promise<JwtError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: JwtError) => error,
  );
}

async function expectSignatureFailure(promise: Promise<unknown>): Promise<void> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(JWTDecodeError);
  expect(error.code).toBe('INVALID_TOKEN');
  expect(error.httpStatus).toBe(422);
  expect(error.message).toBe('Signature verification failed');
}

function tamper(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  return `${h}.${b64url(JSON.stringify({ ...payload, sub: 'mallory' }))}.${s}`;
}

describe('HS256 / HS384 / HS512', () => {
  for (const alg of HMAC) {
    it(`${alg}: signs and verifies with a string or bytes secret; refuses tampering`, async () => {
      for (const secretKey of [secretFor(alg), new TextEncoder().encode(secretFor(alg))]) {
        const jwt = createJwtManager({ algorithm: alg, secretKey });
        const t = await jwt.createAccessToken('alice');
        expect(parts(t).header).toEqual({ alg, typ: 'JWT' });
        expect(Buffer.from(t.split('.')[2]!, 'base64url')).toHaveLength(SIG_BYTES[alg]);
        expect((await jwt.decodeToken(t)).sub).toBe('alice');
        await expectSignatureFailure(jwt.decodeToken(tamper(t)));
      }
    });
  }
});

describe('RS / PS / ES / EdDSA with PEM, JWK, KeyObject and CryptoKey keys', () => {
  for (const alg of ASYMMETRIC) {
    for (const form of FORMS) {
      it(`${alg} with ${form} keys`, async () => {
        const [privateKey, publicKey] = await keyPair(alg, form);
        const jwt = createJwtManager({ algorithm: alg, privateKey, publicKey });
        const t = await jwt.createAccessToken('alice', { fresh: true });
        expect(parts(t).headerJson).toBe(`{"alg":"${alg}","typ":"JWT"}`);
        expect(Buffer.from(t.split('.')[2]!, 'base64url')).toHaveLength(SIG_BYTES[alg]);
        expect(await jwt.decodeToken(t)).toMatchObject({ sub: 'alice', fresh: true, type: 'access' });
        await expectSignatureFailure(jwt.decodeToken(tamper(t)));
      });
    }

    it(`${alg}: a private key alone signs and verifies; a token from another key pair is refused`, async () => {
      const own = keysFor(alg);
      const jwt = createJwtManager({ algorithm: alg, privateKey: own.privatePem });
      const t = await jwt.createAccessToken('alice');
      expect((await jwt.decodeToken(t)).sub).toBe('alice');
      // Verify-only manager with the public key.
      const verifier = createJwtManager({ algorithm: alg, publicKey: own.publicJwk });
      expect((await verifier.decodeToken(t)).sub).toBe('alice');
      // Same algorithm, another key pair (freshly generated for RSA/EC/Ed25519 via a different kind).
      const other = craftToken({ alg, typ: 'JWT' }, { sub: 'alice' }, foreignKeyFor(alg), alg);
      await expectSignatureFailure(jwt.decodeToken(other));
    });
  }

  it('refuses a token signed with another algorithm of the same key (RS256 vs PS256)', async () => {
    const rsa = testKeys('rsa');
    const rs = createJwtManager({ algorithm: 'RS256', privateKey: rsa.privateKey });
    const ps = createJwtManager({ algorithm: 'PS256', privateKey: rsa.privateKey });
    const psToken = await ps.createAccessToken('alice');
    const error = await failure(rs.decodeToken(psToken));
    expect(error.message).toBe('The specified alg value is not allowed');
    // A PS256 signature relabelled as RS256 fails the signature check.
    const [, p, s] = psToken.split('.');
    const relabelled = `${b64url('{"alg":"RS256","typ":"JWT"}')}.${p}.${s}`;
    await expectSignatureFailure(rs.decodeToken(relabelled));
  });

  it('refuses ECDSA signatures that are not raw r||s of the right size (e.g. DER)', async () => {
    const p256 = testKeys('p256');
    const jwt = createJwtManager({ algorithm: 'ES256', privateKey: p256.privateKey });
    const t = await jwt.createAccessToken('alice');
    const input = t.slice(0, t.lastIndexOf('.'));
    const der = sign('sha256', Buffer.from(input), p256.privateKey); // DER-encoded
    await expectSignatureFailure(jwt.decodeToken(`${input}.${b64url(der)}`));
    const truncated = Buffer.from(t.split('.')[2]!, 'base64url').subarray(0, 63);
    await expectSignatureFailure(jwt.decodeToken(`${input}.${b64url(truncated)}`));
  });
});

/** A private key of the same type as `alg` needs, but not the test key pair's. */
const foreignKeys = new Map<string, KeyObject>();
function foreignKeyFor(alg: Asymmetric): KeyObject {
  const kind = alg.startsWith('RS') || alg.startsWith('PS') ? 'rsa' : alg === 'EdDSA' ? 'ed' : alg;
  let key = foreignKeys.get(kind);
  if (!key) {
    if (kind === 'rsa') key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    else if (kind === 'ed') key = generateKeyPairSync('ed25519').privateKey;
    else {
      const namedCurve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[kind as 'ES256'];
      key = generateKeyPairSync('ec', { namedCurve }).privateKey;
    }
    foreignKeys.set(kind, key);
  }
  return key;
}

describe('decodeKeyLoader', () => {
  it('is awaited with the unverified header and payload, and its key verifies the token', async () => {
    const rsa = testKeys('rsa');
    const seen: { header: JwtHeader; payload: JwtPayload }[] = [];
    const jwt = createJwtManager({
      algorithm: 'RS256',
      privateKey: rsa.privateKey,
      additionalHeadersLoader: () => ({ kid: 'k1' }),
      decodeKeyLoader: async (args) => {
        seen.push(args);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return args.header.kid === 'k1' ? rsa.publicPem : testKeys('rsa1024').publicPem;
      },
    });
    const t = await jwt.createAccessToken('alice');
    expect((await jwt.decodeToken(t)).sub).toBe('alice');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
    expect(seen[0]!.payload.sub).toBe('alice');
    // Another kid: the loader returns a key that does not fit (1024-bit RSA) → 422, never a 500.
    const other = await jwt.createAccessToken('alice', { additionalHeaders: { kid: 'k2' } });
    await expectSignatureFailure(jwt.decodeToken(other));
  });

  it('a key of the wrong type is an invalid token (422 Signature verification failed), never a 500', async () => {
    const rsa = testKeys('rsa');
    const p256 = testKeys('p256');
    const cases: [Algorithm, KeyInput, unknown][] = [
      ['HS256', SECRET_HS256, rsa.publicKey],
      ['HS256', SECRET_HS256, rsa.publicPem],
      ['HS256', SECRET_HS256, 'too-short'],
      ['HS256', SECRET_HS256, 42],
      ['HS256', SECRET_HS256, undefined],
      ['RS256', rsa.privateKey, SECRET_HS256],
      ['RS256', rsa.privateKey, p256.publicKey],
      ['RS256', rsa.privateKey, 'not a pem'],
      ['RS256', rsa.privateKey, { kty: 'RSA', n: 'AA', e: 'AQAB' }],
      ['ES256', p256.privateKey, testKeys('p384').publicKey],
      ['ES256', p256.privateKey, testKeys('ed25519').publicJwk],
      ['EdDSA', testKeys('ed25519').privateKey, rsa.publicPem],
    ];
    for (const [algorithm, signing, wrong] of cases) {
      const signer =
        algorithm === 'HS256'
          ? createJwtManager({ secretKey: signing as string })
          : createJwtManager({ algorithm, privateKey: signing });
      const t = await signer.createAccessToken('alice');
      const jwt = createJwtManager({
        algorithm,
        ...(algorithm === 'HS256'
          ? { secretKey: SECRET_HS256 }
          : { publicKey: resolvedConfigOf(signer.config).verifyKey!.node! }),
        decodeKeyLoader: () => wrong as KeyInput,
      });
      await expectSignatureFailure(jwt.decodeToken(t));
    }
  });

  it('refuses algorithm confusion: an HS256 token MACed with the RSA public key', async () => {
    const rsa = testKeys('rsa');
    // A naive loader that always returns the public key, with both families allowed.
    const jwt = createJwtManager({
      algorithm: 'RS256',
      privateKey: rsa.privateKey,
      decodeAlgorithms: ['RS256', 'HS256'],
      decodeKeyLoader: () => rsa.publicPem,
    });
    expect((await jwt.decodeToken(await jwt.createAccessToken('alice'))).sub).toBe('alice');
    for (const secret of [rsa.publicPem, Buffer.from(rsa.publicPem)]) {
      const forged = craftToken({ alg: 'HS256', typ: 'JWT' }, { sub: 'admin' }, secret, 'HS256');
      await expectSignatureFailure(jwt.decodeToken(forged));
    }
    // Without a loader, the two families cannot even be configured together (tested in config.test.ts).
  });

  it('a secret reused across HS algorithms is checked against each one', async () => {
    // The same 32-byte secret object is fine for HS256 but too short for HS512.
    const secret = new TextEncoder().encode(SECRET_HS256);
    const jwt = createJwtManager({
      encodeKeyLoader: () => secret,
      decodeKeyLoader: () => secret,
      decodeAlgorithms: ['HS256', 'HS512'],
    });
    expect((await jwt.decodeToken(await jwt.createAccessToken('alice'))).sub).toBe('alice');
    const hs512 = craftToken({ alg: 'HS512', typ: 'JWT' }, { sub: 'alice' }, secret, 'HS512');
    await expectSignatureFailure(jwt.decodeToken(hs512));
  });
});
