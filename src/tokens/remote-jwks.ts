import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

/** Resolved options of the remote JWK Set, all in milliseconds. */
export interface ResolvedRemoteJwksOptions {
  readonly cacheMaxAge: number;
  readonly cooldownDuration: number;
  readonly timeoutDuration: number;
  readonly staleIfError: number;
}

/** Finds the verification key for a token header; jose's key-set errors when no key matches. */
export type RemoteKeyGetter = (header: JWSHeaderParameters) => Promise<CryptoKey>;

/**
 * The external issuer's JWK Set, fetched from `url` with our own cache rules (jose's
 * `createRemoteJWKSet` refetches once per unknown kid during an outage, and drops a set that outlived
 * `cacheMaxAge` as soon as a refetch fails):
 *
 * - one fetch at a time: concurrent requests share it;
 * - after a failed fetch, no other before `cooldownDuration` has passed, whatever arrives meanwhile;
 *   a new kid refetches at most once per `cooldownDuration` too;
 * - a set older than `cacheMaxAge` is refetched; when that fails, it keeps verifying until
 *   `cacheMaxAge + staleIfError` after it was fetched, then tokens fail closed.
 *
 * Time comes from `clock` (the manager's), so tests can move it.
 */
export function createRemoteKeySet(
  url: URL,
  options: ResolvedRemoteJwksOptions,
  clock: () => number,
): RemoteKeyGetter {
  const { cacheMaxAge, cooldownDuration, timeoutDuration, staleIfError } = options;
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = -Infinity;
  let lastAttempt = -Infinity;
  /** Why the last fetch failed; undefined once one succeeds. */
  let lastError: unknown;
  let pending: Promise<void> | undefined;

  /** Starts a fetch, or joins the one in flight. Never rejects: the outcome is in `local`/`lastError`. */
  const refetch = (): Promise<void> => {
    pending ??= (async () => {
      lastAttempt = clock();
      try {
        local = createLocalJWKSet((await fetchJwks(url, timeoutDuration)) as JSONWebKeySet);
        fetchedAt = clock();
        lastError = undefined;
      } catch (error) {
        lastError = error;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  const cooledDown = () => clock() >= lastAttempt + cooldownDuration;
  // No usable copy of the set: the caller fails closed (decode maps this to a server-side failure).
  const unavailable = () => new Error("The issuer's JWK Set is unavailable", { cause: lastError });

  /** The set to verify with: fresh, refetched, or a stale one within `staleIfError` while fetches fail. */
  const currentSet = async () => {
    if (local && clock() < fetchedAt + cacheMaxAge) return local;
    // Healthy (last fetch succeeded): refetch at once. Failing: at most once per cooldown.
    if (pending || lastError === undefined || cooledDown()) await refetch();
    if (local && (lastError === undefined || clock() < fetchedAt + cacheMaxAge + staleIfError)) return local;
    throw unavailable();
  };

  return async (header) => {
    const set = await currentSet();
    try {
      return await set(header);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid may be the issuer's new key: look again, at most once per cooldown.
      if (pending || cooledDown()) await refetch();
      else if (lastError === undefined) throw error; // the set is recent: the kid is unknown
      // While the issuer cannot be reached, an unknown kid cannot be judged: fail closed.
      if (lastError !== undefined || !local) throw unavailable();
      return local(header);
    }
  };
}

/** GET the JWK Set as jose does: no redirects, a timeout, 200 only, JSON. */
async function fetchJwks(url: URL, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    method: 'GET',
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json, application/jwk-set+json' },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`Expected 200 OK from the JSON Web Key Set HTTP response, got ${response.status}`);
  }
  return response.json();
}
