/** parseCookieHeader and serializeCookie (src/cookies.ts): RFC 6265 parsing, werkzeug's attribute order. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCookieHeader, serializeCookie } from '../../src/cookies.js';

describe('parseCookieHeader', () => {
  it('is empty for a missing or empty header', () => {
    for (const header of [undefined, null, '', ';', ' ; ']) expect(parseCookieHeader(header).size).toBe(0);
  });

  it('reads name=value pairs, trimming whitespace around names and values', () => {
    const cookies = parseCookieHeader(' a=1;b=2 ;  c = 3 ');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('keeps the first value of a repeated name (the most specific path comes first)', () => {
    expect(parseCookieHeader('jwt=first; jwt=second').get('jwt')).toBe('first');
  });

  it('keeps = inside a value, unquotes a quoted value and percent-decodes', () => {
    const cookies = parseCookieHeader('b64=YQ==; q="quoted"; p=a%20b%3Bc');
    expect(cookies.get('b64')).toBe('YQ==');
    expect(cookies.get('q')).toBe('quoted');
    expect(cookies.get('p')).toBe('a b;c');
  });

  it('keeps a malformed escape as it is, instead of throwing', () => {
    expect(parseCookieHeader('bad=%E0%A4%A; ok=1').get('bad')).toBe('%E0%A4%A');
    expect(parseCookieHeader('bad=100%').get('bad')).toBe('100%');
  });

  it('skips parts without = and parts with an empty name', () => {
    expect([...parseCookieHeader('flag; =orphan; x=1')]).toEqual([['x', '1']]);
  });

  it('reports a name repeated with a different value in `conflicts` (cookie tossing), not an identical repeat', () => {
    const conflicts = new Set<string>();
    const cookies = parseCookieHeader('a=1; b=2; a=1; c=3; c="3"; b=x; d=; d=y', conflicts);
    expect([...conflicts].sort()).toEqual(['b', 'd']);
    expect([cookies.get('a'), cookies.get('b'), cookies.get('c'), cookies.get('d')]).toEqual([
      '1',
      '2',
      '3',
      '',
    ]);
  });

  it('an empty value is kept as an empty string', () => {
    expect(parseCookieHeader('access_token_cookie=').get('access_token_cookie')).toBe('');
  });
});

describe('serializeCookie', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('defaults to Path=/ and nothing else', () => {
    expect(serializeCookie('a', 'b')).toBe('a=b; Path=/');
  });

  it("writes werkzeug's order: Domain, Expires, Max-Age, Secure, HttpOnly, Path, SameSite", () => {
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1, 0, 0, 0) });
    const cookie = serializeCookie('jwt', 'x.y.z', {
      domain: 'example.test',
      maxAge: 60.9,
      secure: true,
      httpOnly: true,
      path: '/api',
      sameSite: 'Lax',
    });
    expect(cookie).toBe(
      'jwt=x.y.z; Domain=example.test; Max-Age=60; Expires=Tue, 01 Jan 2030 00:01:00 GMT; Secure; HttpOnly; Path=/api; SameSite=Lax',
    );
  });

  it('an explicit expiry (the epoch, to clear a cookie) is written once, before Max-Age', () => {
    const cookie = serializeCookie('jwt', '', { expires: new Date(0), maxAge: 0 });
    expect(cookie).toBe('jwt=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/');
  });

  it('accepts every value a JWT, a UUID or a base64url CSRF value can hold', () => {
    const value = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.abc-_XYZ09';
    expect(serializeCookie('access_token_cookie', value)).toBe(`access_token_cookie=${value}; Path=/`);
    expect(serializeCookie('c', '0f8fad5b-d9cb-469f-a165-70867728950e')).toContain('c=0f8fad5b-');
  });

  it.each(['', 'a b', 'a;b', 'a=b', 'a,b', '"a"', 'a\nb', 'é'])('refuses the cookie name %j', (name) => {
    expect(() => serializeCookie(name, 'v')).toThrow(TypeError);
  });

  it.each(['a b', 'a;b', 'a,b', 'a"b', 'a\\b', 'a\r\nSet-Cookie: x=1', 'é'])(
    'refuses the value %j without echoing it',
    (value) => {
      let message = '';
      try {
        serializeCookie('jwt', value);
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError);
        message = (error as Error).message;
      }
      expect(message).toBe('trpc-jwt-extended: invalid characters in the value of cookie "jwt"');
    },
  );

  it('refuses a Domain or Path that would inject another attribute', () => {
    expect(() => serializeCookie('a', 'b', { domain: 'x.test; HttpOnly' })).toThrow(
      'trpc-jwt-extended: invalid cookie Domain attribute',
    );
    expect(() => serializeCookie('a', 'b', { path: '/\r\nX: y' })).toThrow('invalid cookie Path attribute');
  });
});

describe('serializeCookie: cookie name prefixes (RFC 6265bis §4.1.3)', () => {
  it('a __Host- cookie needs Secure, Path=/ and no Domain', () => {
    expect(serializeCookie('__Host-jwt', 'v', { secure: true })).toBe('__Host-jwt=v; Secure; Path=/');
    for (const attrs of [{}, { secure: true, path: '/api' }, { secure: true, domain: 'example.com' }]) {
      expect(() => serializeCookie('__Host-jwt', 'v', attrs)).toThrow(
        new TypeError(
          'trpc-jwt-extended: cookie "__Host-jwt" needs Secure, Path=/ and no Domain (the __Host- prefix)',
        ),
      );
    }
  });

  it('a __Secure- cookie needs Secure', () => {
    expect(serializeCookie('__Secure-jwt', 'v', { secure: true, path: '/a' })).toBe(
      '__Secure-jwt=v; Secure; Path=/a',
    );
    expect(() => serializeCookie('__Secure-jwt', 'v')).toThrow(
      new TypeError('trpc-jwt-extended: cookie "__Secure-jwt" needs Secure (the __Secure- prefix)'),
    );
  });

  it('refuses a Domain that is not a domain name', () => {
    for (const domain of ['https://a.example', 'a.example:80', 'a.example/x']) {
      expect(() => serializeCookie('jwt', 'v', { domain })).toThrow(
        new TypeError('trpc-jwt-extended: invalid cookie Domain attribute'),
      );
    }
  });
});
