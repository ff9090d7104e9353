import { JwtConfigError } from '../errors.js';
import type { StandardSchemaV1 } from '../internal/standard-schema.js';
import { TOKEN_LOCATIONS, type TokenLocation } from './defaults.js';
import { parseDuration } from './durations.js';

/**
 * The checks of the option registry (`OPTIONS[name].check` in src/config/defaults.ts): each takes
 * the option's name and value (its default applied) and returns the resolved value, or throws
 * JwtConfigError naming the option. The resolved config holds each result under the option's name.
 */

function string(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new JwtConfigError(option, 'must be a string');
  return value;
}

function name(option: string, value: unknown): string {
  if (string(option, value).trim() === '') throw new JwtConfigError(option, 'cannot be empty');
  return value as string;
}

function optionalStrings(option: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new JwtConfigError(option, 'must be a non-empty string or string[]');
  }
  return Object.freeze([...list]);
}

/** A list of token locations (or one location), as the `tokenLocation` option and per-procedure `locations`. */
export function resolveLocations(option: string, value: unknown): readonly TokenLocation[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new JwtConfigError(option, `must be a non-empty list of ${TOKEN_LOCATIONS.join(', ')}`);
  }
  for (const loc of list) {
    if (!(TOKEN_LOCATIONS as readonly unknown[]).includes(loc)) {
      throw new JwtConfigError(
        option,
        `has an unknown location ${JSON.stringify(String(loc))}; use ${TOKEN_LOCATIONS.join(', ')}`,
      );
    }
  }
  return Object.freeze([...new Set(list as TokenLocation[])]);
}

const RESERVED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
RESERVED_NAMES.add('prototype');

const SAME_SITE = ['Strict', 'Lax', 'None'] as const;

/** The checks by name. */
export const CHECKS = {
  /** A non-empty string. */
  name,
  /** Any string, `''` included. */
  text: string,
  /** Any string, trimmed (`headerType`: `''` means a raw token). */
  scheme: (option: string, value: unknown): string => string(option, value).trim(),
  boolean(option: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw new JwtConfigError(option, 'must be a boolean');
    return value;
  },
  /** A token lifetime in seconds, or `false`. */
  expiry: (option: string, value: unknown): number | false =>
    value === false ? false : parseDuration(option, value),
  seconds(option: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new JwtConfigError(option, 'must be a finite, non-negative number of seconds');
    }
    return value;
  },
  locations: resolveLocations,
  /** A claim name that is no Object.prototype name. */
  claimName(option: string, value: unknown): string {
    const claim = name(option, value);
    if (RESERVED_NAMES.has(claim)) {
      throw new JwtConfigError(option, `cannot be ${JSON.stringify(claim)}: it is an Object.prototype name`);
    }
    return claim;
  },
  /** A non-empty string or list of them, kept as given (a string stays a string). */
  audience(option: string, value: unknown): string | readonly string[] | undefined {
    const list = optionalStrings(option, value);
    return typeof value === 'string' ? value : list;
  },
  /** A non-empty string or list of them, as a list. */
  strings: optionalStrings,
  issuer(option: string, value: unknown): string | undefined {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new JwtConfigError(option, 'must be a non-empty string');
    }
    return value;
  },
  /** Kept as given; checked with the other cookie settings (src/cookie-config.ts). */
  given: (_option: string, value: unknown): string | undefined => value as string | undefined,
  sameSite(option: string, value: unknown): (typeof SAME_SITE)[number] | undefined {
    if (value !== undefined && !(SAME_SITE as readonly unknown[]).includes(value)) {
      throw new JwtConfigError(option, "must be 'Strict', 'Lax' or 'None'");
    }
    return value as (typeof SAME_SITE)[number] | undefined;
  },
  methods(option: string, value: unknown): ReadonlySet<string> {
    if (!Array.isArray(value) || value.some((m) => typeof m !== 'string' || m === '')) {
      throw new JwtConfigError(option, 'must be an array of HTTP method names');
    }
    return new Set(value.map((m: string) => m.toUpperCase()));
  },
  tokenLength(option: string, value: unknown): number {
    if (!Number.isInteger(value) || (value as number) < 16) {
      throw new JwtConfigError(option, 'must be an integer ≥ 16');
    }
    return value as number;
  },
  schema(option: string, value: unknown): StandardSchemaV1 | undefined {
    if (value !== undefined && typeof (value as StandardSchemaV1)?.['~standard']?.validate !== 'function') {
      throw new JwtConfigError(option, 'must be a Standard Schema (for example a zod object schema)');
    }
    return value as StandardSchemaV1 | undefined;
  },
  clock(option: string, value: unknown): () => number {
    if (value !== undefined && typeof value !== 'function') {
      throw new JwtConfigError(option, 'must be a function returning milliseconds since the epoch');
    }
    return (value as (() => number) | undefined) ?? Date.now;
  },
} as const satisfies Record<string, (option: string, value: unknown) => unknown>;

/** The name of a check. */
export type CheckName = keyof typeof CHECKS;
