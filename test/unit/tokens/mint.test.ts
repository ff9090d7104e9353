/**
 * `mintToken` hands back the claims it signed (after custom claims are merged), so rotation and
 * implicit refresh never decode a token they just made: the values must be the signed ones.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config.js';
import { mintToken } from '../../../src/tokens/create.js';
import { parts, SECRET_HS256 } from '../../helpers/keys.js';

const config = resolveConfig({ secretKey: SECRET_HS256, clock: () => 1_700_000_000_000 });

describe('mintToken', () => {
  it.each([
    ['no custom claims', {}],
    ['a custom exp and jti', { additionalClaims: { exp: 1_800_000_000, jti: 'chosen-jti' } }],
    ['a custom exp that is not a number', { additionalClaims: { exp: 'soon' } }],
    ['no expiry', { expiresDelta: false as const }],
  ])('returns the csrf, jti and exp as signed: %s', async (_, opts) => {
    const minted = await mintToken(config, 'alice', 'refresh', opts);
    const { payload } = parts(minted.token);
    expect({ csrf: minted.csrf, jti: minted.jti, exp: minted.exp }).toEqual({
      csrf: payload.csrf,
      jti: payload.jti,
      exp: typeof payload.exp === 'number' ? payload.exp : undefined,
    });
  });
});
