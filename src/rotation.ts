import { RevokedTokenError } from './errors.js';
import { failClosed } from './internal/fail-closed.js';
import type { Blocklist } from './stores/types.js';
import type { CreateAccessTokenOptions, CreateRefreshTokenOptions, MintedToken } from './tokens/create.js';
import type { VerifiedToken } from './types.js';

/**
 * The store operation rotation needs: both blocklists have it. `rotate` checks the presented token
 * against the store's own revocations (jti, family, identity cut-off), whatever the manager's
 * `tokenInBlocklistLoader` is, and retires it in the same atomic step.
 */
export type RotationStore = Pick<Blocklist, 'rotate'>;

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
) => Promise<MintedToken>;

/** The family claim carried by both tokens of a pair. */
export const FAMILY_CLAIM = 'fam';

/** Both tokens of a pair, as minted (with their signed claims). */
async function mintPair(
  create: Creator,
  identity: unknown,
  family: string,
  opts: TokenPairOptions,
): Promise<{ access: MintedToken; refresh: MintedToken }> {
  const withFamily = (o: CreateAccessTokenOptions | undefined): CreateAccessTokenOptions => ({
    ...o,
    additionalClaims: { ...o?.additionalClaims, [FAMILY_CLAIM]: family },
  });
  const [access, refresh] = await Promise.all([
    create(identity, 'access', withFamily(opts.access)),
    create(identity, 'refresh', withFamily(opts.refresh)),
  ]);
  return { access, refresh };
}

/** Mints the first pair of a new family (at login). */
export async function createTokenPair(
  create: Creator,
  identity: unknown,
  opts: TokenPairOptions = {},
): Promise<TokenPair> {
  const { access, refresh } = await mintPair(create, identity, crypto.randomUUID(), opts);
  return { accessToken: access.token, refreshToken: refresh.token };
}

/**
 * Refresh-token rotation with reuse detection (RFC 9700 §4.14): retires the presented refresh token
 * and issues a new pair in the same family. The store checks the presented token itself (its jti,
 * family and identity cut-off) in the same atomic step that retires it, so a token revoked in that
 * store, or cut off by a logout-everywhere while this refresh was in flight, never gets a pair.
 * A retired refresh token presented again revokes the whole family — every refresh and access token
 * carrying its `fam` — for as long as the family's longest-lived token, and fails with TOKEN_REVOKED.
 * Of N concurrent uses exactly one succeeds. A store that throws fails closed: a TRPCError
 * INTERNAL_SERVER_ERROR whose `cause` is the store's error. With `reuseGraceMs` (the manager's
 * `reuseGrace`), the token just retired presented again within it gets a pair of the same family.
 */
export async function rotateRefreshToken(
  create: Creator,
  store: RotationStore,
  token: VerifiedToken<any>,
  opts: TokenPairOptions = {},
  reuseGraceMs = 0,
  report: (error: unknown) => void = () => {},
): Promise<TokenPair> {
  const { payload, header } = token;
  const family = typeof payload[FAMILY_CLAIM] === 'string' ? (payload[FAMILY_CLAIM] as string) : token.jti;
  if (token.type !== 'refresh' || family === null) {
    throw new TypeError('trpc-jwt-extended: rotateRefreshToken needs a verified refresh token with a jti');
  }
  if (typeof store?.rotate !== 'function') {
    throw new TypeError(
      'trpc-jwt-extended: rotateRefreshToken needs a store with rotate() (createMemoryBlocklist or createRedisBlocklist)',
    );
  }
  // Minted first, committed second: the store's decision is the last step, so nothing it refuses
  // ever leaves this function.
  const { access, refresh } = await mintPair(create, token.identity, family, {
    ...opts,
    access: { fresh: false, ...opts.access },
  });
  const nextJti = refresh.jti;
  if (nextJti === undefined) {
    throw new TypeError(
      "trpc-jwt-extended: rotateRefreshToken: custom claims removed the new refresh token's jti",
    );
  }
  const exp =
    access.exp === undefined || refresh.exp === undefined ? undefined : Math.max(access.exp, refresh.exp);
  // A store that throws (Redis down) fails closed: 500, its error the `cause`, never shown.
  const outcome = await failClosed(
    () => store.rotate(payload, family, { jti: nextJti, exp }, { reuseGraceMs }),
    'Token rotation failed: the store threw',
  ).catch((error: unknown) => {
    report(error);
    throw error;
  });
  if (outcome !== 'rotated') throw new RevokedTokenError('Token has been revoked', { header, payload });
  return { accessToken: access.token, refreshToken: refresh.token };
}
