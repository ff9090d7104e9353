import { parseDuration, type ResolvedConfig } from '../config.js';
import { JwtConfigError } from '../errors.js';
import { encodeBase64url } from '../internal/base64url.js';
import { isPlainObject, safeAssign } from '../internal/objects.js';
import type { Duration, KeyInput } from '../types.js';
import { sign } from './crypto.js';
import { prepareRuntimeKey } from './keys.js';

/** Options of `createAccessToken`. */
export interface CreateAccessTokenOptions {
  /** `true`, `false`, or a duration: fresh until now + duration (stored as a timestamp). @default false */
  fresh?: boolean | Duration;
  /** Overrides `accessTokenExpires`; `false` means no `exp`. */
  expiresDelta?: Duration | false;
  /** Claims merged last (over the loader's, over the reserved ones). */
  additionalClaims?: Record<string, unknown>;
  /** Header parameters merged over the loader's and over `alg`/`typ`. */
  additionalHeaders?: Record<string, unknown>;
}

/** Options of `createRefreshToken`. */
export type CreateRefreshTokenOptions = Omit<CreateAccessTokenOptions, 'fresh'>;

const HEADER_CACHE = new Map<string, string>();

function newJti(): string {
  return crypto.randomUUID();
}

async function loaderObject(
  name: 'additionalClaimsLoader' | 'additionalHeadersLoader',
  loader: ((identity: unknown) => unknown) | undefined,
  identity: unknown,
): Promise<Record<string, unknown> | undefined> {
  if (!loader) return undefined;
  const value = await loader(identity);
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new JwtConfigError(name, 'must return a plain object');
  return value;
}

function expiresIn(
  option: string,
  value: Duration | false | undefined,
  fallback: number | false,
): number | false {
  if (value === undefined) return fallback;
  if (value === false) return false;
  return parseDuration(option, value);
}

function freshClaim(fresh: boolean | Duration | undefined, nowSeconds: number): boolean | number {
  if (fresh === undefined || typeof fresh === 'boolean') return fresh ?? false;
  return nowSeconds + parseDuration('fresh', fresh);
}

/**
 * Creates a signed token with flask-jwt-extended's claim layout:
 * `fresh, iat, jti, type, <identityClaim>, nbf, csrf, exp, aud, iss`, then custom claims
 * (loader first, argument wins ties; custom claims may override reserved ones, as in flask).
 */
export async function createToken(
  config: ResolvedConfig,
  identity: unknown,
  type: 'access' | 'refresh',
  opts: CreateAccessTokenOptions = {},
): Promise<string> {
  const { loaders } = config;
  const nowMs = config.clock();
  const iat = Math.floor(nowMs / 1000);
  const expires = expiresIn(
    'expiresDelta',
    opts.expiresDelta,
    type === 'access' ? config.accessTokenExpires : config.refreshTokenExpires,
  );
  // Without loaders (and with a plain identity) there is nothing to wait for: skipping Promise.all
  // over three ready values makes an HS256 token ~10% faster to create (bench/README.md).
  const ready =
    !loaders.additionalClaimsLoader &&
    !loaders.additionalHeadersLoader &&
    !loaders.userIdentityLoader &&
    typeof (identity as { then?: unknown } | null | undefined)?.then !== 'function';
  const [loaderClaims, loaderHeaders, subject] = ready
    ? [undefined, undefined, identity]
    : await Promise.all([
        loaderObject('additionalClaimsLoader', loaders.additionalClaimsLoader, identity),
        loaderObject('additionalHeadersLoader', loaders.additionalHeadersLoader, identity),
        loaders.userIdentityLoader ? loaders.userIdentityLoader(identity) : identity,
      ]);
  if (subject === undefined) {
    throw new TypeError('trpc-jwt-extended: createAccessToken/createRefreshToken need an identity');
  }

  const payload: Record<string, unknown> = {
    fresh: type === 'access' ? freshClaim(opts.fresh, nowMs / 1000) : false,
    iat,
    jti: newJti(),
    type,
  };
  payload[config.identityClaim] = subject;
  if (config.encodeNbf) payload.nbf = iat;
  if (config.cookieCsrfProtect) payload.csrf = newJti();
  if (expires !== false) payload.exp = iat + Math.floor(expires);
  if (config.encodeAudience) payload.aud = config.encodeAudience;
  if (config.encodeIssuer) payload.iss = config.encodeIssuer;
  safeAssign(payload, loaderClaims, opts.additionalClaims);

  const alg = config.algorithm;
  let key = config.signingKey;
  if (loaders.encodeKeyLoader) {
    key = prepareRuntimeKey((await loaders.encodeKeyLoader(identity)) as KeyInput, alg, 'private');
  }
  if (!key) {
    throw new JwtConfigError(
      config.remoteJwks ? 'jwksUrl' : 'privateKey',
      config.remoteJwks
        ? 'makes a verify-only manager: it cannot sign tokens'
        : `is required to sign tokens with ${alg} (only a public key is configured)`,
    );
  }

  const kid = config.keyring?.current.kid;
  const baseHeader: Record<string, unknown> =
    kid === undefined ? { alg, typ: 'JWT' } : { alg, kid, typ: 'JWT' };
  let headerSegment: string | undefined;
  if (!loaderHeaders && !opts.additionalHeaders) {
    const cacheKey = `${alg}:${kid ?? ''}`;
    headerSegment = HEADER_CACHE.get(cacheKey);
    if (headerSegment === undefined) {
      headerSegment = encodeBase64url(JSON.stringify(baseHeader));
      HEADER_CACHE.set(cacheKey, headerSegment);
    }
  } else {
    const header = safeAssign({ ...baseHeader }, loaderHeaders, opts.additionalHeaders);
    header.alg = alg; // the signing algorithm is pinned from configuration
    if (kid !== undefined) header.kid = kid; // and so is the key id of the signing key
    // Sorted keys, as PyJWT writes headers (fromEntries keeps a `__proto__` key as plain data).
    const sorted = Object.fromEntries(
      Object.keys(header)
        .sort()
        .map((k) => [k, header[k]]),
    );
    headerSegment = encodeBase64url(JSON.stringify(sorted));
  }
  const signingInput = `${headerSegment}.${encodeBase64url(JSON.stringify(payload))}`;
  const signed = sign(alg, key, signingInput); // synchronous on node:crypto
  const signature = signed instanceof Uint8Array ? signed : await signed;
  return `${signingInput}.${encodeBase64url(signature)}`;
}
