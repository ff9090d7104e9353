/** Runs once before the suite: fail early with a clear message when the build is missing. */
import { existsSync } from 'node:fs';

export default function setup(): void {
  if (!existsSync(new URL('../../dist/index.js', import.meta.url))) {
    console.warn(
      '[test] dist/ is missing: tests that import the built package will build it first (npm run build).',
    );
  }
}
