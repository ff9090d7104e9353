import type { Operation } from '@trpc/client';

/** The refresh procedure's paths that the client recognises when no option says otherwise. */
const DEFAULT_REFRESH_PATHS: readonly string[] = Object.freeze(['auth.refresh', 'refresh']);

/** How {@link jwtHeaders} and {@link refreshLink} recognise the refresh call. */
export interface RefreshOperationOptions {
  /**
   * The exact procedure paths of the refresh call (case-sensitive, as the router names them). Only
   * these get the refresh token and the refresh CSRF value, and pass through `refreshLink` untouched.
   * Name your refresh procedure's path here when it is not `auth.refresh` or `refresh`.
   * @default ['auth.refresh', 'refresh']
   */
  refreshPaths?: readonly string[];
  /**
   * Which operation is the refresh call, for rules a list of paths cannot say. Give either this or
   * `refreshPaths`, not both.
   * @default (op) => refreshPaths.includes(op.path)
   */
  isRefreshOperation?: (op: Operation) => boolean;
}

/**
 * The default refresh-operation test: the procedure path is exactly `auth.refresh` or `refresh`.
 * A path that merely ends with "refresh" (`feed.refresh`) is an ordinary call: it never gets the
 * refresh token.
 *
 * @example
 * ```ts
 * import { defaultIsRefreshOperation, refreshLink } from 'trpc-jwt-extended/client';
 *
 * refreshLink({
 *   refresh: () => renew(),
 *   isRefreshOperation: (op) => defaultIsRefreshOperation(op) || op.path === 'auth.renew',
 * });
 * ```
 */
export function defaultIsRefreshOperation(op: Pick<Operation, 'path'>): boolean {
  return DEFAULT_REFRESH_PATHS.includes(op.path);
}

/** Validates `refreshPaths` / `isRefreshOperation` into one test; `owner` names the function in errors. */
export function resolveIsRefreshOperation(
  owner: string,
  options: RefreshOperationOptions,
): (op: Operation) => boolean {
  const { refreshPaths, isRefreshOperation } = options;
  if (isRefreshOperation !== undefined && typeof isRefreshOperation !== 'function') {
    throw new TypeError(`${owner}: "isRefreshOperation" must be a function`);
  }
  if (refreshPaths === undefined) {
    return isRefreshOperation ?? defaultIsRefreshOperation;
  }
  if (isRefreshOperation !== undefined) {
    throw new TypeError(`${owner}: give "refreshPaths" or "isRefreshOperation", not both`);
  }
  if (
    !Array.isArray(refreshPaths) ||
    refreshPaths.length === 0 ||
    !refreshPaths.every((path) => typeof path === 'string' && path !== '')
  ) {
    throw new TypeError(`${owner}: "refreshPaths" must be a non-empty array of procedure paths`);
  }
  const paths = new Set<string>(refreshPaths);
  return (op) => paths.has(op.path);
}
