/**
 * Reads a cookie's value, by name, from a `Cookie`-style string (`a=1; b=2`). When no string is
 * given it reads `document.cookie`, and returns `null` where there is no `document` (server-side
 * rendering, workers, Node) or where reading it throws (sandboxed iframes). Only cookies that are
 * not HttpOnly are visible: the CSRF cookies, never the tokens themselves.
 *
 * The value is percent-decoded; a value that is not valid percent-encoding is returned as it is.
 * When a name is repeated (cookies with different paths), the first one wins, as in browsers.
 *
 * @example
 * ```ts
 * import { readCookie } from 'trpc-jwt-extended/client';
 *
 * readCookie('csrf_access_token'); // the value in document.cookie, or null
 * readCookie('csrf_access_token', 'csrf_access_token=abc%3D; other=1'); // 'abc='
 * ```
 */
export function readCookie(name: string, cookieString?: string): string | null {
  const source = cookieString ?? readDocumentCookie();
  if (!source || !name) {
    return null;
  }
  for (const part of source.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) {
      continue;
    }
    return decodeValue(part.slice(eq + 1).trim());
  }
  return null;
}

function readDocumentCookie(): string | null {
  try {
    const doc = (globalThis as { document?: { cookie?: unknown } }).document;
    return typeof doc?.cookie === 'string' ? doc.cookie : null;
  } catch {
    // Reading document.cookie throws a SecurityError in sandboxed or opaque-origin documents.
    return null;
  }
}

function decodeValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
