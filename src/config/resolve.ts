import { type CookieSettings, resolveCookieSettings } from '../cookie-config.js';
import { JwtConfigError } from '../errors.js';
import type { Keyring, RemoteKeyGetter } from '../keyring.js';
import type { Algorithm } from '../tokens/algorithms.js';
import type { PreparedKey } from '../tokens/keys.js';
import type { JwtManagerOptions } from '../types.js';
import { CHECKS, type CheckName, resolveLocations } from './checks.js';
import {
  COOKIE_MAX_AGE,
  OPTIONS,
  type OptionName,
  TOKEN_OPTIONS,
  type TokenKind,
  type TokenLocation,
  type TokenSetting,
} from './defaults.js';
import { parseDuration, resolveImplicitRefresh } from './durations.js';
import { resolveKeyMaterial } from './keys.js';

type Options = JwtManagerOptions<any, any, any>;
type Rows = typeof OPTIONS;

/** A registry row: how the option is checked, and its default. */
export interface OptionRow {
  readonly check: CheckName | 'keys' | 'loader' | 'own';
  readonly default?: unknown;
}

/**
 * The option registry, checked against `JwtManagerOptions` at compile time: an option without a
 * row (`Property 'x' is missing`), a row that names no option (`not assignable to type 'never'`),
 * or an unknown check does not compile.
 */
export function checkRegistry<T extends { readonly [K in keyof Options]-?: OptionRow }>(
  rows: T & { readonly [K in Exclude<keyof T, keyof Options>]: never },
): T {
  return rows;
}

const REGISTRY = checkRegistry(OPTIONS);
const NAMES = Object.keys(REGISTRY) as OptionName[];

type ResultOf<C> = C extends CheckName ? ReturnType<(typeof CHECKS)[C]> : never;

/** The options a check of the registry resolves, each under its own name. */
export type CheckedOptions = {
  readonly [K in OptionName as Rows[K]['check'] extends CheckName ? K : never]: ResultOf<Rows[K]['check']>;
};

/** The names of the loader options. */
export type LoaderName = { [K in OptionName]: Rows[K]['check'] extends 'loader' ? K : never }[OptionName];

const LOADER_NAMES = NAMES.filter((name): name is LoaderName => REGISTRY[name].check === 'loader');

/** The settings of one kind of token (`config.tokens.access`, `config.tokens.refresh`). */
export type TokenSettings = {
  readonly [S in TokenSetting]: CheckedOptions[(typeof TOKEN_OPTIONS)['access'][S]];
};

/** The validated, frozen configuration a manager runs on. */
export interface ResolvedConfig extends CheckedOptions, CookieSettings {
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
  /** ms a retired refresh token may be presented again for a sibling pair (`reuseGrace`); 0 = strict. */
  readonly reuseGraceMs: number;
  /** ms between an open subscription's revocation re-checks; undefined when off. */
  readonly streamRevocationCheckMs: number | undefined;
  /** Origins trusted to open a cookie-authenticated WebSocket; undefined = the request's own origin. */
  readonly websocketOrigins: ReadonlySet<string> | undefined;
  /** undefined for session cookies, else COOKIE_MAX_AGE. */
  readonly cookieMaxAge: number | undefined;
  /** Verified-token cache size (0 = off) and TTL in ms (undefined = until exp). */
  readonly cache: { readonly maxSize: number; readonly ttlMs: number | undefined };
  /** The loaders, as given. */
  readonly loaders: Pick<Options, LoaderName>;
  /**
   * The per-kind settings by kind (`tokens[kind].cookieName` is `accessCookieName` or
   * `refreshCookieName`, `__Host-` prefix included); the code reads these, not the flat options.
   */
  readonly tokens: { readonly [K in TokenKind]: TokenSettings };
}

/** One kind's settings, read from the options `TOKEN_OPTIONS[kind]` names. */
function tokenSettings(resolved: CheckedOptions, kind: TokenKind): TokenSettings {
  const entries = Object.entries(TOKEN_OPTIONS[kind]).map(([setting, option]) => [setting, resolved[option]]);
  return Object.freeze(Object.fromEntries(entries)) as TokenSettings;
}

/** Runs the registry's check of every option that has one, its default applied. */
function resolveChecked(opts: Options): CheckedOptions {
  const checked: Record<string, unknown> = {};
  for (const name of NAMES) {
    const row: OptionRow = REGISTRY[name];
    if (!Object.hasOwn(CHECKS, row.check)) continue;
    const given = 'default' in row ? (opts[name] ?? row.default) : opts[name];
    checked[name] = CHECKS[row.check as CheckName](name, given);
  }
  return checked as CheckedOptions;
}

/** Validates per-procedure `locations` the same way as the `tokenLocation` option. */
export function resolveProcedureLocations(value: unknown): readonly TokenLocation[] {
  return resolveLocations('locations', value);
}

/** Validates every option at once, returning the frozen config. Throws JwtConfigError naming the option. */
export function resolveConfig(opts: Options): ResolvedConfig {
  if (typeof opts !== 'object' || opts === null) {
    throw new JwtConfigError('options', 'must be an object');
  }
  for (const key of Object.keys(opts)) {
    if (!Object.hasOwn(REGISTRY, key) && (opts as Record<string, unknown>)[key] !== undefined) {
      throw new JwtConfigError(key, 'is not a known option (see the options table in the README)');
    }
  }
  const loaders: Record<string, unknown> = {};
  for (const name of LOADER_NAMES) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') {
      throw new JwtConfigError(name, 'must be a function');
    }
    if (opts[name]) loaders[name] = opts[name];
  }
  const { decode, ...keys } = resolveKeyMaterial(opts);
  const checked = resolveChecked(opts);
  const options = { ...checked, ...resolveCookieSettings(checked) };
  return Object.freeze({
    ...options,
    ...keys,
    decodeAlgorithms: new Set(decode),
    wwwAuthenticate: resolveChallenge(opts.wwwAuthenticate),
    implicitRefreshWindow: resolveImplicitRefresh(opts.implicitRefresh),
    streamRevocationCheckMs: resolveStreamCheck(opts.streamRevocationCheckInterval),
    reuseGraceMs: parseDuration('reuseGrace', opts.reuseGrace ?? OPTIONS.reuseGrace.default) * 1000,
    websocketOrigins: resolveOrigins(opts.websocketOrigins),
    loaderTimeoutMs:
      opts.loaderTimeout === false
        ? undefined
        : parseDuration('loaderTimeout', opts.loaderTimeout ?? OPTIONS.loaderTimeout.default) * 1000,
    cookieMaxAge: checked.sessionCookie ? undefined : COOKIE_MAX_AGE,
    cache: resolveCache(opts),
    loaders: Object.freeze(loaders) as ResolvedConfig['loaders'],
    tokens: Object.freeze({
      access: tokenSettings(options, 'access'),
      refresh: tokenSettings(options, 'refresh'),
    }),
  });
}

function resolveStreamCheck(value: Options['streamRevocationCheckInterval']): number | undefined {
  if (value === false) return undefined;
  const seconds = parseDuration(
    'streamRevocationCheckInterval',
    value ?? OPTIONS.streamRevocationCheckInterval.default,
  );
  if (seconds === 0) {
    throw new JwtConfigError('streamRevocationCheckInterval', 'must be more than 0 (false turns it off)');
  }
  return seconds * 1000;
}

const ORIGIN_RE = /^https?:\/\/[^/?#@\s]+\/?$/i;

function resolveOrigins(value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const origins = new Set<string>();
  for (const entry of Array.isArray(value) ? value : [null]) {
    try {
      if (typeof entry !== 'string' || !ORIGIN_RE.test(entry)) throw new TypeError();
      origins.add(new URL(entry).origin);
    } catch {
      throw new JwtConfigError(
        'websocketOrigins',
        "must be a list of origins like 'https://app.example' (scheme, host and port; no path)",
      );
    }
  }
  return origins;
}

const REALM_RE = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

function resolveChallenge(value: Options['wwwAuthenticate']): ResolvedConfig['wwwAuthenticate'] {
  if (value === false) return undefined;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new JwtConfigError('wwwAuthenticate', 'must be false or { realm?: string }');
  }
  const realm = value?.realm ?? OPTIONS.wwwAuthenticate.default.realm;
  if (typeof realm !== 'string' || !REALM_RE.test(realm)) {
    throw new JwtConfigError(
      'wwwAuthenticate',
      '`realm` must be printable ASCII without quotes or backslashes',
    );
  }
  return { realm };
}

function resolveCache(opts: Options): ResolvedConfig['cache'] {
  const given = opts.cache;
  const dynamicKeys = opts.decodeKeyLoader !== undefined || opts.jwksUrl !== undefined;
  const defaultSize = OPTIONS.cache.default.maxSize;
  if (given === false) return { maxSize: 0, ttlMs: undefined };
  if (given === undefined) {
    return { maxSize: dynamicKeys ? 0 : defaultSize, ttlMs: undefined };
  }
  if (typeof given !== 'object' || given === null) {
    throw new JwtConfigError('cache', 'must be false or { maxSize?, ttl? }');
  }
  const maxSize = given.maxSize ?? defaultSize;
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
