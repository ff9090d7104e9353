/** Cookie settings checked at createJwtManager (src/cookie-config.ts): SameSite, __Host-, Domain. */
import { describe, expect, it } from 'vitest';
import { createJwtManager, JwtConfigError, type JwtManagerOptions } from '../../src/index.js';
import { SECRET_HS256 } from '../helpers/keys.js';

const base = { secretKey: SECRET_HS256 };
const host = { ...base, cookieHostPrefix: true, cookieSecure: true } as const;

/** Asserts a JwtConfigError (a TypeError) naming `option`, with exactly this message. */
function expectConfigError(options: unknown, option: string, detail: string): void {
  let error: unknown;
  try {
    createJwtManager(options as JwtManagerOptions);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(JwtConfigError);
  expect(error).toBeInstanceOf(TypeError);
  expect({ option: (error as JwtConfigError).option, message: (error as Error).message }).toEqual({
    option,
    message: `trpc-jwt-extended: option \`${option}\` ${detail}`,
  });
}

describe('cookieSamesite', () => {
  it("'None' needs cookieSecure: true (browsers drop SameSite=None cookies without Secure)", () => {
    for (const options of [{ cookieSamesite: 'None' }, { cookieSamesite: 'None', cookieSecure: false }]) {
      expectConfigError(
        { ...base, ...options },
        'cookieSamesite',
        "'None' requires cookieSecure: true (browsers refuse SameSite=None cookies without Secure)",
      );
    }
    const c = createJwtManager({ ...base, cookieSamesite: 'None', cookieSecure: true }).config;
    expect([c.cookieSamesite, c.cookieSecure]).toEqual(['None', true]);
  });

  it('control: the defaults (cookieSecure false, SameSite not set) and Lax/Strict without Secure still work', () => {
    const c = createJwtManager(base).config;
    expect([c.cookieSecure, c.cookieSamesite, c.cookieHostPrefix]).toEqual([false, undefined, false]);
    for (const cookieSamesite of ['Lax', 'Strict'] as const) {
      expect(createJwtManager({ ...base, cookieSamesite }).config.cookieSamesite).toBe(cookieSamesite);
    }
  });
});

describe('cookieHostPrefix', () => {
  it('is false by default; when true, prefixes the JWT and CSRF cookie names with __Host-', () => {
    const c = createJwtManager(host).config;
    expect(c.cookieHostPrefix).toBe(true);
    expect([
      c.accessCookieName,
      c.refreshCookieName,
      c.accessCsrfCookieName,
      c.refreshCsrfCookieName,
    ]).toEqual([
      '__Host-access_token_cookie',
      '__Host-refresh_token_cookie',
      '__Host-csrf_access_token',
      '__Host-csrf_refresh_token',
    ]);
    const named = createJwtManager({
      ...host,
      accessCookieName: 'a',
      accessCsrfCookieName: '__Host-c',
    }).config;
    expect([named.accessCookieName, named.accessCsrfCookieName]).toEqual(['__Host-a', '__Host-c']);
  });

  it('must be a boolean', () => {
    expectConfigError({ ...base, cookieHostPrefix: 'yes' }, 'cookieHostPrefix', 'must be a boolean');
  });

  it('needs cookieSecure: true', () => {
    expectConfigError(
      { ...base, cookieHostPrefix: true },
      'cookieSecure',
      'must be true for __Host- cookies (cookieHostPrefix)',
    );
  });

  it("needs Path=/ on every cookie: a path option other than '/' is named", () => {
    for (const option of [
      'accessCookiePath',
      'refreshCookiePath',
      'accessCsrfCookiePath',
      'refreshCsrfCookiePath',
    ]) {
      expectConfigError(
        { ...host, [option]: '/auth' },
        option,
        "must be '/' for __Host- cookies (cookieHostPrefix)",
      );
    }
  });

  it('cannot be combined with cookieDomain', () => {
    expectConfigError(
      { ...host, cookieDomain: 'example.com' },
      'cookieDomain',
      'cannot be set for __Host- cookies (cookieHostPrefix)',
    );
  });

  it('a name that already starts with __Host- gets the same checks without the option', () => {
    expectConfigError(
      { ...base, accessCookieName: '__Host-jwt' },
      'cookieSecure',
      'must be true for __Host- cookies (accessCookieName)',
    );
    expectConfigError(
      { ...base, cookieSecure: true, refreshCsrfCookieName: '__Host-c', refreshCsrfCookiePath: '/r' },
      'refreshCsrfCookiePath',
      "must be '/' for __Host- cookies (refreshCsrfCookieName)",
    );
    expectConfigError(
      { ...base, refreshCookieName: '__Secure-r' },
      'cookieSecure',
      'must be true for __Secure- cookies (refreshCookieName)',
    );
  });
});

describe('cookieDomain', () => {
  it.each([
    'example.com',
    '.example.com',
    'app.example.co.uk',
    'localhost',
    'xn--bcher-kva.example',
    'a-b.c1.example',
    'EXAMPLE.COM',
  ])('accepts the domain %s', (cookieDomain) => {
    expect(createJwtManager({ ...base, cookieDomain }).config.cookieDomain).toBe(cookieDomain);
  });

  it.each([
    'https://example.com',
    'example.com:8080',
    'example.com/path',
    'exa mple.com',
    ' example.com',
    'example..com',
    '-example.com',
    'example-.com',
    'example.com.',
    '..example.com',
    'exa_mple.com',
    'example.com;secure',
    `${'a'.repeat(64)}.com`,
    `${'abcdefghi.'.repeat(26)}com`,
  ])('refuses %j', (cookieDomain) => {
    expectConfigError(
      { ...base, cookieDomain },
      'cookieDomain',
      "must be a domain name such as 'example.com' or '.example.com' (no scheme, port, path or spaces)",
    );
  });

  it('still refuses an empty or non-string domain', () => {
    expectConfigError({ ...base, cookieDomain: '' }, 'cookieDomain', 'must be a non-empty string');
    expectConfigError({ ...base, cookieDomain: 1 }, 'cookieDomain', 'must be a non-empty string');
  });
});
