/**
 * Helpers for the example app's tests: the app imports the built package (`trpc-jwt-extended` →
 * dist/), so it is built first when dist/ is missing; and the system Chromium for the browser test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the package (tsc) when dist/ lacks an entry the example app imports. */
export function ensureBuilt(): void {
  const entries = ['dist/index.js', 'dist/client/index.js'];
  if (entries.every((entry) => existsSync(`${ROOT}${entry}`))) return;
  console.warn('[example-app] dist/ is missing: running `npm run build` first.');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
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

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Debian's Chromium, headless; nothing is downloaded. */
export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

/**
 * Why the browser test cannot run here, or null when it can. Without Chromium, CI fails (throws) and
 * a local run prints a loud warning with the fix.
 */
export function chromiumSkipReason(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  const reason = `${CHROMIUM_PATH} is missing: install it with \`apt-get install chromium\``;
  if (process.env.CI) throw new Error(`[example-app browser test] ${reason} (required in CI)`);
  const bar = '!'.repeat(78);
  console.warn(`${bar}\n!!  SKIPPING the example app's browser test: ${reason}\n${bar}`);
  return reason;
}

/** The payload of a JWT, decoded without verification (to read `exp` in a test). */
export function unverifiedPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}
