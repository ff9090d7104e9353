/**
 * The configuration's public face: the defaults (src/config/defaults.ts, a leaf), durations, and
 * the table-driven resolver (src/config/resolve.ts) that turns options into the frozen config.
 */
export { COOKIE_MAX_AGE, DEFAULTS, TOKEN_LOCATIONS } from './config/defaults.js';
export { parseDuration } from './config/durations.js';
export { type ResolvedConfig, resolveConfig, resolveProcedureLocations } from './config/resolve.js';
export { type ConfigView, configView, type KeyDescription, type KeyringEntryView } from './config/view.js';
