import type { KeyringEntry } from '../keyring.js';
import type { Algorithm } from '../tokens/algorithms.js';
import type { PreparedKey } from '../tokens/keys.js';
import type { ResolvedConfig } from './resolve.js';

/** A key as `jwt.config` shows it: what it is, never its bytes. */
export interface KeyDescription {
  readonly kind: PreparedKey['kind'];
}

/** A key of the `keys` option as `jwt.config` shows it. */
export interface KeyringEntryView {
  readonly kid: string;
  readonly algorithm: Algorithm;
  /** Absent for verify-only entries. */
  readonly signingKey: KeyDescription | undefined;
  readonly verifyKey: KeyDescription;
}

/**
 * `jwt.config`: the validated, frozen configuration, with every key replaced by its description
 * (`{ kind }`), so logging or serialising it never reveals a secret or a private key.
 */
export interface ConfigView extends Omit<ResolvedConfig, 'signingKey' | 'verifyKey' | 'keyring'> {
  /** The key that signs new tokens, described. */
  readonly signingKey: KeyDescription | undefined;
  /** The key that verifies tokens, described. */
  readonly verifyKey: KeyDescription | undefined;
  /** The rotating keys by kid (option `keys`), described; `current` signs. */
  readonly keyring:
    { readonly current: KeyringEntryView; readonly byKid: ReadonlyMap<string, KeyringEntryView> } | undefined;
}

const describeKey = (key: PreparedKey | undefined): KeyDescription | undefined =>
  key && Object.freeze({ kind: key.kind });

const describeEntry = (entry: KeyringEntry): KeyringEntryView =>
  Object.freeze({
    kid: entry.kid,
    algorithm: entry.algorithm,
    signingKey: describeKey(entry.signingKey),
    verifyKey: describeKey(entry.verifyKey)!,
  });

const FULL = new WeakMap<ConfigView, ResolvedConfig>();

/** The view of `config` that `jwt.config` shows: the same values, keys described. */
export function configView(config: ResolvedConfig): ConfigView {
  const { keyring } = config;
  const byKid = new Map([...(keyring?.byKid ?? [])].map(([kid, entry]) => [kid, describeEntry(entry)]));
  const view: ConfigView = Object.freeze({
    ...config,
    signingKey: describeKey(config.signingKey),
    verifyKey: describeKey(config.verifyKey),
    keyring: keyring && Object.freeze({ current: byKid.get(keyring.current.kid)!, byKid }),
  });
  FULL.set(view, config);
  return view;
}

/** The full config behind a manager's `jwt.config` (internal; for the package's own tests). */
export function resolvedConfigOf(view: ConfigView): ResolvedConfig {
  const config = FULL.get(view);
  if (!config) throw new TypeError('trpc-jwt-extended: not the config of a JWT manager');
  return config;
}
