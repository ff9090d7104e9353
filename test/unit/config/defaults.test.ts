/**
 * The option registry (src/config/defaults.ts) is the one list of options: the resolver refuses any
 * other name, DEFAULTS is read from it, and the README's options table documents exactly its rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, OPTIONS, type OptionName, TOKEN_OPTIONS } from '../../../src/config/defaults.js';
import { createJwtManager, JwtConfigError, type JwtManagerOptions } from '../../../src/index.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const NAMES = Object.keys(OPTIONS) as OptionName[];

/** The options table of README "Configuration": first cell's `names` → second cell. */
function readmeOptions(): Map<string, string> {
  const table = README.slice(README.indexOf('| option | default | flask |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const options = new Map<string, string>();
  for (const row of rows) {
    const [, names = '', defaults = ''] = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
    for (const [, name] of names.matchAll(/`(\w+)`/g)) options.set(name!, defaults);
  }
  return options;
}

const format = (value: unknown): string[] =>
  Array.isArray(value)
    ? [`[${value.map((v) => `'${v}'`).join(',')}]`, `[${value.map((v) => `'${v}'`).join(', ')}]`]
    : typeof value === 'string'
      ? [`\`'${value}'\``]
      : [`\`${String(value)}\``];

describe('the option registry', () => {
  it('is the list of known options: every row is accepted, any other name refused', () => {
    for (const name of NAMES) {
      let error: unknown;
      try {
        createJwtManager({ secretKey: 'k'.repeat(32), [name]: 'not a valid value' } as JwtManagerOptions);
      } catch (e) {
        error = e;
      }
      // Refused for its value, never as an unknown option.
      if (error) expect((error as Error).message, name).not.toContain('is not a known option');
    }
    for (const name of ['cacheMaxSize', 'JWT_SECRET_KEY', 'toString', '__proto__', 'accessTokenExpire']) {
      expect(() =>
        createJwtManager({ secretKey: 'k'.repeat(32), [name]: 1 } as unknown as JwtManagerOptions),
      ).toThrow(new JwtConfigError(name, 'is not a known option (see the options table in the README)'));
    }
  });

  it('DEFAULTS holds exactly the defaults of the rows (and cache.maxSize as cacheMaxSize)', () => {
    const fromRows = Object.fromEntries(
      NAMES.filter((name) => 'default' in OPTIONS[name]).map((name) => [
        name,
        (OPTIONS[name] as { default: unknown }).default,
      ]),
    );
    expect(DEFAULTS).toEqual({ ...fromRows, cacheMaxSize: 10_000 });
    expect(DEFAULTS.headerName).toBe('Authorization');
  });

  it('the README options table documents exactly the non-loader rows, with their defaults', () => {
    const documented = readmeOptions();
    const rows = NAMES.filter((name) => OPTIONS[name].check !== 'loader');
    expect([...documented.keys()].sort()).toEqual([...rows].sort());
    for (const name of rows) {
      const row = OPTIONS[name];
      if (!('default' in row) || (typeof row.default === 'object' && !Array.isArray(row.default))) continue;
      const cell = documented.get(name)!;
      expect(
        format(row.default).some((text) => cell.includes(text)),
        `${name}: ${cell}`,
      ).toBe(true);
    }
  });

  it('groups every per-kind setting under both kinds, each naming an option', () => {
    expect(Object.keys(TOKEN_OPTIONS.refresh)).toEqual(Object.keys(TOKEN_OPTIONS.access));
    for (const kind of ['access', 'refresh'] as const) {
      for (const option of Object.values(TOKEN_OPTIONS[kind])) expect(NAMES).toContain(option);
    }
  });
});
