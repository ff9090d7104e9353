import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import {
  CSRFError,
  ExpiredSignatureError,
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
  NoAuthorizationError,
  RevokedTokenError,
  toTRPCError,
  UserClaimsVerificationError,
  UserLookupError,
  WrongTokenError,
} from '../../src/index.js';
import { type AnyJwtError, JWT_ERROR_CLASSES } from '../../src/errors.js';

/** API.md §5: class, code, tRPC code, HTTP status, a default message. */
const TABLE = [
  [NoAuthorizationError, 'NO_AUTHORIZATION', 'UNAUTHORIZED', 401, 'Missing Authorization Header'],
  [CSRFError, 'CSRF_ERROR', 'UNAUTHORIZED', 401, 'CSRF double submit tokens do not match'],
  [
    InvalidHeaderError,
    'INVALID_HEADER',
    'UNPROCESSABLE_CONTENT',
    422,
    "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
  ],
  [
    InvalidQueryParamError,
    'INVALID_QUERY_PARAM',
    'UNPROCESSABLE_CONTENT',
    422,
    "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
  ],
  [JWTDecodeError, 'INVALID_TOKEN', 'UNPROCESSABLE_CONTENT', 422, 'Not enough segments'],
  [WrongTokenError, 'WRONG_TOKEN_TYPE', 'UNPROCESSABLE_CONTENT', 422, 'Only refresh tokens are allowed'],
  [ExpiredSignatureError, 'TOKEN_EXPIRED', 'UNAUTHORIZED', 401, 'Token has expired'],
  [FreshTokenRequiredError, 'FRESH_TOKEN_REQUIRED', 'UNAUTHORIZED', 401, 'Fresh token required'],
  [RevokedTokenError, 'TOKEN_REVOKED', 'UNAUTHORIZED', 401, 'Token has been revoked'],
  [
    UserClaimsVerificationError,
    'CLAIMS_VERIFICATION_FAILED',
    'BAD_REQUEST',
    400,
    'User claims verification failed',
  ],
  [UserLookupError, 'USER_LOOKUP_FAILED', 'UNAUTHORIZED', 401, 'Error loading the user alice'],
  [InsufficientScopeError, 'INSUFFICIENT_SCOPE', 'FORBIDDEN', 403, 'Insufficient scope: needs notes:write'],
] as const;

describe('JwtError classes (API.md §5)', () => {
  for (const [Class, code, trpcCode, httpStatus, message] of TABLE) {
    it(`${Class.name} has code ${code}, tRPC code ${trpcCode}, HTTP ${httpStatus}`, () => {
      const error = new Class(message);
      expect(error).toBeInstanceOf(JwtError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.trpcCode).toBe(trpcCode);
      expect(error.httpStatus).toBe(httpStatus);
      expect(error.message).toBe(message);
      expect(error.name).toBe(Class.name);
      expect(error.header).toBeUndefined();
      expect(error.payload).toBeUndefined();
      expect(isJwtError(error)).toBe(true);
    });
  }

  it('covers every code exactly once, and the code table matches', () => {
    expect(TABLE.map((row) => row[1]).sort()).toEqual([...JWT_ERROR_CODES].sort());
    for (const [, code, trpcCode] of TABLE) expect(JWT_TO_TRPC_CODE[code]).toBe(trpcCode);
  });

  it('keeps the verified header and payload it is given', () => {
    const header = { alg: 'HS256', typ: 'JWT' };
    const payload = { sub: 'alice', exp: 1 };
    const error = new ExpiredSignatureError('Token has expired', { header, payload });
    expect(error.header).toBe(header);
    expect(error.payload).toBe(payload);
  });

  it('maps to a TRPCError with the tRPC code, the message, and the JwtError as cause', () => {
    for (const [Class, , trpcCode, , message] of TABLE) {
      const error = new Class(message);
      const trpc = toTRPCError(error);
      expect(trpc).toBeInstanceOf(TRPCError);
      expect(trpc.code).toBe(trpcCode);
      expect(trpc.message).toBe(message);
      expect(trpc.cause).toBe(error);
      expect(findJwtError(trpc)).toBe(error);
    }
  });

  it('finds the JwtError behind an error, and nothing behind others', () => {
    const error = new RevokedTokenError('Token has been revoked');
    expect(findJwtError(error)).toBe(error);
    expect(findJwtError(new Error('x', { cause: error }))).toBe(error);
    expect(findJwtError(new Error('x'))).toBeUndefined();
    expect(findJwtError(new TRPCError({ code: 'UNAUTHORIZED' }))).toBeUndefined();
    expect(findJwtError('Token has expired')).toBeUndefined();
    expect(findJwtError(undefined)).toBeUndefined();
    expect(isJwtError(new Error('Token has expired'))).toBe(false);
    expect(isJwtError({ code: 'TOKEN_EXPIRED' })).toBe(false);
  });
});

describe('JwtConfigError', () => {
  it('is a TypeError naming the option', () => {
    const error = new JwtConfigError('secretKey', 'is required');
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(JwtError);
    expect(error.name).toBe('JwtConfigError');
    expect(error.option).toBe('secretKey');
    expect(error.message).toBe('trpc-jwt-extended: option `secretKey` is required');
    expect(isJwtError(error)).toBe(false);
    expect(findJwtError(error)).toBeUndefined();
  });
});

describe('JWT_ERROR_CLASSES and AnyJwtError', () => {
  it.each(JWT_ERROR_CODES)('%s has a class whose instances carry that code', (code) => {
    const error: AnyJwtError = new JWT_ERROR_CLASSES[code]('message');
    expect(error).toBeInstanceOf(JwtError);
    expect(error.code).toBe(code);
  });
});
