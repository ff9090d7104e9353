import type { ResolvedConfig } from './config.js';
import { type JwtContextPart, JwtRequest } from './context.js';
import { type CookieAttributes, serializeCookie } from './cookies.js';
import { JWTDecodeError } from './errors.js';
import type { DecodeOptions, TokenVerifier } from './tokens/decode.js';

/**
 * The session-cookie behaviour: the JWT cookies (HttpOnly) and their readable CSRF cookies, set
 * and unset on the response of the request in `ctx`.
 */

/** Options of the cookie setters. */
export interface SetCookieOptions {
  /** Seconds; `0`/absent falls back to the config (session cookie, or about one year). */
  maxAge?: number;
  /** Overrides `cookieDomain`. */
  domain?: string;
}

/** Options of the cookie unsetters. */
export interface UnsetCookieOptions {
  domain?: string;
}

type Kind = 'access' | 'refresh';

const EPOCH = new Date(0);

/** The request of `ctx`, or a TypeError saying how to provide it. */
export function requestOf(ctx: JwtContextPart | undefined): JwtRequest {
  const req = ctx?.jwt;
  if (!(req instanceof JwtRequest)) {
    throw new TypeError(
      'trpc-jwt-extended: ctx.jwt is missing; spread jwt.createJwtContext(opts) into your createContext',
    );
  }
  return req;
}

/** True when the CSRF double submit uses cookies: each JWT cookie then has a readable CSRF cookie. */
export function csrfCookies(config: ResolvedConfig): boolean {
  return config.cookieCsrfProtect && config.csrfInCookies;
}

/** The verified token's `csrf` claim; JWTDecodeError when it has none. */
export async function csrfClaimOf(
  verifier: TokenVerifier,
  token: string,
  opts?: DecodeOptions,
): Promise<string> {
  const { payload } = await verifier.decode(token, opts);
  if (typeof payload.csrf !== 'string') throw new JWTDecodeError('Missing claim: csrf');
  return payload.csrf;
}

function cookieAttributes(config: ResolvedConfig, domain: string | undefined): CookieAttributes {
  return {
    domain: domain || config.cookieDomain, // flask: `domain or config.cookie_domain`
    secure: config.cookieSecure,
    sameSite: config.cookieSamesite,
  };
}

/** Appends the JWT cookie (HttpOnly) and, when `csrf` is given, its readable CSRF cookie. */
function writeCookies(
  config: ResolvedConfig,
  req: JwtRequest,
  kind: Kind,
  values: { token: string; csrf: string | undefined },
  attrs: CookieAttributes,
): void {
  const { cookieName: name, cookiePath: path, csrfCookieName, csrfCookiePath } = config.tokens[kind];
  // Serialise both before appending either, so a bad value never leaves half a pair behind.
  const cookies: [string, string][] = [
    [name, serializeCookie(name, values.token, { ...attrs, httpOnly: true, path })],
  ];
  if (values.csrf !== undefined) {
    cookies.push([
      csrfCookieName,
      serializeCookie(csrfCookieName, values.csrf, { ...attrs, path: csrfCookiePath }),
    ]);
  }
  for (const [cookieName, serialized] of cookies) req.appendSetCookie(cookieName, serialized);
}

/**
 * Sets the cookies of `token`, whose `csrf` claim is known (`csrf`: the value for the CSRF cookie,
 * undefined when there is none to set).
 */
export function writeTokenCookies(
  config: ResolvedConfig,
  req: JwtRequest,
  kind: Kind,
  values: { token: string; csrf: string | undefined },
  opts: SetCookieOptions = {},
): void {
  writeCookies(config, req, kind, values, {
    ...cookieAttributes(config, opts.domain),
    maxAge: opts.maxAge || config.cookieMaxAge,
  });
}

/** `setAccessCookies` / `setRefreshCookies`: reads the CSRF value from the token itself. */
export async function setTokenCookies(
  config: ResolvedConfig,
  verifier: TokenVerifier,
  ctx: JwtContextPart,
  token: string,
  kind: Kind,
  opts: SetCookieOptions = {},
): Promise<void> {
  const req = requestOf(ctx);
  // The signature is checked, the expiry is not: a token created a moment ago may already have
  // expired (a one-second expiry, a slow loader), and setting its cookie is harmless then.
  const csrf = csrfCookies(config) ? await csrfClaimOf(verifier, token, { allowExpired: true }) : undefined;
  writeTokenCookies(config, req, kind, { token, csrf }, opts);
}

/** `unsetAccessCookies` / `unsetRefreshCookies`: expires the JWT cookie and its CSRF cookie. */
export function unsetTokenCookies(
  config: ResolvedConfig,
  ctx: JwtContextPart,
  kind: Kind,
  opts: UnsetCookieOptions = {},
): void {
  const req = requestOf(ctx);
  writeCookies(
    config,
    req,
    kind,
    { token: '', csrf: csrfCookies(config) ? '' : undefined },
    { ...cookieAttributes(config, opts.domain), expires: EPOCH, maxAge: 0 },
  );
  req.cookiesUnset = true;
}
