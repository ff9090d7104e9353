import { defineConfig } from 'vitest/config';
import { SkipSummaryReporter } from './test/helpers/skip-summary-reporter.js';
import { WatchdogReporter } from './test/helpers/watchdog-reporter.js';

/** The timeouts and reporters, shared with test/fixtures/stall/vitest.config.ts. */
export const shared = {
  testTimeout: 20_000,
  hookTimeout: 60_000,
  teardownTimeout: 15_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    typecheck: { enabled: false },
    // console output of passing tests (e.g. the differential tallies) is noise; failures keep theirs
    silent: 'passed-only',
    reporters: [
      'default',
      new SkipSummaryReporter(),
      new WatchdogReporter(),
      // .ci/run reads it; a run inside a test (test/tooling) writes elsewhere
      ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? 'test-results/vitest.json' }],
    ],
  },
});
