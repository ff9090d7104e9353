/** The one fail-closed helper (loaders, key loaders, stores, claims checks) and the error-to-loader table. */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { JWT_ERROR_CODES, JWTDecodeError, LoaderTimeoutError } from '../../../src/errors.js';
import { failClosed } from '../../../src/internal/fail-closed.js';
import { ERROR_LOADERS } from '../../../src/client-error.js';

describe('failClosed', () => {
  it('returns what the call returns, sync or async', async () => {
    await expect(failClosed(() => 1, 'm')).resolves.toBe(1);
    await expect(failClosed(async () => 2, 'm', { ms: 1000, what: 'x' })).resolves.toBe(2);
  });

  it('lets a JwtError or a TRPCError through unchanged', async () => {
    const jwtError = new JWTDecodeError('bad');
    const trpcError = new TRPCError({ code: 'FORBIDDEN', message: 'no' });
    await expect(failClosed(() => Promise.reject(jwtError), 'm')).rejects.toBe(jwtError);
    await expect(
      failClosed(() => {
        throw trpcError;
      }, 'm'),
    ).rejects.toBe(trpcError);
  });

  it('turns anything else into the 500 with the given message and the original as cause', async () => {
    const original = new Error('redis down at 10.0.0.1');
    const error = await failClosed(
      () => Promise.reject(original),
      'Token rotation failed: the store threw',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Token rotation failed: the store threw',
    });
    expect((error as TRPCError).cause).toBe(original);
  });

  it('bounds the call with the timeout: a call that never settles fails closed with LoaderTimeoutError as cause', async () => {
    const error = await failClosed(() => new Promise<never>(() => {}), 'm', { ms: 10, what: 'loader' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'm' });
    expect((error as TRPCError).cause).toBeInstanceOf(LoaderTimeoutError);
  });
});

describe('ERROR_LOADERS', () => {
  it('has exactly one row per error code (the compiler checks the same through `satisfies`)', () => {
    expect(Object.keys(ERROR_LOADERS).sort()).toEqual([...JWT_ERROR_CODES].sort());
    expect(ERROR_LOADERS.INSUFFICIENT_SCOPE).toBeNull();
  });
});
