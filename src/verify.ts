import { type ResolvedConfig, resolveProcedureLocations } from './config.js';
import type { JwtRequest } from './context.js';
import {
  FreshTokenRequiredError,
  JWTDecodeError,
  NoAuthorizationError,
  RevokedTokenError,
  UserClaimsVerificationError,
  UserLookupError,
  WrongTokenError,
} from './errors.js';
import { toClientError } from './client-error.js';
import { failClosed } from './internal/fail-closed.js';
import { type CallInfo, EXTRACTORS, missingEverywhere } from './locations.js';
import type { TokenVerifier } from './tokens/decode.js';
import type { JwtHeader, JwtPayload, TokenLocation, VerifiedToken } from './types.js';

/** Options of `verifyJwtInRequest` and `jwt.required()` (flask's `jwt_required` arguments). */
export interface VerifyOptions {
  /** A missing token is allowed (`ctx.token` is null); any other failure still fails. @default false */
  optional?: boolean;
  /** Require a fresh token. @default false */
  fresh?: boolean;
  /** Require a refresh token (and read the refresh cookie, CSRF header and JSON key). @default false */
  refresh?: boolean;
  /** Overrides `tokenLocation` for this procedure. */
  locations?: TokenLocation | readonly TokenLocation[];
  /** Check the token type (access vs refresh). @default true */
  verifyType?: boolean;
  /** Skip `tokenInBlocklistLoader`. @default false */
  skipRevocationCheck?: boolean;
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

/** A verified request: the token and, when a `userLookupLoader` is configured, the user. */
export interface VerifiedRequest<TClaims = {}, TUser = unknown> {
  token: VerifiedToken<TClaims>;
  user: TUser | undefined;
}

function toVerifiedToken(
  raw: string,
  header: JwtHeader,
  payload: JwtPayload,
  location: TokenLocation,
  config: ResolvedConfig,
): VerifiedToken<any> {
  // Decoding refused any identity but a string, or an integer under `verifySub: false`.
  const identity = payload[config.identityClaim] as string | number;
  return {
    raw,
    header,
    payload,
    identity: typeof identity === 'string' ? identity : String(identity),
    type: typeof payload.type === 'string' ? payload.type : 'access',
    fresh: isFresh(payload.fresh, config.clock() / 1000),
    jti: typeof payload.jti === 'string' ? payload.jti : null,
    location,
  };
}

/** flask: fresh is `true`, or a timestamp not yet passed. §9: anything else is not fresh. */
function isFresh(fresh: unknown, nowSeconds: number): boolean {
  if (fresh === true) return true;
  return typeof fresh === 'number' && Number.isFinite(fresh) && fresh >= nowSeconds;
}

/** Runs a verification loader: bounded by `loaderTimeout`, failing closed when it throws. */
function runLoader<T>(fn: () => T | Promise<T>, timeoutMs: number | undefined, name: string): Promise<T> {
  return failClosed(fn, 'Token verification failed: a loader threw', { ms: timeoutMs, what: name });
}

/**
 * The revocation check (`tokenInBlocklistLoader`), as verification runs it: throws RevokedTokenError
 * for a revoked token, JWTDecodeError when it has no jti, the fail-closed 500 when the loader throws
 * or outlasts `loaderTimeout`. Also run before implicit refresh re-issues a cookie, whatever the procedure
 * skipped, and re-run by open subscriptions.
 */
export async function assertNotRevoked(
  config: ResolvedConfig,
  token: VerifiedToken<any>,
  ctx: unknown,
): Promise<void> {
  const loader = config.loaders.tokenInBlocklistLoader;
  if (!loader) return;
  const { header, payload } = token;
  if (token.jti === null) throw new JWTDecodeError('Missing claim: jti', { header, payload });
  // Truthy means revoked, as flask's `if token_in_blocklist_loader(...)`: a loader returning a
  // Redis value or a database row must not fail open because it is not exactly `true`.
  if (
    await runLoader(() => loader({ header, payload, ctx }), config.loaderTimeoutMs, 'tokenInBlocklistLoader')
  ) {
    throw new RevokedTokenError('Token has been revoked', { header, payload });
  }
}

/** The locations a call reads: the procedure's `locations` (validated), else `tokenLocation`. */
export function locationsOf(config: ResolvedConfig, opts: VerifyOptions): readonly TokenLocation[] {
  return opts.locations === undefined ? config.tokenLocation : resolveProcedureLocations(opts.locations);
}

/**
 * The verification pipeline of flask's `verify_jwt_in_request`, in its check order:
 * location → decode → CSRF → type → fresh → blocklist → custom verification → user lookup.
 * `locations` are resolved once where the procedure is defined (`locationsOf`).
 * Returns null for OPTIONS and for an optional call without a token. Throws a JwtError (or the
 * fail-closed TRPCError when a loader throws).
 */
export async function verifyRequest(
  config: ResolvedConfig,
  verifier: TokenVerifier,
  req: JwtRequest,
  ctx: unknown,
  opts: VerifyOptions,
  call: CallInfo,
  locations: readonly TokenLocation[] = locationsOf(config, opts),
): Promise<VerifiedRequest<any, any> | null> {
  if (req.method === 'OPTIONS') return null;
  const refresh = opts.refresh ?? false;
  const missing: NoAuthorizationError[] = [];
  let token: VerifiedToken<any> | undefined;
  for (const location of locations) {
    let extracted: Awaited<ReturnType<(typeof EXTRACTORS)[TokenLocation]>>;
    try {
      // Most locations answer synchronously: await only the ones that read the input.
      const pending = EXTRACTORS[location](req, config, refresh, call);
      extracted = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      if (error instanceof NoAuthorizationError) {
        missing.push(error);
        continue;
      }
      throw error;
    }
    const raw = extracted.token;
    const decodeOpts = { csrfValue: extracted.csrfValue };
    const verified = verifier.verify(raw, decodeOpts);
    const { header, payload } = verified instanceof Promise ? await verified : verified;
    token = toVerifiedToken(raw, header, payload, location, config);
    break;
  }
  if (!token) {
    if (opts.optional) return null;
    throw missingEverywhere(locations, missing);
  }
  const { header, payload } = token;
  const errorOpts = { header, payload };
  if (opts.verifyType !== false) {
    if (refresh && token.type !== 'refresh')
      throw new WrongTokenError('Only refresh tokens are allowed', errorOpts);
    if (!refresh && token.type === 'refresh') {
      throw new WrongTokenError('Only non-refresh tokens are allowed', errorOpts);
    }
  }
  if (opts.fresh && !token.fresh) {
    throw new FreshTokenRequiredError('Fresh token required', errorOpts);
  }
  const { loaders } = config;
  const args = { header, payload, ctx };
  if (!opts.skipRevocationCheck) await assertNotRevoked(config, token, ctx);
  if (
    loaders.tokenVerificationLoader &&
    (await runLoader(
      () => loaders.tokenVerificationLoader!(args),
      config.loaderTimeoutMs,
      'tokenVerificationLoader',
    )) !== true
  ) {
    throw new UserClaimsVerificationError('User claims verification failed', errorOpts);
  }
  let user: unknown;
  if (loaders.userLookupLoader) {
    user = await runLoader(() => loaders.userLookupLoader!(args), config.loaderTimeoutMs, 'userLookupLoader');
    if (user === null || user === undefined) {
      throw new UserLookupError(`Error loading the user ${String(token.identity)}`, errorOpts);
    }
  }
  return { token, user };
}

/** `jwt.verifyJwtInRequest` (flask's `verify_jwt_in_request`): the token, or the client's TRPCError. */
export async function verifyInRequest(
  config: ResolvedConfig,
  verifier: TokenVerifier,
  req: JwtRequest,
  ctx: unknown,
  opts: VerifyJwtInRequestOptions,
): Promise<VerifiedToken<any> | null> {
  const { input, type, ...verifyOpts } = opts;
  try {
    const result = await verifyRequest(config, verifier, req, ctx, verifyOpts, {
      // Without a type, the call may be a mutation: fail safe, so cookie tokens get the CSRF check.
      type: type ?? 'mutation',
      getRawInput: async () => input,
    });
    return result?.token ?? null;
  } catch (error) {
    throw await toClientError(config, error, ctx);
  }
}
