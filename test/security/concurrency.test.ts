/**
 * 500 concurrent requests over real HTTP (createHTTPServer on 127.0.0.1:0), 500 distinct
 * identities, a mix of valid, expired, tampered and unknown-user tokens over headers and cookies,
 * with an async user lookup that interleaves them: each request gets its own identity or its own
 * error, never another request's.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateJwtContextOptions } from '../../src/index.js';
import {
  auditHygiene,
  buildApp,
  claimsFor,
  forge,
  newSecret,
  recordOutput,
  registerToken,
} from './helpers.js';

const N = 500;
const secret = newSecret(32, 'concurrency secret');
const otherSecret = newSecret(32, 'concurrency other secret');
type Kind = 'valid' | 'expired' | 'tampered' | 'ghost';
const KINDS: Kind[] = ['valid', 'valid', 'expired', 'tampered', 'ghost'];
const kindOf = (i: number): Kind => KINDS[i % KINDS.length]!;
const identity = (i: number) => `user-${i}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const app = buildApp<{ id: string }>({
  secretKey: secret,
  tokenLocation: ['headers', 'cookies'],
  userLookupLoader: async ({ payload }) => {
    const sub = String(payload.sub);
    await sleep(Number(sub.slice(5)) % 7); // interleave the requests
    return kindOf(Number(sub.slice(5))) === 'ghost' ? null : { id: sub }; // unknown users
  },
  expiredTokenLoader: ({ payload }) =>
    new TRPCError({ code: 'UNAUTHORIZED', message: `Token has expired for ${String(payload.sub)}` }),
});

let server: Server;
let base = '';

beforeAll(async () => {
  server = createHTTPServer({
    router: app.router,
    createContext: (opts) => app.createContext(opts as unknown as CreateJwtContextOptions),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function tokenFor(i: number): Promise<string> {
  const kind = kindOf(i);
  const now = Math.floor(Date.now() / 1000);
  if (kind === 'expired') {
    return forge({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: claimsFor(identity(i), now - 3600, { exp: now - 60 }),
      key: secret,
    });
  }
  if (kind === 'tampered') {
    // a genuine header and payload for user-i with another key's signature
    return forge({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: claimsFor(identity(i), now),
      key: otherSecret,
    });
  }
  return registerToken(await app.jwt.createAccessToken(identity(i)));
}

describe('500 concurrent requests over real HTTP', () => {
  it('each response carries its own identity or its own error, never another request’s', async () => {
    const tokens = await Promise.all(Array.from({ length: N }, (_, i) => tokenFor(i)));
    const responses = await Promise.all(
      tokens.map(async (token, i) => {
        const headers: Record<string, string> =
          i % 2 === 0 ? { authorization: `Bearer ${token}` } : { cookie: `access_token_cookie=${token}` };
        const res = await fetch(`${base}/me`, { headers });
        const text = await res.text();
        if (res.status >= 400) recordOutput(`concurrent #${i}`, text);
        return { i, status: res.status, body: JSON.parse(text) };
      }),
    );

    const mismatches: string[] = [];
    const counts: Record<string, number> = {};
    for (const { i, status, body } of responses) {
      const me = identity(i);
      const kind = kindOf(i);
      counts[kind] = (counts[kind] ?? 0) + 1;
      const location = i % 2 === 0 ? 'headers' : 'cookies';
      let ok: boolean;
      switch (kind) {
        case 'valid':
          ok =
            status === 200 &&
            body.result.data.identity === me &&
            body.result.data.user?.id === me &&
            body.result.data.location === location;
          break;
        case 'expired':
          ok =
            status === 401 &&
            body.error.data.jwt?.code === 'TOKEN_EXPIRED' &&
            body.error.message === `Token has expired for ${me}`;
          break;
        case 'tampered':
          ok =
            status === 422 &&
            body.error.data.jwt?.code === 'INVALID_TOKEN' &&
            body.error.message === 'Signature verification failed';
          break;
        default:
          ok =
            status === 401 &&
            body.error.data.jwt?.code === 'USER_LOOKUP_FAILED' &&
            body.error.message === `Error loading the user ${me}`;
      }
      if (!ok) mismatches.push(`#${i} (${kind}): ${status} ${JSON.stringify(body).slice(0, 200)}`);
    }
    expect(mismatches).toEqual([]);
    expect(responses).toHaveLength(N);
    // every kind is represented, and the body ran exactly once per valid request
    expect(counts).toEqual({ valid: 200, expired: 100, tampered: 100, ghost: 100 });
    expect(app.calls.me).toBe(counts.valid);
  });
});

auditHygiene(300);
