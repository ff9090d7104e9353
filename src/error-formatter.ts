import { TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { findJwtError, type JwtError, type JwtErrorCode } from './errors.js';

/** The default TRPCError for a JwtError: its tRPC code, its message, the JwtError as `cause`. */
export function toTRPCError(error: JwtError): TRPCError {
  return new TRPCError({ code: error.trpcCode, message: error.message, cause: error });
}

/** What `jwt.errorFormatter` adds to the error shape's `data`. */
export interface JwtErrorData {
  /** `{ code }` for a JWT failure (e.g. `TOKEN_EXPIRED`), null otherwise. */
  jwt: { code: JwtErrorCode } | null;
}

interface ShapeLike {
  message: string;
  code: number;
  data: { code?: string; httpStatus?: number; [key: string]: unknown };
}

/**
 * tRPC `errorFormatter` that adds `data.jwt: { code } | null`, and maps a JwtError thrown anywhere
 * (e.g. `decodeToken` in a resolver) to its tRPC code and HTTP status, as flask's app-wide handlers
 * do. Compose it in your own formatter: `errorFormatter: (opts) => ({ ...jwt.errorFormatter(opts), ... })`.
 */
export function jwtErrorFormatter<TShape extends ShapeLike>(opts: {
  shape: TShape;
  error: TRPCError;
}): TShape & { data: TShape['data'] & JwtErrorData } {
  const { shape, error } = opts;
  const jwtError = findJwtError(error);
  if (!jwtError) return { ...shape, data: { ...shape.data, jwt: null } };
  const data = { ...shape.data, jwt: { code: jwtError.code } };
  if (error.code === 'INTERNAL_SERVER_ERROR' && error.cause === jwtError) {
    // A JwtError thrown in a resolver: tRPC wrapped it as a 500; give it its own status.
    return {
      ...shape,
      message: jwtError.message,
      code: TRPC_ERROR_CODES_BY_KEY[jwtError.trpcCode],
      data: { ...data, code: jwtError.trpcCode, httpStatus: jwtError.httpStatus },
    };
  }
  return { ...shape, data };
}
