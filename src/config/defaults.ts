/**
 * Every default of the package, in one leaf module that imports nothing: the server's options, the
 * token locations, and the names the client shares with the server (`Authorization`, `Bearer`, the
 * CSRF cookie and header names), so the client bundle can import them without the server.
 */

/** Where a token can be read from; `TokenLocation` is derived from this list. */
export const TOKEN_LOCATIONS = ['headers', 'cookies', 'query_string', 'json', 'connection_params'] as const;

/** Where a token can be read from, in the order given. */
export type TokenLocation = (typeof TOKEN_LOCATIONS)[number];

/** Every default in one place (flask-jwt-extended's, in camelCase). */
export const DEFAULTS = {
  algorithm: 'HS256',
  accessTokenExpires: '15m',
  refreshTokenExpires: '30d',
  tokenLocation: ['headers'],
  identityClaim: 'sub',
  verifySub: true,
  decodeLeeway: 0,
  encodeNbf: true,
  headerName: 'Authorization',
  headerType: 'Bearer',
  queryStringName: 'jwt',
  queryStringValuePrefix: '',
  jsonKey: 'access_token',
  refreshJsonKey: 'refresh_token',
  connectionParamsKey: 'token',
  accessCookieName: 'access_token_cookie',
  refreshCookieName: 'refresh_token_cookie',
  accessCookiePath: '/',
  refreshCookiePath: '/',
  cookieSecure: false,
  cookieHostPrefix: false,
  sessionCookie: true,
  cookieCsrfProtect: true,
  csrfInCookies: true,
  csrfCheckForm: false,
  csrfMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  accessCsrfCookieName: 'csrf_access_token',
  refreshCsrfCookieName: 'csrf_refresh_token',
  accessCsrfCookiePath: '/',
  refreshCsrfCookiePath: '/',
  accessCsrfHeaderName: 'X-CSRF-TOKEN',
  refreshCsrfHeaderName: 'X-CSRF-TOKEN',
  accessCsrfFieldName: 'csrf_token',
  refreshCsrfFieldName: 'csrf_token',
  maxTokenLength: 8192,
  cacheMaxSize: 10_000,
} as const;

/** Max-Age of non-session cookies, as flask-jwt-extended (about one year). */
export const COOKIE_MAX_AGE = 31_540_000;
