/**
 * `trpc-jwt-extended keygen <ALG>` as a child process: for each algorithm family the printed keys are
 * accepted by `createJwtManager` (a token signed with the private key verifies with the public key
 * and with the public JWK), the dotenv output reads back through `node --env-file`, and usage errors
 * exit with 2. The built bin (dist/cli/keygen.js, named by package.json) is run once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createJwtManager } from '../../../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE = join(ROOT, 'src/cli/keygen.ts');
const dir = mkdtempSync(join(tmpdir(), 'keygen-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node [--import tsx] <script> ...args`, 30 s at most. */
function run(script: string, args: readonly string[], nodeArgs: readonly string[] = ['--import', 'tsx']) {
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, script, ...args],
      { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface JsonKeys {
  algorithm: string;
  secret?: string;
  privateKey?: string;
  publicKey?: string;
  publicJwk?: Record<string, string>;
}

async function roundTrip(options: Parameters<typeof createJwtManager>[0], verify = options) {
  const token = await createJwtManager(options).createAccessToken('alice');
  return (await createJwtManager(verify).decodeToken(token)).sub;
}

describe('trpc-jwt-extended keygen', () => {
  it('HS256/HS384/HS512: a secret as long as the hash, accepted by createJwtManager', async () => {
    for (const [alg, bytes] of [
      ['HS256', 32],
      ['HS384', 48],
      ['HS512', 64],
    ] as const) {
      const res = await run(SOURCE, ['keygen', alg, '--json']);
      expect(res, res.stderr).toMatchObject({ code: 0 });
      const keys = JSON.parse(res.stdout) as JsonKeys;
      expect(Object.keys(keys).sort()).toEqual(['algorithm', 'secret']);
      expect(Buffer.from(keys.secret!, 'base64url')).toHaveLength(bytes);
      expect(await roundTrip({ algorithm: alg, secretKey: keys.secret! })).toBe('alice');
    }
  });

  it.each([
    ['RS256', 'RSA', 2048],
    ['PS384', 'RSA', 3072],
    ['ES256', 'EC', 0],
    ['ES512', 'EC', 0],
    ['EdDSA', 'OKP', 0],
  ] as const)(
    '%s: a PKCS#8 / SPKI PEM pair and the public JWK, accepted by createJwtManager',
    async (alg, kty, bits) => {
      const res = await run(SOURCE, ['keygen', alg, '--json']);
      expect(res, res.stderr).toMatchObject({ code: 0 });
      const keys = JSON.parse(res.stdout) as JsonKeys;
      expect(keys.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----$/);
      expect(keys.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
      const jwk = keys.publicJwk!;
      expect(jwk).toMatchObject({ kty, alg, use: 'sig' });
      expect(jwk.kid).toMatch(/^[\w-]{43}$/);
      expect(jwk.d, 'the JWK is the public one').toBeUndefined();
      if (bits) expect(Buffer.from(jwk.n!, 'base64url').length * 8).toBe(bits);
      const signer = { algorithm: alg, privateKey: keys.privateKey! };
      expect(await roundTrip(signer, { algorithm: alg, publicKey: keys.publicKey! })).toBe('alice');
      expect(await roundTrip(signer, { algorithm: alg, publicKey: jwk as JsonWebKey })).toBe('alice');
    },
  );

  it('the default output is a dotenv file that node --env-file reads back (multi-line PEMs)', async () => {
    const res = await run(SOURCE, ['keygen', 'ES256']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    const file = join(dir, 'es256.env');
    writeFileSync(file, res.stdout);
    const read = await run(
      '-e',
      [
        'const e = process.env; console.log(JSON.stringify({ a: e.JWT_ALGORITHM, k: e.JWT_PRIVATE_KEY, p: e.JWT_PUBLIC_KEY, j: e.JWT_PUBLIC_JWK }))',
      ],
      [`--env-file=${file}`],
    );
    expect(read, read.stderr).toMatchObject({ code: 0 });
    const env = JSON.parse(read.stdout) as { a: string; k: string; p: string; j: string };
    expect(env.a).toBe('ES256');
    expect(JSON.parse(env.j)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(
      await roundTrip({ algorithm: 'ES256', privateKey: env.k }, { algorithm: 'ES256', publicKey: env.p }),
    ).toBe('alice');

    const hs = await run(SOURCE, ['keygen', 'HS256']);
    expect(hs.stdout).toMatch(/^JWT_SECRET_KEY=[\w-]{43}$/m);
    expect(hs.stdout).not.toContain('PRIVATE KEY');
  });

  it('usage errors exit with 2 and print the usage on stderr; --help prints it on stdout', async () => {
    const cases = [
      [],
      ['keygen'],
      ['keygen', 'none'],
      ['keygen', 'hs256'],
      ['keygen', 'HS256', '--pem'],
      ['generate', 'HS256'],
    ];
    const results = await Promise.all(cases.map((args) => run(SOURCE, args)));
    results.forEach((res, i) => {
      const args = cases[i];
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(res.stderr).toMatch(
        /Usage: trpc-jwt-extended keygen <ALG>|Unknown algorithm "(none|hs256)": use one of HS256/,
      );
    });
    const help = await run(SOURCE, ['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: trpc-jwt-extended keygen <ALG> [--json]');
  });

  it('package.json names the built script as the `trpc-jwt-extended` bin, which runs with plain node', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ 'trpc-jwt-extended': './dist/cli/keygen.js' });
    const built = join(ROOT, 'dist/cli/keygen.js');
    expect(readFileSync(built, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const res = await run(built, ['keygen', 'EdDSA', '--json'], []);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect((JSON.parse(res.stdout) as JsonKeys).publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });
});
