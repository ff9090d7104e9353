import { type CookieSettings, resolveCookieSettings } from './cookie-config.js';
import { JwtConfigError } from './errors.js';
import type { StandardSchemaV1 } from './internal/standard-schema.js';
import type { Keyring, RemoteKeyGetter } from './keyring.js';
import type { PreparedKey } from './tokens/keys.js';
import type { Algorithm, JwtManagerOptions } from './types.js';
import { COOKIE_MAX_AGE, DEFAULTS, TOKEN_LOCATIONS, type TokenLocation } from './config/defaults.js';
import { parseDuration, parseExpiry, resolveImplicitRefresh } from './config/durations.js';
import { resolveKeyMaterial } from './config/keys.js';

export { COOKIE_MAX_AGE, DEFAULTS, TOKEN_LOCATIONS } from './config/defaults.js';
export { parseDuration } from './config/durations.js';

type Options = JwtManagerOptions<any, any, any>;

/** The validated, frozen configuration a manager runs on. */
export interface ResolvedConfig extends CookieSettings {
  readonly algorithm: Algorithm;
  readonly decodeAlgorithms: ReadonlySet<Algorithm>;
  /** Key that signs new tokens (absent when encodeKeyLoader supplies it, or for verify-only asymmetric setups). */
  readonly signingKey: PreparedKey | undefined;
  /** Key that verifies tokens (absent when decodeKeyLoader, keys or jwksUrl supply it). */
  readonly verifyKey: PreparedKey | undefined;
  /** Rotating keys by kid (option `keys`). */
  readonly keyring: Keyring | undefined;
  /** The external issuer's key set (option `jwksUrl`). */
  readonly remoteJwks: RemoteKeyGetter | undefined;
  /** RFC 6750 challenge settings; undefined when off. */
  readonly wwwAuthenticate: { readonly realm: string } | undefined;
  /** ms a request-time loader may take before the request fails closed; undefined = no limit. */
  readonly loaderTimeoutMs: number | undefined;
  /** Implicit refresh window in seconds; undefined when off. */
  readonly implicitRefreshWindow: number | undefined;
  readonly accessTokenExpires: number | false;
  readonly refreshTokenExpires: number | false;
  readonly tokenLocation: readonly TokenLocation[];
  readonly identityClaim: string;
  readonly verifySub: boolean;
  readonly encodeAudience: string | readonly string[] | undefined;
  readonly decodeAudience: readonly string[] | undefined;
  readonly encodeIssuer: string | undefined;
  readonly decodeIssuer: readonly string[] | undefined;
  readonly decodeLeeway: number;
  readonly encodeNbf: boolean;
  readonly headerName: string;
  readonly headerType: string;
  readonly queryStringName: string;
  readonly queryStringValuePrefix: string;
  readonly jsonKey: string;
  readonly refreshJsonKey: string;
  readonly connectionParamsKey: string;
  readonly sessionCookie: boolean;
  /** undefined for session cookies, else COOKIE_MAX_AGE. */
  readonly cookieMaxAge: number | undefined;
  readonly cookieCsrfProtect: boolean;
  readonly csrfInCookies: boolean;
  readonly csrfCheckForm: boolean;
  readonly csrfMethods: ReadonlySet<string>;
  readonly accessCsrfHeaderName: string;
  readonly refreshCsrfHeaderName: string;
  readonly accessCsrfFieldName: string;
  readonly refreshCsrfFieldName: string;
  readonly maxTokenLength: number;
  readonly claims: StandardSchemaV1 | undefined;
  readonly clock: () => number;
  /** Verified-token cache size (0 = off) and TTL in ms (undefined = until exp). */
  readonly cache: { readonly maxSize: number; readonly ttlMs: number | undefined };
  /** The loaders, as given. */
  readonly loaders: Pick<Options, LoaderName>;
}

const LOADER_NAMES = [
  'additionalClaimsLoader',
  'additionalHeadersLoader',
  'userIdentityLoader',
  'encodeKeyLoader',
  'decodeKeyLoader',
  'tokenInBlocklistLoader',
  'tokenVerificationLoader',
  'userLookupLoader',
  'expiredTokenLoader',
  'needsFreshTokenLoader',
  'revokedTokenLoader',
  'tokenVerificationFailedLoader',
  'userLookupErrorLoader',
  'invalidTokenLoader',
  'unauthorizedLoader',
] as const;
type LoaderName = (typeof LOADER_NAMES)[number];

const KNOWN_OPTIONS = new Set<string>([
  ...Object.keys(DEFAULTS),
  ...LOADER_NAMES,
  'secretKey',
  'privateKey',
  'publicKey',
  'decodeAlgorithms',
  'encodeAudience',
  'decodeAudience',
  'encodeIssuer',
  'decodeIssuer',
  'cookieDomain',
  'cookieSamesite',
  'claims',
  'clock',
  'cache',
  'keys',
  'jwksUrl',
  'jwksOptions',
  'wwwAuthenticate',
  'implicitRefresh',
  'loaderTimeout',
]);
KNOWN_OPTIONS.delete('cacheMaxSize');

function str(opts: Options, name: keyof typeof DEFAULTS & keyof Options, allowEmpty = false): string {
  const value = opts[name] ?? DEFAULTS[name];
  if (typeof value !== 'string') throw new JwtConfigError(name, 'must be a string');
  if (!allowEmpty && value.trim() === '') throw new JwtConfigError(name, 'cannot be empty');
  return value;
}

function bool(opts: Options, name: keyof typeof DEFAULTS & keyof Options): boolean {
  const value = opts[name] ?? DEFAULTS[name];
  if (typeof value !== 'boolean') throw new JwtConfigError(name, 'must be a boolean');
  return value;
}

function optionalStrings(name: string, value: unknown, allowList: boolean): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    (!allowList && typeof value !== 'string') ||
    list.length === 0 ||
    list.some((v) => typeof v !== 'string' || v === '')
  ) {
    throw new JwtConfigError(
      name,
      allowList ? 'must be a non-empty string or string[]' : 'must be a non-empty string',
    );
  }
  return Object.freeze([...list]);
}

function resolveLocations(value: unknown, option = 'tokenLocation'): readonly TokenLocation[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new JwtConfigError(option, `must be a non-empty list of ${TOKEN_LOCATIONS.join(', ')}`);
  }
  for (const loc of list) {
    if (!(TOKEN_LOCATIONS as readonly unknown[]).includes(loc)) {
      throw new JwtConfigError(
        option,
        `has an unknown location ${JSON.stringify(String(loc))}; use ${TOKEN_LOCATIONS.join(', ')}`,
      );
    }
  }
  return Object.freeze([...new Set(list as TokenLocation[])]);
}

/** Validates per-procedure `locations` the same way as the `tokenLocation` option. */
export function resolveProcedureLocations(value: unknown): readonly TokenLocation[] {
  return resolveLocations(value, 'locations');
}

/** Validates every option at once, returning the frozen config. Throws JwtConfigError naming the option. */
export function resolveConfig(opts: Options): ResolvedConfig {
  if (typeof opts !== 'object' || opts === null) {
    throw new JwtConfigError('options', 'must be an object');
  }
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key) && (opts as Record<string, unknown>)[key] !== undefined) {
      throw new JwtConfigError(key, 'is not a known option (see the options table in the README)');
    }
  }
  for (const name of LOADER_NAMES) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') {
      throw new JwtConfigError(name, 'must be a function');
    }
  }
  const { algorithm, decode, signingKey, verifyKey, keyring, remoteJwks } = resolveKeyMaterial(opts);

  const leeway = opts.decodeLeeway ?? DEFAULTS.decodeLeeway;
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
    throw new JwtConfigError('decodeLeeway', 'must be a finite, non-negative number of seconds');
  }
  const maxTokenLength = opts.maxTokenLength ?? DEFAULTS.maxTokenLength;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 16) {
    throw new JwtConfigError('maxTokenLength', 'must be an integer ≥ 16');
  }
  const csrfMethods = opts.csrfMethods ?? DEFAULTS.csrfMethods;
  if (!Array.isArray(csrfMethods) || csrfMethods.some((m) => typeof m !== 'string' || m === '')) {
    throw new JwtConfigError('csrfMethods', 'must be an array of HTTP method names');
  }
  const samesite = opts.cookieSamesite;
  if (samesite !== undefined && !['Strict', 'Lax', 'None'].includes(samesite)) {
    throw new JwtConfigError('cookieSamesite', "must be 'Strict', 'Lax' or 'None'");
  }
  if (
    opts.encodeIssuer !== undefined &&
    (typeof opts.encodeIssuer !== 'string' || opts.encodeIssuer === '')
  ) {
    throw new JwtConfigError('encodeIssuer', 'must be a non-empty string');
  }
  if (opts.clock !== undefined && typeof opts.clock !== 'function') {
    throw new JwtConfigError('clock', 'must be a function returning milliseconds since the epoch');
  }
  const claims = opts.claims;
  if (claims !== undefined && typeof (claims as StandardSchemaV1)?.['~standard']?.validate !== 'function') {
    throw new JwtConfigError('claims', 'must be a Standard Schema (for example a zod object schema)');
  }
  const cookies = resolveCookieSettings({
    accessCookieName: str(opts, 'accessCookieName'),
    refreshCookieName: str(opts, 'refreshCookieName'),
    accessCsrfCookieName: str(opts, 'accessCsrfCookieName'),
    refreshCsrfCookieName: str(opts, 'refreshCsrfCookieName'),
    accessCookiePath: str(opts, 'accessCookiePath'),
    refreshCookiePath: str(opts, 'refreshCookiePath'),
    accessCsrfCookiePath: str(opts, 'accessCsrfCookiePath'),
    refreshCsrfCookiePath: str(opts, 'refreshCsrfCookiePath'),
    cookieSecure: bool(opts, 'cookieSecure'),
    cookieDomain: opts.cookieDomain,
    cookieSamesite: samesite,
    cookieHostPrefix: bool(opts, 'cookieHostPrefix'),
  });
  const cache = resolveCache(opts);
  const sessionCookie = bool(opts, 'sessionCookie');
  const encodeAudience = optionalStrings('encodeAudience', opts.encodeAudience, true);

  const loaders: Record<string, unknown> = {};
  for (const name of LOADER_NAMES) if (opts[name]) loaders[name] = opts[name];

  return Object.freeze({
    algorithm,
    decodeAlgorithms: new Set(decode),
    signingKey,
    verifyKey,
    keyring,
    remoteJwks,
    wwwAuthenticate: resolveChallenge(opts.wwwAuthenticate),
    implicitRefreshWindow: resolveImplicitRefresh(opts.implicitRefresh),
    loaderTimeoutMs:
      opts.loaderTimeout === false
        ? undefined
        : parseDuration('loaderTimeout', opts.loaderTimeout ?? '10s') * 1000,
    accessTokenExpires: parseExpiry(
      'accessTokenExpires',
      opts.accessTokenExpires,
      DEFAULTS.accessTokenExpires,
    ),
    refreshTokenExpires: parseExpiry(
      'refreshTokenExpires',
      opts.refreshTokenExpires,
      DEFAULTS.refreshTokenExpires,
    ),
    tokenLocation: resolveLocations(opts.tokenLocation ?? DEFAULTS.tokenLocation),
    identityClaim: identityClaim(opts),
    verifySub: bool(opts, 'verifySub'),
    encodeAudience: typeof opts.encodeAudience === 'string' ? opts.encodeAudience : encodeAudience,
    decodeAudience: optionalStrings('decodeAudience', opts.decodeAudience, true),
    encodeIssuer: opts.encodeIssuer,
    decodeIssuer: optionalStrings('decodeIssuer', opts.decodeIssuer, true),
    decodeLeeway: leeway,
    encodeNbf: bool(opts, 'encodeNbf'),
    headerName: str(opts, 'headerName'),
    headerType: str(opts, 'headerType', true).trim(),
    queryStringName: str(opts, 'queryStringName'),
    queryStringValuePrefix: str(opts, 'queryStringValuePrefix', true),
    jsonKey: str(opts, 'jsonKey'),
    refreshJsonKey: str(opts, 'refreshJsonKey'),
    connectionParamsKey: str(opts, 'connectionParamsKey'),
    ...cookies,
    sessionCookie,
    cookieMaxAge: sessionCookie ? undefined : COOKIE_MAX_AGE,
    cookieCsrfProtect: bool(opts, 'cookieCsrfProtect'),
    csrfInCookies: bool(opts, 'csrfInCookies'),
    csrfCheckForm: bool(opts, 'csrfCheckForm'),
    csrfMethods: new Set(csrfMethods.map((m) => m.toUpperCase())),
    accessCsrfHeaderName: str(opts, 'accessCsrfHeaderName'),
    refreshCsrfHeaderName: str(opts, 'refreshCsrfHeaderName'),
    accessCsrfFieldName: str(opts, 'accessCsrfFieldName'),
    refreshCsrfFieldName: str(opts, 'refreshCsrfFieldName'),
    maxTokenLength,
    claims: claims as StandardSchemaV1 | undefined,
    clock: opts.clock ?? Date.now,
    cache,
    loaders: Object.freeze(loaders) as ResolvedConfig['loaders'],
  });
}

const REALM_RE = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

function resolveChallenge(value: Options['wwwAuthenticate']): ResolvedConfig['wwwAuthenticate'] {
  if (value === false) return undefined;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new JwtConfigError('wwwAuthenticate', 'must be false or { realm?: string }');
  }
  const realm = value?.realm ?? 'api';
  if (typeof realm !== 'string' || !REALM_RE.test(realm)) {
    throw new JwtConfigError(
      'wwwAuthenticate',
      '`realm` must be printable ASCII without quotes or backslashes',
    );
  }
  return { realm };
}

const RESERVED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
RESERVED_NAMES.add('prototype');

function identityClaim(opts: Options): string {
  const name = str(opts, 'identityClaim');
  if (RESERVED_NAMES.has(name)) {
    throw new JwtConfigError(
      'identityClaim',
      `cannot be ${JSON.stringify(name)}: it is an Object.prototype name`,
    );
  }
  return name;
}

function resolveCache(opts: Options): ResolvedConfig['cache'] {
  const given = opts.cache;
  const dynamicKeys = opts.decodeKeyLoader !== undefined || opts.jwksUrl !== undefined;
  if (given === false) return { maxSize: 0, ttlMs: undefined };
  if (given === undefined) {
    return { maxSize: dynamicKeys ? 0 : DEFAULTS.cacheMaxSize, ttlMs: undefined };
  }
  if (typeof given !== 'object' || given === null) {
    throw new JwtConfigError('cache', 'must be false or { maxSize?, ttl? }');
  }
  const maxSize = given.maxSize ?? DEFAULTS.cacheMaxSize;
  if (!Number.isInteger(maxSize) || maxSize < 0) {
    throw new JwtConfigError('cache', '`maxSize` must be a non-negative integer');
  }
  const ttlMs = given.ttl === undefined ? undefined : parseDuration('cache', given.ttl) * 1000;
  if (dynamicKeys && ttlMs === undefined && maxSize > 0) {
    throw new JwtConfigError(
      'cache',
      'needs a `ttl` when decodeKeyLoader is set: a cached token would outlive a key the loader stops returning',
    );
  }
  return { maxSize, ttlMs };
}
