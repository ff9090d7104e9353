/**
 * (b) tRPC in process: real Request objects through fetchRequestHandler, 50 requests in flight.
 * The bare public query against protectedProcedure warm (the same token every time) and cold (a
 * new token every request), and against hand-written jose and fast-jwt middlewares.
 */
import { randomBytes } from 'node:crypto';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createBenchApp } from './app.js';
import { type Budget, type CaseResult, measureGroup, progress, runConcurrent } from './harness.js';

export const CONCURRENCY = 50;
/** More distinct tokens than twice the default cache size: cycling them never hits the cache. */
const COLD_POOL = 24_576;

export interface TrpcResult {
  readonly cases: CaseResult[];
}

type Handler = (path: string, token: string | undefined) => Promise<Response>;

export function inProcessHandler(app: ReturnType<typeof createBenchApp>): Handler {
  return (path, token) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request(`http://localhost/trpc/${path}`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      }),
      router: app.router,
      createContext: app.createContext,
    });
}

async function expectStatus(handler: Handler, path: string, token: string | undefined, status: number) {
  const res = await handler(path, token);
  await res.text();
  if (res.status !== status)
    throw new Error(`bench sanity: ${path} answered ${res.status}, expected ${status}`);
}

/** A case: `total` requests to `path`, 50 in flight, each response body read. */
function requestCase(handler: Handler, path: string, token: (i: number) => string) {
  return (n: number) =>
    runConcurrent(n, CONCURRENCY, async (i) => {
      const res = await handler(path, token(i));
      await res.text();
    });
}

export async function runTrpc(budget: Budget): Promise<TrpcResult> {
  progress(`(b) tRPC in process: fetchRequestHandler, ${CONCURRENCY} concurrent, HS256`);
  const app = createBenchApp(randomBytes(32).toString('hex'));
  const handler = inProcessHandler(app);
  const token = await app.jwt.createAccessToken('user-42');
  const pool: string[] = [];
  for (let i = 0; i < COLD_POOL; i++) pool.push(await app.jwt.createAccessToken('user-42'));

  for (const path of ['bare', 'noop', 'protected', 'jose', 'fastjwt'])
    await expectStatus(handler, path, token, 200);
  await expectStatus(handler, 'protected', undefined, 401);
  await expectStatus(handler, 'protected', `${token.slice(0, -2)}AA`, 422);

  let k = 0;
  const same = () => token;
  const cases = await measureGroup(
    'tRPC',
    [
      { name: 'bare public query', batch: requestCase(handler, 'bare', same) },
      { name: 'empty tRPC middleware', batch: requestCase(handler, 'noop', same) },
      { name: 'protected warm (same token)', batch: requestCase(handler, 'protected', same) },
      {
        name: 'protected cold (new token)',
        batch: requestCase(handler, 'protected', () => pool[k++ % COLD_POOL]!),
      },
      { name: 'jose middleware', batch: requestCase(handler, 'jose', same) },
      { name: 'fast-jwt middleware (cache)', batch: requestCase(handler, 'fastjwt', same) },
    ],
    budget,
  );
  return { cases };
}
