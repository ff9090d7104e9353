import { TRPCError } from '@trpc/server';
import { JwtError, RevokedTokenError } from './errors.js';
import type { CreateAccessTokenOptions, CreateRefreshTokenOptions } from './tokens/create.js';
import type { JwtPayload, VerifiedToken } from './types.js';

/** The store operations rotation needs (both blocklists have them). */
export interface RotationStore {
  /** Atomically marks a refresh token used: true the first time, false on reuse. */
  markUsed(payload: JwtPayload): Promise<boolean>;
  /** Revokes a whole family: its refresh and access tokens carry the `fam` claim. */
  revokeFamily(family: string, ttlSeconds?: number): Promise<void>;
}

/** A new access + refresh token pair of one family. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface TokenPairOptions {
  /** Options of the access token (`fresh`, `expiresDelta`, claims, headers). */
  access?: CreateAccessTokenOptions;
  /** Options of the refresh token. */
  refresh?: CreateRefreshTokenOptions;
}

type Creator = (
  identity: unknown,
  type: 'access' | 'refresh',
  opts: CreateAccessTokenOptions,
) => Promise<string>;

/** The family claim carried by both tokens of a pair. */
export const FAMILY_CLAIM = 'fam';

async function pair(
  create: Creator,
  identity: unknown,
  family: string,
  opts: TokenPairOptions,
): Promise<TokenPair> {
  const withFamily = (o: CreateAccessTokenOptions | undefined): CreateAccessTokenOptions => ({
    ...o,
    additionalClaims: { ...o?.additionalClaims, [FAMILY_CLAIM]: family },
  });
  const [accessToken, refreshToken] = await Promise.all([
    create(identity, 'access', withFamily(opts.access)),
    create(identity, 'refresh', withFamily(opts.refresh)),
  ]);
  return { accessToken, refreshToken };
}

/**
 * Runs a store operation; a store that throws (e.g. Redis unavailable) fails the request closed, as
 * a throwing blocklist loader does: INTERNAL_SERVER_ERROR with a generic message, so the client never
 * learns what the store is or why it failed. The store's error stays the `cause`, for `onError` logs.
 */
async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof JwtError || error instanceof TRPCError) throw error;
    throw new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Token rotation failed: the store threw',
      cause: error,
    });
  }
}

/** Mints the first pair of a new family (at login). */
export function createTokenPair(
  create: Creator,
  identity: unknown,
  opts: TokenPairOptions = {},
): Promise<TokenPair> {
  return pair(create, identity, crypto.randomUUID(), opts);
}

/**
 * Refresh-token rotation with reuse detection (RFC 9700 §4.14): retires the presented refresh token
 * and issues a new pair in the same family. A retired refresh token presented again revokes the
 * whole family — every refresh and access token carrying its `fam` — and fails with TOKEN_REVOKED.
 * The retirement is atomic in the store, so of N concurrent uses exactly one succeeds. A store that
 * throws fails closed: a TRPCError INTERNAL_SERVER_ERROR whose `cause` is the store's error.
 */
export async function rotateRefreshToken(
  create: Creator,
  store: RotationStore,
  token: VerifiedToken<any>,
  familyTtlSeconds: number | undefined,
  opts: TokenPairOptions = {},
): Promise<TokenPair> {
  const { payload, header } = token;
  const family = typeof payload[FAMILY_CLAIM] === 'string' ? (payload[FAMILY_CLAIM] as string) : token.jti;
  if (token.type !== 'refresh' || family === null) {
    throw new TypeError('trpc-jwt-extended: rotateRefreshToken needs a verified refresh token with a jti');
  }
  if (!(await fromStore(() => store.markUsed(payload)))) {
    await fromStore(() => store.revokeFamily(family, familyTtlSeconds));
    throw new RevokedTokenError('Token has been revoked', { header, payload });
  }
  return pair(create, token.identity, family, { ...opts, access: { fresh: false, ...opts.access } });
}
