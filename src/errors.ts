import type { TRPCError } from '@trpc/server';
import type { JwtHeader, JwtPayload } from './jwt.js';

/** The stable codes of every JWT failure, as `error.data.jwt.code` on the client. */
export const JWT_ERROR_CODES = [
  'NO_AUTHORIZATION',
  'CSRF_ERROR',
  'INVALID_HEADER',
  'INVALID_QUERY_PARAM',
  'INVALID_TOKEN',
  'WRONG_TOKEN_TYPE',
  'TOKEN_EXPIRED',
  'FRESH_TOKEN_REQUIRED',
  'TOKEN_REVOKED',
  'CLAIMS_VERIFICATION_FAILED',
  'USER_LOOKUP_FAILED',
  'INSUFFICIENT_SCOPE',
] as const;

export type JwtErrorCode = (typeof JWT_ERROR_CODES)[number];

/** The tRPC error code (and so the HTTP status) of each JWT error code. */
export const JWT_TO_TRPC_CODE = {
  NO_AUTHORIZATION: 'UNAUTHORIZED',
  CSRF_ERROR: 'UNAUTHORIZED',
  INVALID_HEADER: 'UNPROCESSABLE_CONTENT',
  INVALID_QUERY_PARAM: 'UNPROCESSABLE_CONTENT',
  INVALID_TOKEN: 'UNPROCESSABLE_CONTENT',
  WRONG_TOKEN_TYPE: 'UNPROCESSABLE_CONTENT',
  TOKEN_EXPIRED: 'UNAUTHORIZED',
  FRESH_TOKEN_REQUIRED: 'UNAUTHORIZED',
  TOKEN_REVOKED: 'UNAUTHORIZED',
  CLAIMS_VERIFICATION_FAILED: 'BAD_REQUEST',
  USER_LOOKUP_FAILED: 'UNAUTHORIZED',
  INSUFFICIENT_SCOPE: 'FORBIDDEN',
} as const satisfies Record<JwtErrorCode, TRPCError['code']>;

/** HTTP status of each tRPC code this package produces. */
export const TRPC_CODE_TO_HTTP = {
  UNAUTHORIZED: 401,
  UNPROCESSABLE_CONTENT: 422,
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
} as const satisfies Record<(typeof JWT_TO_TRPC_CODE)[JwtErrorCode], number>;

/**
 * Base class of every JWT failure. `code` is stable; `message` is flask-jwt-extended's and never
 * contains a token, secret or cookie value.
 */
export abstract class JwtError extends Error {
  abstract readonly code: JwtErrorCode;
  /** The verified header, where the failure happened after signature verification. */
  readonly header: JwtHeader | undefined;
  /** The verified payload, where the failure happened after signature verification. */
  readonly payload: JwtPayload | undefined;

  constructor(message: string, opts?: { header?: JwtHeader | undefined; payload?: JwtPayload | undefined }) {
    super(message);
    this.name = new.target.name;
    this.header = opts?.header;
    this.payload = opts?.payload;
  }

  /** The tRPC error code this failure maps to. */
  get trpcCode(): (typeof JWT_TO_TRPC_CODE)[JwtErrorCode] {
    return JWT_TO_TRPC_CODE[this.code];
  }

  /** The HTTP status this failure maps to. */
  get httpStatus(): number {
    return TRPC_CODE_TO_HTTP[this.trpcCode];
  }
}

/** No token in any location (401). Optional procedures treat only this as "anonymous". */
export class NoAuthorizationError extends JwtError {
  readonly code = 'NO_AUTHORIZATION';
}
/** Missing or mismatching CSRF double-submit value (401). */
export class CSRFError extends JwtError {
  readonly code = 'CSRF_ERROR';
}
/** A malformed authorization header (422). */
export class InvalidHeaderError extends JwtError {
  readonly code = 'INVALID_HEADER';
}
/** A query-string token without the configured prefix (422). */
export class InvalidQueryParamError extends JwtError {
  readonly code = 'INVALID_QUERY_PARAM';
}
/** A token that cannot be decoded or verified (422). */
export class JWTDecodeError extends JwtError {
  readonly code = 'INVALID_TOKEN';
}
/** A refresh token where an access token is required, or the reverse (422). */
export class WrongTokenError extends JwtError {
  readonly code = 'WRONG_TOKEN_TYPE';
}
/** An expired token (401); `header` and `payload` are the verified, expired token's. */
export class ExpiredSignatureError extends JwtError {
  readonly code = 'TOKEN_EXPIRED';
}
/** A non-fresh token on a fresh-only procedure (401). */
export class FreshTokenRequiredError extends JwtError {
  readonly code = 'FRESH_TOKEN_REQUIRED';
}
/** A revoked token (401). */
export class RevokedTokenError extends JwtError {
  readonly code = 'TOKEN_REVOKED';
}
/** `tokenVerificationLoader` returned false (400). */
export class UserClaimsVerificationError extends JwtError {
  readonly code = 'CLAIMS_VERIFICATION_FAILED';
}
/** `userLookupLoader` returned null or undefined (401). */
export class UserLookupError extends JwtError {
  readonly code = 'USER_LOOKUP_FAILED';
}

/**
 * A valid token without the scope, role or claims a procedure requires (403, RFC 6750
 * `insufficient_scope`): `jwt.requireScopes`, `jwt.requireRoles`, `jwt.requireClaims`.
 */
export class InsufficientScopeError extends JwtError {
  readonly code = 'INSUFFICIENT_SCOPE';
  /** The scopes the procedure requires (for the `scope` parameter of the challenge); empty for roles and claims. */
  readonly requiredScopes: readonly string[];
  constructor(
    message: string,
    opts?: { header?: JwtHeader | undefined; payload?: JwtPayload | undefined; scopes?: readonly string[] },
  ) {
    super(message, opts);
    this.requiredScopes = opts?.scopes ?? [];
  }
}

/** Misconfiguration, thrown by `createJwtManager` (and by helpers used wrongly). Names the option. */
export class JwtConfigError extends TypeError {
  override readonly name = 'JwtConfigError';
  /** The option at fault, e.g. `secretKey`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`trpc-jwt-extended: option \`${option}\` ${message}`);
    this.option = option;
  }
}

/**
 * Every JwtError subclass: narrow on `code` (`if (error.code === 'TOKEN_EXPIRED') error.payload…`), as
 * jose's `AnyJOSEError`. A new code without a class here fails to compile (see `JWT_ERROR_CLASSES`).
 */
export type AnyJwtError =
  | NoAuthorizationError
  | CSRFError
  | InvalidHeaderError
  | InvalidQueryParamError
  | JWTDecodeError
  | WrongTokenError
  | ExpiredSignatureError
  | FreshTokenRequiredError
  | RevokedTokenError
  | UserClaimsVerificationError
  | UserLookupError
  | InsufficientScopeError;

/** The class of each code: a code without a class (or a class without a code) fails to compile. */
export const JWT_ERROR_CLASSES = {
  NO_AUTHORIZATION: NoAuthorizationError,
  CSRF_ERROR: CSRFError,
  INVALID_HEADER: InvalidHeaderError,
  INVALID_QUERY_PARAM: InvalidQueryParamError,
  INVALID_TOKEN: JWTDecodeError,
  WRONG_TOKEN_TYPE: WrongTokenError,
  TOKEN_EXPIRED: ExpiredSignatureError,
  FRESH_TOKEN_REQUIRED: FreshTokenRequiredError,
  TOKEN_REVOKED: RevokedTokenError,
  CLAIMS_VERIFICATION_FAILED: UserClaimsVerificationError,
  USER_LOOKUP_FAILED: UserLookupError,
  INSUFFICIENT_SCOPE: InsufficientScopeError,
} as const satisfies { [C in JwtErrorCode]: new (...args: never[]) => Extract<AnyJwtError, { code: C }> };

/** A loader (blocklist, verification, user, key, error or creation loader) did not settle within `loaderTimeout`. */
export class LoaderTimeoutError extends Error {
  override readonly name = 'LoaderTimeoutError';
}

/** The external issuer's JWK Set could not be fetched (network, timeout, bad JSON): a server-side failure. */
export class RemoteKeysUnavailableError extends Error {
  override readonly name = 'RemoteKeysUnavailableError';
}

/**
 * Redis did not answer in time, or the connection failed. Thrown by every method of the Redis
 * blocklist; a loader that throws fails the request closed (INTERNAL_SERVER_ERROR). The message
 * never contains the Redis URL, a key or a token.
 */
export class BlocklistUnavailableError extends Error {
  override readonly name = 'BlocklistUnavailableError';
}

/**
 * A store could not record a revocation because live revocations fill it (the memory blocklist's
 * `maxEntries`, or its `maxRotationEntries` for rotation records). The store fails closed: the
 * write throws instead of forgetting an older revocation to make room. Raise the limit, or use
 * the Redis store.
 */
export class BlocklistFullError extends Error {
  override readonly name = 'BlocklistFullError';
  /** The option that sets the limit. */
  readonly option: string;
  constructor(option: string, limit: number) {
    super(
      `trpc-jwt-extended: the memory blocklist is full (${option}: ${limit} live entries); ` +
        `nothing was forgotten to make room. Raise \`${option}\` or use the Redis blocklist`,
    );
    this.option = option;
  }
}

/**
 * The JwtError each TRPCError returned by an error loader answers (a loader builds its own TRPCError,
 * whose `cause` may be anything): `findJwtError` and `data.jwt` read it from here.
 */
export const loaderErrorCause = new WeakMap<TRPCError, JwtError>();

/** True when `error` is itself a JwtError; `findJwtError` finds the one behind a TRPCError. */
export function isJwtError(error: unknown): error is JwtError {
  return error instanceof JwtError;
}

/**
 * The JwtError behind an error, if any: the error itself, its `cause`, or the failure an error
 * loader's TRPCError answers.
 */
export function findJwtError(error: unknown): JwtError | undefined {
  if (error instanceof JwtError) return error;
  if (error instanceof Error && error.cause instanceof JwtError) return error.cause;
  return typeof error === 'object' && error !== null ? loaderErrorCause.get(error as TRPCError) : undefined;
}
