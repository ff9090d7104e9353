import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createJwtManager,
  ExpiredSignatureError,
  JWTDecodeError,
  type JwtError,
} from '../../../src/index.js';
import { craftToken, SECRET_HS256 } from '../../helpers/keys.js';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;

const schema = z.object({
  role: z.enum(['admin', 'user']),
  org: z.object({ id: z.string(), tier: z.number().int().optional() }).optional(),
});

function manager<T>(claims: import('../../../src/internal/standard-schema.js').StandardSchemaV1<unknown, T>) {
  return createJwtManager({ secretKey: SECRET_HS256, claims, clock: () => NOW_MS });
}

function token(payload: Record<string, unknown>): string {
  return craftToken(
    { alg: 'HS256', typ: 'JWT' },
    { sub: 'alice', iat: NOW, exp: NOW + 60, ...payload },
    SECRET_HS256,
  );
}

async function failure(promise: Promise<unknown>): Promise<JwtError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: JwtError) => error,
  );
}

describe('the claims option', () => {
  it('validates verified payloads and returns the schema output over the registered claims', async () => {
    const jwt = manager(schema);
    const decoded = await jwt.decodeToken(token({ role: 'admin', org: { id: 'acme' }, extra: 1 }));
    expect(decoded).toEqual({
      sub: 'alice',
      iat: NOW,
      exp: NOW + 60,
      role: 'admin',
      org: { id: 'acme' },
      extra: 1,
    });
    // Tokens the manager creates pass through the same schema.
    const created = await jwt.createAccessToken('bob', { additionalClaims: { role: 'user' } });
    expect((await jwt.decodeToken(created)).role).toBe('user');
  });

  it('a failing claim is a JWTDecodeError (422) naming the path and what was expected, never the value', async () => {
    const jwt = manager(schema);
    const role = 'role (Invalid option: expected one of "admin"|"user")';
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ role: 'root-secret-value' }, `Invalid claim: ${role}`, 'root-secret-value'],
      [{}, `Invalid claim: ${role}`],
      [{ role: 42 }, `Invalid claim: ${role}`, '42'],
      [
        { role: 'admin', org: { id: 'sensitive-org-id-xyz', tier: 'gold-tier-value' } },
        'Invalid claim: org.tier (Invalid input: expected number, received string)',
        'gold-tier-value',
      ],
      [
        { role: 'admin', org: { id: 99 } },
        'Invalid claim: org.id (Invalid input: expected string, received number)',
      ],
      [
        { role: 'nope', org: 'nope-org' },
        `Invalid claim: ${role}, org (Invalid input: expected object, received string)`,
      ],
    ];
    for (const [payload, message, value] of cases) {
      const error = await failure(jwt.decodeToken(token(payload)));
      expect(error).toBeInstanceOf(JWTDecodeError);
      expect(error.code).toBe('INVALID_TOKEN');
      expect(error.httpStatus).toBe(422);
      expect(error.message).toBe(message);
      if (value) expect(error.message).not.toContain(value);
    }
  });

  it('lays the output of transforms over the payload', async () => {
    const jwt = manager(z.object({ role: z.string().transform((r) => r.toUpperCase()) }));
    expect((await jwt.decodeToken(token({ role: 'admin' }))).role).toBe('ADMIN');
  });

  it('runs after the signature check and before expiry', async () => {
    const jwt = manager(schema);
    const forged = token({ role: 'admin' }).replace(/\.[^.]+$/, '.AAAA');
    expect((await failure(jwt.decodeToken(forged))).message).toBe('Signature verification failed');
    const expiredBad = token({ role: 'x', exp: NOW - 1 });
    expect((await failure(jwt.decodeToken(expiredBad))).message).toBe(
      'Invalid claim: role (Invalid option: expected one of "admin"|"user")',
    );
    const expiredGood = token({ role: 'user', exp: NOW - 1 });
    expect(await failure(jwt.decodeToken(expiredGood))).toBeInstanceOf(ExpiredSignatureError);
  });

  it('a schema that throws is an invalid token, with a fixed message', async () => {
    const jwt = manager(
      z.object({ role: z.string() }).transform(() => {
        throw new Error('secret detail');
      }),
    );
    const error = await failure(jwt.decodeToken(token({ role: 'admin' })));
    expect(error).toBeInstanceOf(JWTDecodeError);
    expect(error.message).toBe('Invalid claims: the claims schema threw');
  });

  it('accepts any Standard Schema, sync or async, and names the root when there is no path', async () => {
    const custom = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async (value: unknown) =>
          (value as { ok?: unknown }).ok === true
            ? { value: { ok: true as const } }
            : { issues: [{ message: 'nope' }] },
      },
    };
    const jwt = manager(custom);
    expect((await jwt.decodeToken(token({ ok: true }))).ok).toBe(true);
    expect((await failure(jwt.decodeToken(token({ ok: 'yes' })))).message).toBe(
      'Invalid claim: (root) (nope)',
    );
  });
});

describe('the claims option at creation', () => {
  it('a token the schema would refuse is never signed: a TypeError names the claim and what was expected', async () => {
    const jwt = manager(schema);
    const mint = (claims: Record<string, unknown>) =>
      jwt.createAccessToken('alice', { additionalClaims: claims });
    await expect(mint({ role: 'root' })).rejects.toThrow(
      new TypeError(
        'trpc-jwt-extended: the token\'s claims do not match the `claims` schema: role (Invalid option: expected one of "admin"|"user")',
      ),
    );
    await expect(jwt.createRefreshToken('alice')).rejects.toThrow('role (Invalid option');
    // What it signs, it accepts.
    expect((await jwt.decodeToken(await mint({ role: 'admin' }))).role).toBe('admin');
  });

  it('also checks what additionalClaimsLoader adds, and never quotes a value a custom message repeats', async () => {
    const custom = z.object({
      role: z
        .string()
        .refine((r) => r === 'admin', { error: (issue) => `role ${String(issue.input)} is not admin` }),
    });
    const jwt = createJwtManager({
      secretKey: SECRET_HS256,
      claims: custom,
      additionalClaimsLoader: () => ({ role: 'secret-role-value' }),
    });
    const error = await jwt.createAccessToken('alice').catch((e: Error) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('role (role … is not admin)');
    expect((error as Error).message).not.toContain('secret-role-value');
  });
});
