import type { StandardSchemaV1 } from './internal/standard-schema.js';
import type { ConfigView } from './config.js';
import type { CreateJwtContextOptions, JwtContextPart } from './context.js';
import type { jwtErrorFormatter } from './error-formatter.js';
import type { RotationStore, TokenPair, TokenPairOptions } from './rotation.js';
import type { AuthContext, JwtProcedureBuilder, JwtProcedures, RequireJwtContext } from './procedures.js';
import type { SetCookieOptions, UnsetCookieOptions } from './session-cookies.js';
import type { CreateAccessTokenOptions, CreateRefreshTokenOptions } from './tokens/create.js';
import type { DecodeOptions } from './tokens/decode.js';
import type { JwtHeader, JwtPayload, VerifiedToken } from './types.js';
import type { VerifyJwtInRequestOptions, VerifyOptions } from './verify.js';

export type { VerifyJwtInRequestOptions } from './verify.js';

/** The public type of a manager (`createJwtManager`'s result) and of its options. */

/** `jwt.required()` options. */
export type ProcedureOptions = Omit<VerifyOptions, 'optional'>;

/** A configured JWT manager: tokens, context, procedures, cookies and errors for one app. */
export interface JwtManager<TClaims = {}, TUser = never> {
  /** The validated, frozen configuration; keys are described (`{ kind }`), never shown. */
  readonly config: ConfigView;
  /** flask's `create_access_token`. */
  createAccessToken(identity: unknown, opts?: CreateAccessTokenOptions): Promise<string>;
  /** flask's `create_refresh_token`. */
  createRefreshToken(identity: unknown, opts?: CreateRefreshTokenOptions): Promise<string>;
  /** Mints a new access + refresh pair of a new family (`fam` claim), for rotation. */
  createTokenPair(identity: unknown, opts?: TokenPairOptions): Promise<TokenPair>;
  /**
   * Refresh-token rotation with reuse detection: retires `token` (a verified refresh token, e.g.
   * `ctx.token` in a refreshProcedure) in `store` and returns a new pair of its family; a refresh
   * token presented again revokes its whole family and throws RevokedTokenError (TOKEN_REVOKED).
   */
  rotateRefreshToken(
    token: VerifiedToken<any>,
    store: RotationStore,
    opts?: TokenPairOptions,
  ): Promise<TokenPair>;
  /** Verifies a token fully (signature, claims, CSRF when given); throws a JwtError. */
  decodeToken(token: string, opts?: DecodeOptions): Promise<JwtPayload & TClaims>;
  /** The verified token's `jti`. */
  getJti(token: string): Promise<string | undefined>;
  /** The verified token's `csrf` claim (for clients that cannot read the CSRF cookie). */
  getCsrfToken(token: string): Promise<string>;
  /** The header, not verified. */
  getUnverifiedJwtHeaders(token: string): JwtHeader;
  /** Builds `ctx.jwt` from a tRPC adapter's createContext options. Never verifies, never throws for a bad token. */
  createJwtContext(opts: CreateJwtContextOptions): JwtContextPart;
  /** protected / optional / fresh / refresh procedures on your base procedure. */
  procedures<TBuilder>(base: RequireJwtContext<TBuilder>): JwtProcedures<TBuilder, TClaims, TUser>;
  /** A procedure builder for `t.procedure.concat(jwt.required({...}))`. */
  required(
    opts: ProcedureOptions & { optional: true },
  ): JwtProcedureBuilder<AuthContext<TClaims, TUser, true>>;
  required(
    opts?: ProcedureOptions & { optional?: false },
  ): JwtProcedureBuilder<AuthContext<TClaims, TUser, false>>;
  /**
   * A complete protected procedure builder that also requires every scope (from the `scope` claim:
   * a space-separated string or an array). Without them: 403 FORBIDDEN, `INSUFFICIENT_SCOPE`.
   * @example t.procedure.concat(jwt.requireScopes('notes:write'))
   */
  requireScopes(...scopes: string[]): JwtProcedureBuilder<AuthContext<TClaims, TUser, false>>;
  /** As `requireScopes`, for roles (the `roles` claim: an array or a space-separated string). */
  requireRoles(...roles: string[]): JwtProcedureBuilder<AuthContext<TClaims, TUser, false>>;
  /**
   * A complete protected procedure builder that also checks the claims: with a Standard Schema (zod,
   * valibot, …) the payload must match, and `ctx.token.payload` gets the schema's output type; with
   * a predicate it must return `true`. Otherwise 403 FORBIDDEN, `INSUFFICIENT_SCOPE`.
   */
  requireClaims<TOut extends object>(
    schema: StandardSchemaV1<unknown, TOut>,
  ): JwtProcedureBuilder<AuthContext<TClaims & TOut, TUser, false>>;
  requireClaims(
    predicate: (token: VerifiedToken<TClaims>) => boolean | Promise<boolean>,
  ): JwtProcedureBuilder<AuthContext<TClaims, TUser, false>>;
  /** Imperative verification (flask's `verify_jwt_in_request`); throws the client's TRPCError on failure. */
  verifyJwtInRequest(
    ctx: JwtContextPart,
    opts?: VerifyJwtInRequestOptions,
  ): Promise<VerifiedToken<TClaims> | null>;
  setAccessCookies(ctx: JwtContextPart, token: string, opts?: SetCookieOptions): Promise<void>;
  setRefreshCookies(ctx: JwtContextPart, token: string, opts?: SetCookieOptions): Promise<void>;
  unsetAccessCookies(ctx: JwtContextPart, opts?: UnsetCookieOptions): void;
  unsetRefreshCookies(ctx: JwtContextPart, opts?: UnsetCookieOptions): void;
  unsetJwtCookies(ctx: JwtContextPart, opts?: UnsetCookieOptions): void;
  /**
   * The public JWK Set of the `keys` option, for `/.well-known/jwks.json`: public halves of the
   * asymmetric keys only, never a secret or private key.
   */
  jwks(): Promise<{ keys: JsonWebKey[] }>;
  /** tRPC errorFormatter adding `data.jwt: { code } | null`. */
  readonly errorFormatter: typeof jwtErrorFormatter;
  /** The verified-token cache: its size, and a way to empty it. */
  readonly cache: { readonly size: number; clear(): void };
}
