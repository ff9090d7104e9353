import { createTRPCUntypedClient, httpBatchLink, httpLink } from '@trpc/client';
import type { Operation } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jwtHeaders } from '../../../src/client/index.js';

let nextId = 0;
function makeOp(path: string, type: Operation['type'] = 'query'): Operation {
  return { id: ++nextId, path, type, input: undefined, context: {}, signal: null };
}

const cookies: Record<string, string> = { csrf_access_token: 'csrf-A', csrf_refresh_token: 'csrf-R' };
const getCookie = (name: string) => cookies[name] ?? null;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('jwtHeaders: Authorization', () => {
  it('adds "Authorization: Bearer <token>" when a token is known, nothing otherwise', async () => {
    let token: string | null = 'abc.def.ghi';
    const headers = jwtHeaders({ getAccessToken: () => token });
    await expect(headers({ op: makeOp('me') })).resolves.toEqual({ Authorization: 'Bearer abc.def.ghi' });
    token = null;
    await expect(headers({ op: makeOp('me') })).resolves.toEqual({});
    await expect(jwtHeaders()({ op: makeOp('me') })).resolves.toEqual({});
  });

  it('reads the token again for every request, and accepts an async getter', async () => {
    let n = 0;
    const headers = jwtHeaders({ getAccessToken: async () => `tok-${++n}` });
    await expect(headers({ op: makeOp('a') })).resolves.toEqual({ Authorization: 'Bearer tok-1' });
    await expect(headers({ op: makeOp('a') })).resolves.toEqual({ Authorization: 'Bearer tok-2' });
  });

  it('honours headerName and headerType ("" sends the bare token)', async () => {
    const op = makeOp('a');
    await expect(
      jwtHeaders({ getAccessToken: () => 't', headerName: 'X-Auth', headerType: 'JWT' })({ op }),
    ).resolves.toEqual({ 'X-Auth': 'JWT t' });
    await expect(jwtHeaders({ getAccessToken: () => 't', headerType: '' })({ op })).resolves.toEqual({
      Authorization: 't',
    });
  });

  it('sends the refresh token on the refresh operation when getRefreshToken is given', async () => {
    const headers = jwtHeaders({ getAccessToken: () => 'access', getRefreshToken: () => 'refresh' });
    await expect(headers({ op: makeOp('auth.refresh', 'mutation') })).resolves.toEqual({
      Authorization: 'Bearer refresh',
    });
    await expect(headers({ op: makeOp('post.create', 'mutation') })).resolves.toEqual({
      Authorization: 'Bearer access',
    });
    // A batch mixing the refresh call with others gets the access token.
    await expect(
      headers({ opList: [makeOp('auth.refresh', 'mutation'), makeOp('post.create', 'mutation')] }),
    ).resolves.toEqual({ Authorization: 'Bearer access' });
    // Without getRefreshToken, the refresh operation is not special.
    await expect(
      jwtHeaders({ getAccessToken: () => 'access' })({ op: makeOp('auth.refresh', 'mutation') }),
    ).resolves.toEqual({ Authorization: 'Bearer access' });
  });
});

describe('jwtHeaders: CSRF (cookie mode)', () => {
  const headers = jwtHeaders({ csrf: { getCookie } });

  it('sends the access CSRF cookie on a mutation, nothing on a query or subscription', async () => {
    await expect(headers({ op: makeOp('post.create', 'mutation') })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-A',
    });
    await expect(headers({ op: makeOp('post.list', 'query') })).resolves.toEqual({});
    await expect(headers({ op: makeOp('post.onAdd', 'subscription') })).resolves.toEqual({});
  });

  it('sends the refresh CSRF cookie on the refresh operation', async () => {
    await expect(headers({ op: makeOp('auth.refresh', 'mutation') })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-R',
    });
    const custom = jwtHeaders({
      csrf: { getCookie, isRefreshOperation: (op) => op.path === 'session.renew' },
    });
    await expect(custom({ op: makeOp('session.renew', 'mutation') })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-R',
    });
    await expect(custom({ op: makeOp('auth.refresh', 'mutation') })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-A',
    });
  });

  it('uses the top-level isRefreshOperation when csrf has none', async () => {
    const custom = jwtHeaders({ isRefreshOperation: (op) => op.path === 'renew', csrf: { getCookie } });
    await expect(custom({ op: makeOp('renew', 'mutation') })).resolves.toEqual({ 'X-CSRF-TOKEN': 'csrf-R' });
  });

  it('handles batches: any mutation → CSRF; refresh cookie only when every mutation is the refresh', async () => {
    await expect(headers({ opList: [makeOp('a'), makeOp('b')] })).resolves.toEqual({});
    await expect(headers({ opList: [makeOp('a', 'mutation'), makeOp('b', 'mutation')] })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-A',
    });
    await expect(headers({ opList: [makeOp('auth.refresh', 'mutation')] })).resolves.toEqual({
      'X-CSRF-TOKEN': 'csrf-R',
    });
    await expect(
      headers({ opList: [makeOp('auth.refresh', 'mutation'), makeOp('post.create', 'mutation')] }),
    ).resolves.toEqual({ 'X-CSRF-TOKEN': 'csrf-A' });
  });

  it('honours cookie and header names, and sends nothing when the cookie is missing', async () => {
    const custom = jwtHeaders({
      csrf: {
        getCookie: (name) => ({ my_csrf: 'M', my_refresh_csrf: 'MR' })[name],
        accessCookieName: 'my_csrf',
        refreshCookieName: 'my_refresh_csrf',
        headerName: 'X-My-CSRF',
      },
    });
    await expect(custom({ op: makeOp('a', 'mutation') })).resolves.toEqual({ 'X-My-CSRF': 'M' });
    await expect(custom({ op: makeOp('auth.refresh', 'mutation') })).resolves.toEqual({ 'X-My-CSRF': 'MR' });
    await expect(
      jwtHeaders({ csrf: { getCookie: () => null } })({ op: makeOp('a', 'mutation') }),
    ).resolves.toEqual({});
  });

  it('also sends it on queries with includeQueries (queries sent as POST)', async () => {
    const custom = jwtHeaders({ csrf: { getCookie, includeQueries: true } });
    await expect(custom({ op: makeOp('a', 'query') })).resolves.toEqual({ 'X-CSRF-TOKEN': 'csrf-A' });
  });

  it('reads document.cookie by default (csrf: true)', async () => {
    vi.stubGlobal('document', { cookie: 'other=1; csrf_access_token=from%20doc; csrf_refresh_token=r' });
    await expect(jwtHeaders({ csrf: true })({ op: makeOp('a', 'mutation') })).resolves.toEqual({
      'X-CSRF-TOKEN': 'from doc',
    });
  });

  it('sends nothing where there is no document', async () => {
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    await expect(jwtHeaders({ csrf: true })({ op: makeOp('a', 'mutation') })).resolves.toEqual({});
  });

  it('combines the token and the CSRF header', async () => {
    const both = jwtHeaders({ getAccessToken: () => 't', csrf: { getCookie } });
    await expect(both({ op: makeOp('a', 'mutation') })).resolves.toEqual({
      Authorization: 'Bearer t',
      'X-CSRF-TOKEN': 'csrf-A',
    });
  });
});

describe('jwtHeaders: extra headers', () => {
  it('merges extra headers (object, Headers or function of the operations); JWT headers win', async () => {
    const op = makeOp('a', 'mutation');
    const base = { getAccessToken: () => 't', csrf: { getCookie } };
    await expect(
      jwtHeaders({
        ...base,
        extra: { 'x-app': '1', authorization: 'Basic zzz', 'x-list': ['a', 'b'], 'x-u': undefined },
      })({
        op,
      }),
    ).resolves.toEqual({
      'x-app': '1',
      'x-list': 'a, b',
      Authorization: 'Bearer t',
      'X-CSRF-TOKEN': 'csrf-A',
    });
    await expect(jwtHeaders({ ...base, extra: new Headers({ 'x-h': 'v' }) })({ op })).resolves.toEqual({
      'x-h': 'v',
      Authorization: 'Bearer t',
      'X-CSRF-TOKEN': 'csrf-A',
    });
    const extra = vi.fn(async (opts: { op: Operation } | { opList: readonly Operation[] }) => ({
      'x-count': String('opList' in opts ? opts.opList.length : 1),
    }));
    await expect(jwtHeaders({ extra })({ opList: [op, op] })).resolves.toEqual({ 'x-count': '2' });
    expect(extra).toHaveBeenCalledWith({ opList: [op, op] });
  });

  it('keeps extra headers of the same name when no JWT header is set', async () => {
    await expect(jwtHeaders({ extra: { Authorization: 'Basic zzz' } })({ op: makeOp('a') })).resolves.toEqual(
      {
        Authorization: 'Basic zzz',
      },
    );
  });
});

describe('jwtHeaders: options', () => {
  it('validates options at construction, naming the option', () => {
    expect(() => jwtHeaders({ headerName: '' })).toThrow(/"headerName"/);
    expect(() => jwtHeaders({ headerType: 1 as never })).toThrow(/"headerType"/);
    expect(() => jwtHeaders({ csrf: { headerName: ' ' } })).toThrow(/"csrf.headerName"/);
    expect(() => jwtHeaders({ csrf: { accessCookieName: '' } })).toThrow(/"csrf.accessCookieName"/);
    expect(() => jwtHeaders({ csrf: false })).not.toThrow();
  });
});

describe('jwtHeaders with the real HTTP links', () => {
  /** A fetch that records request headers and answers like a tRPC server. */
  function recordingFetch() {
    const requests: { url: string; method: string; headers: Headers }[] = [];
    const fetch = vi.fn(
      async (input: RequestInfo | URL | string, init?: { method?: string; headers?: unknown }) => {
        const url = String(input);
        requests.push({
          url,
          method: init?.method ?? 'GET',
          headers: new Headers(init?.headers as HeadersInit),
        });
        const isBatch = new URL(url).searchParams.has('batch');
        const count = isBatch ? new URL(url).pathname.split('/').pop()!.split(',').length : 1;
        const one = { result: { data: 'ok' } };
        return new Response(JSON.stringify(isBatch ? Array.from({ length: count }, () => one) : one), {
          headers: { 'content-type': 'application/json' },
        });
      },
    );
    return { fetch, requests };
  }

  it('httpLink: sends Authorization on every call and CSRF on mutations only', async () => {
    const { fetch, requests } = recordingFetch();
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        httpLink({
          url: 'http://x.test/trpc',
          fetch,
          headers: jwtHeaders({ getAccessToken: () => 't', csrf: { getCookie } }),
        }),
      ],
    });
    await client.query('post.list');
    await client.mutation('post.create', {});
    await client.mutation('auth.refresh');

    expect(
      requests.map((r) => [r.method, r.headers.get('authorization'), r.headers.get('x-csrf-token')]),
    ).toEqual([
      ['GET', 'Bearer t', null],
      ['POST', 'Bearer t', 'csrf-A'],
      ['POST', 'Bearer t', 'csrf-R'],
    ]);
  });

  it('httpBatchLink: one set of headers per batch', async () => {
    const { fetch, requests } = recordingFetch();
    const client = createTRPCUntypedClient<AnyTRPCRouter>({
      links: [
        httpBatchLink({ url: 'http://x.test/trpc', fetch, headers: jwtHeaders({ csrf: { getCookie } }) }),
      ],
    });
    await Promise.all([client.query('a'), client.query('b'), client.mutation('c'), client.mutation('d')]);

    const byMethod = Object.fromEntries(requests.map((r) => [r.method, r]));
    expect(requests).toHaveLength(2);
    expect(byMethod.GET?.headers.get('x-csrf-token')).toBeNull();
    expect(byMethod.POST?.headers.get('x-csrf-token')).toBe('csrf-A');
  });
});
