import { JWTDecodeError } from '../errors.js';
import {
  decodeBase64urlText,
  hasCanonicalEnd,
  isBase64urlOrDot,
  isCanonicalBase64url,
} from '../internal/base64url.js';
import type { JwtHeader, JwtPayload } from '../types.js';

/** A compact JWS split and parsed, not verified. */
export interface ParsedToken {
  readonly header: JwtHeader;
  readonly payload: JwtPayload;
  /** `header.payload`, the bytes the signature covers. */
  readonly signingInput: string;
  /** The signature segment: canonical base64url, so one text per byte sequence. */
  readonly signature: string;
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
 * Parsed headers by their exact segment: nearly every token of an application has one of a few
 * headers, and decoding plus JSON.parse of even `{"alg":"HS256","typ":"JWT"}` measured ~0.7 µs
 * (bench/README.md). Only headers whose values are all primitives are kept, and each caller gets its
 * own shallow copy, so nothing is shared. Bounded: cleared when full (a flood of distinct headers
 * only costs the parsing it would have cost anyway).
 */
const HEADER_CACHE = new Map<string, Readonly<JwtHeader>>();
const HEADER_CACHE_MAX = 64;
const HEADER_SEGMENT_MAX = 512;

function parseHeader(segment: string): JwtHeader {
  const cached = HEADER_CACHE.get(segment);
  if (cached !== undefined) return { ...cached };
  const header = parseJsonObject(segment, 'header') as JwtHeader;
  if (segment.length <= HEADER_SEGMENT_MAX && hasOnlyPrimitives(header)) {
    if (HEADER_CACHE.size >= HEADER_CACHE_MAX) HEADER_CACHE.clear();
    HEADER_CACHE.set(segment, Object.freeze({ ...header }));
  }
  return header;
}

function hasOnlyPrimitives(value: Record<string, unknown>): boolean {
  for (const member of Object.values(value)) {
    if (typeof member === 'object' && member !== null) return false;
  }
  return true;
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
  // One scan of the alphabet over the whole token (exactly two dots, counted above), then per
  // segment only its length and trailing bits; a token that fails the scan gets the full check per
  // segment, in order, so the same segment is named as before.
  const canonical = isBase64urlOrDot(token) ? hasCanonicalEnd : isCanonicalBase64url;
  if (h === '' || !canonical(h)) throw new JWTDecodeError('Invalid header padding');
  if (p === '' || !canonical(p)) throw new JWTDecodeError('Invalid payload padding');
  if (!canonical(s)) throw new JWTDecodeError('Invalid crypto padding');
  const header = parseHeader(h);
  const payload = parseJsonObject(p, 'payload') as JwtPayload;
  return { header, payload, signingInput: token.slice(0, second), signature: s };
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
  return parseHeader(h);
}
