import { JwtConfigError } from '../errors.js';
import type { Duration } from '../types.js';
import { OPTIONS } from './defaults.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/;

/**
 * Seconds of a duration (number of seconds, or `'30s'`, `'15m'`, `'12h'`, `'30d'`, `'2w'`);
 * throws JwtConfigError naming `option` on anything else (`'banana'`, `true`, negative, NaN).
 */
export function parseDuration(option: string, value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new JwtConfigError(option, 'must be a finite, non-negative number of seconds');
  }
  if (typeof value === 'string') {
    const match = DURATION_RE.exec(value.trim());
    if (match) return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  }
  throw new JwtConfigError(
    option,
    "must be a number of seconds or a string like '30s', '15m', '12h', '30d' (got " +
      `${typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : typeof value})`,
  );
}

/** `implicitRefresh`: the window in seconds, or undefined when off. */
export function resolveImplicitRefresh(value: false | { window?: Duration } | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new JwtConfigError('implicitRefresh', 'must be false or { window?: duration }');
  }
  return parseDuration('implicitRefresh', value.window ?? OPTIONS.implicitRefresh.window);
}
