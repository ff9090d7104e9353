import { initTRPC, TRPCError } from '@trpc/server';
import type { Overwrite, ProcedureBuilder, UnsetMarker } from '@trpc/server/unstable-core-do-not-import';
import type { ResolvedConfig } from './config.js';
import { type JwtContextPart, JwtRequest } from './context.js';
import type { TokenVerifier } from './tokens/decode.js';
import type { VerifiedToken } from './types.js';
import { sendChallenge } from './challenge.js';
import { ExpiredSignatureError } from './errors.js';
import { implicitRefresh } from './implicit-refresh.js';
import { untilSessionEnds } from './streams.js';
import { toClientError } from './client-error.js';
import { assertNotRevoked, locationsOf, type VerifyOptions, verifyRequest } from './verify.js';

/** What a JWT procedure adds to `ctx`: `token`, and `user` when a `userLookupLoader` is configured. */
export type AuthContext<TClaims, TUser, TOptional extends boolean> = [TUser] extends [never]
  ? { token: TOptional extends true ? VerifiedToken<TClaims> | null : VerifiedToken<TClaims> }
  : {
      token: TOptional extends true ? VerifiedToken<TClaims> | null : VerifiedToken<TClaims>;
      user: TOptional extends true ? TUser | null : TUser;
    };

/** A standalone procedure builder for `t.procedure.concat(...)`. */
export type JwtProcedureBuilder<TOverrides> = ProcedureBuilder<
  JwtContextPart,
  object,
  TOverrides,
  UnsetMarker,
  UnsetMarker,
  UnsetMarker,
  UnsetMarker,
  false,
  unknown
>;

type AnyBuilder = ProcedureBuilder<any, any, any, any, any, any, any, any, any>;

/** `TBuilder` with `TOverrides` laid over its context. */
export type WithAuth<TBuilder, TOverrides> =
  TBuilder extends ProcedureBuilder<
    infer C,
    infer M,
    infer CO,
    infer II,
    infer IO,
    infer OI,
    infer OO,
    infer TC extends boolean,
    infer ES
  >
    ? ProcedureBuilder<C, M, Overwrite<CO, TOverrides>, II, IO, OI, OO, TC, ES>
    : never;

type BuilderContext<TBuilder> =
  TBuilder extends ProcedureBuilder<infer C, any, infer CO, any, any, any, any, any, any>
    ? Overwrite<C, CO>
    : never;

/** A compile error for a base procedure whose context lacks `createJwtContext`'s part. */
export interface MissingJwtContext {
  'trpc-jwt-extended': 'the procedure context has no `jwt`: spread jwt.createJwtContext(opts) into createContext';
}

/** The base procedure, or a compile error when its context lacks `jwt`. */
export type RequireJwtContext<TBuilder> =
  BuilderContext<TBuilder> extends JwtContextPart ? TBuilder : TBuilder & MissingJwtContext;

/** The four procedures of `jwt.procedures(t.procedure)`. */
export interface JwtProcedures<TBuilder, TClaims, TUser> {
  /** `@jwt_required()`: ctx.token (and ctx.user). */
  protectedProcedure: WithAuth<TBuilder, AuthContext<TClaims, TUser, false>>;
  /** `@jwt_required(optional=True)`: ctx.token and ctx.user may be null. */
  optionalProcedure: WithAuth<TBuilder, AuthContext<TClaims, TUser, true>>;
  /** `@jwt_required(fresh=True)`. */
  freshProcedure: WithAuth<TBuilder, AuthContext<TClaims, TUser, false>>;
  /** `@jwt_required(refresh=True)`. */
  refreshProcedure: WithAuth<TBuilder, AuthContext<TClaims, TUser, false>>;
}

const internal = initTRPC.context<JwtContextPart>().create();

function missingContextError(): TRPCError {
  return new TRPCError({
    code: 'INTERNAL_SERVER_ERROR',
    message:
      'trpc-jwt-extended: ctx.jwt is missing; spread jwt.createJwtContext(opts) into your createContext',
  });
}

/** Builds the middleware procedure for `opts`; `withUser` adds `ctx.user`. */
export function createRequired(
  config: ResolvedConfig,
  verifier: TokenVerifier,
  opts: VerifyOptions,
  withUser: boolean,
): AnyBuilder {
  // Resolved (and validated) here, where the procedure is defined: never per request.
  const locations = locationsOf(config, opts);
  const fail = async (req: JwtRequest, error: unknown, ctx: unknown): Promise<TRPCError> => {
    const clientError = await toClientError(config, error, ctx);
    if (clientError.code === 'UNAUTHORIZED') sendChallenge(req, config.wwwAuthenticate?.realm, clientError);
    return clientError;
  };
  return internal.procedure.use(async ({ ctx, type, getRawInput, next }) => {
    const req = (ctx as Partial<JwtContextPart>).jwt;
    if (!(req instanceof JwtRequest)) throw missingContextError();
    let verified: Awaited<ReturnType<typeof verifyRequest>>;
    try {
      verified = await verifyRequest(config, verifier, req, ctx, opts, { type, getRawInput }, locations);
    } catch (error) {
      throw await fail(req, error, ctx);
    }
    const token = verified?.token ?? null;
    const result = await next({ ctx: withUser ? { token, user: verified?.user ?? null } : { token } });
    if (!result.ok) return result;
    if (type === 'subscription' && token) {
      // A stream outlives the check at its start: it ends at exp, and when a re-check finds the
      // token revoked (or the blocklist failing), with the error a new call would get.
      const exp = token.payload.exp;
      const recheck = config.loaders.tokenInBlocklistLoader !== undefined && !opts.skipRevocationCheck;
      const limits = {
        expMs: typeof exp === 'number' ? exp * 1000 : undefined,
        clock: config.clock,
        expired: () => fail(req, new ExpiredSignatureError('Token has expired', token), ctx),
        recheckMs: recheck ? config.streamRevocationCheckMs : undefined,
        recheck: async () => {
          try {
            await assertNotRevoked(config, token, ctx);
            return undefined;
          } catch (error) {
            return fail(req, error, ctx);
          }
        },
      };
      if (limits.expMs !== undefined || limits.recheckMs !== undefined) {
        return { ...result, data: untilSessionEnds(result.data, limits) };
      }
    }
    const reissued = implicitRefresh(config, req, ctx, token, type);
    if (reissued) await reissued;
    return result;
  }) as AnyBuilder;
}
