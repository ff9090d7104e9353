/**
 * Token extraction per location (src/locations.ts), on plain contexts: the raw values HTTP stacks
 * would normalise away (whitespace, tabs), what each extractor returns, and flask's combined message.
 */
import { describe, expect, it } from 'vitest';
import { resolvedConfigOf } from '../../src/config/view.js';
import {
  type CreateJwtContextOptions,
  createJwtContext,
  createJwtManager,
  type JwtManagerOptions,
  NoAuthorizationError,
} from '../../src/index.js';
import type { ResolvedConfig } from '../../src/config.js';
import type { JwtRequest } from '../../src/context.js';
import {
  type CallInfo,
  EXTRACTORS as BY_LOCATION,
  type FoundToken,
  missingEverywhere,
} from '../../src/locations.js';
import type { TokenLocation } from '../../src/types.js';

type Extractor = (
  req: JwtRequest,
  config: ResolvedConfig,
  refresh: boolean,
  call: CallInfo,
) => Promise<FoundToken>;

/**
 * Every extractor with the common signature (some ignore the last arguments), as a promise: most
 * answer synchronously (and throw synchronously); these tests look at what they answer.
 */
const EXTRACTORS = Object.fromEntries(
  Object.entries(BY_LOCATION).map(([location, extract]) => [
    location,
    (async (...args: Parameters<Extractor>) => extract(...args)) satisfies Extractor,
  ]),
) as Record<TokenLocation, Extractor>;

const SECRET = 'locations-unit-secret-0123456789abcdef-01';
const config = (opts: Omit<JwtManagerOptions, 'secretKey'> = {}) =>
  resolvedConfigOf(createJwtManager({ secretKey: SECRET, ...opts }).config);
const call = (type: CallInfo['type'] = 'query', input?: unknown): CallInfo => ({
  type,
  getRawInput: async () => input,
});
const request = (opts: Partial<Extract<CreateJwtContextOptions, { headers: unknown }>>) =>
  createJwtContext({ headers: {}, ...opts }).jwt;

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected a failure');
}

describe('headers', () => {
  const cfg = config();
  const extract = (value: string, c = cfg) =>
    EXTRACTORS.headers(request({ headers: { authorization: value } }), c, false, call());

  it.each([
    ['Bearer t1', 't1'],
    ['  Bearer t1,   ', 't1'],
    ['Bearer\tt1', 't1'],
    ['Basic x,Bearer t1', 't1'],
    ['Basic x,\t Bearer t1, Digest y', 't1'],
    [',,Bearer t1,,', 't1'],
  ])('%j → %j', async (value, token) => {
    expect(await extract(value)).toEqual({ token, csrfValue: undefined });
  });

  it.each([
    ['Bearer ,,0', 'InvalidHeaderError', "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"],
    [
      'Bearer t1 t2',
      'InvalidHeaderError',
      "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
    ],
    [
      'Bearer a, bearer b',
      'NoAuthorizationError',
      "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
    ],
    [
      ' , , ',
      'NoAuthorizationError',
      "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
    ],
    ['   ', 'NoAuthorizationError', 'Missing Authorization Header'],
  ])('%j → %s', async (value, name, message) => {
    expect(await failure(extract(value))).toEqual({ name, message });
  });

  it("headerType '': one word only", async () => {
    const raw = config({ headerType: '' });
    expect(await extract(' t1 ', raw)).toEqual({ token: 't1', csrfValue: undefined });
    expect(await failure(extract('Bearer t1', raw))).toEqual({
      name: 'InvalidHeaderError',
      message: "Bad Authorization header. Expected 'Authorization: <JWT>'",
    });
  });

  it('a long run of commas inside the value: flask splits it, `Bearer` alone is a bad header', async () => {
    const value = `Bearer${','.repeat(100_000)}x`;
    expect((await failure(extract(value))).name).toBe('InvalidHeaderError');
  });
});

describe('cookies', () => {
  const cfg = config({ tokenLocation: 'cookies' });
  const extract = (
    cookie: string,
    opts: { method?: string; type?: CallInfo['type']; csrf?: string; refresh?: boolean } = {},
  ) => {
    const headers: Record<string, string> = { cookie };
    if (opts.csrf !== undefined) headers['x-csrf-token'] = opts.csrf;
    const req = request(opts.method === undefined ? { headers } : { headers, method: opts.method });
    return EXTRACTORS.cookies(req, cfg, opts.refresh ?? false, call(opts.type ?? 'query'));
  };

  it('returns the token, and the CSRF value only when the check applies', async () => {
    expect(await extract('access_token_cookie=t1')).toEqual({ token: 't1', csrfValue: undefined });
    expect(await extract('access_token_cookie=t1', { method: 'POST', csrf: 'c1' })).toEqual({
      token: 't1',
      csrfValue: 'c1',
    });
    expect(await extract('access_token_cookie=t1', { type: 'mutation', csrf: 'c1' })).toEqual({
      token: 't1',
      csrfValue: 'c1',
    });
    expect(await extract('access_token_cookie=t1', { method: 'GET', csrf: 'c1' })).toEqual({
      token: 't1',
      csrfValue: undefined,
    });
  });

  it('refresh reads refresh_token_cookie', async () => {
    expect(await extract('access_token_cookie=a; refresh_token_cookie=r', { refresh: true })).toEqual({
      token: 'r',
      csrfValue: undefined,
    });
  });

  it('missing cookie before missing CSRF; the CSRF cookie is not a submitted value', async () => {
    expect(await failure(extract('', { type: 'mutation' }))).toEqual({
      name: 'NoAuthorizationError',
      message: 'Missing cookie "access_token_cookie"',
    });
    expect(
      await failure(extract('access_token_cookie=t; csrf_access_token=c', { type: 'mutation' })),
    ).toEqual({
      name: 'CSRFError',
      message: 'Missing CSRF token',
    });
  });
});

describe('query_string, json and connection_params', () => {
  it('query_string: first value, URL-decoded', async () => {
    const req = request({ url: '/trpc/x?jwt=a%2Eb&jwt=c' });
    expect(await EXTRACTORS.query_string(req, config(), false, call())).toEqual({
      token: 'a.b',
      csrfValue: undefined,
    });
  });

  it('query_string: no URL at all is a missing token', async () => {
    expect(await failure(EXTRACTORS.query_string(request({}), config(), false, call()))).toEqual({
      name: 'NoAuthorizationError',
      message: "Missing 'jwt' query paramater",
    });
  });

  it('json: the key of the raw input, never an inherited property', async () => {
    const extract = (input: unknown, refresh = false) =>
      EXTRACTORS.json(request({}), config(), refresh, call('query', input));
    expect(await extract({ access_token: 't' })).toEqual({ token: 't', csrfValue: undefined });
    expect(await extract({ refresh_token: 'r' }, true)).toEqual({ token: 'r', csrfValue: undefined });
    const inherited = Object.create({ access_token: 't' }) as object;
    expect((await failure(extract(inherited))).message).toBe('Missing "access_token" key in json data.');
    expect((await failure(extract(new FormData()))).message).toBe(
      'Invalid content-type. Must be application/json.',
    );
  });

  it('json and connection_params: a value that is not a string is refused where it is read (FoundToken.token is a string)', async () => {
    const json = EXTRACTORS.json(request({}), config(), false, call('query', { access_token: 123 }));
    expect(await failure(json)).toEqual({
      name: 'JWTDecodeError',
      message: 'Invalid token type. Token must be a string',
    });
    const ctx = createJwtContext({ headers: {}, info: { connectionParams: { token: { t: 1 } as never } } });
    expect(
      await failure(EXTRACTORS.connection_params(ctx.jwt, config(), false, call('subscription'))),
    ).toEqual({
      name: 'JWTDecodeError',
      message: 'Invalid token type. Token must be a string',
    });
  });

  it('json: no getRawInput (verifyJwtInRequest outside a procedure) is a missing key', async () => {
    const result = EXTRACTORS.json(request({}), config(), false, { type: undefined, getRawInput: undefined });
    expect(await failure(result)).toEqual({
      name: 'NoAuthorizationError',
      message: 'Missing "access_token" key in json data.',
    });
  });

  it('connection_params: info.connectionParams[connectionParamsKey]', async () => {
    const ctx = createJwtContext({
      headers: {},
      info: { connectionParams: { token: 't', other: undefined } },
    });
    expect(await EXTRACTORS.connection_params(ctx.jwt, config(), false, call('subscription'))).toEqual({
      token: 't',
      csrfValue: undefined,
    });
    expect((await failure(EXTRACTORS.connection_params(request({}), config(), false, call()))).name).toBe(
      'NoAuthorizationError',
    );
  });
});

describe('missingEverywhere', () => {
  const e = (m: string) => new NoAuthorizationError(m);

  it('one location: its own error, unchanged', () => {
    const only = e('Missing Authorization Header');
    expect(missingEverywhere(['headers'], [only])).toBe(only);
  });

  it("two or more: flask's 'Missing JWT in a, b or c (x; y; z)'", () => {
    expect(missingEverywhere(['cookies', 'headers'], [e('A'), e('B')]).message).toBe(
      'Missing JWT in cookies or headers (A; B)',
    );
    expect(missingEverywhere(['headers', 'cookies', 'query_string'], [e('A'), e('B'), e('C')]).message).toBe(
      'Missing JWT in headers, cookies or query_string (A; B; C)',
    );
  });
});
