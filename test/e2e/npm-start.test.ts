/**
 * `npm start` stops its server when npm is stopped: SIGINT (Ctrl+C) or SIGTERM to the npm process
 * leaves no server behind (the port is closed once npm has exited). `--ignore-scripts` skips the
 * `prestart` build, which would rebuild dist/ under the other tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe.each(['SIGINT', 'SIGTERM'] as const)('npm start, then %s to npm', (signal) => {
  it('npm exits and the server is gone (no orphaned child)', async () => {
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', JWT_SECRET_KEY: 'k'.repeat(64) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000);
      npm.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    try {
      expect(await accepts(port), 'the server listens').toBe(true);
      npm.kill(signal);
      expect(await exited(npm, 10_000), `npm did not exit:\n${output}`).toBe(true);
      // the server shuts down with npm, not after it
      expect(await accepts(port), `the server still listens on ${port} after npm exited:\n${output}`).toBe(
        false,
      );
    } finally {
      npm.kill('SIGKILL');
    }
  }, 45_000);
});
