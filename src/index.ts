export {
  DEFAULTS,
  /** The type of `jwt.config`: the resolved options, keys described but never shown. */
  type ConfigView as ResolvedConfig,
} from './config.js';
export {
  type CreateJwtContextOptions,
  /** API.md §3's name for {@link CreateJwtContextOptions}. */
  type CreateJwtContextOptions as CreateContextOptions,
  createJwtContext,
  type JwtContextPart,
  JwtRequest,
  type JwtTransport,
} from './context.js';
export { serializeCookie, type CookieAttributes } from './cookies.js';
export { type JwtErrorData, jwtErrorFormatter, toTRPCError } from './error-formatter.js';
export {
  CSRFError,
  ExpiredSignatureError,
  type AnyJwtError,
  BlocklistFullError,
  BlocklistUnavailableError,
  LoaderTimeoutError,
  RemoteKeysUnavailableError,
  FreshTokenRequiredError,
  findJwtError,
  InsufficientScopeError,
  InvalidHeaderError,
  InvalidQueryParamError,
  isJwtError,
  JWT_ERROR_CODES,
  JWT_TO_TRPC_CODE,
  JwtConfigError,
  JWTDecodeError,
  JwtError,
  type JwtErrorCode,
  NoAuthorizationError,
  RevokedTokenError,
  UserClaimsVerificationError,
  UserLookupError,
  WrongTokenError,
} from './errors.js';
export type { RemoteJwksOptions, RotatingKey } from './keyring.js';
export { createMemoryBlocklist, type MemoryBlocklist, type MemoryBlocklistOptions } from './stores/memory.js';
export type { Blocklist, BlocklistOptions, RotationNext, RotationOutcome } from './stores/types.js';
export { FAMILY_CLAIM, type RotationStore, type TokenPair, type TokenPairOptions } from './rotation.js';
export {
  createJwtManager,
  type JwtManager,
  type SetCookieOptions,
  type UnsetCookieOptions,
  type VerifyJwtInRequestOptions,
} from './manager.js';
export type { AuthContext, JwtProcedureBuilder, JwtProcedures, MissingJwtContext } from './procedures.js';
export type { CreateAccessTokenOptions, CreateRefreshTokenOptions } from './tokens/create.js';
export type { DecodedToken, DecodeOptions } from './tokens/decode.js';
export {
  ALGORITHMS,
  type Algorithm,
  type Duration,
  type JwtHeader,
  type JwtManagerOptions,
  type JwtPayload,
  type KeyInput,
  type ReasonLoaderArgs,
  type TokenLoaderArgs,
  type TokenLocation,
  type VerifiedToken,
} from './types.js';
export type { VerifyOptions } from './verify.js';
