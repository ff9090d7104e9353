import { createTRPCUntypedClient, TRPCClientError } from '@trpc/client';
import type { Operation, OperationResultEnvelope, TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { describe, expect, it, vi } from 'vitest';
import { defaultIsRefreshOperation, jwtHeaders, refreshLink } from '../../../src/client/index.js';

let nextId = 0;
function makeOp(path: string, type: Operation['type'] = 'mutation'): Operation {
  return { id: ++nextId, path, type, input: undefined, context: {}, signal: null };
}

const tokens = { getAccessToken: () => 'access', getRefreshToken: () => 'refresh' };
const cookies: Record<string, string> = { csrf_access_token: 'csrf-A', csrf_refresh_token: 'csrf-R' };
const csrf = { getCookie: (name: string) => cookies[name] ?? null };

describe('the refresh call is recognised by its exact path', () => {
  it('defaultIsRefreshOperation: auth.refresh and refresh only, case-sensitive', () => {
    expect(['auth.refresh', 'refresh'].map((path) => defaultIsRefreshOperation({ path }))).toEqual([
      true,
      true,
    ]);
    const others = ['feed.refresh', 'tokenRefresh', 'Auth.Refresh', 'auth.refresh.x', 'x.auth.refresh'];
    expect(others.map((path) => defaultIsRefreshOperation({ path }))).toEqual(others.map(() => false));
  });

  it('jwtHeaders sends the refresh token and refresh CSRF value to the refresh paths only', async () => {
    const headers = jwtHeaders({ ...tokens, csrf });
    for (const path of ['auth.refresh', 'refresh']) {
      await expect(headers({ op: makeOp(path) })).resolves.toEqual({
        Authorization: 'Bearer refresh',
        'X-CSRF-TOKEN': 'csrf-R',
      });
    }
    for (const path of ['feed.refresh', 'tokenRefresh', 'cache.forceRefresh']) {
      await expect(headers({ op: makeOp(path) })).resolves.toEqual({
        Authorization: 'Bearer access',
        'X-CSRF-TOKEN': 'csrf-A',
      });
    }
  });

  it('jwtHeaders honours refreshPaths: the listed paths only, not the defaults', async () => {
    const headers = jwtHeaders({ ...tokens, csrf, refreshPaths: ['session.renew'] });
    await expect(headers({ op: makeOp('session.renew') })).resolves.toEqual({
      Authorization: 'Bearer refresh',
      'X-CSRF-TOKEN': 'csrf-R',
    });
    await expect(headers({ op: makeOp('auth.refresh') })).resolves.toEqual({
      Authorization: 'Bearer access',
      'X-CSRF-TOKEN': 'csrf-A',
    });
  });

  it('refreshLink refreshes and retries feed.refresh, and passes the refreshPaths through', async () => {
    let token = 'old';
    const sends: string[] = [];
    const backend: TRPCLink<AnyTRPCRouter> =
      () =>
      ({ op }) =>
        observable<
          OperationResultEnvelope<unknown, TRPCClientError<AnyTRPCRouter>>,
          TRPCClientError<AnyTRPCRouter>
        >((observer) => {
          sends.push(`${op.path}:${token}`);
          if (token === 'new') {
            observer.next({ result: { type: 'data', data: op.path } });
            observer.complete();
          } else {
            observer.error(
              TRPCClientError.from<AnyTRPCRouter>({
                error: {
                  code: -32001,
                  message: 'Token has expired',
                  data: { jwt: { code: 'TOKEN_EXPIRED' } },
                },
              }),
            );
          }
        });
    const refresh = vi.fn(async () => {
      token = 'new';
    });
    const client = createTRPCUntypedClient({
      links: [refreshLink({ refresh, refreshPaths: ['session.renew'] }), backend],
    });

    await expect(client.mutation('session.renew')).rejects.toThrow('Token has expired');
    expect(refresh).not.toHaveBeenCalled();
    await expect(client.mutation('feed.refresh')).resolves.toBe('feed.refresh');
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(sends).toEqual(['session.renew:old', 'feed.refresh:old', 'feed.refresh:new']);
  });

  it('validates refreshPaths at construction, naming the option', () => {
    const refresh = async () => {};
    for (const make of [
      (options: object) => jwtHeaders(options),
      (options: object) => refreshLink({ refresh, ...options }),
    ]) {
      expect(() => make({ refreshPaths: [] })).toThrow(/"refreshPaths"/);
      expect(() => make({ refreshPaths: [''] })).toThrow(/"refreshPaths"/);
      expect(() => make({ refreshPaths: 'auth.refresh' })).toThrow(/"refreshPaths"/);
      expect(() => make({ refreshPaths: ['a'], isRefreshOperation: () => true })).toThrow(
        /"refreshPaths" or "isRefreshOperation", not both/,
      );
      expect(() => make({ isRefreshOperation: 'x' })).toThrow(/"isRefreshOperation"/);
      expect(() => make({ refreshPaths: ['auth.refresh', 'auth.renew'] })).not.toThrow();
    }
  });
});
