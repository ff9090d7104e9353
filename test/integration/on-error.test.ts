/**
 * `onError` (issue 18 item 7): every time the library fails a request closed, the app hears of it
 * with the 500 the client gets, whose `cause` is the original failure; ordinary 4xx answers are not
 * reported, and a throwing `onError` changes nothing. Through the real adapters.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createJwtManager,
  createMemoryBlocklist,
  JwtConfigError,
  type JwtContextPart,
  type JwtManagerOptions,
} from '../../src/index.js';
import { callTrpc, cookieHeader, type Endpoint, startAll } from '../helpers/servers.js';

const SECRET = 'on-error-secret-0123456789abcdef-0123456';
const INTERNAL = 'connection refused: redis://admin:hunter2@10.0.0.5';

let endpoints: Endpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  endpoints = [];
});

async function app(
  options: Omit<JwtManagerOptions, 'secretKey' | 'onError'>,
  onError?: (e: TRPCError) => unknown,
) {
  const reported: TRPCError[] = [];
  const jwt = createJwtManager({
    secretKey: SECRET,
    ...options,
    onError: (error) => {
      reported.push(error);
      return onError?.(error);
    },
  });
  const failingStore = {
    rotate: async () => {
      throw new Error(INTERNAL);
    },
  };
  const t = initTRPC.context<JwtContextPart>().create({ errorFormatter: jwt.errorFormatter });
  const { protectedProcedure, refreshProcedure } = jwt.procedures(t.procedure);
  const router = t.router({
    me: protectedProcedure.query(({ ctx }) => ctx.token.identity),
    refresh: refreshProcedure.mutation(({ ctx }) => jwt.rotateRefreshToken(ctx.token, failingStore)),
    checked: t.procedure
      .concat(
        jwt.requireClaims(() => {
          throw new Error(INTERNAL);
        }),
      )
      .query(() => 'never'),
  });
  endpoints = await startAll(router, (opts) => jwt.createJwtContext(opts));
  return { jwt, reported, endpoint: endpoints[0]! };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function expectReported(reported: TRPCError[], message: string): void {
  expect(reported).toHaveLength(1);
  expect(reported[0]).toBeInstanceOf(TRPCError);
  expect({ code: reported[0]!.code, message: reported[0]!.message }).toEqual({
    code: 'INTERNAL_SERVER_ERROR',
    message,
  });
  expect((reported[0]!.cause as Error).message).toBe(INTERNAL);
}

describe('onError', () => {
  it('a blocklist loader that throws: the client gets a generic 500, onError the original as cause', async () => {
    const { jwt, reported, endpoint } = await app({
      tokenInBlocklistLoader: () => {
        throw new Error(INTERNAL);
      },
    });
    const res = await callTrpc(endpoint, 'me', bearer(await jwt.createAccessToken('alice')));
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 500,
      message: 'Token verification failed: a loader threw',
    });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expectReported(reported, 'Token verification failed: a loader threw');
  });

  it('a decode key loader that throws, and a claims check that throws, are reported', async () => {
    const keyed = await app({
      decodeKeyLoader: () => {
        throw new Error(INTERNAL);
      },
    });
    const token = await createJwtManager({ secretKey: SECRET }).createAccessToken('alice');
    expect((await callTrpc(keyed.endpoint, 'me', bearer(token))).status).toBe(500);
    expectReported(keyed.reported, 'Token verification failed');
    await Promise.all(endpoints.map((e) => e.close()));

    const checked = await app({});
    const res = await callTrpc(checked.endpoint, 'checked', bearer(await checked.jwt.createAccessToken('a')));
    expect(res.status).toBe(500);
    expectReported(checked.reported, 'Token verification failed: a claims check threw');
  });

  it("a rotation whose store throws is reported, with the store's error as cause", async () => {
    const { jwt, reported, endpoint } = await app({});
    const { refreshToken } = await jwt.createTokenPair('alice');
    const res = await callTrpc(endpoint, 'refresh', { type: 'mutation', ...bearer(refreshToken) });
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 500,
      message: 'Token rotation failed: the store threw',
    });
    expectReported(reported, 'Token rotation failed: the store threw');
  });

  it('an implicit re-issue whose revocation check fails closed sets no cookie and is reported', async () => {
    let calls = 0;
    let now = Date.UTC(2030, 0, 1);
    const { jwt, reported, endpoint } = await app({
      tokenLocation: ['cookies'],
      implicitRefresh: { window: '5m' },
      clock: () => now,
      // The request's own check passes; the re-check after the procedure fails.
      tokenInBlocklistLoader: () => {
        calls += 1;
        if (calls > 1) throw new Error(INTERNAL);
        return false;
      },
    });
    const token = await jwt.createAccessToken('alice');
    now += 12 * 60_000; // 3 minutes left of 15: inside the window
    const res = await callTrpc(endpoint, 'me', {
      headers: { cookie: cookieHeader({ access_token_cookie: token }) },
    });
    expect({ status: res.status, data: res.data, setCookies: res.setCookies }).toEqual({
      status: 200,
      data: 'alice',
      setCookies: [],
    });
    expectReported(reported, 'Token verification failed: a loader threw');
  });

  it('ordinary refusals are not reported; an onError that throws changes nothing', async () => {
    const blocklist = createMemoryBlocklist();
    const { jwt, reported, endpoint } = await app({ tokenInBlocklistLoader: blocklist.loader }, () => {
      throw new Error('the logger is down');
    });
    expect((await callTrpc(endpoint, 'me')).status).toBe(401);
    const revoked = await jwt.createAccessToken('alice');
    await blocklist.revoke(await jwt.decodeToken(revoked));
    expect((await callTrpc(endpoint, 'me', bearer(revoked))).status).toBe(401);
    expect(reported).toEqual([]);
    await Promise.all(endpoints.map((e) => e.close()));
    const failing = await app(
      {
        tokenInBlocklistLoader: () => {
          throw new Error(INTERNAL);
        },
      },
      () => {
        throw new Error('the logger is down');
      },
    );
    const res = await callTrpc(failing.endpoint, 'me', bearer(await failing.jwt.createAccessToken('a')));
    expect({ status: res.status, message: res.error?.message }).toEqual({
      status: 500,
      message: 'Token verification failed: a loader threw',
    });
    expect(failing.reported).toHaveLength(1);
  });

  it('must be a function', () => {
    expect(() => createJwtManager({ secretKey: SECRET, onError: 'log' as never })).toThrow(JwtConfigError);
  });
});
