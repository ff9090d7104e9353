/**
 * `trpc-jwt-extended/client`: browser-safe links and helpers. Imports only `@trpc/client` and
 * `@trpc/server/observable`; never jose or Node built-ins.
 */
export { readCookie } from './cookies.js';
export { jwtHeaders } from './headers.js';
export type { JwtCsrfOptions, JwtHeadersInput, JwtHeadersOptions, TokenGetter } from './headers.js';
export { getJwtErrorCode, refreshLink } from './refresh-link.js';
export type { RefreshLinkOptions } from './refresh-options.js';
export type { CrossTabOptions } from './cross-tab.js';
export type { RefreshCallOptions } from './refresh-flight.js';
export { defaultIsRefreshOperation } from './refresh-paths.js';
export type { RefreshOperationOptions } from './refresh-paths.js';
export { reconnectWsClient } from './ws-reconnect.js';
export type { ReconnectableSocket, ReconnectableWsClient } from './ws-reconnect.js';
export { createTokenStore } from './token-store.js';
export type { TokenStore, TokenStoreOptions } from './token-store.js';
export type { JwtErrorCode } from '../errors.js';
