/**
 * A real app for the many-tabs test: `createJwtManager` with refresh-token rotation and reuse
 * detection on the memory blocklist, served by node:http with the standalone adapter at `/trpc`, plus a
 * page (`/`) whose script is a test fixture bundled with esbuild for the browser. The server counts the
 * refresh requests and how each ended; a barrier holds the first N `me` calls until all have arrived,
 * so that the tabs' calls are answered (TOKEN_EXPIRED) at the same moment.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { build } from 'esbuild';
import {
  createJwtManager,
  createMemoryBlocklist,
  findJwtError,
  type JwtContextPart,
} from '../../src/index.js';
import { SECRET } from './jwt-app.js';

/** Bundles a browser test fixture (TypeScript, @trpc/client, src/client) into one ES module. */
export async function bundlePage(fixture: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`../e2e/fixtures/${fixture}`, import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

/** Resolves once `count` callers have arrived (or after `timeoutMs`, so that a test never hangs). */
function createBarrier(count: number, timeoutMs = 10_000) {
  let arrived = 0;
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(release, timeoutMs);
  return {
    arrive(): Promise<void> {
      if (++arrived >= count) {
        clearTimeout(timer);
        release();
      }
      return open;
    },
  };
}

export async function startTabsApp(options: { accessSeconds: number; refreshHoldMs: number }) {
  const state = {
    /** How each refresh request ended: `ok` or the JWT error code. */
    refreshes: [] as string[],
    barrier: null as ReturnType<typeof createBarrier> | null,
  };
  const blocklist = createMemoryBlocklist();
  const jwt = createJwtManager({
    secretKey: SECRET,
    accessTokenExpires: options.accessSeconds,
    tokenInBlocklistLoader: blocklist.loader,
  });
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const gated = t.procedure.use(async ({ path, next }) => {
    if (path === 'me' && state.barrier) await state.barrier.arrive();
    return next();
  });
  const { protectedProcedure, refreshProcedure } = jwt.procedures(gated);

  const router = t.router({
    // The tab's tag makes the URLs differ: Chromium's HTTP cache holds a GET while another of the same
    // URL is in flight, which would keep the second tab's call behind the barrier.
    me: protectedProcedure
      .input((value: unknown) => value as { tab: string })
      .query(({ ctx }) => ({ identity: ctx.token.identity })),
    auth: t.router({
      login: t.procedure.mutation(() => jwt.createTokenPair('alice')),
      refresh: refreshProcedure.mutation(async ({ ctx }) => {
        const at = state.refreshes.push('pending') - 1;
        // Held, so that a second refresh with the same token (the bug) reaches the server meanwhile.
        await new Promise((resolve) => setTimeout(resolve, options.refreshHoldMs));
        try {
          const pair = await jwt.rotateRefreshToken(ctx.token, blocklist);
          state.refreshes[at] = 'ok';
          return pair;
        } catch (error) {
          state.refreshes[at] = findJwtError(error)?.code ?? 'error';
          throw error;
        }
      }),
    }),
  });

  const page = await bundlePage('tabs-page.ts');
  const trpc = createHTTPHandler({
    router,
    basePath: '/trpc/',
    createContext: (o) => jwt.createJwtContext(o),
  });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/trpc/')) return trpc(req, res);
    const [type, body] =
      req.url === '/page.js'
        ? ['text/javascript', page]
        : ['text/html', '<!doctype html><title>tabs</title><script type="module" src="/page.js"></script>'];
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    jwt,
    router,
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Holds the next `count` calls of `me` until all of them have arrived. */
    holdMe(count: number) {
      state.barrier = createBarrier(count);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export type TabsRouter = Awaited<ReturnType<typeof startTabsApp>>['router'];
