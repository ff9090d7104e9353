import { createAuthorization } from './authorization.js';
import type { StandardSchemaV1 } from './internal/standard-schema.js';
import { type ConfigView, configView, resolveConfig, resolveProcedureLocations } from './config.js';
import {
  type CreateJwtContextOptions,
  createJwtContext,
  type JwtContextPart,
  JwtRequest,
} from './context.js';
import { type CookieAttributes, serializeCookie } from './cookies.js';
import { jwtErrorFormatter } from './error-formatter.js';
import { JWTDecodeError } from './errors.js';
import { publicJwks } from './keyring.js';
import {
  createTokenPair,
  FAMILY_CLAIM,
  type RotationStore,
  rotateRefreshToken,
  type TokenPair,
  type TokenPairOptions,
} from './rotation.js';
import {
  type AuthContext,
  createRequired,
  type JwtProcedureBuilder,
  type JwtProcedures,
  type RequireJwtContext,
} from './procedures.js';
import {
  type CreateAccessTokenOptions,
  type CreateRefreshTokenOptions,
  createToken,
} from './tokens/create.js';
import { type DecodeOptions, TokenVerifier } from './tokens/decode.js';
import { unverifiedHeader } from './tokens/format.js';
import type { JwtHeader, JwtManagerOptions, JwtPayload, VerifiedToken } from './types.js';
import { assertNotRevoked, toClientError, type VerifyOptions, verifyRequest } from './verify.js';

/** Options of the cookie setters. */
export interface SetCookieOptions {
  /** Seconds; `0`/absent falls back to the config (session cookie, or about one year). */
  maxAge?: number;
  /** Overrides `cookieDomain`. */
  domain?: string;
}

/** Options of the cookie unsetters. */
export interface UnsetCookieOptions {
  domain?: string;
}

/** `verifyJwtInRequest` options: flask's arguments, plus the call's input for the `json` location. */
export interface VerifyJwtInRequestOptions extends VerifyOptions {
  /** The procedure's raw input (for the `json` location). */
  input?: unknown;
  /**
   * The procedure type; mutations always get the CSRF check for cookie tokens. Without it the call
   * is treated as a mutation (fail safe): pass the procedure's `type` for queries and subscriptions.
   * @default 'mutation'
   */
  type?: 'query' | 'mutation' | 'subscription';
}

type ProcedureOptions = Omit<VerifyOptions, 'optional'>;

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

function requestOf(ctx: JwtContextPart | undefined): JwtRequest {
  const req = ctx?.jwt;
  if (!(req instanceof JwtRequest)) {
    throw new TypeError(
      'trpc-jwt-extended: ctx.jwt is missing; spread jwt.createJwtContext(opts) into your createContext',
    );
  }
  return req;
}

const EPOCH = new Date(0);

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

  const required = (opts: VerifyOptions = {}) => {
    // Validated where the procedure is defined, not on its first request (as every option is).
    if (opts.locations !== undefined) resolveProcedureLocations(opts.locations);
    const key = JSON.stringify(opts);
    let builder = requiredCache.get(key);
    if (!builder) {
      builder = createRequired(config, verifier, opts, withUser, {
        async reissueAccessCookie(ctx, token) {
          try {
            // Checked now, after the procedure ran, whatever it skipped: a token revoked before or
            // during the call (a logout, a logout-everywhere, a revoked family) never slides.
            await assertNotRevoked(config, token, ctx);
            // The new token stays in the session it slides: same family, so revoking the family
            // (reuse detection, a device logout) refuses it too.
            const family = token.payload[FAMILY_CLAIM];
            const opts = typeof family === 'string' ? { additionalClaims: { [FAMILY_CLAIM]: family } } : {};
            await setCookies(ctx, await createToken(config, token.identity, 'access', opts), 'access');
          } catch {
            // Revoked, a store that failed, or a response that can no longer take cookies (sent
            // already): no new cookie. The call's own answer stands; the next request decides.
          }
        },
      });
      requiredCache.set(key, builder);
    }
    return builder;
  };

  const authorization = createAuthorization(
    () => required({}) as never,
    { scopeClaim: config.scopeClaim, rolesClaim: config.rolesClaim },
    config.wwwAuthenticate?.realm,
  );

  const csrfCookies = config.cookieCsrfProtect && config.csrfInCookies;

  /** Appends the JWT cookie (HttpOnly) and, when `csrf` is given, its readable CSRF cookie. */
  function writeCookies(
    ctx: JwtContextPart,
    kind: 'access' | 'refresh',
    values: { token: string; csrf: string | undefined },
    attrs: CookieAttributes,
  ): void {
    const req = requestOf(ctx);
    const { cookieName: name, cookiePath: path, csrfCookieName, csrfCookiePath } = config.tokens[kind];
    // Serialise both before appending either, so a bad value never leaves half a pair behind.
    const cookies: [string, string][] = [
      [name, serializeCookie(name, values.token, { ...attrs, httpOnly: true, path })],
    ];
    if (values.csrf !== undefined) {
      cookies.push([
        csrfCookieName,
        serializeCookie(csrfCookieName, values.csrf, { ...attrs, path: csrfCookiePath }),
      ]);
    }
    for (const [cookieName, serialized] of cookies) req.appendSetCookie(cookieName, serialized);
  }

  function cookieAttributes(domain: string | undefined): CookieAttributes {
    return {
      domain: domain || config.cookieDomain, // flask: `domain or config.cookie_domain`
      secure: config.cookieSecure,
      sameSite: config.cookieSamesite,
    };
  }

  async function setCookies(
    ctx: JwtContextPart,
    token: string,
    kind: 'access' | 'refresh',
    opts: SetCookieOptions = {},
  ): Promise<void> {
    requestOf(ctx);
    // The signature is checked, the expiry is not: a token created a moment ago may already have
    // expired (a one-second expiry, a slow loader), and setting its cookie is harmless then.
    const csrf = csrfCookies ? await csrfClaimOf(token, { allowExpired: true }) : undefined;
    writeCookies(
      ctx,
      kind,
      { token, csrf },
      { ...cookieAttributes(opts.domain), maxAge: opts.maxAge || config.cookieMaxAge },
    );
  }

  function unsetCookies(
    ctx: JwtContextPart,
    kind: 'access' | 'refresh',
    opts: UnsetCookieOptions = {},
  ): void {
    writeCookies(
      ctx,
      kind,
      { token: '', csrf: csrfCookies ? '' : undefined },
      { ...cookieAttributes(opts.domain), expires: EPOCH, maxAge: 0 },
    );
    requestOf(ctx).cookiesUnset = true;
  }

  async function decodeToken(token: string, opts?: DecodeOptions): Promise<JwtPayload & TClaims> {
    return (await verifier.decode(token, opts)).payload as JwtPayload & TClaims;
  }

  async function csrfClaimOf(token: string, opts?: DecodeOptions): Promise<string> {
    const payload = await decodeToken(token, opts);
    if (typeof payload.csrf !== 'string') throw new JWTDecodeError('Missing claim: csrf');
    return payload.csrf;
  }

  const getCsrfToken = (token: string) => csrfClaimOf(token);

  const create = (identity: unknown, type: 'access' | 'refresh', opts: CreateAccessTokenOptions) =>
    createToken(config, identity, type, opts);

  const manager: JwtManager<TClaims, TUser> = {
    config: configView(config),
    createAccessToken: (identity, opts) => createToken(config, identity, 'access', opts),
    createRefreshToken: (identity, opts) => createToken(config, identity, 'refresh', opts),
    createTokenPair: (identity, opts) => createTokenPair(create, identity, opts),
    rotateRefreshToken: (token, store, opts) =>
      rotateRefreshToken(create, store, token, opts, config.reuseGraceMs),
    decodeToken,
    getJti: async (token) => (await decodeToken(token)).jti,
    getCsrfToken,
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
    required: required as JwtManager<TClaims, TUser>['required'],
    requireScopes: authorization.requireScopes as JwtManager<TClaims, TUser>['requireScopes'],
    requireRoles: authorization.requireRoles as JwtManager<TClaims, TUser>['requireRoles'],
    requireClaims: authorization.requireClaims as JwtManager<TClaims, TUser>['requireClaims'],
    async verifyJwtInRequest(ctx, opts = {}) {
      const req = requestOf(ctx);
      const { input, type, ...verifyOpts } = opts;
      try {
        const result = await verifyRequest(config, verifier, req, ctx, verifyOpts, {
          // Without a type, the call may be a mutation: fail safe, so cookie tokens get the CSRF check.
          type: type ?? 'mutation',
          getRawInput: async () => input,
        });
        return (result?.token ?? null) as VerifiedToken<TClaims> | null;
      } catch (error) {
        throw await toClientError(config, error, ctx);
      }
    },
    setAccessCookies: (ctx, token, opts) => setCookies(ctx, token, 'access', opts),
    setRefreshCookies: (ctx, token, opts) => setCookies(ctx, token, 'refresh', opts),
    unsetAccessCookies: (ctx, opts) => unsetCookies(ctx, 'access', opts),
    unsetRefreshCookies: (ctx, opts) => unsetCookies(ctx, 'refresh', opts),
    unsetJwtCookies(ctx, opts) {
      unsetCookies(ctx, 'access', opts);
      unsetCookies(ctx, 'refresh', opts);
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
  return manager;
}
