/**
 * The tRPC app the in-process, HTTP and Redis sections share: the same query answered by a bare
 * public procedure, by our protectedProcedure, and by hand-written jose and fast-jwt middlewares.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { createVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import {
  type CreateJwtContextOptions,
  createJwtManager,
  type JwtContextPart,
  type JwtManagerOptions,
} from 'trpc-jwt-extended';

/** Every procedure answers the same. */
const OK = { ok: true } as const;

function bearer(ctx: JwtContextPart): string {
  const header = ctx.jwt.header('authorization');
  if (!header?.startsWith('Bearer ')) throw new TRPCError({ code: 'UNAUTHORIZED' });
  return header.slice(7);
}

export function createBenchApp(secret: string, extra: Partial<JwtManagerOptions> = {}) {
  const jwt = createJwtManager({ secretKey: secret, ...extra } as JwtManagerOptions);
  const t = initTRPC.context<JwtContextPart>().create();
  const { protectedProcedure } = jwt.procedures(t.procedure);

  const joseKey = new TextEncoder().encode(secret);
  const joseProcedure = t.procedure.use(async ({ ctx, next }) => {
    try {
      const { payload } = await jwtVerify(bearer(ctx), joseKey, { algorithms: ['HS256'] });
      return next({ ctx: { user: payload } });
    } catch {
      throw new TRPCError({ code: 'UNAUTHORIZED' });
    }
  });

  const fastVerify = createVerifier({ key: secret, algorithms: ['HS256'], cache: true });
  const fastJwtProcedure = t.procedure.use(({ ctx, next }) => {
    let payload: unknown;
    try {
      payload = fastVerify(bearer(ctx));
    } catch {
      throw new TRPCError({ code: 'UNAUTHORIZED' });
    }
    return next({ ctx: { user: payload } });
  });

  // tRPC's own cost of one middleware, for reading the protected figures.
  const noopProcedure = t.procedure.use(({ next }) => next());

  const router = t.router({
    bare: t.procedure.query(() => OK),
    noop: noopProcedure.query(() => OK),
    protected: protectedProcedure.query(() => OK),
    jose: joseProcedure.query(() => OK),
    fastjwt: fastJwtProcedure.query(() => OK),
  });
  const createContext = (opts: CreateJwtContextOptions) => jwt.createJwtContext(opts);
  return { jwt, router, createContext };
}
