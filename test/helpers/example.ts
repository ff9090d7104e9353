/**
 * Helpers for the example app's tests: the app imports the built package (`trpc-jwt-extended` →
 * dist/), so it is built first when dist/ is missing; and the system Chromium for the browser test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from 'playwright-core';
import { findChromium, installCommand } from './system-tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the package (tsc) when dist/ lacks an entry the example app imports. */
export function ensureBuilt(): void {
  const entries = ['dist/index.js', 'dist/client/index.js'];
  if (entries.every((entry) => existsSync(`${ROOT}${entry}`))) return;
  console.warn('[example-app] dist/ is missing: running `npm run build` first.');
  // Synchronous, so bounded: vitest's timeouts cannot fire while the worker waits here.
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
}

type ExampleServer = typeof import('../../example-app/server.js');
type ExampleDemo = typeof import('../../example-app/demo.js');

/** The example app's server module, imported after the build. */
export async function loadServer(): Promise<ExampleServer> {
  ensureBuilt();
  return import('../../example-app/server.js');
}

/** The example app's demo module, imported after the build. */
export async function loadDemo(): Promise<ExampleDemo> {
  ensureBuilt();
  return import('../../example-app/demo.js');
}

/** `CHROMIUM` (a path), else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium, headless; nothing is downloaded. */
export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

/**
 * Why the browser test cannot run here, or null when it can. Without Chromium, CI fails (throws); a
 * local run skips the test, and the closing summary of `npm test` says so with the install command.
 */
export function chromiumSkipReason(): string | null {
  if (findChromium() !== null) return null;
  const reason = `${CHROMIUM_PATH} is missing: ${installCommand(['chromium'])}`;
  if (process.env.CI) throw new Error(`[example-app browser test] ${reason} (required in CI)`);
  return reason;
}

/** The payload of a JWT, decoded without verification (to read `exp` in a test). */
export function unverifiedPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}
