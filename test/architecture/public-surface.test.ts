/**
 * A public surface on purpose (issue 16): every name an entry point exports is documented in the
 * README (as a whole word), so nothing is exported by accident and nothing exported is a secret.
 * The exports are read by the TypeScript compiler, as a user's editor sees them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = {
  'trpc-jwt-extended': 'src/index.ts',
  'trpc-jwt-extended/client': 'src/client/index.ts',
  'trpc-jwt-extended/redis': 'src/stores/redis.ts',
} as const;

/** The exported names of each entry point, as the compiler resolves them. */
function exportedNames(): Record<string, string[]> {
  const files = Object.values(ENTRIES).map((file) => ROOT + file);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const result: Record<string, string[]> = {};
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(ROOT + file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`cannot read the exports of ${file}`);
    result[entry] = checker.getExportsOfModule(symbol).map((s) => s.getName());
  }
  return result;
}

describe('the public surface', () => {
  const readme = readFileSync(ROOT + 'README.md', 'utf8');
  const entries = exportedNames();

  it('reads every entry point (the check itself works)', () => {
    expect(entries['trpc-jwt-extended']).toContain('createJwtManager');
    expect(entries['trpc-jwt-extended/client']).toContain('refreshLink');
    expect(entries['trpc-jwt-extended/redis']).toContain('createRedisBlocklist');
  });

  it.each(Object.keys(ENTRIES))('every export of %s is documented in the README', (entry) => {
    const undocumented = entries[entry]!.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme));
    expect(undocumented).toEqual([]);
  });

  it('exports no internal helper of the old surface', () => {
    const main = entries['trpc-jwt-extended']!;
    for (const internal of ['parseDuration', 'COOKIE_MAX_AGE', 'bearerChallenge']) {
      expect(main, internal).not.toContain(internal);
    }
  });
});
