import type { StandardSchemaV1 } from '../internal/standard-schema.js';
import { describeClaimIssues } from './claims.js';
import { parseDuration, type ResolvedConfig } from '../config.js';
import { JwtConfigError } from '../errors.js';
import { encodeBase64url } from '../internal/base64url.js';
import { withTimeout } from '../internal/timeout.js';
import { isPlainObject, safeAssign } from '../internal/objects.js';
import type { Duration, KeyInput } from '../types.js';
import { sign } from './crypto.js';
import { prepareRuntimeKey } from './keys.js';

/** Options of `createAccessToken`. */
export interface CreateAccessTokenOptions {
  /** `true`, `false`, or a duration: fresh until now + duration (stored as a timestamp). @default false */
  fresh?: boolean | Duration;
  /** Overrides `accessTokenExpires`; `false` means no `exp`. */
  expiresDelta?: Duration | false;
  /** Claims merged last (over the loader's, over the reserved ones). */
  additionalClaims?: Record<string, unknown>;
  /** Header parameters merged over the loader's and over `alg`/`typ`. */
  additionalHeaders?: Record<string, unknown>;
}

/** Options of `createRefreshToken`. */
export type CreateRefreshTokenOptions = Omit<CreateAccessTokenOptions, 'fresh'>;

const HEADER_CACHE = new Map<string, string>();

function baseHeader(alg: string, kid: string | undefined): Record<string, unknown> {
  return kid === undefined ? { alg, typ: 'JWT' } : { alg, kid, typ: 'JWT' };
}

function newJti(): string {
  return crypto.randomUUID();
}

async function loaderObject(
  name: 'additionalClaimsLoader' | 'additionalHeadersLoader',
  loader: ((identity: unknown) => unknown) | undefined,
  identity: unknown,
  timeoutMs: number | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (!loader) return undefined;
  const value = await withTimeout(loader(identity), timeoutMs, name);
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new JwtConfigError(name, 'must return a plain object');
  return value;
}

function expiresIn(
  option: string,
  value: Duration | false | undefined,
  fallback: number | false,
): number | false {
  if (value === undefined) return fallback;
  if (value === false) return false;
  return parseDuration(option, value);
}

function freshClaim(fresh: boolean | Duration | undefined, nowSeconds: number): boolean | number {
  if (fresh === undefined || typeof fresh === 'boolean') return fresh ?? false;
  return nowSeconds + parseDuration('fresh', fresh);
}

/** The claims of flask's layout, before custom ones. */
interface LayoutClaims {
  fresh: boolean | number;
  iat: number;
  jti: string;
  type: 'access' | 'refresh';
  subject: string;
  csrf: string | undefined;
  exp: number | undefined;
}

/**
 * The payload as JSON.stringify writes it (the claims layout of `createToken`), built from a template
 * for the common case: no custom claims, and an identity claim name that is a plain identifier
 * outside the layout (an integer-like name would move first, a layout name would repeat).
 * JSON.stringify of the claims object measured ~0.5 µs, the template ~0.1 µs (bench/README.md).
 * Undefined when the case is not that one.
 */
function directPayloadJson(config: ResolvedConfig, claims: LayoutClaims): string | undefined {
  const { fresh, iat, jti, type, subject, csrf, exp } = claims;
  const name = directClaimName(config.identityClaim);
  if (name === undefined) return undefined;
  // Non-finite numbers are `null` in JSON: leave them to JSON.stringify.
  if (!Number.isFinite(iat) || !Number.isFinite(Number(fresh)) || !Number.isFinite(exp ?? 0))
    return undefined;
  // jti and csrf are UUIDs, `type` a literal: nothing to escape.
  let json = `{"fresh":${fresh},"iat":${iat},"jti":"${jti}","type":"${type}",${name}:${JSON.stringify(subject)}`;
  if (config.encodeNbf) json += `,"nbf":${iat}`;
  if (csrf !== undefined) json += `,"csrf":"${csrf}"`;
  if (exp !== undefined) json += `,"exp":${exp}`;
  if (config.encodeAudience) json += `,"aud":${JSON.stringify(config.encodeAudience)}`;
  if (config.encodeIssuer) json += `,"iss":${JSON.stringify(config.encodeIssuer)}`;
  return `${json}}`;
}

const LAYOUT_CLAIMS = new Set([
  'fresh',
  'iat',
  'jti',
  'type',
  'nbf',
  'csrf',
  'exp',
  'aud',
  'iss',
  '__proto__',
]);
const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;
const directNames = new Map<string, string | undefined>();

/** The identity claim's quoted name for `directPayloadJson`, or undefined when it cannot take it. */
function directClaimName(claim: string): string | undefined {
  let name = directNames.get(claim);
  if (name === undefined && !directNames.has(claim)) {
    name = IDENTIFIER_RE.test(claim) && !LAYOUT_CLAIMS.has(claim) ? JSON.stringify(claim) : undefined;
    if (directNames.size >= 64) directNames.clear();
    directNames.set(claim, name);
  }
  return name;
}

/** The payload in the general case: the claims object (custom claims merged last), JSON.stringify. */
function payloadObjectJson(
  config: ResolvedConfig,
  claims: LayoutClaims,
  loaderClaims: Record<string, unknown> | undefined,
  additionalClaims: Record<string, unknown> | undefined,
): string {
  const { fresh, iat, jti, type, subject, csrf, exp } = claims;
  const payload: Record<string, unknown> = { fresh, iat, jti, type };
  payload[config.identityClaim] = subject;
  if (config.encodeNbf) payload.nbf = iat;
  if (csrf !== undefined) payload.csrf = csrf;
  if (exp !== undefined) payload.exp = exp;
  if (config.encodeAudience) payload.aud = config.encodeAudience;
  if (config.encodeIssuer) payload.iss = config.encodeIssuer;
  safeAssign(payload, loaderClaims, additionalClaims);
  const identity = payload[config.identityClaim];
  if (typeof identity !== 'string') {
    throw new TypeError(
      `trpc-jwt-extended: custom claims set the identity claim "${config.identityClaim}" to a non-string (${kindOf(identity)}); it must be a string`,
    );
  }
  return JSON.stringify(payload);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * A token the manager would refuse is never signed: the payload goes through the `claims` schema
 * first, and a mismatch is a TypeError naming each claim and what the schema expected.
 */
async function assertClaims(schema: StandardSchemaV1, payloadJson: string): Promise<void> {
  const payload: unknown = JSON.parse(payloadJson);
  const result = await schema['~standard'].validate(payload);
  if (result.issues) {
    throw new TypeError(
      `trpc-jwt-extended: the token's claims do not match the \`claims\` schema: ${describeClaimIssues(result.issues, payload)}`,
    );
  }
}

/**
 * Identities are strings (API.md §9): a token for anything else would be refused by every later
 * request (`Subject must be a string`), so creating one fails here instead.
 */
function identityError(subject: unknown, fromLoader: boolean): TypeError {
  if (fromLoader)
    return new JwtConfigError('userIdentityLoader', `must return a string (got ${kindOf(subject)})`);
  if (subject === undefined) {
    return new TypeError('trpc-jwt-extended: createAccessToken/createRefreshToken need an identity');
  }
  return new TypeError(
    `trpc-jwt-extended: the identity must be a string (got ${kindOf(subject)}); pass String(id), or set userIdentityLoader to turn it into one`,
  );
}

/**
 * Creates a signed token with flask-jwt-extended's claim layout:
 * `fresh, iat, jti, type, <identityClaim>, nbf, csrf, exp, aud, iss`, then custom claims
 * (loader first, argument wins ties; custom claims may override reserved ones, as in flask).
 */
export async function createToken(
  config: ResolvedConfig,
  identity: unknown,
  type: 'access' | 'refresh',
  opts: CreateAccessTokenOptions = {},
): Promise<string> {
  return (await mintToken(config, identity, type, opts)).token;
}

/** A new token and the `csrf` claim it carries (undefined when it carries no string one). */
export interface MintedToken {
  token: string;
  /** The claims as signed (custom claims merged), for callers that need them without decoding. */
  csrf: string | undefined;
  jti: string | undefined;
  /** UNIX seconds; undefined when the token never expires (or a custom claim made `exp` no number). */
  exp: number | undefined;
}

/** The value of `claim` after the custom claims are merged over `value` (the last source wins). */
function mergedClaim(
  claim: string,
  value: unknown,
  ...sources: (Record<string, unknown> | undefined)[]
): unknown {
  for (const source of sources) if (source && Object.hasOwn(source, claim)) value = source[claim];
  return value;
}

/**
 * `createToken`, also handing back the `csrf`, `jti` and `exp` claims it wrote, so a caller that sets
 * the token's cookies (implicit refresh) or records it (rotation) need not decode the token it just
 * signed.
 */
export async function mintToken(
  config: ResolvedConfig,
  identity: unknown,
  type: 'access' | 'refresh',
  opts: CreateAccessTokenOptions = {},
): Promise<MintedToken> {
  const { loaders, loaderTimeoutMs: timeoutMs } = config;
  const nowMs = config.clock();
  const iat = Math.floor(nowMs / 1000);
  const expires = expiresIn('expiresDelta', opts.expiresDelta, config.tokens[type].expires);
  // Without loaders (and with a plain identity) there is nothing to wait for: skipping Promise.all
  // over three ready values makes an HS256 token ~10% faster to create (bench/README.md).
  const ready =
    !loaders.additionalClaimsLoader &&
    !loaders.additionalHeadersLoader &&
    !loaders.userIdentityLoader &&
    typeof (identity as { then?: unknown } | null | undefined)?.then !== 'function';
  const [loaderClaims, loaderHeaders, subject] = ready
    ? [undefined, undefined, identity]
    : await Promise.all([
        loaderObject('additionalClaimsLoader', loaders.additionalClaimsLoader, identity, timeoutMs),
        loaderObject('additionalHeadersLoader', loaders.additionalHeadersLoader, identity, timeoutMs),
        loaders.userIdentityLoader
          ? withTimeout(loaders.userIdentityLoader(identity), timeoutMs, 'userIdentityLoader')
          : identity,
      ]);
  if (typeof subject !== 'string') throw identityError(subject, loaders.userIdentityLoader !== undefined);

  const fresh = type === 'access' ? freshClaim(opts.fresh, nowMs / 1000) : false;
  const jti = newJti();
  const csrf = config.cookieCsrfProtect ? newJti() : undefined;
  const exp = expires === false ? undefined : iat + Math.floor(expires);
  const claims: LayoutClaims = { fresh, iat, jti, type, subject, csrf, exp };
  const payloadJson =
    (!loaderClaims && !opts.additionalClaims && directPayloadJson(config, claims)) ||
    payloadObjectJson(config, claims, loaderClaims, opts.additionalClaims);
  if (config.claims) await assertClaims(config.claims, payloadJson);

  const alg = config.algorithm;
  let key = config.signingKey;
  if (loaders.encodeKeyLoader) {
    const input = await withTimeout(loaders.encodeKeyLoader(identity), timeoutMs, 'encodeKeyLoader');
    key = prepareRuntimeKey(input as KeyInput, alg, 'private');
  }
  if (!key) {
    throw new JwtConfigError(
      config.remoteJwks ? 'jwksUrl' : 'privateKey',
      config.remoteJwks
        ? 'makes a verify-only manager: it cannot sign tokens'
        : `is required to sign tokens with ${alg} (only a public key is configured)`,
    );
  }

  const kid = config.keyring?.current.kid;
  let headerSegment: string | undefined;
  if (!loaderHeaders && !opts.additionalHeaders) {
    const cacheKey = `${alg}:${kid ?? ''}`;
    headerSegment = HEADER_CACHE.get(cacheKey);
    if (headerSegment === undefined) {
      headerSegment = encodeBase64url(JSON.stringify(baseHeader(alg, kid)));
      HEADER_CACHE.set(cacheKey, headerSegment);
    }
  } else {
    const header = safeAssign(baseHeader(alg, kid), loaderHeaders, opts.additionalHeaders);
    header.alg = alg; // the signing algorithm is pinned from configuration
    if (kid !== undefined) header.kid = kid; // and so is the key id of the signing key
    if (!header.typ) delete header.typ; // PyJWT drops a falsy `typ`
    // Sorted keys, as PyJWT writes headers (fromEntries keeps a `__proto__` key as plain data).
    const sorted = Object.fromEntries(
      Object.keys(header)
        .sort()
        .map((k) => [k, header[k]]),
    );
    headerSegment = encodeBase64url(JSON.stringify(sorted));
  }
  const signingInput = `${headerSegment}.${encodeBase64url(payloadJson)}`;
  const signed = sign(alg, key, signingInput); // base64url text, synchronous on node:crypto
  const token = `${signingInput}.${typeof signed === 'string' ? signed : await signed}`;
  const claim = (name: string, value: unknown) =>
    mergedClaim(name, value, loaderClaims, opts.additionalClaims);
  const [csrfClaim, jtiClaim, expClaim] = [claim('csrf', csrf), claim('jti', jti), claim('exp', exp)];
  return {
    token,
    csrf: typeof csrfClaim === 'string' ? csrfClaim : undefined,
    jti: typeof jtiClaim === 'string' ? jtiClaim : undefined,
    exp: typeof expClaim === 'number' ? expClaim : undefined,
  };
}
