/**
 * A vitest reporter that ends the run with what was skipped and why: each skipped group (file ›
 * outermost skipped suite, or the test) with its number of tests, the system programs this machine
 * lacks, and the one command that installs them. Printed once, after vitest's totals.
 */
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import { installCommand, missingTools } from './system-tools.js';

/** The outermost skipped ancestor of a skipped test (a suite, or the test itself). */
function skippedGroup(test: TestCase): string {
  let name = test.name;
  let parent = test.parent;
  while (parent.type === 'suite' && parent.state() === 'skipped') {
    name = parent.fullName;
    parent = parent.parent;
  }
  return name;
}

export class SkipSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  /** Listed after 'default' in `reporters`, so this comes after vitest's totals. */
  onTestRunEnd(modules: readonly TestModule[]): void {
    const root = this.vitest?.config.root ?? process.cwd();
    const groups = new Map<string, number>();
    let total = 0;
    for (const module of modules) {
      const file = module.moduleId.startsWith(root)
        ? module.moduleId.slice(root.length + 1)
        : module.moduleId;
      for (const test of module.children.allTests('skipped')) {
        const key = `${file} › ${skippedGroup(test)}`;
        groups.set(key, (groups.get(key) ?? 0) + 1);
        total++;
      }
    }
    if (total === 0) return;
    const missing = missingTools();
    const why =
      missing.length === 0
        ? ''
        : ` because ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing here`;
    const lines = ['', `Skipped ${total} test${total === 1 ? '' : 's'}${why}:`];
    for (const [group, count] of groups) lines.push(`  ${group} (${count} test${count === 1 ? '' : 's'})`);
    if (missing.length > 0)
      lines.push(`Install what they need, then run npm test again:`, `  ${installCommand(missing)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
