import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createJwtManager, type JwtManager, type JwtPayload } from '../../src/index.js';

const secretKey = 'k'.repeat(32);

const claims = z.object({
  role: z.enum(['admin', 'user']),
  org: z.object({ id: z.string() }).optional(),
  level: z.string().transform((s) => Number(s)),
});

describe('claims typing', () => {
  it('decodeToken returns JwtPayload & z.infer<schema> (the output type)', async () => {
    const jwt = createJwtManager({ secretKey, claims });
    expectTypeOf(jwt).toEqualTypeOf<JwtManager<z.infer<typeof claims>, never>>();
    const payload = await jwt.decodeToken('t');
    expectTypeOf(payload).toEqualTypeOf<JwtPayload & z.infer<typeof claims>>();
    expectTypeOf(payload.role).toEqualTypeOf<'admin' | 'user'>();
    expectTypeOf(payload.level).toEqualTypeOf<number>();
    expectTypeOf(payload.org).toEqualTypeOf<{ id: string } | undefined>();
    // Registered claims keep their types.
    expectTypeOf(payload.sub).toEqualTypeOf<string | undefined>();
    expectTypeOf(payload.exp).toEqualTypeOf<number | undefined>();
    expectTypeOf(payload.fresh).toEqualTypeOf<boolean | number | undefined>();
    // @ts-expect-error role is 'admin' | 'user', not any string
    const wrong: 'root' = payload.role;
    void wrong;
  });

  it('without claims, the payload is JwtPayload', async () => {
    const jwt = createJwtManager({ secretKey });
    const payload = await jwt.decodeToken('t');
    expectTypeOf(payload).toEqualTypeOf<JwtPayload>();
    expectTypeOf(payload.role).toEqualTypeOf<unknown>();
    expectTypeOf(payload.jti).toEqualTypeOf<string | undefined>();
  });

  it('the other token helpers keep their types', async () => {
    const jwt = createJwtManager({ secretKey, claims });
    expectTypeOf(jwt.createAccessToken).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(jwt.getJti).returns.resolves.toEqualTypeOf<string | undefined>();
    expectTypeOf(jwt.getCsrfToken).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(jwt.getUnverifiedJwtHeaders('t').alg).toEqualTypeOf<string>();
  });

  it('refuses a claims option that is not a Standard Schema', () => {
    // @ts-expect-error a plain function is not a schema
    createJwtManager({ secretKey, claims: (x: unknown) => x });
    // @ts-expect-error unknown option names do not compile
    createJwtManager({ secretKey, tokenLocations: ['headers'] });
  });
});
