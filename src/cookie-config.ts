import { JwtConfigError } from './errors.js';

/** The cookie settings of a resolved config (names carry the `__Host-` prefix when it is on). */
export interface CookieSettings {
  readonly accessCookieName: string;
  readonly refreshCookieName: string;
  readonly accessCsrfCookieName: string;
  readonly refreshCsrfCookieName: string;
  readonly accessCookiePath: string;
  readonly refreshCookiePath: string;
  readonly accessCsrfCookiePath: string;
  readonly refreshCsrfCookiePath: string;
  readonly cookieSecure: boolean;
  readonly cookieDomain: string | undefined;
  readonly cookieSamesite: 'Strict' | 'Lax' | 'None' | undefined;
  readonly cookieHostPrefix: boolean;
}

const HOST_PREFIX = '__Host-';
const SECURE_PREFIX = '__Secure-';

/** Each cookie name option with the path option of the same cookie. */
const COOKIES = [
  ['accessCookieName', 'accessCookiePath'],
  ['refreshCookieName', 'refreshCookiePath'],
  ['accessCsrfCookieName', 'accessCsrfCookiePath'],
  ['refreshCsrfCookieName', 'refreshCsrfCookiePath'],
] as const;

// RFC 1034 §3.5 labels (letters, digits, inner hyphens, at most 63 characters), an optional leading
// dot (RFC 6265 §5.2.3 ignores it), at most 253 characters: no scheme, port, path or whitespace.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN_RE = new RegExp(`^\\.?${LABEL}(?:\\.${LABEL})*$`);

/** True when `value` can be a cookie's Domain attribute. */
export function isCookieDomain(value: string): boolean {
  const bare = value.startsWith('.') ? value.slice(1) : value;
  return bare.length <= 253 && DOMAIN_RE.test(value);
}

/**
 * Checks the cookie settings that browsers would otherwise drop silently, and prefixes the names
 * with `__Host-` when `cookieHostPrefix` is on. Throws JwtConfigError naming the option at fault:
 * `SameSite=None` without `Secure`; a `__Host-` cookie without `Secure`, with a path other than `/`,
 * or with a domain (RFC 6265bis §4.1.3); a `__Secure-` cookie without `Secure`; a malformed domain.
 */
export function resolveCookieSettings(given: CookieSettings): CookieSettings {
  const { cookieSecure, cookieDomain, cookieSamesite, cookieHostPrefix } = given;
  if (cookieDomain !== undefined) {
    if (typeof cookieDomain !== 'string' || cookieDomain === '') {
      throw new JwtConfigError('cookieDomain', 'must be a non-empty string');
    }
    if (!isCookieDomain(cookieDomain)) {
      throw new JwtConfigError(
        'cookieDomain',
        "must be a domain name such as 'example.com' or '.example.com' (no scheme, port, path or spaces)",
      );
    }
  }
  if (cookieSamesite === 'None' && !cookieSecure) {
    throw new JwtConfigError(
      'cookieSamesite',
      "'None' requires cookieSecure: true (browsers refuse SameSite=None cookies without Secure)",
    );
  }
  const resolved: { -readonly [K in keyof CookieSettings]: CookieSettings[K] } = { ...given };
  for (const [nameOption, pathOption] of COOKIES) {
    const name = given[nameOption];
    const prefixed = cookieHostPrefix && !name.startsWith(HOST_PREFIX) ? HOST_PREFIX + name : name;
    resolved[nameOption] = prefixed;
    const reason = cookieHostPrefix ? 'cookieHostPrefix' : nameOption;
    if (prefixed.startsWith(HOST_PREFIX)) {
      if (!cookieSecure)
        throw new JwtConfigError('cookieSecure', `must be true for __Host- cookies (${reason})`);
      if (given[pathOption] !== '/') {
        throw new JwtConfigError(pathOption, `must be '/' for __Host- cookies (${reason})`);
      }
      if (cookieDomain !== undefined) {
        throw new JwtConfigError('cookieDomain', `cannot be set for __Host- cookies (${reason})`);
      }
    } else if (prefixed.startsWith(SECURE_PREFIX) && !cookieSecure) {
      throw new JwtConfigError('cookieSecure', `must be true for __Secure- cookies (${nameOption})`);
    }
  }
  return Object.freeze(resolved);
}
