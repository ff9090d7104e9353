/**
 * Every default of the package, in one leaf module that imports nothing: the option registry (one
 * row per option of `createJwtManager`, with its default), the token locations and kinds, and the
 * names the client shares with the server (`Authorization`, `Bearer`, the CSRF cookie and header
 * names), so the client bundle imports them without the server.
 */

/** Where a token can be read from; `TokenLocation` is derived from this list. */
export const TOKEN_LOCATIONS = ['headers', 'cookies', 'query_string', 'json', 'connection_params'] as const;

/** Where a token can be read from, in the order given. */
export type TokenLocation = (typeof TOKEN_LOCATIONS)[number];

/**
 * The defaults the client (`jwtHeaders`) shares with the server, as plain constants: a client
 * bundle keeps these and drops the option registry.
 */
export const HEADER_NAME = 'Authorization';
export const HEADER_TYPE = 'Bearer';
export const ACCESS_CSRF_COOKIE_NAME = 'csrf_access_token';
export const REFRESH_CSRF_COOKIE_NAME = 'csrf_refresh_token';
export const CSRF_HEADER_NAME = 'X-CSRF-TOKEN';

/**
 * One row per option of `createJwtManager`, in the order of `JwtManagerOptions`: how the resolver
 * checks it (`check` names a function of src/config/checks.ts, or `keys`: src/config/keys.ts,
 * `loader`: a function kept in `config.loaders`, `own`: its own resolver in src/config/resolve.ts)
 * and its `default`, applied when the option is absent. src/config/resolve.ts checks this table
 * against `JwtManagerOptions` at compile time: an option without a row, or a row without an option,
 * does not compile.
 */
export const OPTIONS = {
  secretKey: { check: 'keys' },
  privateKey: { check: 'keys' },
  publicKey: { check: 'keys' },
  algorithm: { check: 'keys', default: 'HS256' },
  decodeAlgorithms: { check: 'keys' },
  accessTokenExpires: { check: 'expiry', default: '15m' },
  refreshTokenExpires: { check: 'expiry', default: '30d' },
  tokenLocation: { check: 'locations', default: ['headers'] },
  identityClaim: { check: 'claimName', default: 'sub' },
  verifySub: { check: 'boolean', default: true },
  encodeAudience: { check: 'audience' },
  decodeAudience: { check: 'strings' },
  encodeIssuer: { check: 'issuer' },
  decodeIssuer: { check: 'strings' },
  decodeLeeway: { check: 'seconds', default: 0 },
  encodeNbf: { check: 'boolean', default: true },
  headerName: { check: 'name', default: HEADER_NAME },
  headerType: { check: 'scheme', default: HEADER_TYPE },
  queryStringName: { check: 'name', default: 'jwt' },
  queryStringValuePrefix: { check: 'text', default: '' },
  jsonKey: { check: 'name', default: 'access_token' },
  refreshJsonKey: { check: 'name', default: 'refresh_token' },
  connectionParamsKey: { check: 'name', default: 'token' },
  scopeClaim: { check: 'name', default: 'scope' },
  rolesClaim: { check: 'name', default: 'roles' },
  accessCookieName: { check: 'name', default: 'access_token_cookie' },
  refreshCookieName: { check: 'name', default: 'refresh_token_cookie' },
  accessCookiePath: { check: 'name', default: '/' },
  refreshCookiePath: { check: 'name', default: '/' },
  cookieSecure: { check: 'boolean', default: false },
  cookieDomain: { check: 'given' },
  cookieSamesite: { check: 'sameSite' },
  cookieHostPrefix: { check: 'boolean', default: false },
  sessionCookie: { check: 'boolean', default: true },
  cookieCsrfProtect: { check: 'boolean', default: true },
  csrfInCookies: { check: 'boolean', default: true },
  csrfCheckForm: { check: 'boolean', default: false },
  csrfMethods: { check: 'methods', default: ['POST', 'PUT', 'PATCH', 'DELETE'] },
  accessCsrfCookieName: { check: 'name', default: ACCESS_CSRF_COOKIE_NAME },
  refreshCsrfCookieName: { check: 'name', default: REFRESH_CSRF_COOKIE_NAME },
  accessCsrfCookiePath: { check: 'name', default: '/' },
  refreshCsrfCookiePath: { check: 'name', default: '/' },
  accessCsrfHeaderName: { check: 'name', default: CSRF_HEADER_NAME },
  refreshCsrfHeaderName: { check: 'name', default: CSRF_HEADER_NAME },
  accessCsrfFieldName: { check: 'name', default: 'csrf_token' },
  refreshCsrfFieldName: { check: 'name', default: 'csrf_token' },
  maxTokenLength: { check: 'tokenLength', default: 8192 },
  claims: { check: 'schema' },
  // No default here: `Date.now` is read when the manager is created (a faked clock applies).
  clock: { check: 'clock' },
  // Off by default when keys are dynamic (decodeKeyLoader, jwksUrl) unless a ttl is given.
  cache: { check: 'own', default: { maxSize: 10_000 } },
  keys: { check: 'keys' },
  // `algorithm` defaults to this one with `jwksUrl`.
  jwksUrl: { check: 'keys', algorithm: 'RS256' },
  jwksOptions: {
    check: 'keys',
    default: {
      cacheMaxAge: 600_000,
      cooldownDuration: 30_000,
      timeoutDuration: 5_000,
      staleIfError: 3_600_000,
    },
  },
  wwwAuthenticate: { check: 'own', default: { realm: 'api' } },
  // `window` is the default of `{ window }`.
  implicitRefresh: { check: 'own', default: false, window: '5m' },
  loaderTimeout: { check: 'own', default: '10s' },
  streamRevocationCheckInterval: { check: 'own', default: '30s' },
  reuseGrace: { check: 'own', default: 0 },
  // Undefined by default: the request's own origin.
  websocketOrigins: { check: 'own' },
  additionalClaimsLoader: { check: 'loader' },
  additionalHeadersLoader: { check: 'loader' },
  userIdentityLoader: { check: 'loader' },
  encodeKeyLoader: { check: 'loader' },
  decodeKeyLoader: { check: 'loader' },
  tokenInBlocklistLoader: { check: 'loader' },
  tokenVerificationLoader: { check: 'loader' },
  userLookupLoader: { check: 'loader' },
  expiredTokenLoader: { check: 'loader' },
  needsFreshTokenLoader: { check: 'loader' },
  revokedTokenLoader: { check: 'loader' },
  tokenVerificationFailedLoader: { check: 'loader' },
  userLookupErrorLoader: { check: 'loader' },
  invalidTokenLoader: { check: 'loader' },
  unauthorizedLoader: { check: 'loader' },
  onError: { check: 'loader' },
} as const;

/** The name of an option of `createJwtManager`. */
export type OptionName = keyof typeof OPTIONS;

type Rows = typeof OPTIONS;
type WithDefault = {
  [K in OptionName]: Rows[K] extends { readonly default: unknown } ? K : never;
}[OptionName];
type Defaults = { readonly [K in WithDefault]: Rows[K] extends { readonly default: infer D } ? D : never } & {
  readonly cacheMaxSize: Rows['cache']['default']['maxSize'];
};

/** The rows' defaults, and `cacheMaxSize` (`cache.maxSize`'s, by its name in DEFAULTS). */
function defaultsOf(rows: typeof OPTIONS): Defaults {
  const defaults: Record<string, unknown> = { cacheMaxSize: rows.cache.default.maxSize };
  for (const [name, row] of Object.entries(rows)) if ('default' in row) defaults[name] = row.default;
  return defaults as Defaults;
}

/**
 * The default of every option that has one (flask-jwt-extended's, in camelCase), read from
 * `OPTIONS`, and `cacheMaxSize`: the default of `cache.maxSize`. (Marked pure so a client bundle,
 * which imports only the constants above, drops it and the registry.)
 */
export const DEFAULTS = /* @__PURE__ */ defaultsOf(OPTIONS);

/** Max-Age of non-session cookies, as flask-jwt-extended (about one year). */
export const COOKIE_MAX_AGE = 31_540_000;

/** The two kinds of token; the settings that differ between them are grouped by kind. */
export type TokenKind = 'access' | 'refresh';

const ACCESS_OPTIONS = {
  expires: 'accessTokenExpires',
  jsonKey: 'jsonKey',
  cookieName: 'accessCookieName',
  cookiePath: 'accessCookiePath',
  csrfCookieName: 'accessCsrfCookieName',
  csrfCookiePath: 'accessCsrfCookiePath',
  csrfHeaderName: 'accessCsrfHeaderName',
  csrfFieldName: 'accessCsrfFieldName',
} as const satisfies Record<string, OptionName>;

/** A setting of which access and refresh tokens each have their own option. */
export type TokenSetting = keyof typeof ACCESS_OPTIONS;

/** Which option holds each per-kind setting: `config.tokens[kind][setting]` is that option's value. */
export const TOKEN_OPTIONS = {
  access: ACCESS_OPTIONS,
  refresh: {
    expires: 'refreshTokenExpires',
    jsonKey: 'refreshJsonKey',
    cookieName: 'refreshCookieName',
    cookiePath: 'refreshCookiePath',
    csrfCookieName: 'refreshCsrfCookieName',
    csrfCookiePath: 'refreshCsrfCookiePath',
    csrfHeaderName: 'refreshCsrfHeaderName',
    csrfFieldName: 'refreshCsrfFieldName',
  },
} as const satisfies Record<TokenKind, Record<TokenSetting, OptionName>>;
