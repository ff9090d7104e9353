/**
 * Skips are loud: with redis-server and Chromium hidden (`REDIS_SERVER`, `CHROMIUM` pointing at
 * nothing), the closing summary of the test run names each skipped group and the one command that
 * installs what they need. The real config on two real test files, in a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const out = mkdtempSync(join(tmpdir(), 'skip-summary-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('names the skipped groups and prints the install command once, after the totals', async () => {
  const files = ['test/e2e/browser.test.ts', 'test/integration/redis-revocation.test.ts'];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', ...files],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          REDIS_SERVER: '/nonexistent/redis-server',
          CHROMIUM: '/nonexistent/chromium',
          CI: '',
          VITEST_JSON_REPORT: join(out, 'vitest.json'),
          NO_COLOR: '1',
        },
        timeout: 90_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          output: stdout + stderr,
        });
      },
    );
  });
  expect(code, output).toBe(0);
  const summary = output.slice(output.lastIndexOf('Test Files'));
  expect(summary).toMatch(/Skipped \d+ tests? because redis-server and chromium are missing here:/);
  expect(summary).toMatch(
    /test\/e2e\/browser\.test\.ts › example app in Chromium \(cookie sessions\) \(\d+ tests?\)/,
  );
  expect(summary).toMatch(
    /test\/integration\/redis-revocation\.test\.ts › Redis blocklist shared by two app processes \(\d+ tests?\)/,
  );
  expect(summary).toMatch(/apt-get install -y redis-server chromium/);
  // Said once, at the end: not once per worker as the helpers are imported.
  expect(output.match(/apt-get install/g)).toHaveLength(1);
}, 120_000);
