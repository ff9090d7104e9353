/**
 * The notes app's HTTP server: `/trpc/*` is the API, `/` the page, `/app.js` the front end (bundled with
 * esbuild when the server starts), `/.well-known/jwks.json` the public keys. `npm start` runs it; tests
 * call `startServer()` in-process.
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { build } from 'esbuild';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { type Blocklist, createMemoryBlocklist } from 'trpc-jwt-extended';
import { developmentKeyPair, developmentSecret, readSettings, type SigningAlgorithm } from './config.js';
import { createApp, type Signing } from './router.js';
import { createUserStore } from './users.js';

/** The seeded accounts (development only: the banner prints them). */
export const DEMO_USER = { email: 'demo@example.com', password: 'demo-password' } as const;
export const DEMO_ADMIN = { email: 'admin@example.com', password: 'admin-password' } as const;

export interface StartServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Access-token lifetime in seconds. @default 900 */
  accessExpires?: number;
  /** `HS256` signs with `secretKey`, `ES256` with `privateKey`. @default 'HS256' */
  algorithm?: SigningAlgorithm;
  /** HS256: the HMAC secret; a random development secret (with a warning) when absent. */
  secretKey?: string;
  /** ES256: a PKCS#8 PEM; a generated development key pair (with a warning) when absent. */
  privateKey?: string;
  /** Keep revocations in Redis at this URL instead of memory. */
  redisUrl?: string;
  cookieSecure?: boolean;
  /** Where the server's messages go. @default console.log */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** `http://host:port`, no trailing slash. */
  url: string;
  /** `${url}/.well-known/jwks.json` */
  jwksUrl: string;
  close(): Promise<void>;
}

const webFile = (name: string) => fileURLToPath(new URL(`./web/${name}`, import.meta.url));

/** Bundles the front end (TypeScript, @trpc/client, trpc-jwt-extended/client) into one ES module. */
async function bundleFrontEnd(): Promise<string> {
  const result = await build({
    entryPoints: [webFile('main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

interface Store {
  blocklist: Blocklist;
  close(): Promise<void>;
}

async function createStore(redisUrl: string | undefined, log: (line: string) => void): Promise<Store> {
  if (!redisUrl) return { blocklist: createMemoryBlocklist(), close: async () => {} };
  const [{ createClient }, { createRedisBlocklist }] = await Promise.all([
    import('redis'),
    import('trpc-jwt-extended/redis'),
  ]);
  const client = createClient({ url: redisUrl });
  client.on('error', (error: Error) => log(`redis: ${error.message}`));
  await client.connect();
  log(`Revoked tokens are kept in Redis (${new URL(redisUrl).host}).`);
  return {
    blocklist: createRedisBlocklist({ client }),
    close: async () => {
      await client.quit();
    },
  };
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, type: string, body: string, extra = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(body);
}

/** The signing key from the options, or a development one (with its warning). */
async function resolveSigning(options: StartServerOptions, log: (line: string) => void): Promise<Signing> {
  if (options.algorithm === 'ES256') {
    let privateKey = options.privateKey;
    if (!privateKey) {
      const dev = developmentKeyPair();
      privateKey = dev.privateKey;
      log(dev.warning);
    }
    // The kid is the RFC 7638 thumbprint of the public key: stable for a key, new for a new one.
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    return { algorithm: 'ES256', privateKey, kid: await calculateJwkThumbprint(jwk) };
  }
  let secretKey = options.secretKey;
  if (!secretKey) {
    const dev = developmentSecret();
    secretKey = dev.secret;
    log(dev.warning);
  }
  return { algorithm: 'HS256', secretKey };
}

/** Starts the app; resolves once it listens. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const signing = await resolveSigning(options, log);

  const [html, css, icon, js] = await Promise.all([
    readFile(webFile('index.html'), 'utf8'),
    readFile(webFile('style.css'), 'utf8'),
    readFile(webFile('favicon.svg'), 'utf8'),
    bundleFrontEnd(),
  ]);
  const users = createUserStore();
  await users.add(DEMO_USER.email, DEMO_USER.password, 'user');
  await users.add(DEMO_ADMIN.email, DEMO_ADMIN.password, 'admin');

  const store = await createStore(options.redisUrl, log);
  const { router, createContext, jwt } = createApp({
    signing,
    accessExpires: options.accessExpires ?? 900,
    users,
    blocklist: store.blocklist,
    cookieSecure: options.cookieSecure ?? false,
  });
  // The public JWK Set: the ES256 public key (kid, alg, use; never `d`). With HS256 it is
  // `{ "keys": [] }`: an HMAC secret signs *and* verifies, so it is never published.
  const jwks = JSON.stringify(await jwt.jwks());
  const trpc = createHTTPHandler({
    router,
    createContext,
    basePath: '/trpc/',
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log(`tRPC ${path ?? '?'}: ${error.message}`);
    },
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname.startsWith('/trpc/')) return trpc(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', { allow: 'GET, HEAD' });
    }
    switch (pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', html, { 'content-security-policy': PAGE_CSP });
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', js);
      case '/style.css':
        return send(res, 200, 'text/css; charset=utf-8', css);
      case '/favicon.svg':
        return send(res, 200, 'image/svg+xml', icon);
      case '/.well-known/jwks.json':
        return send(res, 200, 'application/json', jwks);
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'Not Found');
    }
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await store.close(); // e.g. EADDRINUSE: do not leave a Redis connection open
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  const url = `http://${host}:${port}`;
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

/** `npm start`: reads the environment, starts, prints where and how to sign in. */
async function main(): Promise<void> {
  const settings = readSettings();
  const server = await startServer({
    port: settings.port,
    host: settings.host,
    accessExpires: settings.accessExpires,
    cookieSecure: settings.cookieSecure,
    algorithm: settings.algorithm,
    ...(settings.secretKey ? { secretKey: settings.secretKey } : {}),
    ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
    ...(settings.redisUrl ? { redisUrl: settings.redisUrl } : {}),
  });
  console.log(
    [
      '',
      `  Notes app (trpc-jwt-extended example) on ${server.url}`,
      `  Sign in as ${DEMO_USER.email} / ${DEMO_USER.password}`,
      `  (or ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password} to see the admin stats)`,
      `  Access tokens last ${settings.accessExpires} s (ACCESS_EXPIRES); Ctrl+C stops.`,
      `  Tokens are signed with ${settings.algorithm} (JWT_ALGORITHM); public keys: ${server.jwksUrl}`,
      '',
    ].join('\n'),
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
