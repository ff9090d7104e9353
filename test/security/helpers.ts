/**
 * Shared fixtures of the security suite: an independent token forger (node:crypto, not the library),
 * key material in every format, a tRPC app driven through `fetchRequestHandler`, and the hygiene
 * collector (every error message and error response produced in a file is audited at its end for
 * tokens, token segments, secrets, key material and cookie values).
 */
import { z } from 'zod';
import {
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  constants,
  randomBytes,
} from 'node:crypto';
import { type AnyTRPCRouter, initTRPC } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { describe, expect, it } from 'vitest';
import {
  type CreateJwtContextOptions,
  createJwtManager,
  type JwtContextPart,
  type JwtError,
  type JwtManager,
  type JwtManagerOptions,
  type VerifiedToken,
} from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// Hygiene collector
// ---------------------------------------------------------------------------------------------

interface Sensitive {
  readonly value: string;
  readonly label: string;
}
interface Produced {
  readonly where: string;
  readonly text: string;
}

const sensitive = new Map<string, Sensitive>();
const produced: Produced[] = [];

/** Registers a value that must never appear in an error message or response (labelled for reports). */
export function registerSensitive(value: string, label: string): string {
  if (value.length >= 16 && !sensitive.has(value)) sensitive.set(value, { value, label });
  return value;
}

let tokenCount = 0;
/** Registers a token, and each of its segments of 16 characters or more. */
export function registerToken(token: string): string {
  const n = ++tokenCount;
  registerSensitive(token, `token #${n}`);
  token.split('.').forEach((segment, i) => {
    registerSensitive(segment, `token #${n} segment ${i}`);
  });
  return token;
}

/** Registers every base64 line, the DER and the JWK members of a key (public or private). */
export function registerKey(key: KeyObject, label: string): void {
  const type = key.type === 'private' ? 'pkcs8' : 'spki';
  const pem = String(key.export({ type, format: 'pem' }));
  for (const line of pem.split('\n')) {
    if (!line.startsWith('-----')) registerSensitive(line.trim(), `${label} PEM line`);
  }
  registerSensitive((key.export({ type, format: 'der' }) as Buffer).toString('base64'), `${label} DER`);
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  for (const [member, value] of Object.entries(jwk)) {
    if (typeof value === 'string') registerSensitive(value, `${label} JWK.${member}`);
  }
}

/** Records an error message or a serialized error response produced by the library. */
export function recordOutput(where: string, text: string): void {
  produced.push({ where, text });
}

/** Leaks of registered values in `outputs`, labelled (never the value itself). */
export function findLeaks(outputs: readonly Produced[] = produced): { where: string; label: string }[] {
  const leaks: { where: string; label: string }[] = [];
  for (const { where, text } of outputs) {
    for (const { value, label } of sensitive.values()) {
      if (text.includes(value)) leaks.push({ where, label });
    }
  }
  return leaks;
}

/** How much the collector holds (the audit refuses to pass vacuously). */
export function collectorStats(): { outputs: number; sensitive: number } {
  return { outputs: produced.length, sensitive: sensitive.size };
}

/**
 * Declares, at the end of a test file, the audit of everything that file produced. Tests in a file
 * run in declaration order, so this runs last.
 */
export function auditHygiene(minOutputs = 1): void {
  describe('hygiene audit', () => {
    it('no error message or error response produced in this file contains a token, a token segment (≥ 16 chars), a secret, key material or a cookie value', () => {
      const stats = collectorStats();
      expect(stats.outputs).toBeGreaterThanOrEqual(minOutputs);
      expect(stats.sensitive).toBeGreaterThan(0);
      expect(findLeaks()).toEqual([]);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Secrets, keys and an independent token forger
// ---------------------------------------------------------------------------------------------

/** A random HMAC secret of `bytes` bytes (base64url text), registered as sensitive. */
export function newSecret(bytes = 32, label = 'secret'): string {
  return registerSensitive(randomBytes(bytes).toString('base64url').slice(0, bytes), label);
}

export type AsymFamily = 'RS' | 'PS' | 'ES' | 'EdDSA';

/** A key pair for an asymmetric algorithm family, generated once per file and registered. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const pairs = new Map<string, KeyPair>();
export function keyPair(kind: 'rsa' | 'ec' | 'ed25519' | 'rsa1024', label: string = kind): KeyPair {
  const id = `${kind}:${label}`;
  let pair = pairs.get(id);
  if (!pair) {
    pair =
      kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : kind === 'rsa1024'
          ? generateKeyPairSync('rsa', { modulusLength: 1024 })
          : kind === 'ec'
            ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
            : generateKeyPairSync('ed25519');
    registerKey(pair.privateKey, `${label} private`);
    registerKey(pair.publicKey, `${label} public`);
    pairs.set(id, pair);
  }
  return pair;
}

/** The algorithm of each asymmetric family used in the suite, and its key kind. */
export const ASYM_CONFIGS = [
  { alg: 'RS256', kind: 'rsa' },
  { alg: 'PS256', kind: 'rsa' },
  { alg: 'ES256', kind: 'ec' },
  { alg: 'EdDSA', kind: 'ed25519' },
] as const;

/** A public key in every text format an attacker could try as an HMAC secret. */
export function publicKeyFormats(key: KeyObject): { name: string; secret: string | Buffer }[] {
  const formats: { name: string; secret: string | Buffer }[] = [
    { name: 'SPKI PEM', secret: String(key.export({ type: 'spki', format: 'pem' })) },
    {
      name: 'DER base64',
      secret: (key.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'),
    },
    { name: 'DER bytes', secret: key.export({ type: 'spki', format: 'der' }) as Buffer },
    { name: 'JWK JSON', secret: JSON.stringify(key.export({ format: 'jwk' })) },
  ];
  if (key.asymmetricKeyType === 'rsa') {
    formats.push({ name: 'PKCS#1 PEM', secret: String(key.export({ type: 'pkcs1', format: 'pem' })) });
  }
  return formats;
}

export const b64url = (input: string | Uint8Array): string => Buffer.from(input).toString('base64url');

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Signs `input` with `alg` using node:crypto directly (independent of the library under test). */
export function signRaw(alg: string, key: KeyObject | string | Uint8Array, input: string): Buffer {
  const data = Buffer.from(input, 'latin1');
  const family = alg === 'EdDSA' ? 'EdDSA' : alg.slice(0, 2).toUpperCase();
  const hash = HASH[alg.slice(2)] ?? 'sha256';
  if (family === 'HS')
    return createHmac(hash, key as string | Uint8Array)
      .update(input)
      .digest();
  const k = typeof key === 'string' ? createPrivateKey(key) : (key as KeyObject);
  if (family === 'EdDSA') return nodeSign(null, data, k);
  if (family === 'RS') return nodeSign(hash, data, k);
  if (family === 'PS') {
    return nodeSign(hash, data, {
      key: k,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return nodeSign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' });
}

type SegmentInput = Record<string, unknown> | unknown[] | string | number | null | Buffer;

/** A segment: objects and other JSON values are serialized; a string is raw JSON text; a Buffer raw bytes. */
function encodeSegment(value: SegmentInput): string {
  if (Buffer.isBuffer(value)) return b64url(value);
  if (typeof value === 'string') return b64url(value);
  return b64url(JSON.stringify(value));
}

/**
 * Forges a compact token. With `key` the signature is computed over the encoded segments with
 * `signAlg` (default: the header's `alg`); `signature` overrides it (a string is used verbatim).
 */
export function forge(opts: {
  header: SegmentInput;
  payload: SegmentInput;
  key?: KeyObject | string | Uint8Array;
  signAlg?: string;
  signature?: string | Uint8Array;
}): string {
  const signingInput = `${encodeSegment(opts.header)}.${encodeSegment(opts.payload)}`;
  let sig = '';
  if (typeof opts.signature === 'string') sig = opts.signature;
  else if (opts.signature) sig = b64url(opts.signature);
  else if (opts.key !== undefined) {
    const alg = opts.signAlg ?? (opts.header as { alg?: string }).alg ?? 'HS256';
    sig = b64url(signRaw(alg, opts.key, signingInput));
  }
  return registerToken(`${signingInput}.${sig}`);
}

/** A flask-shaped payload for `sub`, valid at `now` (seconds) for 15 minutes. */
export function claimsFor<T extends object = {}>(
  sub: string,
  now = Math.floor(Date.now() / 1000),
  extra: T = {} as T,
) {
  return {
    fresh: false,
    iat: now,
    jti: crypto.randomUUID(),
    type: 'access',
    sub,
    nbf: now,
    exp: now + 900,
    ...extra,
  };
}

/** Re-signs the signing input of `token` (changed by `edit`) with an HMAC secret. */
export function resignHS(signingInput: string, secret: string, alg = 'HS256'): string {
  return registerToken(`${signingInput}.${b64url(signRaw(alg, secret, signingInput))}`);
}

// ---------------------------------------------------------------------------------------------
// Assertions on thrown JwtErrors
// ---------------------------------------------------------------------------------------------

type JwtErrorClass = abstract new (...args: never[]) => JwtError;

/**
 * Awaits `promise`, expects a JwtError of exactly `cls` with `code` and `message`, and records the
 * message for the hygiene audit. Returns the error.
 */
export async function expectJwtError(
  promise: Promise<unknown> | (() => unknown),
  cls: JwtErrorClass,
  code: string,
  message: string | RegExp,
): Promise<JwtError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  if (error instanceof Error) recordOutput('thrown', error.message);
  expect(error, 'expected a JwtError').toBeInstanceOf(cls);
  const jwtError = error as JwtError;
  expect(jwtError.constructor).toBe(cls);
  expect(jwtError.code).toBe(code);
  if (typeof message === 'string') expect(jwtError.message).toBe(message);
  else expect(jwtError.message).toMatch(message);
  return jwtError;
}

// ---------------------------------------------------------------------------------------------
// A tRPC app over fetchRequestHandler
// ---------------------------------------------------------------------------------------------

/** How many times each procedure body ran. */
export type Calls = Record<string, number>;

/** Builds a manager and a router of JWT procedures whose bodies count their invocations. */
/** A claims check whose failure names the claim but must never quote its value. */
const adminClaims = z.object({ role: z.literal('admin') });

export function buildApp<TUser = never>(options: JwtManagerOptions<{}, TUser>) {
  const jwt = createJwtManager<{}, TUser>(options);
  type Ctx = JwtContextPart;
  const t = initTRPC.context<Ctx>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(
    t.procedure,
  );
  const calls: Calls = {};
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  // ctx's type depends on TUser, unresolved inside this generic function: read it structurally
  const describeToken = (ctx: unknown) => {
    const token = (ctx as { token: VerifiedToken | null }).token;
    return token ? { identity: token.identity, type: token.type, location: token.location } : null;
  };
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => {
      count('me');
      return { ...describeToken(ctx), user: (ctx as { user?: unknown }).user ?? null };
    }),
    meMutation: protectedProcedure.mutation(({ ctx }) => {
      count('meMutation');
      return describeToken(ctx);
    }),
    optional: optionalProcedure.query(({ ctx }) => {
      count('optional');
      return describeToken(ctx);
    }),
    adminOnly: t.procedure.concat(jwt.requireClaims(adminClaims)).query(() => {
      count('adminOnly');
      return 'admin';
    }),
    fresh: freshProcedure.query(({ ctx }) => {
      count('fresh');
      return describeToken(ctx);
    }),
    refresh: refreshProcedure.mutation(({ ctx }) => {
      count('refresh');
      return describeToken(ctx);
    }),
    refreshQuery: refreshProcedure.query(({ ctx }) => {
      count('refreshQuery');
      return describeToken(ctx);
    }),
    payload: protectedProcedure.query(({ ctx }) => {
      count('payload');
      const token = (ctx as unknown as { token: VerifiedToken }).token;
      return { payload: token.payload, header: token.header };
    }),
    /** Calls `jwt.decodeToken` in a resolver (a JwtError thrown outside the middleware). */
    resolverDecode: t.procedure
      .input((raw: unknown) => raw as { token: string })
      .query(async ({ input }) => {
        count('resolverDecode');
        return (await jwt.decodeToken(input.token)).sub ?? null;
      }),
  });
  const createContext = (opts: CreateJwtContextOptions) => jwt.createJwtContext(opts);
  const caller = (ctxOpts: CreateJwtContextOptions) => router.createCaller(createContext(ctxOpts));
  return { jwt: jwt as JwtManager<{}, TUser>, router, calls, createContext, caller };
}

/** What `call` needs of an app. */
export interface App {
  readonly router: AnyTRPCRouter;
  readonly calls: Calls;
  createContext(opts: CreateJwtContextOptions): JwtContextPart;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'OPTIONS';
  headers?: Record<string, string> | [string, string][];
  /** The procedure input (JSON): `?input=` for GET, the body for POST. */
  input?: unknown;
  /** A raw request body (overrides `input`). */
  body?: string;
  /** Extra query string, without `?` (e.g. `jwt=...`). */
  query?: string;
  /** tRPC's allowMethodOverride (a query over POST). */
  allowMethodOverride?: boolean;
}

export interface CallResult {
  status: number;
  text: string;
  body: any;
}

/** Calls a procedure through tRPC's fetch adapter; records every error response for the audit. */
export async function call(app: App, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const method = opts.method ?? 'GET';
  const params: string[] = [];
  if (method === 'GET' && opts.input !== undefined) {
    params.push(`input=${encodeURIComponent(JSON.stringify(opts.input))}`);
  }
  if (opts.query) params.push(opts.query);
  const url = `http://localhost/trpc/${path}${params.length ? `?${params.join('&')}` : ''}`;
  const headers = new Headers();
  for (const [k, v] of Array.isArray(opts.headers) ? opts.headers : Object.entries(opts.headers ?? {})) {
    headers.append(k, v);
  }
  let body: string | undefined;
  if (method !== 'GET' && method !== 'OPTIONS') {
    body = opts.body ?? (opts.input === undefined ? undefined : JSON.stringify(opts.input));
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await fetchRequestHandler({
    endpoint: '/trpc',
    req: new Request(url, { method, headers, ...(body === undefined ? {} : { body }) }),
    router: app.router,
    createContext: (o) => app.createContext(o),
    allowMethodOverride: opts.allowMethodOverride ?? false,
  });
  const text = await res.text();
  if (res.status >= 400) recordOutput(`${method} ${path}`, text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed };
}

/** Expects a tRPC error response with the HTTP status, `data.jwt.code` and message. */
export function expectHttpError(
  res: CallResult,
  status: number,
  jwtCode: string | null,
  message?: string | RegExp,
): void {
  expect(res.status).toBe(status);
  expect(res.body?.error?.data?.httpStatus).toBe(status);
  expect(res.body?.error?.data?.jwt ?? null).toEqual(jwtCode === null ? null : { code: jwtCode });
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else if (message) expect(res.body.error.message).toMatch(message);
}

/** Expects a 200 whose data is `data`. */
export function expectOk(res: CallResult, data: unknown): void {
  expect(res.status).toBe(200);
  expect(res.body?.result?.data).toEqual(data);
}

/** `Authorization: Bearer <token>` */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A mutable clock in milliseconds for `clock:`. */
export function fakeClock(startSeconds = 1_700_000_000) {
  const clock = { ms: startSeconds * 1000, now: () => clock.ms };
  return clock;
}
