/**
 * Type tests for the procedures (checked by `tsc --noEmit`): ctx.token typed by the `claims`
 * schema, ctx.user typed by userLookupLoader, no `user` without a loader, and a compile error for a
 * base procedure whose context lacks createJwtContext's part.
 */
import { initTRPC } from '@trpc/server';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';
import {
  createJwtManager,
  type JwtContextPart,
  type JwtPayload,
  type TokenLocation,
  type VerifiedToken,
} from '../../src/index.js';

const secretKey = 'type-tests-secret-0123456789abcdef-0123';
const claims = z.object({ role: z.enum(['admin', 'member']), orgId: z.string() });
type Claims = z.infer<typeof claims>;
interface User {
  id: string;
  name: string;
}

type AppContext = JwtContextPart & { db: { ready: true } };

// --- with claims and a user loader -----------------------------------------------------------
const jwt = createJwtManager({
  secretKey,
  claims,
  userLookupLoader: async ({ payload }): Promise<User | null> => ({ id: payload.sub ?? '', name: 'n' }),
});
const t = initTRPC.context<AppContext>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
  t.procedure,
);

protectedProcedure.query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<Claims>>();
  expectTypeOf(ctx.token.payload.role).toEqualTypeOf<'admin' | 'member'>();
  expectTypeOf(ctx.token.payload.orgId).toEqualTypeOf<string>();
  expectTypeOf(ctx.token.payload.sub).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.token.identity).toEqualTypeOf<string>();
  expectTypeOf(ctx.token.fresh).toEqualTypeOf<boolean>(); // the raw claim stays on payload.fresh
  expectTypeOf(ctx.token.jti).toEqualTypeOf<string | null>();
  expectTypeOf(ctx.token.location).toEqualTypeOf<TokenLocation>();
  expectTypeOf(ctx.user).toEqualTypeOf<User>();
  expectTypeOf(ctx.db).toEqualTypeOf<{ ready: true }>();
  expectTypeOf(ctx.jwt.header).toBeFunction();
});

optionalProcedure.query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<Claims> | null>();
  expectTypeOf(ctx.user).toEqualTypeOf<User | null>();
  // @ts-expect-error the token may be null on an optional procedure
  ctx.token.identity;
});

freshProcedure.mutation(({ ctx }) => {
  expectTypeOf(ctx.user).toEqualTypeOf<User>();
  expectTypeOf(ctx.token.payload.role).toEqualTypeOf<'admin' | 'member'>();
});

refreshProcedure.mutation(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<Claims>>();
  expectTypeOf(ctx.user).toEqualTypeOf<User>();
});

// input and output typing of the app's procedures survive
protectedProcedure.input(z.object({ n: z.number() })).query(({ input, ctx }) => {
  expectTypeOf(input).toEqualTypeOf<{ n: number }>();
  expectTypeOf(ctx.user.name).toEqualTypeOf<string>();
});

// jwt.required() via concat
t.procedure.concat(jwt.required({ locations: ['headers'], verifyType: false })).query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<Claims>>();
  expectTypeOf(ctx.user).toEqualTypeOf<User>();
  expectTypeOf(ctx.db).toEqualTypeOf<{ ready: true }>();
});
t.procedure.concat(jwt.required({ optional: true })).query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<Claims> | null>();
  expectTypeOf(ctx.user).toEqualTypeOf<User | null>();
});

// verifyJwtInRequest and decodeToken are typed by the claims too
t.procedure.query(async ({ ctx }) => {
  const token = await jwt.verifyJwtInRequest(ctx, { optional: true });
  expectTypeOf(token).toEqualTypeOf<VerifiedToken<Claims> | null>();
  expectTypeOf(await jwt.decodeToken('x')).toEqualTypeOf<JwtPayload & Claims>();
});

// --- without claims and without a user loader ----------------------------------------------
const plain = createJwtManager({ secretKey });
const p = initTRPC.context<JwtContextPart>().create();
const plainProcedures = plain.procedures(p.procedure);

plainProcedures.protectedProcedure.query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken>();
  expectTypeOf(ctx.token.payload).toEqualTypeOf<JwtPayload>();
  expectTypeOf(ctx.token.payload.custom).toEqualTypeOf<unknown>();
  expectTypeOf(ctx).not.toHaveProperty('user');
  // @ts-expect-error no userLookupLoader: ctx has no user
  ctx.user;
});
plainProcedures.optionalProcedure.query(({ ctx }) => {
  expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken | null>();
  expectTypeOf(ctx).not.toHaveProperty('user');
});

// --- a base procedure whose context lacks `jwt` -------------------------------------------
const bare = initTRPC.context<{ db: { ready: true } }>().create();
// @ts-expect-error the context has no `jwt`: spread jwt.createJwtContext(opts) into createContext
jwt.procedures(bare.procedure);
const noContext = initTRPC.create();
// @ts-expect-error the default (empty) context has no `jwt` either
plain.procedures(noContext.procedure);
// a context of the wrong shape under `jwt` is refused too
const wrongJwt = initTRPC.context<{ jwt: string }>().create();
// @ts-expect-error `jwt` must be createJwtContext's JwtRequest
plain.procedures(wrongJwt.procedure);

// --- requireClaims narrows ctx.token.payload; requireScopes keeps the manager's types -------------
{
  const plain = createJwtManager({ secretKey });
  const tp = initTRPC.context<JwtContextPart>().create();
  tp.procedure
    .concat(plain.requireClaims(z.object({ tenant: z.literal('acme'), seats: z.number() })))
    .query(({ ctx }) => {
      expectTypeOf(ctx.token.payload.tenant).toEqualTypeOf<'acme'>();
      expectTypeOf(ctx.token.payload.seats).toEqualTypeOf<number>();
      expectTypeOf(ctx.token.identity).toEqualTypeOf<string>();
    });
  tp.procedure.concat(plain.requireScopes('notes:write')).query(({ ctx }) => {
    expectTypeOf(ctx.token).toEqualTypeOf<VerifiedToken<{}>>();
  });
  tp.procedure.concat(jwt.requireRoles('admin')).query(({ ctx }) => {
    expectTypeOf(ctx.token.payload.role).toEqualTypeOf<'admin' | 'member'>();
    expectTypeOf(ctx.user).toEqualTypeOf<User>();
  });
}
