import type { HTTPHeaders, Operation } from '@trpc/client';
import {
  ACCESS_CSRF_COOKIE_NAME,
  CSRF_HEADER_NAME,
  HEADER_NAME,
  HEADER_TYPE,
  REFRESH_CSRF_COOKIE_NAME,
} from '../config/defaults.js';
import { readCookie } from './cookies.js';
import { type RefreshOperationOptions, resolveIsRefreshOperation } from './refresh-paths.js';

type MaybePromise<T> = T | Promise<T>;

/** Returns the current token, or `null`/`undefined` when there is none. May be async. */
export type TokenGetter = () => MaybePromise<string | null | undefined>;

/**
 * What `httpLink` (`{ op }`) and `httpBatchLink` / `httpBatchStreamLink` (`{ opList }`) pass to their
 * `headers` function.
 */
export type JwtHeadersInput = { op: Operation } | { opList: readonly Operation[] };

/** CSRF double-submit options of {@link jwtHeaders}, for tokens kept in cookies. */
export interface JwtCsrfOptions {
  /**
   * The readable cookie holding the access token's CSRF value.
   * @default 'csrf_access_token'
   */
  accessCookieName?: string;
  /**
   * The readable cookie holding the refresh token's CSRF value, sent on the refresh operation.
   * @default 'csrf_refresh_token'
   */
  refreshCookieName?: string;
  /**
   * The header the server reads the CSRF value from (`accessCsrfHeaderName` on the server).
   * @default 'X-CSRF-TOKEN'
   */
  headerName?: string;
  /**
   * Which operation is the refresh call, for the CSRF cookie only. Defaults to the refresh call of
   * {@link JwtHeadersOptions} (`refreshPaths` / `isRefreshOperation`).
   * @default (op) => refreshPaths.includes(op.path)
   */
  isRefreshOperation?: (op: Operation) => boolean;
  /**
   * Reads a cookie by name. Override it where there is no `document` (tests, React Native).
   * @default readCookie (reads `document.cookie`)
   */
  getCookie?: (name: string) => string | null | undefined;
  /**
   * Also send the header on queries. Set it when queries are sent as POST (`methodOverride: 'POST'`),
   * since the server checks CSRF on every POST.
   * @default false
   */
  includeQueries?: boolean;
}

/**
 * Options of {@link jwtHeaders}. The refresh call is recognised by its exact path (`refreshPaths`,
 * default `['auth.refresh', 'refresh']`) or by `isRefreshOperation`.
 */
export interface JwtHeadersOptions extends RefreshOperationOptions {
  /** Returns the access token (header mode). No header is sent when it returns nothing. */
  getAccessToken?: TokenGetter;
  /**
   * Returns the refresh token, sent instead of the access token on the refresh operation (header mode):
   * only on a request whose every operation is on one of `refreshPaths`. Without it, the refresh
   * operation gets the access token like any other.
   */
  getRefreshToken?: TokenGetter;
  /**
   * The header the token is sent in (`headerName` on the server).
   * @default 'Authorization'
   */
  headerName?: string;
  /**
   * The scheme before the token (`headerType` on the server); `''` sends the bare token.
   * @default 'Bearer'
   */
  headerType?: string;
  /** Cookie mode: copy the CSRF cookie into the CSRF header on mutations. `true` uses the defaults. */
  csrf?: boolean | JwtCsrfOptions;
  /** More headers to send, merged under the JWT headers (a JWT header wins over one of the same name). */
  extra?: HTTPHeaders | ((opts: JwtHeadersInput) => MaybePromise<HTTPHeaders>);
}

/**
 * Builds the `headers` function of `httpLink`, `httpBatchLink` or `httpBatchStreamLink`. It adds
 * `Authorization: Bearer <token>` when `getAccessToken()` returns a token, and, with `csrf`, copies the
 * CSRF cookie into the `X-CSRF-TOKEN` header when the request carries a mutation: the refresh CSRF cookie
 * when every mutation in it is the refresh operation, the access CSRF cookie otherwise. It never touches
 * the network; the token is read again for every request, so a retry sends the refreshed token.
 *
 * The refresh call is the operation on one of `refreshPaths` (exact paths, default `auth.refresh` and
 * `refresh`); a procedure that merely ends with "refresh" gets the access token. A batch sends one set
 * of headers: keep the refresh call in its own request (a `splitLink` on the path) when it may be
 * batched with other calls.
 *
 * @example
 * ```ts
 * import { createTRPCClient, httpBatchLink } from '@trpc/client';
 * import { createTokenStore, jwtHeaders } from 'trpc-jwt-extended/client';
 * import type { AppRouter } from './server';
 *
 * const tokens = createTokenStore();
 * // header mode
 * const client = createTRPCClient<AppRouter>({
 *   links: [httpBatchLink({ url: '/trpc', headers: jwtHeaders({ getAccessToken: tokens.get }) })],
 * });
 * // cookie mode (the browser sends the HttpOnly token cookies itself)
 * const cookieClient = createTRPCClient<AppRouter>({
 *   links: [httpBatchLink({ url: '/trpc', headers: jwtHeaders({ csrf: true }) })],
 * });
 * ```
 */
export function jwtHeaders(
  options: JwtHeadersOptions = {},
): (opts: JwtHeadersInput) => Promise<Record<string, string>> {
  const headerName = nonEmpty(options.headerName ?? HEADER_NAME, 'headerName');
  const headerType = options.headerType ?? HEADER_TYPE;
  if (typeof headerType !== 'string') {
    throw new TypeError('jwtHeaders: "headerType" must be a string');
  }
  const isRefresh = resolveIsRefreshOperation('jwtHeaders', options);
  const csrf = resolveCsrf(options.csrf, isRefresh);
  const { getAccessToken, getRefreshToken, extra } = options;

  return async (opts) => {
    const ops = 'opList' in opts ? opts.opList : [opts.op];
    const headers = toRecord(typeof extra === 'function' ? await extra(opts) : extra);

    const onlyRefresh = ops.length > 0 && ops.every(isRefresh);
    const token = await (onlyRefresh && getRefreshToken ? getRefreshToken() : getAccessToken?.());
    if (token) {
      setHeader(headers, headerName, headerType ? `${headerType} ${token}` : token);
    }

    if (csrf) {
      const unsafe = ops.filter(
        (op) => op.type === 'mutation' || (csrf.includeQueries && op.type === 'query'),
      );
      if (unsafe.length > 0) {
        const cookieName = unsafe.every(csrf.isRefresh) ? csrf.refreshCookieName : csrf.accessCookieName;
        const value = csrf.getCookie(cookieName);
        if (value) {
          setHeader(headers, csrf.headerName, value);
        }
      }
    }
    return headers;
  };
}

interface ResolvedCsrf {
  accessCookieName: string;
  refreshCookieName: string;
  headerName: string;
  isRefresh: (op: Operation) => boolean;
  getCookie: (name: string) => string | null | undefined;
  includeQueries: boolean;
}

function resolveCsrf(
  csrf: JwtHeadersOptions['csrf'],
  isRefresh: (op: Operation) => boolean,
): ResolvedCsrf | null {
  if (!csrf) {
    return null;
  }
  const opts = csrf === true ? {} : csrf;
  return {
    accessCookieName: nonEmpty(opts.accessCookieName ?? ACCESS_CSRF_COOKIE_NAME, 'csrf.accessCookieName'),
    refreshCookieName: nonEmpty(opts.refreshCookieName ?? REFRESH_CSRF_COOKIE_NAME, 'csrf.refreshCookieName'),
    headerName: nonEmpty(opts.headerName ?? CSRF_HEADER_NAME, 'csrf.headerName'),
    isRefresh: opts.isRefreshOperation ?? isRefresh,
    getCookie: opts.getCookie ?? ((name) => readCookie(name)),
    includeQueries: opts.includeQueries ?? false,
  };
}

function nonEmpty(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`jwtHeaders: "${option}" must be a non-empty string`);
  }
  return value;
}

/** Copies `HTTPHeaders` (a `Headers`-like iterable or an object) into a plain object of strings. */
function toRecord(headers: HTTPHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) {
    return out;
  }
  const entries: Iterable<[string, string | string[] | undefined]> =
    Symbol.iterator in headers ? (headers as Iterable<[string, string]>) : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value !== undefined) {
      out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return out;
}

/** Sets a header, replacing any of the same name in another case. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lower) {
      delete headers[key];
    }
  }
  headers[name] = value;
}
