/**
 * (a) Micro benchmarks per algorithm: verification and signing, ours against jose, fast-jwt and the
 * bare node:crypto primitive (the floor no JWT library can beat).
 */
import { constants, createHmac, sign as nodeSign, verify as nodeVerify, timingSafeEqual } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { jwtVerify, SignJWT } from 'jose';
import {
  type AlgKeys,
  MICRO_ALGS,
  type MicroAlg,
  makeKeys,
  makeManager,
  makeTokens,
  sameClaims,
} from './fixtures.js';
import { type Budget, type CaseResult, measureGroup, progress } from './harness.js';

export interface MicroResult {
  readonly alg: MicroAlg;
  readonly verify: CaseResult[];
  readonly sign: CaseResult[];
}

const POOL = 1024; // distinct tokens cycled by the cold cases (a power of two)
const MISS_POOL = 24_576; // > 2 × the default cache size (10 000)

const HASH = { HS256: 'sha256', RS256: 'sha256', ES256: 'sha256', EdDSA: null } as const;

/** The bare primitive over a signing input: HMAC + constant-time compare, or crypto.verify. */
function floorVerifier(keys: AlgKeys): (input: Buffer, signature: Buffer) => boolean {
  const key = keys.nodeVerify;
  switch (keys.alg) {
    case 'HS256':
      return (input, signature) => {
        const mac = createHmac('sha256', key).update(input).digest();
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      };
    case 'ES256':
      return (input, signature) => nodeVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    default:
      return (input, signature) => nodeVerify(HASH[keys.alg], input, key, signature);
  }
}

function floorSigner(keys: AlgKeys): (input: Buffer) => Buffer {
  const key = keys.nodeSign;
  switch (keys.alg) {
    case 'HS256':
      return (input) => createHmac('sha256', key).update(input).digest();
    case 'ES256':
      return (input) => nodeSign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return (input) => nodeSign('sha256', input, { key, padding: constants.RSA_PKCS1_PADDING });
    default:
      return (input) => nodeSign(null, input, key);
  }
}

async function microFor(alg: MicroAlg, budget: Budget): Promise<MicroResult> {
  const keys = await makeKeys(alg);
  const warm = makeManager(keys);
  const cold = makeManager(keys, false);
  const pool = await makeTokens(warm, POOL);
  const one = pool[0]!;
  const split = pool.map((t) => {
    const dot = t.lastIndexOf('.');
    return {
      input: Buffer.from(t.slice(0, dot), 'latin1'),
      signature: Buffer.from(t.slice(dot + 1), 'base64url'),
    };
  });
  const floorVerify = floorVerifier(keys);
  const floorSign = floorSigner(keys);
  const fastVerify = createVerifier({ key: keys.verifyKey, algorithms: [alg] });
  const fastVerifyCached = createVerifier({ key: keys.verifyKey, algorithms: [alg], cache: true });
  const fastSign = createSigner({ key: keys.signKey, algorithm: alg, noTimestamp: true });
  const verifyOptions = { algorithms: [alg] };

  // Sanity: every verifier accepts the pool's tokens before anything is timed.
  for (const t of [one, pool[1]!]) {
    await cold.decodeToken(t);
    await jwtVerify(t, keys.joseVerify, verifyOptions);
    fastVerify(t);
  }
  if (!floorVerify(split[0]!.input, split[0]!.signature)) throw new Error(`${alg}: floor verify failed`);

  // HS256 only: distinct tokens through the DEFAULT cache (miss + insert + eviction). More tokens
  // than twice the cache size, cycled, never hit; minting that many RS256 tokens would take minutes.
  let m = 0;
  const missPool = alg === 'HS256' ? await makeTokens(warm, MISS_POOL) : [];
  const missCase =
    alg === 'HS256'
      ? [
          {
            name: 'ours miss (default cache, new token)',
            batch: async (n: number) => {
              for (let i = 0; i < n; i++) await warm.decodeToken(missPool[m++ % MISS_POOL]!);
            },
          },
        ]
      : [];

  let k = 0;
  const verify = await measureGroup(
    `${alg} verify`,
    [
      {
        name: 'ours cold (cache off)',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await cold.decodeToken(pool[k++ & (POOL - 1)]!);
        },
      },
      ...missCase,
      {
        name: 'ours warm (cache hit)',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await warm.decodeToken(one);
        },
      },
      {
        name: 'jose jwtVerify',
        batch: async (n) => {
          for (let i = 0; i < n; i++)
            await jwtVerify(pool[k++ & (POOL - 1)]!, keys.joseVerify, verifyOptions);
        },
      },
      {
        name: 'fast-jwt',
        batch: (n) => {
          for (let i = 0; i < n; i++) fastVerify(pool[k++ & (POOL - 1)]!);
        },
      },
      {
        name: 'fast-jwt (cache hit)',
        batch: (n) => {
          for (let i = 0; i < n; i++) fastVerifyCached(one);
        },
      },
      {
        name: 'node:crypto floor',
        batch: (n) => {
          for (let i = 0; i < n; i++) {
            const s = split[k++ & (POOL - 1)]!;
            if (!floorVerify(s.input, s.signature)) throw new Error('floor verify failed');
          }
        },
      },
    ],
    budget,
  );

  const floorInput = split[0]!.input;
  const sign = await measureGroup(
    `${alg} sign`,
    [
      {
        name: 'ours createAccessToken',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await warm.createAccessToken('user-42');
        },
      },
      {
        name: 'jose SignJWT',
        batch: async (n) => {
          for (let i = 0; i < n; i++) {
            await new SignJWT(sameClaims()).setProtectedHeader({ alg, typ: 'JWT' }).sign(keys.joseSign);
          }
        },
      },
      {
        name: 'fast-jwt createSigner',
        batch: (n) => {
          for (let i = 0; i < n; i++) fastSign(sameClaims());
        },
      },
      {
        name: 'node:crypto floor',
        batch: (n) => {
          for (let i = 0; i < n; i++) floorSign(floorInput);
        },
      },
    ],
    budget,
  );
  return { alg, verify, sign };
}

export async function runMicro(budget: Budget): Promise<MicroResult[]> {
  progress('(a) micro: verify and sign per algorithm');
  const results: MicroResult[] = [];
  // BENCH_ALGS=HS256,ES256 narrows the run (for A/B checks of a change).
  const only = process.env.BENCH_ALGS?.split(',');
  for (const alg of MICRO_ALGS) if (!only || only.includes(alg)) results.push(await microFor(alg, budget));
  return results;
}
