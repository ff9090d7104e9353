import type { TRPCError } from '@trpc/server';
import type { StandardSchemaV1 } from './internal/standard-schema.js';
import type { JwtHeader, JwtPayload } from './jwt.js';

export type { JwtHeader, JwtPayload } from './jwt.js';

import type { TokenLocation } from './config/defaults.js';

export type { TokenLocation } from './config/defaults.js';

import type { Algorithm } from './tokens/algorithms.js';

export { ALGORITHMS, type Algorithm } from './tokens/algorithms.js';

/**
 * A duration: a number of seconds, or a string such as `'30s'`, `'15m'`, `'12h'`, `'30d'`, `'2w'`.
 */
export type Duration = number | `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

/**
 * A key: a string (HMAC secret, or PEM for asymmetric algorithms), bytes (HMAC secret), a JWK, a
 * node:crypto KeyObject or a WebCrypto CryptoKey.
 */
export type KeyInput =
  string | Uint8Array | JsonWebKey | CryptoKey | { type: string; asymmetricKeyType?: string };

/** One key of a rotating key set (option `keys`). The first key signs new tokens. */
export interface RotatingKey {
  /** Key id, written to the `kid` header of tokens this key signs. */
  kid: string;
  algorithm: Algorithm;
  /** HMAC secret (HS* only). */
  secret?: string | Uint8Array;
  /** Signing key (asymmetric); needed for the first (current) key. */
  privateKey?: KeyInput;
  /** Verification key (asymmetric); derived from privateKey when absent. */
  publicKey?: KeyInput;
}

/**
 * Options of the remote JWK Set (option `jwksUrl`), all in milliseconds. During an outage of the
 * issuer, at most one fetch is made per `cooldownDuration`, and the last good set keeps verifying for
 * `staleIfError` after it outlived `cacheMaxAge`.
 */
export interface RemoteJwksOptions {
  /** ms a fetched set is used before it is fetched again. @default 600_000 */
  cacheMaxAge?: number;
  /**
   * ms between two fetches after a failed one, and between refetches for unknown kids.
   * @default 30_000
   */
  cooldownDuration?: number;
  /** ms before a fetch times out. @default 5_000 */
  timeoutDuration?: number;
  /**
   * ms the last good set keeps verifying after `cacheMaxAge` while the issuer cannot be reached;
   * after it, tokens fail closed. `0` fails closed as soon as the set is older than `cacheMaxAge`.
   * @default 3_600_000
   */
  staleIfError?: number;
}

/** A verified token, as `ctx.token` in protected procedures. */
export interface VerifiedToken<TClaims = {}> {
  /** The encoded token, as received. */
  raw: string;
  header: JwtHeader;
  payload: JwtPayload & TClaims;
  /**
   * The identity claim's value (`payload[identityClaim]`), always a string: a token whose identity
   * claim is anything else is refused (422), except an integer under `verifySub: false`, given here
   * as its decimal string (`payload` keeps the number).
   */
  identity: string;
  /** `payload.type`, `'access'` when absent. */
  type: string;
  /**
   * True only while the token is fresh now: `payload.fresh` is `true`, or a timestamp not yet passed
   * by the `clock`. The raw claim stays on `payload.fresh`.
   */
  fresh: boolean;
  /** `payload.jti`, `null` when absent. */
  jti: string | null;
  /** Where the token was found (flask's `get_jwt_request_location()`). */
  location: TokenLocation;
}

/** What the loaders that run on a verified token receive. */
export interface TokenLoaderArgs<TCtx = any> {
  header: JwtHeader;
  payload: JwtPayload;
  ctx: TCtx;
}

/** What `invalidTokenLoader` and `unauthorizedLoader` receive: flask's error string, and the context. */
export interface ReasonLoaderArgs<TCtx = any> {
  reason: string;
  ctx: TCtx;
  /** The JwtError behind the reason. */
  error: import('./errors.js').JwtError;
}

export type MaybePromise<T> = T | Promise<T>;

/** Options of `createJwtManager`. Every option is flask-jwt-extended's `JWT_*` option in camelCase. */
export interface JwtManagerOptions<TClaims = {}, TUser = never, TCtx = any> {
  /** HMAC secret for HS* algorithms (≥ 32/48/64 bytes). Falls back to nothing: required for HS*. */
  secretKey?: string | Uint8Array;
  /** Signing key for asymmetric algorithms: PEM, JWK, KeyObject or CryptoKey. */
  privateKey?: KeyInput;
  /** Verification key for asymmetric algorithms: PEM, JWK, KeyObject or CryptoKey. */
  publicKey?: KeyInput;
  /** @default 'HS256' */
  algorithm?: Algorithm;
  /** Algorithms accepted when decoding; `algorithm` is always included. @default [algorithm] */
  decodeAlgorithms?: readonly Algorithm[];
  /** @default '15m' */
  accessTokenExpires?: Duration | false;
  /** @default '30d' */
  refreshTokenExpires?: Duration | false;
  /** @default ['headers'] */
  tokenLocation?: TokenLocation | readonly TokenLocation[];
  /** @default 'sub' */
  identityClaim?: string;
  /** A `sub` claim that is not a string is invalid. @default true */
  verifySub?: boolean;
  encodeAudience?: string | readonly string[];
  decodeAudience?: string | readonly string[];
  encodeIssuer?: string;
  decodeIssuer?: string | readonly string[];
  /** Seconds of clock skew allowed for exp, nbf and iat. @default 0 */
  decodeLeeway?: number;
  /** @default true */
  encodeNbf?: boolean;
  /** @default 'Authorization' */
  headerName?: string;
  /** `''` means the header holds the raw token. @default 'Bearer' */
  headerType?: string;
  /** @default 'jwt' */
  queryStringName?: string;
  /** @default '' */
  queryStringValuePrefix?: string;
  /** @default 'access_token' */
  jsonKey?: string;
  /** @default 'refresh_token' */
  refreshJsonKey?: string;
  /** Key of `info.connectionParams` holding the token (subscriptions). @default 'token' */
  connectionParamsKey?: string;
  /** The claim `jwt.requireScopes` reads: a space-separated string (RFC 8693) or an array. @default 'scope' */
  scopeClaim?: string;
  /** The claim `jwt.requireRoles` reads: an array or a space-separated string. @default 'roles' */
  rolesClaim?: string;
  /** @default 'access_token_cookie' */
  accessCookieName?: string;
  /** @default 'refresh_token_cookie' */
  refreshCookieName?: string;
  /** @default '/' */
  accessCookiePath?: string;
  /** @default '/' */
  refreshCookiePath?: string;
  /** Required by `cookieSamesite: 'None'` and by `cookieHostPrefix`. @default false */
  cookieSecure?: boolean;
  /** A domain name (`'example.com'` or `'.example.com'`); not with `cookieHostPrefix`. @default undefined (host-only cookies) */
  cookieDomain?: string;
  /** `'None'` requires `cookieSecure: true`. @default undefined (no SameSite attribute) */
  cookieSamesite?: 'Strict' | 'Lax' | 'None';
  /**
   * Prefix the JWT and CSRF cookie names with `__Host-` when writing and reading them: browsers
   * then accept those cookies only from this host, over HTTPS, with `Path=/` and no `Domain`, so a
   * sibling subdomain cannot plant (toss) one. Requires `cookieSecure: true`, every cookie path
   * option `'/'` and no `cookieDomain`. @default false
   */
  cookieHostPrefix?: boolean;
  /** Session cookies (no Max-Age); when false, Max-Age is 31 540 000 s. @default true */
  sessionCookie?: boolean;
  /** @default true */
  cookieCsrfProtect?: boolean;
  /** @default true */
  csrfInCookies?: boolean;
  /** @default false */
  csrfCheckForm?: boolean;
  /** @default ['POST','PUT','PATCH','DELETE'] */
  csrfMethods?: readonly string[];
  /** @default 'csrf_access_token' */
  accessCsrfCookieName?: string;
  /** @default 'csrf_refresh_token' */
  refreshCsrfCookieName?: string;
  /** @default '/' */
  accessCsrfCookiePath?: string;
  /** @default '/' */
  refreshCsrfCookiePath?: string;
  /** @default 'X-CSRF-TOKEN' */
  accessCsrfHeaderName?: string;
  /** @default 'X-CSRF-TOKEN' */
  refreshCsrfHeaderName?: string;
  /** @default 'csrf_token' */
  accessCsrfFieldName?: string;
  /** @default 'csrf_token' */
  refreshCsrfFieldName?: string;
  /** Longest token accepted, in characters (inclusive). @default 8192 */
  maxTokenLength?: number;
  /** A Standard Schema (e.g. zod) for custom claims: validates verified payloads and types `ctx.token.payload`. */
  claims?: StandardSchemaV1<unknown, TClaims>;
  /** Milliseconds since the epoch; every time check uses it. @default () => Date.now() */
  clock?: () => number;
  /** Verified-token cache. @default { maxSize: 10_000 } when keys are static, off otherwise */
  cache?: false | { maxSize?: number; ttl?: Duration };

  /**
   * Rotating keys by `kid` (instead of secretKey/privateKey/publicKey): the first key signs new tokens
   * and its kid is written to their header; tokens are verified with the key their kid names, only
   * among these keys. Publish the public ones with `jwt.jwks()`.
   */
  keys?: readonly RotatingKey[];
  /**
   * Verify tokens from an external identity provider: its JWK Set URL (fetched one request at a
   * time, cached, with a cooldown that also applies after a failed fetch; the last good set keeps
   * verifying for `jwksOptions.staleIfError` during an outage). Such a manager verifies only; set
   * `decodeIssuer` and `decodeAudience` too. Algorithms default to `['RS256']`.
   */
  jwksUrl?: string | URL;
  /**
   * Cache, cooldown, timeout and stale-if-error settings of the remote JWK Set (milliseconds).
   * @default { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5_000, staleIfError: 3_600_000 }
   */
  jwksOptions?: RemoteJwksOptions;
  /**
   * RFC 6750 `WWW-Authenticate: Bearer realm="…", error="…", error_description="…"` on 401
   * responses of the HTTP adapters. @default { realm: 'api' }
   */
  wwwAuthenticate?: false | { realm?: string };
  /**
   * Implicit (sliding) refresh of cookie sessions: when a cookie access token verified by a
   * protected procedure expires within `window`, a new access cookie is set after the procedure
   * succeeds. Never for expired or invalid tokens, never after the request unset the cookies,
   * never on streamed responses. @default false
   */
  implicitRefresh?: false | { window?: Duration };
  /**
   * Refresh-token rotation's reuse grace (RFC 9700 §4.14.2): the refresh token just retired, presented
   * again within this long (two tabs refreshing at once), gets a new pair in the same family instead
   * of revoking it; after it, reuse revokes the family. `0` is strict. @default 0
   */
  reuseGrace?: Duration;
  /**
   * How long any loader's result may take to settle: a promise, a thenable or a promise from another
   * realm. Past it a request-time loader (blocklist, verification, user lookup, decode key, error
   * loaders) fails the request closed (INTERNAL_SERVER_ERROR) instead of hanging, and a creation
   * loader (additional claims/headers, user identity, encode key) makes `createAccessToken` /
   * `createRefreshToken` reject. `false` = no limit.
   * @default '10s'
   */
  loaderTimeout?: Duration | false;
  /**
   * How often an open subscription re-checks its token with `tokenInBlocklistLoader` (unless the
   * procedure skips the revocation check): a revoked token ends the stream with TOKEN_REVOKED within
   * this time, a failing or slow blocklist ends it closed. One lookup per open stream per interval,
   * never one per event. `false` = streams end only at `exp`.
   * @default '30s'
   */
  streamRevocationCheckInterval?: Duration | false;
  /**
   * Origins (`'https://app.example'`) trusted to open a WebSocket authenticated by a cookie (cross-site
   * WebSocket hijacking): the upgrade request's `Origin` must be one of them. Replaces the default;
   * `[]` refuses every cookie on a WebSocket. Header and connection-params tokens are unaffected.
   * @default the request's own origin: `http://<Host>` or `https://<Host>`
   */
  websocketOrigins?: readonly string[];

  additionalClaimsLoader?: (identity: unknown) => MaybePromise<Record<string, unknown>>;
  additionalHeadersLoader?: (identity: unknown) => MaybePromise<Record<string, unknown>>;
  userIdentityLoader?: (identity: unknown) => MaybePromise<string>;
  encodeKeyLoader?: (identity: unknown) => MaybePromise<KeyInput>;
  decodeKeyLoader?: (args: { header: JwtHeader; payload: JwtPayload }) => MaybePromise<KeyInput>;
  tokenInBlocklistLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<boolean>;
  tokenVerificationLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<boolean>;
  userLookupLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TUser | null | undefined>;
  expiredTokenLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  needsFreshTokenLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  revokedTokenLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  tokenVerificationFailedLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  userLookupErrorLoader?: (args: TokenLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  invalidTokenLoader?: (args: ReasonLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  unauthorizedLoader?: (args: ReasonLoaderArgs<TCtx>) => MaybePromise<TRPCError>;
  /**
   * Called whenever the library fails a request closed (a loader threw or timed out, the store is
   * down, a key set is unreachable, a claims check threw, a rotation's store failed, an implicit
   * re-issue could not check revocation): with the 500 the client gets, whose `cause` is the original
   * failure. For logs and metrics; it never receives a token or a secret, and what it throws or
   * returns is ignored.
   */
  onError?: (error: TRPCError) => unknown;
}
