import type { ResolvedConfig } from '../config.js';
import {
  CSRFError,
  ExpiredSignatureError,
  JWTDecodeError,
  JwtError,
  RemoteKeysUnavailableError,
} from '../errors.js';
import { timingSafeEqualStrings } from '../internal/compare.js';
import { LruCache } from '../internal/lru.js';
import { withTimeout } from '../internal/timeout.js';
import { deepFreeze, isPlainObject, safeAssign } from '../internal/objects.js';
import type { StandardSchemaV1 } from '../internal/standard-schema.js';
import type { RemoteKeyGetter } from '../keyring.js';
import type { Algorithm, JwtHeader, JwtPayload, KeyInput } from '../types.js';
import { describeClaimIssues } from './claims.js';
import { verify } from './crypto.js';
import { type ParsedToken, parseCompact } from './format.js';
import { type PreparedKey, prepareRuntimeKey } from './keys.js';

/** A token whose signature and claims were verified. */
export interface DecodedToken {
  readonly header: JwtHeader;
  readonly payload: JwtPayload;
}

export interface DecodeOptions {
  /** The submitted CSRF value to compare (in constant time) with the token's `csrf` claim. */
  csrfValue?: string | undefined;
  /** Accept an expired (but otherwise valid) token. */
  allowExpired?: boolean | undefined;
}

interface CacheEntry extends DecodedToken {
  readonly storedAt: number;
}

const TIME_CLAIMS = [
  ['iat', 'Issued At claim (iat) must be an integer.', 'The token is not yet valid (iat)'],
  ['nbf', 'Not Before claim (nbf) must be an integer.', 'The token is not yet valid (nbf)'],
] as const;

/**
 * Verifies tokens: the strict format gate, the algorithm pinned from configuration, the signature,
 * PyJWT's claim checks in PyJWT's order, the identity claim, the `claims` schema, CSRF, and expiry
 * last (so any other failure wins over expiry, as in flask-jwt-extended). Verified tokens are
 * cached by their exact string; time claims and CSRF are checked again on every use.
 */
export class TokenVerifier {
  readonly #config: ResolvedConfig;
  readonly #cache: LruCache<string, CacheEntry>;

  constructor(config: ResolvedConfig) {
    this.#config = config;
    this.#cache = new LruCache(config.cache.maxSize);
  }

  /** Entries in the verified-token cache. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Drops every cached verification (e.g. after rotating keys). */
  clearCache(): void {
    this.#cache.clear();
  }

  /** Verifies `token` (from the cache when it is there), always as a promise. */
  decode(token: string, opts: DecodeOptions = {}): Promise<DecodedToken> {
    try {
      const verified = this.verify(token, opts);
      return verified instanceof Promise ? verified : Promise.resolve(verified);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The one verification entry point: the cached verification when there is one (time claims and
   * CSRF checked again now), synchronously, so a warm request pays no promise; else a promise of
   * the full verification. A failure of the cached path throws synchronously.
   */
  verify(token: string, opts: DecodeOptions): DecodedToken | Promise<DecodedToken> {
    return this.#cached(token, opts) ?? this.#verifyUncached(token, opts);
  }

  /**
   * The cached verification of `token`, with time claims and CSRF checked again now; undefined on a
   * miss. Synchronous, so a warm request pays no promise for it.
   */
  #cached(token: string, opts: DecodeOptions): DecodedToken | undefined {
    const config = this.#config;
    if (config.cache.maxSize === 0) return undefined;
    const entry = this.#cache.get(token);
    if (entry === undefined) return undefined;
    const nowMs = config.clock();
    if (config.cache.ttlMs !== undefined && nowMs - entry.storedAt > config.cache.ttlMs) {
      this.#cache.delete(token);
      return undefined;
    }
    const now = seconds(nowMs);
    this.#checkImmature(entry.payload, now);
    return this.#checkUse(entry, opts, now);
  }

  /**
   * Verifies `token` in full and caches the result. One promise in all: with static keys on
   * node:crypto the verification itself runs synchronously (bench/README.md).
   */
  #verifyUncached(token: string, opts: DecodeOptions): Promise<DecodedToken> {
    try {
      const nowMs = this.#config.clock();
      const verified = this.#verify(token, seconds(nowMs));
      return verified instanceof Promise
        ? verified.then((v) => this.#store(token, v, opts, nowMs))
        : Promise.resolve(this.#store(token, verified, opts, nowMs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #store(token: string, verified: DecodedToken, opts: DecodeOptions, nowMs: number): DecodedToken {
    // A literal, not `{ ...verified }`: the spread measured ~1 µs per token (bench/README.md).
    const entry: CacheEntry = { header: verified.header, payload: verified.payload, storedAt: nowMs };
    if (this.#config.cache.maxSize > 0) this.#cache.set(token, deepFreeze(entry));
    return this.#checkUse(entry, opts, seconds(nowMs));
  }

  /** What is checked on every use: CSRF, then expiry last (any other failure wins over expiry). */
  #checkUse(entry: CacheEntry, opts: DecodeOptions, now: number): DecodedToken {
    const { header, payload } = entry;
    if (opts.csrfValue !== undefined) checkCsrf(payload, opts.csrfValue);
    if (
      !opts.allowExpired &&
      payload.exp !== undefined &&
      Math.trunc(payload.exp) <= now - this.#config.decodeLeeway
    ) {
      throw new ExpiredSignatureError('Token has expired', { header, payload });
    }
    return { header, payload };
  }

  /**
   * Everything that does not change with time or request: cacheable once it passes. Synchronous
   * (no promise) with static keys on node:crypto and no `claims` schema.
   */
  #verify(token: string, now: number): DecodedToken | Promise<DecodedToken> {
    const config = this.#config;
    const parsed = parseCompact(token, config.maxTokenLength);
    const { header, payload } = parsed;
    const alg = header.alg as Algorithm;
    if (config.keyring && !(typeof header.kid === 'string' && config.keyring.byKid.has(header.kid))) {
      // With `keys`, the kid decides first: a token of a removed key is refused as such, whatever its alg.
      throw new JWTDecodeError('Unknown or missing "kid" header parameter');
    }
    if (typeof alg !== 'string' || !config.decodeAlgorithms.has(alg)) {
      throw new JWTDecodeError('The specified alg value is not allowed');
    }
    if (header.crit !== undefined) throw new JWTDecodeError('Unsupported critical header parameter');
    if (config.keyring || config.remoteJwks || config.loaders.decodeKeyLoader) {
      return this.#verifyKey(header, payload, alg).then((key) => this.#verifySigned(parsed, alg, key, now));
    }
    return this.#verifySigned(parsed, alg, config.verifyKey!, now);
  }

  /** The signature, then the claims: synchronous when the signature is (node:crypto). */
  #verifySigned(
    parsed: ParsedToken,
    alg: Algorithm,
    key: PreparedKey,
    now: number,
  ): DecodedToken | Promise<DecodedToken> {
    const valid = verify(alg, key, parsed.signingInput, parsed.signature);
    return typeof valid === 'boolean'
      ? this.#verifyClaims(valid, parsed, now)
      : valid.then((v) => this.#verifyClaims(v, parsed, now));
  }

  #verifyClaims(
    valid: boolean,
    { header, payload }: ParsedToken,
    now: number,
  ): DecodedToken | Promise<DecodedToken> {
    if (!valid) throw new JWTDecodeError('Signature verification failed');
    this.#checkImmature(payload, now, true);
    if (payload.exp !== undefined && !isFiniteNumber(payload.exp)) {
      throw new JWTDecodeError('Expiration Time claim (exp) must be an integer.');
    }
    this.#checkClaims(payload);
    const schema = this.#config.claims;
    return schema
      ? validateClaims(schema, payload).then((validated) => ({ header, payload: validated }))
      : { header, payload };
  }

  async #verifyKey(header: JwtHeader, payload: JwtPayload, alg: Algorithm): Promise<PreparedKey> {
    const { keyring, remoteJwks, loaders } = this.#config;
    if (keyring) {
      // Only configured keys, chosen by kid, each pinned to its own algorithm.
      const entry = typeof header.kid === 'string' ? keyring.byKid.get(header.kid) : undefined;
      if (!entry) throw new JWTDecodeError('Unknown or missing "kid" header parameter');
      if (entry.algorithm !== alg) throw new JWTDecodeError('The specified alg value is not allowed');
      return entry.verifyKey;
    }
    let input: KeyInput;
    if (remoteJwks) input = await remoteKey(remoteJwks, header);
    else if (loaders.decodeKeyLoader) {
      input = await withTimeout(
        loaders.decodeKeyLoader({ header, payload }),
        this.#config.loaderTimeoutMs,
        'decodeKeyLoader',
      );
    } else return this.#config.verifyKey!;
    try {
      return prepareRuntimeKey(input, alg, 'public');
    } catch {
      // A key that does not fit the token's algorithm: the token is invalid, not the server.
      throw new JWTDecodeError('Signature verification failed');
    }
  }

  #checkImmature(payload: JwtPayload, now: number, checkTypes = false): void {
    const limit = now + this.#config.decodeLeeway;
    for (const [claim, typeMessage, immatureMessage] of TIME_CLAIMS) {
      const value = payload[claim];
      if (value === undefined) continue;
      if (checkTypes && !isFiniteNumber(value)) throw new JWTDecodeError(typeMessage);
      if (Math.trunc(value as number) > limit) throw new JWTDecodeError(immatureMessage);
    }
  }

  #checkClaims(payload: JwtPayload): void {
    const config = this.#config;
    if (config.decodeIssuer) {
      if (!('iss' in payload)) throw new JWTDecodeError('Token is missing the "iss" claim');
      if (!config.decodeIssuer.includes(payload.iss as string)) throw new JWTDecodeError('Invalid issuer');
    }
    if (config.decodeAudience) {
      const aud = payload.aud;
      // PyJWT: `not payload["aud"]`: Python's falsy values (0, false, '', null, [], {}) count as missing.
      if (!aud || (typeof aud === 'object' && Object.keys(aud).length === 0)) {
        throw new JWTDecodeError('Token is missing the "aud" claim');
      }
      const claimed = typeof aud === 'string' ? [aud] : aud;
      if (!Array.isArray(claimed) || claimed.some((a) => typeof a !== 'string')) {
        throw new JWTDecodeError('Invalid claim format in token');
      }
      if (!config.decodeAudience.some((a) => claimed.includes(a))) {
        throw new JWTDecodeError("Audience doesn't match");
      }
    }
    if (config.verifySub && 'sub' in payload && typeof payload.sub !== 'string') {
      throw new JWTDecodeError('Subject must be a string');
    }
    if ('jti' in payload && typeof payload.jti !== 'string')
      throw new JWTDecodeError('JWT ID must be a string');
    // An own claim only: `payload.toString` or `payload.constructor` must not pass for an identity.
    if (!Object.hasOwn(payload, config.identityClaim) || payload[config.identityClaim] === undefined) {
      throw new JWTDecodeError(`Missing claim: ${config.identityClaim}`);
    }
    // §9: identities are strings. `verifySub: false` (migration from integer ids) also lets an
    // integer through, which ctx.token.identity carries as its decimal string.
    const identity = payload[config.identityClaim];
    if (typeof identity !== 'string' && (config.verifySub || !Number.isSafeInteger(identity))) {
      throw new JWTDecodeError(
        config.identityClaim === 'sub'
          ? 'Subject must be a string'
          : `Invalid claim: ${config.identityClaim} must be a string`,
      );
    }
  }
}

/** A key from the external issuer's JWK Set: no matching key is an invalid token; an unreachable set fails closed. */
async function remoteKey(getKey: RemoteKeyGetter, header: JwtHeader): Promise<KeyInput> {
  try {
    return (await getKey(header as never)) as KeyInput;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ERR_JWKS_NO_MATCHING_KEY' ||
      code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' ||
      code === 'ERR_JOSE_ALG_NOT_ALLOWED'
    ) {
      throw new JWTDecodeError('Signature verification failed');
    }
    throw new RemoteKeysUnavailableError("The issuer's signing keys could not be fetched", { cause: error });
  }
}

/** The clock in seconds, not rounded: PyJWT compares floats, so a fractional leeway counts exactly. */
function seconds(nowMs: number): number {
  return nowMs / 1000;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function checkCsrf(payload: JwtPayload, csrfValue: string): void {
  if (!('csrf' in payload)) throw new JWTDecodeError('Missing claim: csrf');
  const claim = payload.csrf;
  if (typeof claim !== 'string' || !timingSafeEqualStrings(claim, csrfValue)) {
    throw new CSRFError('CSRF double submit tokens do not match');
  }
}

/**
 * Runs the `claims` schema over a verified payload. A failure names the claim path and what the
 * schema expected, never the value. The schema's output is laid over the payload, so a schema that strips unknown keys (zod's
 * default) does not drop the registered claims.
 */
async function validateClaims(schema: StandardSchemaV1, payload: JwtPayload): Promise<JwtPayload> {
  let result: StandardSchemaV1.Result<unknown>;
  try {
    result = await schema['~standard'].validate(payload);
  } catch (error) {
    if (error instanceof JwtError) throw error;
    throw new JWTDecodeError('Invalid claims: the claims schema threw');
  }
  if (result.issues) {
    throw new JWTDecodeError(`Invalid claim: ${describeClaimIssues(result.issues, payload)}`);
  }
  return isPlainObject(result.value) ? safeAssign({ ...payload }, result.value) : payload;
}
