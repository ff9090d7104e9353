/**
 * The shape of src/ that keeps one source of truth (issue 16): no import cycles (type-only and
 * `import('…')` type references included), leaves that import nothing of ours, and the Redis entry
 * loading only the store kit and the error classes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;

/** src-relative module → the src-relative modules it imports (any kind of import). */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const source = readFileSync(file, 'utf8');
    const deps = [...source.matchAll(SPECIFIER)].map((m) =>
      relative(SRC, normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')))),
    );
    graph.set(relative(SRC, file), [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan), plus self-imports. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)!.includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('src/ import graph', () => {
  const graph = importGraph();

  it('reads every module and its imports (the check itself works)', () => {
    expect(graph.size).toBeGreaterThan(30);
    expect(graph.get('manager.ts')).toContain('config.ts');
    // A type-only `import('…')` reference counts as an edge too.
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['a.ts']],
          ['c.ts', []],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the leaves leaves: errors, internal/, the defaults and the store kit import nothing above them', () => {
    const allowed: Record<string, (dep: string) => boolean> = {
      'jwt.ts': () => false,
      // The defaults: the client bundle imports this module, so it imports nothing at all.
      'config/defaults.ts': () => false,
      'errors.ts': (dep) => dep === 'jwt.ts',
      'stores/kit.ts': (dep) => ['errors.ts', 'jwt.ts', 'stores/types.ts'].includes(dep),
      // The Redis entry and its own modules: the kit, the LRU and the errors, nothing above them.
      'stores/redis.ts': (dep) =>
        [
          'errors.ts',
          'jwt.ts',
          'stores/types.ts',
          'stores/kit.ts',
          'stores/local-cache.ts',
          'stores/redis-keys.ts',
          'stores/redis-scripts.ts',
          'stores/redis-send.ts',
        ].includes(dep),
      'stores/local-cache.ts': (dep) => ['errors.ts', 'internal/lru.ts', 'stores/kit.ts'].includes(dep),
      'stores/redis-keys.ts': (dep) => ['errors.ts', 'stores/kit.ts'].includes(dep),
      'stores/redis-scripts.ts': () => false,
      'stores/redis-send.ts': (dep) => dep === 'errors.ts',
    };
    for (const [module, deps] of graph) {
      const rule = module.startsWith('internal/')
        ? (dep: string) => dep.startsWith('internal/') || dep === 'errors.ts'
        : allowed[module];
      if (!rule) continue;
      for (const dep of deps) expect(rule(dep), `${module} imports ${dep}`).toBe(true);
    }
  });
});
