import { reportFailure } from './client-error.js';
import { createAuthorization } from './authorization.js';
import { configView, resolveConfig } from './config.js';
import { createJwtContext } from './context.js';
import { jwtErrorFormatter } from './error-formatter.js';
import { publicJwks } from './keyring.js';
import type { JwtManager, ProcedureOptions } from './manager-api.js';
import { createRequired } from './procedures.js';
import { createTokenPair, rotateRefreshToken } from './rotation.js';
import { csrfClaimOf, requestOf, setTokenCookies, unsetTokenCookies } from './session-cookies.js';
import { type CreateAccessTokenOptions, createToken, mintToken } from './tokens/create.js';
import { TokenVerifier } from './tokens/decode.js';
import { unverifiedHeader } from './tokens/format.js';
import type { JwtManagerOptions, JwtPayload, VerifiedToken } from './types.js';
import { type VerifyOptions, verifyInRequest } from './verify.js';

export type { JwtManager } from './manager-api.js';
export type { VerifyJwtInRequestOptions } from './verify.js';
export type { SetCookieOptions, UnsetCookieOptions } from './session-cookies.js';

type Manager<C, U> = JwtManager<C, U>;

/**
 * Creates a JWT manager. Every option is validated here, at once: a bad value throws JwtConfigError
 * (a TypeError) naming the option. Nothing is checked lazily on the first request.
 *
 * @example
 * const jwt = createJwtManager({ secretKey: process.env.JWT_SECRET_KEY!, tokenLocation: ['headers', 'cookies'] });
 */
export function createJwtManager<TClaims = {}, TUser = never>(
  options: JwtManagerOptions<TClaims, TUser>,
): JwtManager<TClaims, TUser> {
  const config = resolveConfig(options);
  const verifier = new TokenVerifier(config);
  const withUser = config.loaders.userLookupLoader !== undefined;
  const requiredCache = new Map<string, ReturnType<typeof createRequired>>();
  // One builder per distinct options: its locations are resolved (and validated) once, here.
  const required = (opts: VerifyOptions = {}) => {
    const key = JSON.stringify(opts);
    let builder = requiredCache.get(key);
    if (!builder) requiredCache.set(key, (builder = createRequired(config, verifier, opts, withUser)));
    return builder;
  };
  const authorization = createAuthorization(
    () => required({}) as never,
    { scopeClaim: config.scopeClaim, rolesClaim: config.rolesClaim },
    config.wwwAuthenticate?.realm,
    (error) => reportFailure(config, error),
  );
  const decode = async (token: string, opts?: Parameters<Manager<TClaims, TUser>['decodeToken']>[1]) =>
    (await verifier.decode(token, opts)).payload as JwtPayload & TClaims;
  const create = (identity: unknown, type: 'access' | 'refresh', opts: CreateAccessTokenOptions) =>
    mintToken(config, identity, type, opts);
  return {
    config: configView(config),
    createAccessToken: (identity, opts) => createToken(config, identity, 'access', opts),
    createRefreshToken: (identity, opts) => createToken(config, identity, 'refresh', opts),
    createTokenPair: (identity, opts) => createTokenPair(create, identity, opts),
    rotateRefreshToken: (token, store, opts) =>
      rotateRefreshToken(create, store, token, opts, config.reuseGraceMs, (error) =>
        reportFailure(config, error),
      ),
    decodeToken: decode,
    getJti: async (token) => (await decode(token)).jti,
    getCsrfToken: (token) => csrfClaimOf(verifier, token),
    getUnverifiedJwtHeaders: (token) => unverifiedHeader(token, config.maxTokenLength),
    createJwtContext,
    procedures: (base) => {
      const b = base as unknown as { concat(builder: unknown): unknown };
      return {
        protectedProcedure: b.concat(required({})),
        optionalProcedure: b.concat(required({ optional: true })),
        freshProcedure: b.concat(required({ fresh: true })),
        refreshProcedure: b.concat(required({ refresh: true })),
      } as never;
    },
    required: required as (opts?: ProcedureOptions) => never,
    requireScopes: authorization.requireScopes as Manager<TClaims, TUser>['requireScopes'],
    requireRoles: authorization.requireRoles as Manager<TClaims, TUser>['requireRoles'],
    requireClaims: authorization.requireClaims as Manager<TClaims, TUser>['requireClaims'],
    verifyJwtInRequest: async (ctx, opts = {}) =>
      (await verifyInRequest(config, verifier, requestOf(ctx), ctx, opts)) as VerifiedToken<TClaims> | null,
    setAccessCookies: (ctx, token, opts) => setTokenCookies(config, verifier, ctx, token, 'access', opts),
    setRefreshCookies: (ctx, token, opts) => setTokenCookies(config, verifier, ctx, token, 'refresh', opts),
    unsetAccessCookies: (ctx, opts) => unsetTokenCookies(config, ctx, 'access', opts),
    unsetRefreshCookies: (ctx, opts) => unsetTokenCookies(config, ctx, 'refresh', opts),
    unsetJwtCookies(ctx, opts) {
      unsetTokenCookies(config, ctx, 'access', opts);
      unsetTokenCookies(config, ctx, 'refresh', opts);
    },
    jwks: () => publicJwks(config.keyring),
    errorFormatter: jwtErrorFormatter,
    cache: {
      get size() {
        return verifier.cacheSize;
      },
      clear: () => verifier.clearCache(),
    },
  };
}
