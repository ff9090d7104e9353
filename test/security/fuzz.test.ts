/**
 * Property-based fuzzing (fast-check, bounded runs; fast-check prints the seed and the shrunk
 * counterexample on failure, re-run with `{ seed, path }` to reproduce).
 * - byte-level mutations of valid tokens never verify unless the mutation is the identity;
 * - decoding arbitrary strings (and arbitrary values) never throws anything but a JwtError;
 * - arbitrary Authorization headers never produce a server error.
 */
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJwtManager, findJwtError, JwtError } from '../../src/index.js';
import { auditHygiene, b64url, keyPair, newSecret, recordOutput, registerToken } from './helpers.js';

const NUM_RUNS = 300;
const secret = newSecret(32, 'fuzz secret');
const hs = createJwtManager({ secretKey: secret });

/** Managers for every family, each with one genuine token. */
const managers = [
  { name: 'HS256', jwt: hs },
  ...(['RS256', 'ES256', 'EdDSA'] as const).map((alg) => {
    const { privateKey, publicKey } = keyPair(alg === 'RS256' ? 'rsa' : alg === 'ES256' ? 'ec' : 'ed25519');
    return { name: alg, jwt: createJwtManager({ algorithm: alg, privateKey, publicKey }) };
  }),
];

type Mutation =
  | { kind: 'replace'; at: number; byte: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'swap'; at: number; with: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
);

/** Applies mutations to the token's bytes (latin1: one char per byte). */
function mutate(token: string, mutations: readonly Mutation[]): string {
  const bytes = [...Buffer.from(token, 'latin1')];
  for (const m of mutations) {
    const at = m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0) || 1);
    if (m.kind === 'replace') bytes[at] = m.byte;
    else if (m.kind === 'flip') bytes[at] = bytes[at]! ^ (1 << m.bit);
    else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
    else if (m.kind === 'delete') bytes.splice(at, 1);
    else {
      const other = m.with % bytes.length;
      [bytes[at], bytes[other]] = [bytes[other]!, bytes[at]!];
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** Runs `decode` and returns the error (or undefined), recording messages for the audit. */
async function outcome(decode: () => unknown): Promise<unknown> {
  try {
    await decode();
    return undefined;
  } catch (error) {
    if (error instanceof Error) recordOutput('fuzz', error.message);
    return error;
  }
}

describe('mutations of valid tokens', () => {
  for (const { name, jwt } of managers) {
    it(`${name}: a mutated token never verifies unless the mutation is the identity`, async () => {
      const token = registerToken(await jwt.createAccessToken('alice'));
      let identities = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
          const mutated = mutate(token, mutations);
          const error = await outcome(() => jwt.decodeToken(mutated));
          if (mutated === token) {
            identities++;
            return error === undefined;
          }
          return error instanceof JwtError && error.code === 'INVALID_TOKEN';
        }),
        { numRuns: NUM_RUNS },
      );
      expect(identities).toBeLessThan(NUM_RUNS); // the property was not vacuous
    });
  }

  it('HS256: single-character substitutions within the base64url alphabet never verify', async () => {
    const token = registerToken(await hs.createAccessToken('alice'));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...alphabet), async (at, char) => {
        fc.pre(token[at] !== '.' && token[at] !== char);
        const mutated = token.slice(0, at) + char + token.slice(at + 1);
        const error = await outcome(() => hs.decodeToken(mutated));
        return error instanceof JwtError && error.code === 'INVALID_TOKEN';
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('decoding arbitrary input throws nothing but a JwtError', () => {
  const segment = fc.oneof(
    fc.base64String({ maxLength: 60 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/),
    fc.json().map((json) => b64url(json)),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  const inputs: [string, fc.Arbitrary<unknown>][] = [
    ['fc.string()', fc.string({ maxLength: 200 })],
    ['full Unicode strings', fc.string({ unit: 'binary', maxLength: 200 })],
    ['grapheme strings', fc.string({ unit: 'grapheme', maxLength: 100 })],
    [
      'base64-ish segments joined with dots',
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('.')),
    ],
    [
      'JSON header and payload with a random signature',
      fc
        .tuple(fc.json(), fc.json(), fc.base64String({ maxLength: 90 }))
        .map(
          ([h, p, s]) =>
            `${b64url(h)}.${b64url(p)}.${s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}`,
        ),
    ],
    [
      'object headers with a random alg',
      fc
        .tuple(
          fc.oneof(fc.constantFrom(...['none', 'HS256', 'RS256', 'hs256', 'EdDSA', '']), fc.string()),
          fc.dictionary(fc.string(), fc.jsonValue()),
        )
        .map(
          ([alg, payload]) => `${b64url(JSON.stringify({ alg }))}.${b64url(JSON.stringify(payload))}.c2ln`,
        ),
    ],
    ['any value (not a string)', fc.anything()],
  ];

  for (const [what, arbitrary] of inputs) {
    it(`${what}: decodeToken rejects with a JwtError only`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (input) => {
          const error = await outcome(() => hs.decodeToken(input as string));
          return error instanceof JwtError;
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it(`${what}: getUnverifiedJwtHeaders returns an object or throws a JwtError`, () => {
      fc.assert(
        fc.property(arbitrary, (input) => {
          try {
            const header = hs.getUnverifiedJwtHeaders(input as string);
            return typeof header === 'object' && header !== null && !Array.isArray(header);
          } catch (error) {
            if (error instanceof Error) recordOutput('fuzz header', error.message);
            return error instanceof JwtError;
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('every asymmetric manager: arbitrary dotted strings reject with a JwtError only', async () => {
    for (const { jwt } of managers.slice(1)) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.base64String({ maxLength: 400 }), { minLength: 3, maxLength: 3 }),
          async (parts) => {
            const token = parts
              .map((p) => p.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))
              .join('.');
            const error = await outcome(() => jwt.decodeToken(token));
            return error instanceof JwtError;
          },
        ),
        { numRuns: 100 },
      );
    }
  });
});

describe('arbitrary Authorization headers', () => {
  it('never produce a server error: only a TRPCError caused by a JwtError (4xx)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 100 }).map((s) => `Bearer ${s}`),
          fc
            .array(fc.constantFrom('Bearer', 'bearer', 'Basic', ',', ' ', '\t', 'x.y.z', 'a', '.'), {
              maxLength: 12,
            })
            .map((w) => w.join('')),
        ),
        async (authorization) => {
          const ctx = hs.createJwtContext({ headers: { authorization } });
          const error = await outcome(() => hs.verifyJwtInRequest(ctx));
          if (!(error instanceof TRPCError)) return false;
          const cause = findJwtError(error);
          return cause !== undefined && error.code !== 'INTERNAL_SERVER_ERROR';
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

auditHygiene();
