import { JWTDecodeError } from '../errors.js';
import { decodeBase64url, decodeBase64urlText, isCanonicalBase64url } from '../internal/base64url.js';
import type { JwtHeader, JwtPayload } from '../types.js';

/** A compact JWS split and parsed, not verified. */
export interface ParsedToken {
  readonly header: JwtHeader;
  readonly payload: JwtPayload;
  /** `header.payload`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Uint8Array;
}

function parseJsonObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeBase64urlText(segment));
  } catch {
    throw new JWTDecodeError(`Invalid ${part} string: not valid UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JWTDecodeError(`Invalid ${part} string: must be a json object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The strict format gate, run before any cryptography: a string of at most `maxLength` characters,
 * exactly three segments, each canonical unpadded base64url, a JSON-object header and payload.
 * Messages are PyJWT's where PyJWT has one.
 */
export function parseCompact(token: unknown, maxLength: number): ParsedToken {
  if (typeof token !== 'string') throw new JWTDecodeError('Invalid token type. Token must be a string');
  if (token.length > maxLength) {
    throw new JWTDecodeError(`Token is longer than the maximum of ${maxLength} characters`);
  }
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1) throw new JWTDecodeError('Not enough segments');
  if (token.indexOf('.', second + 1) !== -1) throw new JWTDecodeError('Too many segments');
  const h = token.slice(0, first);
  const p = token.slice(first + 1, second);
  const s = token.slice(second + 1);
  if (h === '' || !isCanonicalBase64url(h)) throw new JWTDecodeError('Invalid header padding');
  if (p === '' || !isCanonicalBase64url(p)) throw new JWTDecodeError('Invalid payload padding');
  if (!isCanonicalBase64url(s)) throw new JWTDecodeError('Invalid crypto padding');
  const header = parseJsonObject(h, 'header') as JwtHeader;
  const payload = parseJsonObject(p, 'payload') as JwtPayload;
  return { header, payload, signingInput: token.slice(0, second), signature: decodeBase64url(s) };
}

/** The header of a token, not verified (flask's `get_unverified_jwt_headers`). */
export function unverifiedHeader(token: unknown, maxLength: number): JwtHeader {
  if (typeof token !== 'string') throw new JWTDecodeError('Invalid token type. Token must be a string');
  if (token.length > maxLength) {
    throw new JWTDecodeError(`Token is longer than the maximum of ${maxLength} characters`);
  }
  const first = token.indexOf('.');
  if (first === -1 || token.indexOf('.', first + 1) === -1) throw new JWTDecodeError('Not enough segments');
  const h = token.slice(0, first);
  if (h === '' || !isCanonicalBase64url(h)) throw new JWTDecodeError('Invalid header padding');
  return parseJsonObject(h, 'header') as JwtHeader;
}
