/**
 * A vitest reporter that turns a stalled run into a fast failure naming what stalled.
 *
 * vitest's own timeouts (testTimeout, hookTimeout) fire only inside a worker whose event loop runs:
 * a worker blocked in a synchronous call (execFileSync without a timeout), or waiting outside any
 * test (a top-level await while the file is imported, a teardown), stalls the whole run silently.
 * This reporter, in the main process, watches every running test file: when one has reported
 * nothing (no test or hook started or finished) for `VITEST_STALL_SECONDS` (default 90: longer than
 * any hook may take), it prints the file, the test or hook running in it and for how long, cancels
 * the run (forcing the workers down if they do not answer) and makes the run fail.
 */
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';

const DEFAULT_STALL_SECONDS = 90;
const GRACE_MS = 15_000;

interface Running {
  readonly module: TestModule;
  readonly started: number;
  last: number;
  readonly tests: Map<string, { name: string; since: number }>;
  readonly hooks: Map<string, { name: string; since: number }>;
}

const fullName = (entity: TestCase | TestSuite | TestModule): string =>
  entity.type === 'module' ? '(file)' : entity.fullName;

/**
 * What to say of a file that reports no running test or hook. The worker sends its events at most
 * every 100 ms, so a worker that blocked right after a test started may not have reported it.
 */
function unreported(module: TestModule): string {
  const tests = [...module.children.allTests()];
  if (tests.length === 0) return 'no test collected: the file is still being imported';
  const open = tests.filter((test) => test.result().state === 'pending').map((test) => test.fullName);
  if (open.length === 0) return 'every test reported: the file is being torn down';
  const shown = open.slice(0, 3).join(' | ') + (open.length > 3 ? ` | … (${open.length - 3} more)` : '');
  return `no test or hook reported running; not reported finished: ${shown}`;
}

export class WatchdogReporter implements Reporter {
  private vitest: Vitest | undefined;
  private readonly running = new Map<string, Running>();
  private readonly stallMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stalled = false;

  constructor(stallSeconds = Number(process.env.VITEST_STALL_SECONDS ?? DEFAULT_STALL_SECONDS)) {
    this.stallMs = stallSeconds * 1000;
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunStart(): void {
    this.running.clear();
    this.stalled = false;
    this.timer = setInterval(() => this.check(), Math.min(2000, this.stallMs / 4));
    this.timer.unref();
  }

  onTestModuleQueued(module: TestModule): void {
    const now = Date.now();
    this.running.set(module.moduleId, {
      module,
      started: now,
      last: now,
      tests: new Map(),
      hooks: new Map(),
    });
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.moduleId);
  }

  onTestCaseReady(test: TestCase): void {
    this.touch(test.module)?.tests.set(test.id, { name: test.fullName, since: Date.now() });
  }

  onTestCaseResult(test: TestCase): void {
    this.touch(test.module)?.tests.delete(test.id);
  }

  onHookStart(hook: Parameters<NonNullable<Reporter['onHookStart']>>[0]): void {
    const module = hook.entity.type === 'module' ? hook.entity : hook.entity.module;
    const name = `${hook.name} of ${fullName(hook.entity)}`;
    this.touch(module)?.hooks.set(`${hook.name}:${hook.entity.id}`, { name, since: Date.now() });
  }

  onHookEnd(hook: Parameters<NonNullable<Reporter['onHookEnd']>>[0]): void {
    const module = hook.entity.type === 'module' ? hook.entity : hook.entity.module;
    this.touch(module)?.hooks.delete(`${hook.name}:${hook.entity.id}`);
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
    if (this.stalled) process.exitCode = 1;
  }

  private touch(module: TestModule): Running | undefined {
    const entry = this.running.get(module.moduleId);
    if (entry) entry.last = Date.now();
    return entry;
  }

  private check(): void {
    if (this.stalled) return;
    const now = Date.now();
    const stuck = [...this.running].filter(([, entry]) => now - entry.last >= this.stallMs);
    if (stuck.length === 0) return;
    this.stalled = true;
    process.exitCode = 1;
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    const root = this.vitest?.config.root ?? process.cwd();
    const lines = ['', `[watchdog] the test run stalled (VITEST_STALL_SECONDS=${this.stallMs / 1000}):`];
    for (const [file, entry] of stuck) {
      lines.push(
        `  ${file.startsWith(root) ? file.slice(root.length + 1) : file}: nothing reported for ${seconds(now - entry.last)} (running ${seconds(now - entry.started)})`,
      );
      for (const { name, since } of [...entry.tests.values(), ...entry.hooks.values()]) {
        lines.push(`    running: ${name} (for ${seconds(now - since)})`);
      }
      if (entry.tests.size + entry.hooks.size === 0) {
        // The module reported at queue time is replaced by the collected one.
        const current = this.vitest?.state.getReportedEntityById(entry.module.id);
        lines.push(`    ${unreported(current?.type === 'module' ? current : entry.module)}`);
      }
    }
    lines.push(
      "  vitest's timeouts did not fire: the worker is blocked (a synchronous call) or waits outside a test.",
      '[watchdog] cancelling the run; it fails.',
      '',
    );
    process.stderr.write(lines.join('\n'));
    void this.cancel();
  }

  /** Cancels the run; a second cancel forces the workers down; then exits if still running. */
  private async cancel(): Promise<void> {
    const vitest = this.vitest;
    const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
    void vitest?.cancelCurrentRun('keyboard-input');
    await later(GRACE_MS);
    void vitest?.cancelCurrentRun('keyboard-input');
    await later(GRACE_MS);
    process.stderr.write('[watchdog] the workers did not stop: exiting\n');
    process.exit(1);
  }
}
