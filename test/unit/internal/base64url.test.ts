import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeBase64url,
  decodeBase64urlText,
  encodeBase64url,
  isCanonicalBase64url,
  utf8,
} from '../../../src/internal/base64url.js';

type Base64urlModule = typeof import('../../../src/internal/base64url.js');
const NodeBuffer = Buffer; // kept for assertions while the global is stubbed away

describe('isCanonicalBase64url', () => {
  it('accepts canonical unpadded base64url of any byte length', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff);
      expect(isCanonicalBase64url(Buffer.from(bytes).toString('base64url'))).toBe(true);
    }
    expect(isCanonicalBase64url('')).toBe(true);
    expect(isCanonicalBase64url('-_-_')).toBe(true);
  });

  it('refuses padding, the base64 alphabet, whitespace, non-ASCII and impossible lengths', () => {
    for (const bad of [
      'YQ==',
      'YQ=',
      'YWJj=',
      '+/+/',
      'ab+c',
      'ab/c',
      'ab c',
      'ab\nc',
      ' abc',
      'abc\t',
      'abé',
      'a',
      'abcde',
      'ab.c',
      'ab%3D',
    ]) {
      expect(isCanonicalBase64url(bad)).toBe(false);
    }
  });

  it('refuses non-zero unused bits in the last character', () => {
    // "YQ" is "a"; "YR".."Yf" decode to the same byte with non-zero unused bits.
    expect(isCanonicalBase64url('YQ')).toBe(true);
    for (const c of 'RSTUVWXYZabcdef') expect(isCanonicalBase64url(`Y${c}`)).toBe(false);
    expect(Buffer.from('YR', 'base64url')).toEqual(Buffer.from('YQ', 'base64url'));
    // "YWI" is "ab" (2 unused bits); "YWJ", "YWK", "YWL" alter them.
    expect(isCanonicalBase64url('YWI')).toBe(true);
    for (const c of 'JKL') expect(isCanonicalBase64url(`YW${c}`)).toBe(false);
  });
});

describe('encode / decode', () => {
  it('round-trips bytes and UTF-8 text', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = encodeBase64url(bytes);
    expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
    expect(isCanonicalBase64url(encoded)).toBe(true);
    expect(new Uint8Array(decodeBase64url(encoded))).toEqual(bytes);
    expect(encodeBase64url('Zoë 🚀')).toBe(Buffer.from('Zoë 🚀').toString('base64url'));
    expect(decodeBase64urlText(encodeBase64url('Zoë 🚀'))).toBe('Zoë 🚀');
    expect(utf8('é')).toEqual(new Uint8Array([0xc3, 0xa9]));
  });

  it('fails on invalid UTF-8 instead of substituting U+FFFD', () => {
    expect(() => decodeBase64urlText(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url'))).toThrow(
      TypeError,
    );
    expect(() => decodeBase64urlText(Buffer.from([0xc0, 0xaf]).toString('base64url'))).toThrow(TypeError);
    expect(() => decodeBase64urlText(Buffer.from([0xed, 0xa0, 0x80]).toString('base64url'))).toThrow(
      TypeError,
    );
  });
});

describe('without Buffer (browsers, Workers)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  async function loadWithoutBuffer(): Promise<Base64urlModule> {
    vi.resetModules();
    vi.stubGlobal('Buffer', undefined);
    return import('../../../src/internal/base64url.js');
  }

  it('encodes and decodes exactly as the Buffer path', async () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const expected = Buffer.from(bytes).toString('base64url');
    const web = await loadWithoutBuffer();
    expect(globalThis.Buffer).toBeUndefined();
    expect(web.encodeBase64url(bytes)).toBe(expected);
    expect(web.decodeBase64url(expected)).toEqual(bytes);
    expect(web.encodeBase64url('Zoë 🚀')).toBe(encodeBase64url('Zoë 🚀'));
    expect(web.decodeBase64urlText(encodeBase64url('{"a":"Zoë"}'))).toBe('{"a":"Zoë"}');
    expect(() => web.decodeBase64urlText(encodeBase64url(new Uint8Array([0xff])))).toThrow(TypeError);
    for (let n = 0; n < 8; n++) {
      const slice = bytes.subarray(0, n);
      expect(web.encodeBase64url(slice)).toBe(NodeBuffer.from(slice).toString('base64url'));
    }
  });
});
