import { JwtConfigError } from '../errors.js';
import { type Keyring, type RemoteKeyGetter, resolveKeyring, resolveRemoteJwks } from '../keyring.js';
import { ALGORITHMS, type Algorithm, isAlgorithm } from '../tokens/algorithms.js';
import { familyOf, type PreparedKey, prepareAsymmetric, prepareSecret } from '../tokens/keys.js';
import type { JwtManagerOptions } from '../types.js';
import { OPTIONS } from './defaults.js';

type Options = JwtManagerOptions<any, any, any>;

/** The keys a manager signs and verifies with, from whichever of the key options is used. */
export interface KeyMaterial {
  readonly algorithm: Algorithm;
  /** The algorithms accepted when decoding (`algorithm` included). */
  readonly decode: Algorithm[];
  /** Key that signs new tokens (absent when encodeKeyLoader supplies it, or for verify-only asymmetric setups). */
  readonly signingKey: PreparedKey | undefined;
  /** Key that verifies tokens (absent when decodeKeyLoader, keys or jwksUrl supply it). */
  readonly verifyKey: PreparedKey | undefined;
  /** Rotating keys by kid (option `keys`). */
  readonly keyring: Keyring | undefined;
  /** The external issuer's key set (option `jwksUrl`). */
  readonly remoteJwks: RemoteKeyGetter | undefined;
}

function resolveAlgorithms(opts: Options): { algorithm: Algorithm; decode: Algorithm[] } {
  const algorithm = opts.algorithm ?? OPTIONS.algorithm.default;
  if (!isAlgorithm(algorithm)) {
    throw new JwtConfigError(
      'algorithm',
      `must be one of ${ALGORITHMS.join(', ')} (got ${String(algorithm)})`,
    );
  }
  const given = opts.decodeAlgorithms ?? [];
  if (!Array.isArray(given)) throw new JwtConfigError('decodeAlgorithms', 'must be an array of algorithms');
  for (const alg of given) {
    if (!isAlgorithm(alg)) {
      throw new JwtConfigError('decodeAlgorithms', `has an unknown algorithm ${JSON.stringify(String(alg))}`);
    }
  }
  const decode = [...new Set<Algorithm>([...given, algorithm])];
  return { algorithm, decode };
}

const EXCLUSIVE_KEY_OPTIONS = [
  'secretKey',
  'privateKey',
  'publicKey',
  'encodeKeyLoader',
  'decodeKeyLoader',
] as const;

/** Keys from `keys` (rotation by kid), `jwksUrl` (external issuer), or secretKey/privateKey/publicKey. */
export function resolveKeyMaterial(opts: Options): KeyMaterial {
  const mode = opts.keys !== undefined ? 'keys' : opts.jwksUrl !== undefined ? 'jwksUrl' : undefined;
  if (mode === undefined) {
    const { algorithm, decode } = resolveAlgorithms(opts);
    return {
      algorithm,
      decode,
      ...resolveKeys(opts, algorithm, decode),
      keyring: undefined,
      remoteJwks: undefined,
    };
  }
  if (opts.keys !== undefined && opts.jwksUrl !== undefined) {
    throw new JwtConfigError('jwksUrl', 'cannot be combined with `keys`');
  }
  for (const name of EXCLUSIVE_KEY_OPTIONS) {
    if (opts[name] !== undefined) throw new JwtConfigError(name, `cannot be combined with \`${mode}\``);
  }
  if (mode === 'keys') {
    if (opts.algorithm !== undefined || opts.decodeAlgorithms !== undefined) {
      throw new JwtConfigError('algorithm', 'is set per key when `keys` is used');
    }
    const keyring = resolveKeyring(opts.keys);
    const decode = [...new Set([...keyring.byKid.values()].map((k) => k.algorithm))];
    return {
      algorithm: keyring.current.algorithm,
      decode,
      signingKey: keyring.current.signingKey,
      verifyKey: undefined,
      keyring,
      remoteJwks: undefined,
    };
  }
  const { algorithm, decode } = resolveAlgorithms({
    ...opts,
    algorithm: opts.algorithm ?? OPTIONS.jwksUrl.algorithm,
  });
  if (decode.some((a) => familyOf(a) === 'HS')) {
    throw new JwtConfigError('decodeAlgorithms', 'cannot include HS* algorithms with `jwksUrl`');
  }
  return {
    algorithm,
    decode,
    signingKey: undefined,
    verifyKey: undefined,
    keyring: undefined,
    // The manager's clock, read when used (it is validated with the other options).
    remoteJwks: resolveRemoteJwks(opts.jwksUrl, opts.jwksOptions, () => (opts.clock ?? Date.now)()),
  };
}

function resolveKeys(
  opts: Options,
  algorithm: Algorithm,
  decode: Algorithm[],
): Pick<KeyMaterial, 'signingKey' | 'verifyKey'> {
  const signFamily = familyOf(algorithm);
  const decodeHs = decode.filter((a) => familyOf(a) === 'HS');
  const decodeAsym = decode.filter((a) => familyOf(a) !== 'HS');
  if (decodeHs.length > 0 && decodeAsym.length > 0 && !opts.decodeKeyLoader) {
    throw new JwtConfigError(
      'decodeAlgorithms',
      'mixes HMAC and asymmetric algorithms; one key cannot verify both (use decodeKeyLoader to pick a key per token)',
    );
  }
  let signingKey: PreparedKey | undefined;
  let verifyKey: PreparedKey | undefined;
  if (signFamily === 'HS') {
    if (opts.secretKey === undefined && !(opts.encodeKeyLoader && opts.decodeKeyLoader)) {
      throw new JwtConfigError('secretKey', `is required when using symmetric algorithm "${algorithm}"`);
    }
    if (opts.secretKey !== undefined) {
      signingKey = prepareSecret('secretKey', opts.secretKey, decodeHs);
      verifyKey = signingKey;
    }
    return { signingKey, verifyKey };
  }
  if (opts.privateKey === undefined && opts.publicKey === undefined) {
    if (!opts.encodeKeyLoader || !opts.decodeKeyLoader) {
      const which = opts.encodeKeyLoader ? 'publicKey' : 'privateKey';
      throw new JwtConfigError(
        which,
        `is required to use asymmetric algorithm "${algorithm}" (secretKey is never used as a fallback)`,
      );
    }
    return { signingKey, verifyKey };
  }
  if (opts.privateKey !== undefined) {
    signingKey = prepareAsymmetric('privateKey', opts.privateKey, 'private', [algorithm]);
  }
  const publicSource = opts.publicKey ?? signingKey?.node ?? opts.privateKey;
  verifyKey = prepareAsymmetric(
    opts.publicKey !== undefined ? 'publicKey' : 'privateKey',
    publicSource,
    'public',
    decodeAsym,
  );
  return { signingKey, verifyKey };
}
