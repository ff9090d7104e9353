import { afterEach, describe, expect, it, vi } from 'vitest';
import { readCookie } from '../../../src/client/index.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('readCookie', () => {
  it('finds a cookie by exact name in a cookie string', () => {
    const jar = 'a=1; csrf_access_token=abc;csrf_refresh_token=def ;  x_csrf_access_token=no';
    expect(readCookie('csrf_access_token', jar)).toBe('abc');
    expect(readCookie('csrf_refresh_token', jar)).toBe('def');
    expect(readCookie('access_token', jar)).toBeNull();
    expect(readCookie('missing', jar)).toBeNull();
  });

  it('percent-decodes, unquotes, keeps "=" in values, and returns bad encodings as they are', () => {
    expect(readCookie('v', 'v=a%20b%3D')).toBe('a b=');
    expect(readCookie('v', 'v="quoted"')).toBe('quoted');
    expect(readCookie('v', 'v=x=y=z')).toBe('x=y=z');
    expect(readCookie('v', 'v=%E0%A4%A')).toBe('%E0%A4%A');
    expect(readCookie('v', 'v=')).toBe('');
  });

  it('returns the first of repeated names, and null for an empty name or jar', () => {
    expect(readCookie('v', 'v=first; v=second')).toBe('first');
    expect(readCookie('', 'v=1')).toBeNull();
    expect(readCookie('v', '')).toBeNull();
    expect(readCookie('v', 'garbage;;;=;')).toBeNull();
  });

  it('reads document.cookie when no string is given', () => {
    vi.stubGlobal('document', { cookie: 'csrf_access_token=doc-value' });
    expect(readCookie('csrf_access_token')).toBe('doc-value');
  });

  it('returns null without a document, or when reading document.cookie throws', () => {
    expect(readCookie('csrf_access_token')).toBeNull();
    vi.stubGlobal('document', {
      get cookie(): string {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    expect(readCookie('csrf_access_token')).toBeNull();
  });
});
