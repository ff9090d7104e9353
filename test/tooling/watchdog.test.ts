/**
 * `npm test` never hangs: a test file that stalls in a way vitest's own timeouts cannot see (a worker
 * blocked in a synchronous call; a file whose import never finishes) fails the run within
 * VITEST_STALL_SECONDS, naming the file and the test. Each case runs vitest on a fixture of
 * test/fixtures/stall/ in a child process, with the stall limit at 5 s.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
/** Far beyond the 5 s stall limit plus the watchdog's two 15 s grace periods. */
const KILL_AFTER_MS = 90_000;

function runFixture(name: string) {
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const start = Date.now();
    execFile(
      process.execPath,
      [VITEST, 'run', '--config', 'test/fixtures/stall/vitest.config.ts', `test/fixtures/stall/${name}`],
      {
        cwd: ROOT,
        env: { ...process.env, VITEST_STALL_SECONDS: '5', CI: '', NO_COLOR: '1', FORCE_COLOR: '0' },
        timeout: KILL_AFTER_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = error ? (error.killed ? null : typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}`, ms: Date.now() - start });
      },
    );
  });
}

describe.concurrent('a stalled test run fails fast, naming what stalled', () => {
  it('a worker blocked in a synchronous call: the file and the running test are named, exit 1', async () => {
    const res = await runFixture('blocked.fixture.ts');
    expect(res.code, `killed after ${KILL_AFTER_MS / 1000} s (the run hung):\n${res.output}`).toBe(1);
    expect(res.output).toContain('[watchdog] the test run stalled');
    expect(res.ms, 'the watchdog ended the run before the blocking call returned').toBeLessThan(45_000);
    expect(res.output).toMatch(/test\/fixtures\/stall\/blocked\.fixture\.ts: nothing reported for \d+ s/);
    // Named as running, or (when the worker blocked before its next 100 ms report) as not finished.
    expect(res.output).toMatch(/(running|not reported finished): .*waits on a child process synchronously/);
  }, 120_000);

  it('a file whose import never finishes: the file is named, exit 1', async () => {
    const res = await runFixture('pending.fixture.ts');
    expect(res.code, `killed after ${KILL_AFTER_MS / 1000} s (the run hung):\n${res.output}`).toBe(1);
    expect(res.output).toMatch(/test\/fixtures\/stall\/pending\.fixture\.ts: nothing reported for \d+ s/);
    expect(res.output).toContain('no test collected: the file is still being imported');
  }, 120_000);
});
