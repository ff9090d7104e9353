import { initTRPC, TRPCError } from '@trpc/server';
import type { Overwrite, ProcedureBuilder, UnsetMarker } from '@trpc/server/unstable-core-do-not-import';
import type { ResolvedConfig } from './config.js';
import { type JwtContextPart, JwtRequest } from './context.js';
import type { TokenVerifier } from './tokens/decode.js';
import type { VerifiedToken } from './types.js';
import { ExpiredSignatureError, findJwtError, InsufficientScopeError } from './errors.js';
import { untilSessionEnds } from './streams.js';
import { assertNotRevoked, toClientError, type VerifyOptions, verifyRequest } from './verify.js';

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

/** What the manager lends the middleware beyond verification. */
export interface RequiredHooks {
  /** Sets a new access cookie (implicit refresh). */
  reissueAccessCookie(ctx: JwtContextPart, token: VerifiedToken<any>): Promise<void>;
}

const CHALLENGE_UNSAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** Longest `error_description`; a longer message is cut at the last phrase boundary (`; `, `, `, `. `). */
const MAX_DESCRIPTION = 1024;

/** Text safe inside a quoted challenge parameter, whole unless over MAX_DESCRIPTION (then never mid-phrase). */
export function quoted(text: string): string {
  const safe = text.replace(/"/g, "'").replace(CHALLENGE_UNSAFE, ' ');
  if (safe.length <= MAX_DESCRIPTION) return safe;
  const head = safe.slice(0, MAX_DESCRIPTION - 2);
  const cut = Math.max(head.lastIndexOf('; '), head.lastIndexOf(', '), head.lastIndexOf('. '));
  return `${cut > 0 ? head.slice(0, cut) : head.slice(0, head.lastIndexOf(' '))} …`;
}

/**
 * RFC 6750 §3 challenge for a 401 (`invalid_request` without a token, else `invalid_token`) or a 403
 * (`insufficient_scope`, with the required `scope`); the description is the error message with
 * unsafe characters replaced.
 */
export function bearerChallenge(realm: string, error: TRPCError): string {
  const jwtError = findJwtError(error);
  const kind =
    jwtError?.code === 'NO_AUTHORIZATION'
      ? 'invalid_request'
      : jwtError?.code === 'INSUFFICIENT_SCOPE'
        ? 'insufficient_scope'
        : 'invalid_token';
  const scopes = jwtError instanceof InsufficientScopeError ? jwtError.requiredScopes : [];
  const scope = scopes.length > 0 ? `, scope="${quoted(scopes.join(' '))}"` : '';
  return `Bearer realm="${realm}", error="${kind}", error_description="${quoted(error.message)}"${scope}`;
}

function shouldReissue(
  config: ResolvedConfig,
  req: JwtRequest,
  token: VerifiedToken<any> | null,
  type: string,
): token is VerifiedToken<any> {
  const window = config.implicitRefreshWindow;
  const exp = token?.payload.exp;
  return (
    window !== undefined &&
    token !== null &&
    token.location === 'cookies' &&
    token.type !== 'refresh' &&
    type !== 'subscription' &&
    typeof exp === 'number' &&
    exp - config.clock() / 1000 < window &&
    !req.streaming &&
    !req.cookiesUnset &&
    req.canSetCookies &&
    !req.cookiesSet.has(config.tokens.access.cookieName)
  );
}

/** Builds the middleware procedure for `opts`; `withUser` adds `ctx.user`. */
export function createRequired(
  config: ResolvedConfig,
  verifier: TokenVerifier,
  opts: VerifyOptions,
  withUser: boolean,
  hooks: RequiredHooks,
): AnyBuilder {
  const fail = async (req: JwtRequest, error: unknown, ctx: unknown): Promise<TRPCError> => {
    const clientError = await toClientError(config, error, ctx);
    if (config.wwwAuthenticate && clientError.code === 'UNAUTHORIZED') {
      req.setResponseHeader('WWW-Authenticate', bearerChallenge(config.wwwAuthenticate.realm, clientError));
    }
    return clientError;
  };
  return internal.procedure.use(async ({ ctx, type, getRawInput, next }) => {
    const req = (ctx as Partial<JwtContextPart>).jwt;
    if (!(req instanceof JwtRequest)) throw missingContextError();
    let verified: Awaited<ReturnType<typeof verifyRequest>>;
    try {
      verified = await verifyRequest(config, verifier, req, ctx, opts, { type, getRawInput });
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
    if (shouldReissue(config, req, token, type)) {
      await hooks.reissueAccessCookie(ctx as JwtContextPart, token);
    }
    return result;
  }) as AnyBuilder;
}
