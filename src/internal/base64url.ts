const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
const BASE64URL_OR_DOT_RE = /^[A-Za-z0-9_.-]*$/;

/**
 * True when `segment` is canonical unpadded base64url: only the URL-safe alphabet, a length that is
 * not 1 mod 4, and zero trailing bits in the last character (so exactly one string encodes each byte
 * sequence; jose's decoder accepts the non-canonical variants, this gate does not).
 */
export function isCanonicalBase64url(segment: string): boolean {
  // A regular expression scans the alphabet about 10x faster than a charCodeAt loop (native code).
  return BASE64URL_RE.test(segment) && hasCanonicalEnd(segment);
}

/**
 * True when every character of `token` is base64url or a dot: then each of its dot-separated
 * segments passes the alphabet half of `isCanonicalBase64url`, and `hasCanonicalEnd` is the rest.
 * One scan for a whole compact token instead of one per segment.
 */
export function isBase64urlOrDot(token: string): boolean {
  return BASE64URL_OR_DOT_RE.test(token);
}

/**
 * The other half of `isCanonicalBase64url`, for a segment already known to use only the alphabet:
 * a length that is not 1 mod 4, and zero trailing bits in the last character.
 */
export function hasCanonicalEnd(segment: string): boolean {
  const len = segment.length;
  const rem = len % 4;
  if (rem === 0) return true;
  if (rem === 1) return false;
  const last = VALUE[segment.charCodeAt(len - 1)]!;
  // 2 chars carry 12 bits for 8 (4 unused), 3 chars carry 18 bits for 16 (2 unused).
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/** Decodes base64url (already checked canonical) to bytes. */
export function decodeBase64url(segment: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(segment, 'base64url');
  const bin = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Decodes base64url to a string, failing on invalid UTF-8. */
export function decodeBase64urlText(segment: string): string {
  if (NodeBuffer) {
    const buf = NodeBuffer.from(segment, 'base64url');
    return strictDecoder.decode(buf);
  }
  return strictDecoder.decode(decodeBase64url(segment));
}

/** Encodes bytes or a string (as UTF-8) to unpadded base64url. */
export function encodeBase64url(input: Uint8Array | string): string {
  if (NodeBuffer) {
    return (typeof input === 'string' ? NodeBuffer.from(input, 'utf8') : NodeBuffer.from(input)).toString(
      'base64url',
    );
  }
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** UTF-8 bytes of a string. */
export function utf8(input: string): Uint8Array {
  return encoder.encode(input);
}
