import { exportJWK } from 'jose';
import { OPTIONS } from './config/defaults.js';
import { JwtConfigError } from './errors.js';
import { nodeCrypto } from './internal/node-crypto.js';
import { familyOf, type PreparedKey, prepareAsymmetric, prepareSecret } from './tokens/keys.js';
import { createRemoteKeySet, type RemoteKeyGetter } from './tokens/remote-jwks.js';
import { ALGORITHMS, type Algorithm, isAlgorithm } from './tokens/algorithms.js';
import type { RemoteJwksOptions, RotatingKey } from './types.js';

export type { RemoteJwksOptions, RotatingKey } from './types.js';

const REMOTE_JWKS_DEFAULTS: Required<RemoteJwksOptions> = OPTIONS.jwksOptions.default;

export interface KeyringEntry {
  readonly kid: string;
  readonly algorithm: Algorithm;
  /** Absent for verify-only entries. */
  readonly signingKey: PreparedKey | undefined;
  readonly verifyKey: PreparedKey;
}

/** Keys by kid; `current` signs. */
export interface Keyring {
  readonly current: KeyringEntry;
  readonly byKid: ReadonlyMap<string, KeyringEntry>;
}

/** Validates the `keys` option into a keyring. */
export function resolveKeyring(keys: unknown): Keyring {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new JwtConfigError(
      'keys',
      'must be a non-empty array of { kid, algorithm, secret | privateKey/publicKey }',
    );
  }
  const byKid = new Map<string, KeyringEntry>();
  keys.forEach((raw: RotatingKey, index) => {
    const option = `keys[${index}]`;
    if (typeof raw !== 'object' || raw === null) throw new JwtConfigError(option, 'must be an object');
    if (typeof raw.kid !== 'string' || raw.kid === '')
      throw new JwtConfigError(`${option}.kid`, 'must be a non-empty string');
    if (byKid.has(raw.kid))
      throw new JwtConfigError(`${option}.kid`, `repeats the kid ${JSON.stringify(raw.kid)}`);
    if (!isAlgorithm(raw.algorithm)) {
      throw new JwtConfigError(`${option}.algorithm`, `must be one of ${ALGORITHMS.join(', ')}`);
    }
    const alg = raw.algorithm;
    let signingKey: PreparedKey | undefined;
    let verifyKey: PreparedKey;
    if (familyOf(alg) === 'HS') {
      if (raw.privateKey !== undefined || raw.publicKey !== undefined) {
        throw new JwtConfigError(option, `uses ${alg}: give \`secret\`, not privateKey/publicKey`);
      }
      verifyKey = signingKey = prepareSecret(`${option}.secret`, raw.secret, [alg]);
    } else {
      if (raw.secret !== undefined)
        throw new JwtConfigError(`${option}.secret`, `is for HS* keys, not ${alg}`);
      if (raw.privateKey !== undefined) {
        signingKey = prepareAsymmetric(`${option}.privateKey`, raw.privateKey, 'private', [alg]);
      }
      const source = raw.publicKey ?? signingKey?.node ?? raw.privateKey;
      verifyKey = prepareAsymmetric(
        `${option}.${raw.publicKey ? 'publicKey' : 'privateKey'}`,
        source,
        'public',
        [alg],
      );
    }
    if (index === 0 && !signingKey) {
      throw new JwtConfigError(
        `${option}`,
        'is the current key and signs new tokens: it needs `secret` or `privateKey`',
      );
    }
    byKid.set(raw.kid, Object.freeze({ kid: raw.kid, algorithm: alg, signingKey, verifyKey }));
  });
  return Object.freeze({ current: [...byKid.values()][0]!, byKid });
}

/**
 * The public JWK Set of a keyring, for `/.well-known/jwks.json`. Secrets and private keys are never
 * included: HS* entries are left out, asymmetric ones give only their public half.
 */
export async function publicJwks(keyring: Keyring | undefined): Promise<{ keys: JsonWebKey[] }> {
  const keys: JsonWebKey[] = [];
  for (const entry of keyring?.byKid.values() ?? []) {
    if (familyOf(entry.algorithm) === 'HS') continue;
    const key = entry.verifyKey;
    let jwk: JsonWebKey;
    if (key.node && nodeCrypto) jwk = key.node.export({ format: 'jwk' }) as JsonWebKey;
    else jwk = (await exportJWK(key.input as CryptoKey)) as JsonWebKey;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...publicPart } = jwk;
    keys.push({ ...publicPart, kid: entry.kid, alg: entry.algorithm, use: 'sig' } as JsonWebKey);
  }
  return { keys };
}

export type { RemoteKeyGetter };

/** The issuer's remote JWK Set for `jwksUrl`, created once per manager (its cache and cooldown apply). */
export function resolveRemoteJwks(
  url: unknown,
  opts: RemoteJwksOptions | undefined,
  clock: () => number,
): RemoteKeyGetter {
  let parsed: URL;
  try {
    parsed = url instanceof URL ? url : new URL(String(url));
  } catch {
    throw new JwtConfigError('jwksUrl', 'must be an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new JwtConfigError('jwksUrl', 'must be an http(s) URL');
  }
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new JwtConfigError('jwksOptions', 'must be an object');
  }
  for (const name of Object.keys(opts ?? {})) {
    if (!(name in REMOTE_JWKS_DEFAULTS)) {
      throw new JwtConfigError(
        `jwksOptions.${name}`,
        `is not an option (${Object.keys(REMOTE_JWKS_DEFAULTS).join(', ')})`,
      );
    }
  }
  const resolved = {
    cacheMaxAge: opts?.cacheMaxAge ?? REMOTE_JWKS_DEFAULTS.cacheMaxAge,
    cooldownDuration: opts?.cooldownDuration ?? REMOTE_JWKS_DEFAULTS.cooldownDuration,
    timeoutDuration: opts?.timeoutDuration ?? REMOTE_JWKS_DEFAULTS.timeoutDuration,
    staleIfError: opts?.staleIfError ?? REMOTE_JWKS_DEFAULTS.staleIfError,
  };
  for (const name of ['cacheMaxAge', 'cooldownDuration', 'staleIfError'] as const) {
    const value: unknown = resolved[name];
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new JwtConfigError(`jwksOptions.${name}`, 'must be a number of milliseconds (0 or more)');
    }
  }
  const timeout: unknown = resolved.timeoutDuration;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 2_147_483_647) {
    throw new JwtConfigError(
      'jwksOptions.timeoutDuration',
      'must be a whole number of milliseconds (1 or more)',
    );
  }
  return createRemoteKeySet(parsed, resolved, clock);
}
