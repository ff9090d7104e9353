/**
 * `npm run demo`: starts the app in-process with 2-second access tokens and walks through it as an API
 * client that sends its tokens in the `Authorization` header, printing each step. Exits with 0 only when
 * every step behaved as expected.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { createTokenStore, getJwtErrorCode, type JwtErrorCode, jwtHeaders } from 'trpc-jwt-extended/client';
import type { AppRouter } from './router.js';
import { DEMO_USER, startServer } from './server.js';

export interface DemoStep {
  n: number;
  title: string;
  ok: boolean;
  /** What happened: HTTP status, and the JWT error code and message or a summary of the result. */
  detail: string;
}

export interface DemoResult {
  ok: boolean;
  steps: DemoStep[];
}

export interface DemoOptions {
  /** Access-token lifetime of the server started for the demo, in seconds. @default 2 */
  accessExpires?: number;
  /** Keep revoked tokens in Redis at this URL (`npm run demo` passes REDIS_URL). @default memory */
  redisUrl?: string;
  /** Where the lines go. @default console.log */
  log?: (line: string) => void;
}

/** A refusal the step expects: the HTTP status and the JWT error code. */
interface Refusal {
  status: number;
  code: JwtErrorCode;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `exp` claim, read without verifying (the client only needs to know when to expect expiry). */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp?: unknown;
  };
  if (typeof payload.exp !== 'number') throw new Error('the access token has no exp claim');
  return payload.exp;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const accessExpires = options.accessExpires ?? 2;
  const server = await startServer({
    port: 0,
    accessExpires,
    secretKey: randomBytes(64).toString('base64url'),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    log,
  });
  log(`Notes app on ${server.url} (access tokens last ${accessExpires} s), as an API client:\n`);

  const access = createTokenStore();
  const refresh = createTokenStore();
  let lastStatus = 0;
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server.url}/trpc`,
        transformer: superjson,
        // Authorization: Bearer <access token>; the refresh token on `auth.refresh`.
        headers: jwtHeaders({ getAccessToken: access.get, getRefreshToken: refresh.get }),
        fetch: async (url, init) => {
          const res = await fetch(url, init as RequestInit);
          lastStatus = res.status;
          return res;
        },
      }),
    ],
  });

  const steps: DemoStep[] = [];
  /**
   * Runs one step: `expect` is 'ok' (HTTP 200), 'local' (no request is made) or the refusal that
   * should happen.
   */
  async function step(
    title: string,
    expect: 'ok' | 'local' | Refusal,
    run: () => Promise<string>,
  ): Promise<void> {
    lastStatus = 0;
    let ok: boolean;
    let detail: string;
    try {
      const summary = await run();
      if (expect === 'local') {
        ok = true;
        detail = summary;
      } else {
        ok = expect === 'ok' && lastStatus === 200;
        detail = `${lastStatus} ${summary}${expect === 'ok' ? '' : ` (expected ${expect.status} ${expect.code})`}`;
      }
    } catch (error) {
      const code = getJwtErrorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      const refusal = typeof expect === 'object' ? expect : null;
      ok = refusal !== null && lastStatus === refusal.status && code === refusal.code;
      detail = `${lastStatus || 'no response'} ${code ?? 'error'}: ${message}`;
      if (refusal && !ok) detail += ` (expected ${refusal.status} ${refusal.code})`;
    }
    const n = steps.length + 1;
    steps.push({ n, title, ok, detail });
    log(`${String(n).padStart(2)}. ${ok ? '✓' : '✗'} ${title} → ${detail}`);
  }

  const login = async () => {
    const result = await client.auth.login.mutate(DEMO_USER);
    access.set(result.accessToken);
    refresh.set(result.refreshToken);
    return `signed in as ${result.user.email}: fresh access token + refresh token`;
  };

  try {
    await step('log in (auth.login)', 'ok', login);
    await step('protected call (notes.add)', 'ok', async () => {
      const note = await client.notes.add.mutate({ text: 'Written with a header token' });
      return `note #${note.id} saved`;
    });
    await step('wait for the access token to expire', 'local', async () => {
      const token = access.get();
      if (!token) throw new Error('no access token');
      const started = Date.now();
      await sleep(Math.max(0, (expiryOf(token) + 1) * 1000 - started));
      return `waited ${((Date.now() - started) / 1000).toFixed(1)} s, past its exp`;
    });
    await step('expired token refused (me)', { status: 401, code: 'TOKEN_EXPIRED' }, async () => {
      const me = await client.me.query();
      return `answered for ${me.email}`;
    });
    await step('refresh (auth.refresh with the refresh token)', 'ok', async () => {
      access.set((await client.auth.refresh.mutate()).accessToken);
      return 'new access token, not fresh';
    });
    await step(
      'fresh-required call refused (account.exportNotes)',
      { status: 401, code: 'FRESH_TOKEN_REQUIRED' },
      async () => `exported ${(await client.account.exportNotes.query()).notes.length} notes`,
    );
    await step('log in again (auth.login)', 'ok', login);
    await step('fresh call (account.exportNotes)', 'ok', async () => {
      const { notes } = await client.account.exportNotes.query();
      return `exported ${notes.length} note${notes.length === 1 ? '' : 's'}`;
    });
    const revokedAccess = access.get();
    const revokedRefresh = refresh.get();
    await step('log out (auth.logout)', 'ok', async () => {
      const result = await client.auth.logout.mutate({ refreshToken: refresh.get() ?? undefined });
      return `access token revoked: ${result.accessRevoked}, refresh token revoked: ${result.refreshRevoked}`;
    });
    await step('revoked access token refused (me)', { status: 401, code: 'TOKEN_REVOKED' }, async () => {
      access.set(revokedAccess);
      return `answered for ${(await client.me.query()).email}`;
    });
    await step(
      'revoked refresh token refused (auth.refresh)',
      { status: 401, code: 'TOKEN_REVOKED' },
      async () => {
        refresh.set(revokedRefresh);
        await client.auth.refresh.mutate();
        return 'new access token';
      },
    );
  } finally {
    await server.close();
  }

  const failed = steps.filter((s) => !s.ok).length;
  log(
    failed === 0
      ? `\nAll ${steps.length} steps behaved as expected.`
      : `\n${failed} of ${steps.length} steps did not behave as expected.`,
  );
  return { ok: failed === 0, steps };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemo(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}).then(
    (result) => process.exit(result.ok ? 0 : 1),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
