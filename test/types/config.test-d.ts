/**
 * The option registry is checked against `JwtManagerOptions` at compile time (issue 16): adding an
 * option without its row, a row without its option, or a row with an unknown check does not compile.
 * `npx tsc --noEmit -p tsconfig.json` checks this file; each `@ts-expect-error` fails the build if
 * its line compiles.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { DEFAULTS, OPTIONS, type TokenLocation, type TOKEN_LOCATIONS } from '../../src/config/defaults.js';
import { checkRegistry } from '../../src/config/resolve.js';
import type { JwtManagerOptions } from '../../src/index.js';

describe('the option registry', () => {
  it('accepts the registry as it is: one row per option', () => {
    expectTypeOf(checkRegistry(OPTIONS)).toEqualTypeOf<typeof OPTIONS>();
    expectTypeOf<keyof typeof OPTIONS>().toEqualTypeOf<keyof JwtManagerOptions>();
  });

  it('refuses a registry missing an option (a new option without its row)', () => {
    const { headerName: _headerName, ...withoutHeaderName } = OPTIONS;
    // @ts-expect-error the argument lacks the row of headerName
    checkRegistry(withoutHeaderName);
  });

  it('refuses a row that names no option (a row without its option)', () => {
    // @ts-expect-error Type '{ readonly check: "boolean"; }' is not assignable to type 'never'
    checkRegistry({ ...OPTIONS, notAnOption: { check: 'boolean' } as const });
  });

  it('refuses a row with an unknown check', () => {
    // @ts-expect-error Type '"banana"' is not assignable to type '"boolean" | "keys" | …'
    checkRegistry({ ...OPTIONS, headerName: { check: 'banana', default: 'Authorization' } as const });
  });

  it('derives TokenLocation from TOKEN_LOCATIONS, and DEFAULTS from the rows', () => {
    expectTypeOf<TokenLocation>().toEqualTypeOf<(typeof TOKEN_LOCATIONS)[number]>();
    expectTypeOf<TokenLocation>().toEqualTypeOf<
      'headers' | 'cookies' | 'query_string' | 'json' | 'connection_params'
    >();
    expectTypeOf(DEFAULTS.headerName).toEqualTypeOf<'Authorization'>();
    expectTypeOf(DEFAULTS.tokenLocation).toEqualTypeOf<readonly ['headers']>();
    // @ts-expect-error secretKey has no default
    void DEFAULTS.secretKey;
  });
});
