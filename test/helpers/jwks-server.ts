/**
 * A stand-in identity provider for integration tests: an HTTP server on 127.0.0.1 (free port) that
 * serves its JWK Set, counts fetches, can rotate its signing key (new key pair, new kid), and can be
 * made to fail (HTTP 500) or hang; plus an IdP signer (jose SignJWT, RS256 by default, with iss and
 * aud and no `type` claim, as third-party issuers write tokens).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export type JwksMode = 'ok' | 'fail' | 'hang';

export interface IdpKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface SignOptions {
  /** @default the server's issuer; `undefined` leaves `iss` out */
  iss?: string | undefined;
  /** @default the server's audience; `undefined` leaves `aud` out */
  aud?: string | string[] | undefined;
  /** Seconds until exp. @default 300 */
  expiresIn?: number;
  /** Sign with this key instead of the current one (e.g. a retired key). */
  key?: IdpKey;
  /** Extra header parameters. */
  header?: Record<string, unknown>;
}

export interface JwksServer {
  /** The JWK Set URL (`/.well-known/jwks.json`). */
  readonly url: string;
  readonly issuer: string;
  readonly audience: string;
  /** Requests served on the JWK Set path, answered or not. */
  readonly hits: number;
  /** The key that signs now. */
  readonly current: IdpKey;
  /** `ok` answers the set; `fail` answers HTTP 500; `hang` never answers. */
  mode: JwksMode;
  /** Signs a token as the IdP: `sub`, `iss`, `aud`, `iat`, `exp`, plus `claims`. */
  sign(sub: string, claims?: JWTPayload, opts?: SignOptions): Promise<string>;
  /** A new key pair with a new kid signs from now on; the old public key stays published when `keepPrevious`. */
  rotate(opts?: { keepPrevious?: boolean }): Promise<IdpKey>;
  /** Stops the server and drops open (hanging) connections. */
  close(): Promise<void>;
}

let counter = 0;

/** A new RS256 (or `alg`) key pair with a fresh kid. */
export async function createIdpKey(alg = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  counter++;
  const kid = `idp-${counter}-${crypto.randomUUID().slice(0, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Signs `sub` + `claims` with `key` (RS256 unless the key says otherwise), iss/aud as given. */
export async function signIdpToken(
  key: IdpKey,
  sub: string,
  claims: JWTPayload,
  opts: {
    iss?: string | undefined;
    aud?: string | string[] | undefined;
    expiresIn?: number | undefined;
    header?: Record<string, unknown> | undefined;
  },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...claims, sub })
    .setProtectedHeader({ ...opts.header, alg: key.publicJwk.alg ?? 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 300));
  if (opts.iss !== undefined) jwt.setIssuer(opts.iss);
  if (opts.aud !== undefined) jwt.setAudience(opts.aud);
  return jwt.sign(key.privateKey);
}

/** Starts the IdP's JWK Set server on 127.0.0.1 (port 0). Close it in afterAll. */
export async function startJwksServer(
  opts: { issuer?: string; audience?: string; alg?: string } = {},
): Promise<JwksServer> {
  const issuer = opts.issuer ?? 'https://idp.example.test/';
  const audience = opts.audience ?? 'api://trpc-jwt-extended-tests';
  let keys: IdpKey[] = [await createIdpKey(opts.alg)];
  let hits = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    hits++;
    if (state.mode === 'hang') return; // never answered; dropped by close()
    if (state.mode === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('IdP unavailable');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=600' })
      .end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const state: JwksServer = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    get hits() {
      return hits;
    },
    get current() {
      return keys[0]!;
    },
    mode: 'ok',
    sign: (sub, claims = {}, signOpts = {}) =>
      signIdpToken(signOpts.key ?? keys[0]!, sub, claims, {
        iss: 'iss' in signOpts ? signOpts.iss : issuer,
        aud: 'aud' in signOpts ? signOpts.aud : audience,
        expiresIn: signOpts.expiresIn,
        header: signOpts.header,
      }),
    async rotate({ keepPrevious = false } = {}) {
      const next = await createIdpKey(opts.alg);
      keys = keepPrevious ? [next, ...keys] : [next];
      return next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return state;
}
