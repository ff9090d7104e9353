/** Cookie parsing and Set-Cookie serialisation (RFC 6265), as flask/werkzeug writes them. */
import { isCookieDomain } from './cookie-config.js';

export interface CookieAttributes {
  path?: string | undefined;
  domain?: string | undefined;
  /** Seconds; adds `Max-Age` and `Expires`. */
  maxAge?: number | undefined;
  /** An explicit expiry (used to clear a cookie: the epoch). */
  expires?: Date | undefined;
  httpOnly?: boolean | undefined;
  secure?: boolean | undefined;
  sameSite?: 'Strict' | 'Lax' | 'None' | undefined;
}

// RFC 6265 §4.1.1: cookie-name is a token; cookie-value excludes CTLs, whitespace, DQUOTE, comma, semicolon, backslash.
const NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE_RE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const ATTR_RE = /^[\x20-\x3A\x3C-\x7E]+$/;

/**
 * Parses a Cookie request header. With duplicate names the first wins (browsers send the cookie with
 * the most specific path first); a name repeated with a different value is added to `conflicts`
 * when given (cookie tossing: a sibling subdomain or a plain-HTTP response planted another one).
 * Values are percent-decoded when that is valid.
 */
export function parseCookieHeader(
  header: string | null | undefined,
  conflicts?: Set<string>,
): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || (cookies.has(name) && !conflicts)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value);
      } catch {
        // keep the raw value: a malformed escape is not our error to raise
      }
    }
    const first = cookies.get(name);
    if (first === undefined) cookies.set(name, value);
    else if (first !== value) conflicts?.add(name);
  }
  return cookies;
}

/**
 * Serialises one Set-Cookie header value; throws a TypeError for a name, value or Domain that is not
 * allowed, and for attributes a browser would drop the cookie for: a `__Host-` name without Secure,
 * with a path other than `/` or with a Domain; a `__Secure-` name without Secure.
 */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes = {}): string {
  if (!NAME_RE.test(name))
    throw new TypeError(`trpc-jwt-extended: invalid cookie name ${JSON.stringify(name)}`);
  if (!VALUE_RE.test(value))
    throw new TypeError(`trpc-jwt-extended: invalid characters in the value of cookie "${name}"`);
  checkPrefix(name, attrs);
  let out = `${name}=${value}`;
  if (attrs.domain !== undefined) {
    if (!isCookieDomain(attrs.domain))
      throw new TypeError('trpc-jwt-extended: invalid cookie Domain attribute');
    out += `; Domain=${attrs.domain}`;
  }
  if (attrs.expires !== undefined) out += `; Expires=${attrs.expires.toUTCString()}`;
  if (attrs.maxAge !== undefined) {
    const maxAge = Math.floor(attrs.maxAge);
    out += `; Max-Age=${maxAge}`;
    if (attrs.expires === undefined) out += `; Expires=${new Date(Date.now() + maxAge * 1000).toUTCString()}`;
  }
  if (attrs.secure) out += '; Secure';
  if (attrs.httpOnly) out += '; HttpOnly';
  out += `; Path=${checkAttr('Path', attrs.path ?? '/')}`;
  if (attrs.sameSite !== undefined) out += `; SameSite=${attrs.sameSite}`;
  return out;
}

function checkAttr(name: string, value: string): string {
  if (!ATTR_RE.test(value)) throw new TypeError(`trpc-jwt-extended: invalid cookie ${name} attribute`);
  return value;
}

/** RFC 6265bis §4.1.3: the attributes a `__Host-` or `__Secure-` cookie must have. */
function checkPrefix(name: string, attrs: CookieAttributes): void {
  if (name.startsWith('__Host-')) {
    if (!attrs.secure || (attrs.path ?? '/') !== '/' || attrs.domain !== undefined) {
      throw new TypeError(
        `trpc-jwt-extended: cookie "${name}" needs Secure, Path=/ and no Domain (the __Host- prefix)`,
      );
    }
  } else if (name.startsWith('__Secure-') && !attrs.secure) {
    throw new TypeError(`trpc-jwt-extended: cookie "${name}" needs Secure (the __Secure- prefix)`);
  }
}
