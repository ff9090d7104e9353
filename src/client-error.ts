import { TRPCError } from '@trpc/server';
import type { ResolvedConfig } from './config.js';
import { toTRPCError } from './error-formatter.js';
import { JwtError, type JwtErrorCode, LoaderTimeoutError, loaderErrorCause } from './errors.js';
import { withTimeout } from './internal/timeout.js';

type ErrorLoaderName =
  | 'unauthorizedLoader'
  | 'invalidTokenLoader'
  | 'expiredTokenLoader'
  | 'needsFreshTokenLoader'
  | 'revokedTokenLoader'
  | 'tokenVerificationFailedLoader'
  | 'userLookupErrorLoader';

/**
 * The loader flask calls for each error code (null: none, the default answer). Checked against every
 * code: a new code in JWT_ERROR_CODES without a row here is a compile error.
 */
export const ERROR_LOADERS = {
  NO_AUTHORIZATION: 'unauthorizedLoader',
  CSRF_ERROR: 'unauthorizedLoader',
  INVALID_HEADER: 'invalidTokenLoader',
  INVALID_QUERY_PARAM: 'invalidTokenLoader',
  INVALID_TOKEN: 'invalidTokenLoader',
  WRONG_TOKEN_TYPE: 'invalidTokenLoader',
  TOKEN_EXPIRED: 'expiredTokenLoader',
  FRESH_TOKEN_REQUIRED: 'needsFreshTokenLoader',
  TOKEN_REVOKED: 'revokedTokenLoader',
  CLAIMS_VERIFICATION_FAILED: 'tokenVerificationFailedLoader',
  USER_LOOKUP_FAILED: 'userLookupErrorLoader',
  INSUFFICIENT_SCOPE: null,
} as const satisfies Record<JwtErrorCode, ErrorLoaderName | null>;

/** The loaders that get flask's reason string (`{ reason, ctx, error }`); the others get the token. */
const REASON_LOADERS: ReadonlySet<ErrorLoaderName> = new Set(['unauthorizedLoader', 'invalidTokenLoader']);

/**
 * Tells the app's `onError` when `error` failed a request closed (a TRPCError 500; its `cause` the
 * original failure); anything else is not reported. Never throws, never waits: a failing `onError`
 * is ignored.
 */
export function reportFailure(config: ResolvedConfig, error: unknown): void {
  const onError = config.loaders.onError;
  if (!onError || !(error instanceof TRPCError) || error.code !== 'INTERNAL_SERVER_ERROR') return;
  try {
    Promise.resolve(onError(error)).catch(() => {});
  } catch {
    // ignored: see above
  }
}

/**
 * Turns a failure into the TRPCError the client gets, through the loader flask would call
 * (`unauthorizedLoader` also shapes CSRF errors; `invalidTokenLoader` every 422). A failure that
 * fails the request closed (500) is also reported to `onError`.
 */
export async function toClientError(
  config: ResolvedConfig,
  error: unknown,
  ctx: unknown,
): Promise<TRPCError> {
  const clientError = await mapError(config, error, ctx);
  reportFailure(config, clientError);
  return clientError;
}

async function mapError(config: ResolvedConfig, error: unknown, ctx: unknown): Promise<TRPCError> {
  if (error instanceof TRPCError) return error;
  if (!(error instanceof JwtError)) {
    return new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Token verification failed',
      cause: error,
    });
  }
  const { loaders } = config;
  const tokenArgs = { header: error.header!, payload: error.payload!, ctx };
  const name = ERROR_LOADERS[error.code];
  const fn = name === null ? undefined : loaders[name];
  if (!fn) return toTRPCError(error);
  const args = REASON_LOADERS.has(name!) ? { reason: error.message, ctx, error } : tokenArgs;
  const loader = () => (fn as (args: unknown) => TRPCError | Promise<TRPCError>)(args);
  let custom: unknown;
  try {
    custom = await withTimeout(loader(), config.loaderTimeoutMs, 'An error loader');
  } catch (thrown) {
    custom = thrown;
  }
  if (custom instanceof LoaderTimeoutError) {
    return new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'An error loader did not answer within loaderTimeout',
      cause: custom,
    });
  }
  if (!(custom instanceof TRPCError)) {
    return new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'An error loader did not return a TRPCError',
      cause: custom instanceof Error ? custom : undefined,
    });
  }
  if (custom.cause instanceof JwtError) return custom;
  // A loader may return one shared TRPCError instance for every failure; `data.jwt` must still
  // name this request's failure, so a reused instance is copied before it is tagged.
  const tagged = loaderErrorCause.has(custom) ? copyError(custom) : custom;
  loaderErrorCause.set(tagged, error);
  return tagged;
}

/** A copy of an error: same prototype (class) and own properties (code, message, cause, stack). */
function copyError<T extends Error>(error: T): T {
  return Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error)) as T;
}
