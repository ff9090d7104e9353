/**
 * The system programs some test groups need (redis-server, Chromium): where they are, and the one
 * command that installs the missing ones. Shared by the helpers that skip those groups and by the
 * closing summary of `npm test` (skip-summary-reporter.ts), so both agree.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type SystemTool = 'redis-server' | 'chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** redis-server: `REDIS_SERVER` (a path) wins; else PATH, /usr/bin, /usr/local/bin. Null when absent. */
export function findRedisServer(): string | null {
  const given = process.env.REDIS_SERVER;
  if (given !== undefined) return executable(given) ? given : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  return dirs.map((dir) => join(dir, 'redis-server')).find(executable) ?? null;
}

/** Chromium: `CHROMIUM` (a path) wins; else Debian's /usr/bin/chromium. Null when absent. */
export function findChromium(): string | null {
  const path = process.env.CHROMIUM ?? '/usr/bin/chromium';
  return executable(path) ? path : null;
}

/** The tools this machine lacks. */
export function missingTools(): SystemTool[] {
  const missing: SystemTool[] = [];
  if (findRedisServer() === null) missing.push('redis-server');
  if (findChromium() === null) missing.push('chromium');
  return missing;
}

/** One command installing `tools` (Debian/Ubuntu; the macOS equivalent in parentheses). */
export function installCommand(tools: readonly SystemTool[]): string {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const brew = tools.map((tool) => (tool === 'redis-server' ? 'redis' : 'chromium'));
  return `${sudo}apt-get install -y ${tools.join(' ')}   (macOS: brew install ${brew.join(' ')})`;
}
