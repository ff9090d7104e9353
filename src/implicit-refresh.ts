import { reportFailure } from './client-error.js';
import type { ResolvedConfig } from './config.js';
import type { JwtRequest } from './context.js';
import { FAMILY_CLAIM } from './rotation.js';
import { csrfCookies, writeTokenCookies } from './session-cookies.js';
import { mintToken } from './tokens/create.js';
import type { VerifiedToken } from './types.js';
import { assertNotRevoked } from './verify.js';

/**
 * The implicit-refresh behaviour (`implicitRefreshWindow`): after a successful call whose access
 * cookie expires within the window, the response sets a new access cookie.
 */

function shouldReissue(
  config: ResolvedConfig,
  req: JwtRequest,
  token: VerifiedToken<any> | null,
  type: string,
): token is VerifiedToken<any> {
  const window = config.implicitRefreshWindow;
  const exp = token?.payload.exp;
  return (
    window !== undefined &&
    token !== null &&
    token.location === 'cookies' &&
    token.type !== 'refresh' &&
    type !== 'subscription' &&
    typeof exp === 'number' &&
    exp - config.clock() / 1000 < window &&
    !req.streaming &&
    !req.cookiesUnset &&
    req.canSetCookies &&
    !req.cookiesSet.has(config.tokens.access.cookieName)
  );
}

/**
 * Sets a new access cookie for `token` when the call qualifies (see `shouldReissue`): a promise to
 * await then, else undefined (synchronously, so a call that does not qualify pays no promise). Never
 * fails the call: a revoked token, a store that failed, or a response that can no longer take cookies
 * (sent already) sets no cookie; the call's own answer stands and the next request decides.
 */
export function implicitRefresh(
  config: ResolvedConfig,
  req: JwtRequest,
  ctx: unknown,
  token: VerifiedToken<any> | null,
  type: string,
): Promise<void> | undefined {
  return shouldReissue(config, req, token, type) ? reissue(config, req, ctx, token) : undefined;
}

async function reissue(
  config: ResolvedConfig,
  req: JwtRequest,
  ctx: unknown,
  token: VerifiedToken<any>,
): Promise<void> {
  try {
    // Checked now, after the procedure ran, whatever it skipped: a token revoked before or
    // during the call (a logout, a logout-everywhere, a revoked family) never slides.
    await assertNotRevoked(config, token, ctx);
    // The new token stays in the session it slides: same family, so revoking the family
    // (reuse detection, a device logout) refuses it too.
    const family = token.payload[FAMILY_CLAIM];
    const opts = typeof family === 'string' ? { additionalClaims: { [FAMILY_CLAIM]: family } } : {};
    // The csrf claim comes from the minting, not from decoding the token just signed.
    const minted = await mintToken(config, token.identity, 'access', opts);
    if (csrfCookies(config)) {
      if (minted.csrf === undefined) return; // a custom claim took the csrf claim away: no cookie
      writeTokenCookies(config, req, 'access', minted);
    } else {
      writeTokenCookies(config, req, 'access', { token: minted.token, csrf: undefined });
    }
  } catch (error) {
    // No new cookie (see above); a revocation check that failed closed is reported to `onError`.
    reportFailure(config, error);
  }
}
