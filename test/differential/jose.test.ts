/**
 * Differential tests: our verifier against jose, and our WebCrypto path against our node:crypto path.
 *
 * For HS256, RS256, PS256, ES256 and EdDSA, fast-check generates valid tokens, tokens mutated at the
 * character and byte level, and crafted tokens (random headers and payloads, alg variations, signed
 * with the right key, a wrong key, the public key as an HMAC secret, other signature encodings).
 * Each token goes to
 *   - ours, node:crypto path (`backend.useNode = true` when the manager is built), cache off;
 *   - jose's `compactVerify` with `algorithms` pinned to the same algorithm;
 *   - ours, WebCrypto path (`backend.useNode = false` when the manager is built), cache off.
 *
 * "Accepted at the signature level" for ours means decodeToken passed, or failed only on a claim
 * (a time claim, a missing identity): everything that comes after the signature check. Our errors
 * are classified by their (API.md) messages; an unknown message fails the test.
 *
 * Asserted:
 *   1. WebCrypto path ≡ node path: the same verdict, the same payload or the same error and message.
 *   2. ours ≡ jose, except for these differences, all in one direction (ours refuses, jose accepts):
 *      - NON_CANONICAL: a segment is not canonical base64url (padding, whitespace, `+`/`/`, non-zero
 *        trailing bits). Our strict gate refuses it on purpose (API.md §9).
 *      - JWT_LAYER: the payload is empty or not a JSON object. compactVerify verifies any JWS;
 *        jose's own JWT layer (`jwtVerify`) refuses these too — asserted here.
 *      - CRIT: the header has `crit`. jose understands `["b64"]` (with `b64: false` its JWT layer
 *        refuses the token anyway); we support no critical extension and refuse every `crit`
 *        (RFC 7515 §4.1.11 allows it).
 *      Any other difference, and any token ours accepts and jose refuses, fails the test.
 */
import {
  constants,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
} from 'node:crypto';
import fc from 'fast-check';
import { compactVerify, errors, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvedConfigOf } from '../../src/config/view.js';
import { createJwtManager, JwtError, type JwtManager } from '../../src/index.js';
import { backend } from '../../src/internal/node-crypto.js';

const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
type Alg = (typeof ALGS)[number];
const NUM_RUNS = 200;

/** Our errors raised at or before the signature check: the token is refused as a JWS. */
const SIGNATURE_LEVEL = [
  /^Invalid token type/,
  /^Token is longer than/,
  /^Not enough segments$/,
  /^Too many segments$/,
  /^Invalid (header|payload|crypto) padding$/,
  /^Invalid (header|payload) string/,
  /^The specified alg value is not allowed$/,
  /^Unsupported critical header parameter$/,
  /^Signature verification failed$/,
];
/** Our errors raised after the signature passed: claim checks (jose compactVerify checks no claim). */
const CLAIM_LEVEL = [
  /^(Issued At|Not Before|Expiration Time) claim \((iat|nbf|exp)\) must be an integer\.$/,
  /^The token is not yet valid \((iat|nbf)\)$/,
  /^Token has expired$/,
  /^Missing claim: /,
  /^Subject must be a string$/,
  /^JWT ID must be a string$/,
];

type Verdict = 'accept' | 'reject';
type Outcome = { ok: true; payload: unknown } | { ok: false; name: string; message: string };

// ---------------------------------------------------------------------------------------------
// Keys

interface AlgKeys {
  readonly alg: Alg;
  /** Signs as the issuer would. */
  readonly sign: (input: Buffer) => Buffer;
  /** Signs with a different key of the same kind. */
  readonly signWrong: (input: Buffer) => Buffer;
  /** Public key text (PEM) or the secret, as our manager gets it. */
  readonly verifyKey: string;
  readonly joseKey: CryptoKey | Uint8Array;
}

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
let rsaPairs: [ReturnType<typeof rsa>, ReturnType<typeof rsa>] | undefined;

function signer(alg: Alg, key: KeyObject | string): (input: Buffer) => Buffer {
  switch (alg) {
    case 'HS256':
      return (input) => createHmac('sha256', key).update(input).digest();
    case 'RS256':
      return (input) => nodeSign('sha256', input, key as KeyObject);
    case 'PS256':
      return (input) =>
        nodeSign('sha256', input, {
          key: key as KeyObject,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
    case 'ES256':
      return (input) => nodeSign('sha256', input, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return (input) => nodeSign(null, input, key as KeyObject);
  }
}

async function makeKeys(alg: Alg): Promise<AlgKeys & { privateKey: KeyObject | undefined }> {
  if (alg === 'HS256') {
    const secret = randomBytes(32).toString('hex');
    const wrong = randomBytes(32).toString('hex');
    return {
      alg,
      sign: signer(alg, secret),
      signWrong: signer(alg, wrong),
      verifyKey: secret,
      joseKey: new TextEncoder().encode(secret),
      privateKey: undefined,
    };
  }
  const [right, wrong] =
    alg === 'RS256' || alg === 'PS256'
      ? (rsaPairs ??= [rsa(), rsa()])
      : alg === 'ES256'
        ? [
            generateKeyPairSync('ec', { namedCurve: 'P-256' }),
            generateKeyPairSync('ec', { namedCurve: 'P-256' }),
          ]
        : [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
  const publicPem = right.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    alg,
    sign: signer(alg, right.privateKey),
    signWrong: signer(alg, wrong.privateKey),
    verifyKey: publicPem,
    joseKey: await importSPKI(publicPem, alg),
    privateKey: right.privateKey,
  };
}

function manager(keys: AlgKeys, useNode: boolean): JwtManager {
  const saved = backend.useNode;
  backend.useNode = useNode; // read when the manager prepares its keys
  try {
    return createJwtManager({
      algorithm: keys.alg,
      ...(keys.alg === 'HS256' ? { secretKey: keys.verifyKey } : { publicKey: keys.verifyKey }),
      cache: false,
    });
  } finally {
    backend.useNode = saved;
  }
}

// ---------------------------------------------------------------------------------------------
// Verdicts

async function oursOutcome(jwt: JwtManager, token: string): Promise<Outcome> {
  try {
    return { ok: true, payload: await jwt.decodeToken(token, { allowExpired: true }) };
  } catch (error) {
    if (!(error instanceof JwtError)) throw error;
    return { ok: false, name: error.name, message: error.message };
  }
}

function oursVerdict(outcome: Outcome): Verdict {
  if (outcome.ok) return 'accept';
  if (SIGNATURE_LEVEL.some((re) => re.test(outcome.message))) return 'reject';
  if (CLAIM_LEVEL.some((re) => re.test(outcome.message))) return 'accept';
  throw new Error(`unclassified verification error: ${outcome.name}: ${outcome.message}`);
}

async function joseCompact(token: string, keys: AlgKeys): Promise<Verdict> {
  try {
    await compactVerify(token, keys.joseKey, { algorithms: [keys.alg] });
    return 'accept';
  } catch (error) {
    if (error instanceof errors.JOSEError) return 'reject';
    throw error;
  }
}

/** jose's JWT layer on top of compactVerify; a claim check failing still means "valid JWS". */
async function joseJwt(token: string, keys: AlgKeys): Promise<Verdict> {
  try {
    await jwtVerify(token, keys.joseKey, { algorithms: [keys.alg] });
    return 'accept';
  } catch (error) {
    if (error instanceof errors.JWTClaimValidationFailed) return 'accept';
    if (error instanceof errors.JOSEError) return 'reject';
    throw error;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Canonical unpadded base64url, decided independently of src (a decode/encode round trip). */
function isCanonical(segment: string): boolean {
  return BASE64URL.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

function protectedHeaderOf(token: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Difference = 'NON_CANONICAL' | 'JWT_LAYER' | 'CRIT';

interface Tally {
  accepted: number;
  rejected: number;
  differences: Record<Difference, number>;
}

const newTally = (): Tally => ({
  accepted: 0,
  rejected: 0,
  differences: { NON_CANONICAL: 0, JWT_LAYER: 0, CRIT: 0 },
});

/** Asserts ours ≡ jose on `token` up to the documented differences; counts what it saw. */
async function compareWithJose(jwt: JwtManager, keys: AlgKeys, token: string, tally: Tally): Promise<void> {
  const ours = oursVerdict(await oursOutcome(jwt, token));
  const jose = await joseCompact(token, keys);
  tally[ours === 'accept' ? 'accepted' : 'rejected']++;
  const segments = token.split('.');
  const nonCanonical = segments.length === 3 && !segments.every(isCanonical);
  // Our gate, independently of jose: a non-canonical segment is always refused.
  if (nonCanonical) expect(ours, 'ours accepted a non-canonical token').toBe('reject');
  if (ours === jose) return;
  // Only one direction may differ: we refuse what jose accepts, never the reverse.
  expect(ours, 'ours accepted a token that jose compactVerify refuses').toBe('reject');
  const outcome = await oursOutcome(jwt, token);
  const message = outcome.ok ? '' : outcome.message;
  let kind: Difference;
  if (nonCanonical) {
    kind = 'NON_CANONICAL';
    expect(message).toMatch(/^Invalid (header|payload|crypto) padding$/);
  } else if (
    // A payload that is not a JSON object, or an empty one (a valid JWS, not a JWT).
    /^Invalid payload (string|padding)/.test(message) &&
    (await joseJwt(token, keys)) === 'reject'
  ) {
    kind = 'JWT_LAYER';
  } else if (
    message === 'Unsupported critical header parameter' &&
    protectedHeaderOf(token)?.crit !== undefined
  ) {
    kind = 'CRIT';
  } else {
    expect.fail(`undocumented difference: jose accepts, ours refuses with "${message}"`);
  }
  tally.differences[kind]++;
}

/** Asserts the WebCrypto path answers exactly as the node path. */
async function compareBackends(
  node: JwtManager,
  web: JwtManager,
  token: string,
  tally: Tally,
): Promise<void> {
  const a = await oursOutcome(node, token);
  const b = await oursOutcome(web, token);
  expect(b).toEqual(a);
  tally[oursVerdict(a) === 'accept' ? 'accepted' : 'rejected']++;
}

// ---------------------------------------------------------------------------------------------
// Token generators

const b64 = (data: Buffer | Uint8Array | string) =>
  (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)).toString('base64url');

const OTHER_ALGS = ['HS256', 'HS384', 'RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'none', 'hs256', ''];

const payloadObject = fc.record(
  {
    sub: fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.constant(null)),
    iat: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.string(), fc.double()),
    nbf: fc.integer({ min: 0, max: 2 ** 32 }),
    exp: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.constant('never')),
    jti: fc.oneof(fc.uuid(), fc.integer()),
    type: fc.constantFrom('access', 'refresh'),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** A valid token: a JSON-object payload, a clean header, signed with the right key. */
function validToken(keys: AlgKeys) {
  return fc
    .record({
      payload: payloadObject,
      typ: fc.option(fc.constantFrom('JWT', 'at+jwt'), { nil: undefined }),
      kid: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
    })
    .map(({ payload, typ, kid }) => {
      const header: Record<string, unknown> = { alg: keys.alg };
      if (typ !== undefined) header.typ = typ;
      if (kid !== undefined) header.kid = kid;
      const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
      return `${input}.${b64(keys.sign(Buffer.from(input)))}`;
    });
}

const MUTATION_CHARS = [...'AQgw-_09azAZ', '.', '=', '+', '/', ' ', '\n', '\t', 'é', '\u0000', '\u{1F600}'];

/** One character- or byte-level edit of a token; never re-signed. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    char: fc.constantFrom(...MUTATION_CHARS),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...MUTATION_CHARS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('trailing-bits' as const),
    segment: fc.nat({ max: 2 }),
    bits: fc.integer({ min: 1, max: 15 }),
  }),
  fc.record({ kind: fc.constant('pad' as const), segment: fc.nat({ max: 2 }) }),
  fc.record({
    kind: fc.constant('byte' as const),
    segment: fc.nat({ max: 2 }),
    at: fc.nat(),
    op: fc.constantFrom('flip', 'set', 'drop', 'add', 'truncate'),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('segments' as const),
    op: fc.constantFrom('drop-last', 'extra', 'dup-payload', 'empty-sig'),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function mutateSegment(token: string, index: number, edit: (segment: string) => string): string {
  const parts = token.split('.');
  if (index >= parts.length) return token;
  parts[index] = edit(parts[index]!);
  return parts.join('.');
}

function applyMutation(token: string, m: Mutation): string {
  const chars = [...token];
  const at = (n: number) => (chars.length === 0 ? 0 : n % chars.length);
  switch (m.kind) {
    case 'replace':
      chars[at(m.at)] = m.char;
      return chars.join('');
    case 'insert':
      chars.splice(at(m.at), 0, m.char);
      return chars.join('');
    case 'delete':
      chars.splice(at(m.at), 1);
      return chars.join('');
    case 'swap': {
      const i = at(m.at);
      if (i + 1 >= chars.length) return token;
      [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
      return chars.join('');
    }
    case 'trailing-bits':
      // The same bytes, written with non-zero unused bits: only canonicity changes.
      return mutateSegment(token, m.segment, (s) => {
        const rem = s.length % 4;
        if (rem < 2 || !BASE64URL.test(s)) return s;
        const last = ALPHABET.indexOf(s[s.length - 1]!);
        const mask = rem === 2 ? 0x0f : 0x03;
        return s.slice(0, -1) + ALPHABET[(last & ~mask) | (m.bits & mask)]!;
      });
    case 'pad':
      return mutateSegment(token, m.segment, (s) => s + '='.repeat((4 - (s.length % 4)) % 4 || 1));
    case 'byte':
      return mutateSegment(token, m.segment, (s) => {
        const bytes = [...Buffer.from(s, 'base64url')];
        const i = bytes.length === 0 ? 0 : m.at % bytes.length;
        if (m.op === 'flip' && bytes.length > 0) bytes[i] = bytes[i]! ^ (1 << (m.value % 8));
        if (m.op === 'set' && bytes.length > 0) bytes[i] = m.value;
        if (m.op === 'drop') bytes.splice(i, 1);
        if (m.op === 'add') bytes.splice(i, 0, m.value);
        if (m.op === 'truncate') bytes.length = i;
        return b64(Uint8Array.from(bytes));
      });
    case 'segments': {
      const parts = token.split('.');
      if (m.op === 'drop-last') return parts.slice(0, -1).join('.');
      if (m.op === 'extra') return `${token}.${parts[1] ?? ''}`;
      if (m.op === 'dup-payload') return [parts[0], parts[1], parts[1], parts[2]].join('.');
      return [parts[0], parts[1], ''].join('.');
    }
  }
}

function mutatedToken(keys: AlgKeys) {
  return fc
    .tuple(validToken(keys), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([token, mutations]) => mutations.reduce(applyMutation, token));
}

const NON_CANONICAL_ENCODINGS = ['pad', 'whitespace', 'std-alphabet', 'trailing-bits'] as const;
type Encoding = 'canonical' | (typeof NON_CANONICAL_ENCODINGS)[number];

function encodeAs(bytes: Buffer, encoding: Encoding): string {
  const s = b64(bytes);
  switch (encoding) {
    case 'canonical':
      return s;
    case 'pad':
      return s + '='.repeat((4 - (s.length % 4)) % 4);
    case 'whitespace':
      return s.length > 2 ? `${s.slice(0, 2)} ${s.slice(2)}` : `${s} `;
    case 'std-alphabet':
      return s.replace(/-/g, '+').replace(/_/g, '/');
    case 'trailing-bits': {
      const rem = s.length % 4;
      if (rem < 2) return s;
      const last = ALPHABET.indexOf(s[s.length - 1]!);
      return s.slice(0, -1) + ALPHABET[last | 1]!; // canonical means the lowest bit is 0
    }
  }
}

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** `arb` with probability 1/(1 + rarity), else absent (JSON.stringify drops undefined). */
const sometimes = <T>(arb: fc.Arbitrary<T>, rarity = 3) =>
  fc.oneof({ weight: rarity, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

function crafted(keys: AlgKeys & { privateKey: KeyObject | undefined }) {
  const header = fc.record({
    alg: fc.oneof(
      { weight: 8, arbitrary: fc.constant<unknown>(keys.alg) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(...OTHER_ALGS) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)) },
    ),
    typ: sometimes(fc.constantFrom('JWT', 'jwt', 'JOSE'), 1),
    kid: sometimes(fc.string({ maxLength: 8 }), 1),
    crit: sometimes(fc.constantFrom<unknown>(['b64'], ['exp'], [], 'b64', ['b64', 'b64']), 7),
    b64: sometimes(fc.boolean(), 3),
    extra: sometimes(fc.jsonValue({ maxDepth: 1 }), 2),
  });
  const payload = fc.oneof(
    { weight: 8, arbitrary: payloadObject.map((p) => Buffer.from(JSON.stringify(p))) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from('{"sub":"\xff"}', 'latin1')) }, // invalid UTF-8
  );
  const signatureKinds = ['wrong', 'random', 'empty', 'hmac-with-public-key'];
  if (keys.alg === 'ES256') signatureKinds.push('der', 'high-s');
  if (keys.alg === 'PS256') signatureKinds.push('salt-0', 'salt-max');
  const signatureKind = fc.oneof(
    { weight: 2 * signatureKinds.length, arbitrary: fc.constant('right') },
    { weight: signatureKinds.length, arbitrary: fc.constantFrom(...signatureKinds) },
  );
  const encoding = fc.oneof(
    { weight: 7, arbitrary: fc.constant<Encoding>('canonical') },
    { weight: 1, arbitrary: fc.constantFrom(...NON_CANONICAL_ENCODINGS) },
  );
  return fc
    .record({
      header: fc.oneof(
        { weight: 8, arbitrary: header.map((h) => Buffer.from(JSON.stringify(h))) },
        {
          weight: 1,
          arbitrary: fc.jsonValue({ maxDepth: 1 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
        },
      ),
      payload,
      signature: signatureKind,
      randomSignature: fc.uint8Array({ minLength: 0, maxLength: 300 }),
      encodings: fc.tuple(encoding, encoding, encoding),
      signOver: fc.constantFrom('as-written', 'canonical'),
    })
    .map(({ header: h, payload: p, signature, randomSignature, encodings, signOver }) => {
      const written = `${encodeAs(h, encodings[0])}.${encodeAs(p, encodings[1])}`;
      const input = Buffer.from(signOver === 'as-written' ? written : `${b64(h)}.${b64(p)}`);
      let sig: Buffer;
      switch (signature) {
        case 'wrong':
          sig = keys.signWrong(input);
          break;
        case 'random':
          sig = Buffer.from(randomSignature);
          break;
        case 'empty':
          sig = Buffer.alloc(0);
          break;
        case 'hmac-with-public-key':
          sig = createHmac('sha256', keys.verifyKey).update(input).digest();
          break;
        case 'der':
          sig = nodeSign('sha256', input, { key: keys.privateKey!, dsaEncoding: 'der' });
          break;
        case 'high-s': {
          const raw = keys.sign(input);
          const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
          const high = (P256_ORDER - s).toString(16).padStart(64, '0');
          sig = Buffer.concat([raw.subarray(0, 32), Buffer.from(high, 'hex')]);
          break;
        }
        case 'salt-0':
        case 'salt-max':
          sig = nodeSign('sha256', input, {
            key: keys.privateKey!,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: signature === 'salt-0' ? 0 : constants.RSA_PSS_SALTLEN_MAX_SIGN,
          });
          break;
        default:
          sig = keys.sign(input);
      }
      return `${written}.${encodeAs(sig, encodings[2])}`;
    });
}

// ---------------------------------------------------------------------------------------------

describe.each(ALGS)('%s: ours ≡ jose compactVerify, WebCrypto path ≡ node:crypto path', (alg) => {
  let keys: AlgKeys & { privateKey: KeyObject | undefined };
  let node: JwtManager;
  let web: JwtManager;
  const tallies: Record<string, Tally> = {};

  beforeAll(async () => {
    keys = await makeKeys(alg);
    node = manager(keys, true);
    web = manager(keys, false);
  });

  afterAll(() => {
    const lines = Object.entries(tallies).map(
      ([name, t]) =>
        `${alg} ${name}: ${t.accepted} accepted, ${t.rejected} refused; expected differences ${JSON.stringify(t.differences)}`,
    );
    console.log(lines.join('\n'));
  });

  const generators = {
    valid: () => validToken(keys),
    mutated: () => mutatedToken(keys),
    crafted: () => crafted(keys),
  };

  for (const [name, generator] of Object.entries(generators)) {
    it(`${name} tokens: ours (node:crypto) and jose accept and refuse the same`, async () => {
      const tally = (tallies[`jose/${name}`] = newTally());
      await fc.assert(
        fc.asyncProperty(generator(), (token) => compareWithJose(node, keys, token, tally)),
        { numRuns: NUM_RUNS },
      );
      if (name === 'valid') expect(tally.rejected).toBe(0);
      else expect(tally.rejected).toBeGreaterThan(0);
      if (name === 'crafted') expect(tally.accepted).toBeGreaterThan(0);
    });

    it(`${name} tokens: the WebCrypto path answers exactly as the node:crypto path`, async () => {
      const tally = (tallies[`webcrypto/${name}`] = newTally());
      await fc.assert(
        fc.asyncProperty(generator(), (token) => compareBackends(node, web, token, tally)),
        { numRuns: NUM_RUNS },
      );
      if (name === 'valid') expect(tally.rejected).toBe(0);
      else expect(tally.rejected).toBeGreaterThan(0);
    });
  }

  it('the two managers really use different backends', () => {
    // The node path holds a KeyObject; the WebCrypto path holds none and imports on first use.
    expect(resolvedConfigOf(node.config).verifyKey?.node).toBeDefined();
    expect(resolvedConfigOf(web.config).verifyKey?.node).toBeUndefined();
  });
});

describe('the expected differences do occur (the classification above is not vacuous)', () => {
  it('a non-canonical signature encoding: jose accepts, ours refuses', async () => {
    const keys = await makeKeys('HS256');
    const jwt = manager(keys, true);
    const input = `${b64('{"alg":"HS256"}')}.${b64('{"sub":"a"}')}`;
    const token = `${input}.${encodeAs(keys.sign(Buffer.from(input)), 'pad')}`;
    expect(await joseCompact(token, keys)).toBe('accept');
    expect(await oursOutcome(jwt, token)).toEqual({
      ok: false,
      name: 'JWTDecodeError',
      message: 'Invalid crypto padding',
    });
  });

  it('crit ["b64"]: jose accepts, ours refuses', async () => {
    const keys = await makeKeys('HS256');
    const jwt = manager(keys, true);
    const input = `${b64('{"alg":"HS256","crit":["b64"],"b64":true}')}.${b64('{"sub":"a"}')}`;
    const token = `${input}.${b64(keys.sign(Buffer.from(input)))}`;
    expect(await joseCompact(token, keys)).toBe('accept');
    expect(await joseJwt(token, keys)).toBe('accept');
    expect(await oursOutcome(jwt, token)).toMatchObject({
      ok: false,
      message: 'Unsupported critical header parameter',
    });
  });

  it('a payload that is not a JSON object: compactVerify accepts, jwtVerify and ours refuse', async () => {
    const keys = await makeKeys('HS256');
    const jwt = manager(keys, true);
    const input = `${b64('{"alg":"HS256"}')}.${b64('[1,2]')}`;
    const token = `${input}.${b64(keys.sign(Buffer.from(input)))}`;
    expect(await joseCompact(token, keys)).toBe('accept');
    expect(await joseJwt(token, keys)).toBe('reject');
    expect(await oursOutcome(jwt, token)).toMatchObject({
      ok: false,
      message: 'Invalid payload string: must be a json object',
    });
  });
});
