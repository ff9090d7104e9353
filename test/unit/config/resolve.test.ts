/**
 * The resolved config groups the settings that differ between access and refresh tokens by kind
 * (`config.tokens[kind]`), read from the same options as the flat fields.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve.js';
import { SECRET_HS256 } from '../../helpers/keys.js';

describe('config.tokens', () => {
  it('holds each kind’s defaults', () => {
    const { tokens } = resolveConfig({ secretKey: SECRET_HS256 });
    expect(tokens).toEqual({
      access: {
        expires: 900,
        jsonKey: 'access_token',
        cookieName: 'access_token_cookie',
        cookiePath: '/',
        csrfCookieName: 'csrf_access_token',
        csrfCookiePath: '/',
        csrfHeaderName: 'X-CSRF-TOKEN',
        csrfFieldName: 'csrf_token',
      },
      refresh: {
        expires: 2_592_000,
        jsonKey: 'refresh_token',
        cookieName: 'refresh_token_cookie',
        cookiePath: '/',
        csrfCookieName: 'csrf_refresh_token',
        csrfCookiePath: '/',
        csrfHeaderName: 'X-CSRF-TOKEN',
        csrfFieldName: 'csrf_token',
      },
    });
    expect(Object.isFrozen(tokens)).toBe(true);
    expect(Object.isFrozen(tokens.access)).toBe(true);
  });

  it('reads the options of each kind, the __Host- prefix included', () => {
    const config = resolveConfig({
      secretKey: SECRET_HS256,
      accessTokenExpires: false,
      refreshTokenExpires: '1h',
      jsonKey: 'at',
      refreshJsonKey: 'rt',
      accessCookieName: 'a',
      refreshCookieName: 'r',
      accessCsrfCookieName: 'ca',
      refreshCsrfCookieName: 'cr',
      accessCsrfHeaderName: 'X-A',
      refreshCsrfHeaderName: 'X-R',
      accessCsrfFieldName: 'fa',
      refreshCsrfFieldName: 'fr',
      cookieSecure: true,
      cookieHostPrefix: true,
    });
    expect(config.tokens.access).toMatchObject({
      expires: false,
      jsonKey: 'at',
      cookieName: '__Host-a',
      csrfCookieName: '__Host-ca',
      csrfHeaderName: 'X-A',
      csrfFieldName: 'fa',
    });
    expect(config.tokens.refresh).toMatchObject({
      expires: 3600,
      jsonKey: 'rt',
      cookieName: '__Host-r',
      csrfCookieName: '__Host-cr',
      csrfHeaderName: 'X-R',
      csrfFieldName: 'fr',
    });
    expect(config.tokens.access.cookieName).toBe(config.accessCookieName);
  });
});
