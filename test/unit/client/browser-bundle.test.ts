import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../../src/client/index.ts', import.meta.url));

/** Bundles an entry for the browser, as a front-end bundler would, with tRPC left external. */
function bundle(options: { entryPoints?: string[]; stdin?: { contents: string; resolveDir: string } }) {
  return build({
    ...options,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    external: ['@trpc/*'],
  });
}

describe('trpc-jwt-extended/client bundles for the browser', () => {
  it('builds for platform "browser" and imports only @trpc/client and @trpc/server/observable', async () => {
    const result = await bundle({ entryPoints: [entry] });
    expect(result.errors).toEqual([]);

    const inputs = Object.keys(result.metafile.inputs);
    // The client's own modules, and the shared defaults (a leaf that imports nothing).
    expect(inputs.every((path) => path.startsWith('src/client/') || path === 'src/config/defaults.ts')).toBe(
      true,
    );
    const imports = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.map((i) => i.path),
    );
    expect(new Set(imports)).toEqual(new Set(['@trpc/client', '@trpc/server/observable']));

    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bjose\b/);
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\bzod\b/);
    expect(code).toMatch(/export\s*\{[^}]*refreshLink/);
  });

  it('takes the shared header and CSRF names from the defaults, and leaves the option registry out', async () => {
    const result = await bundle({ entryPoints: [entry] });
    const code = result.outputFiles[0]!.text;
    for (const name of [
      'Authorization',
      'Bearer',
      'csrf_access_token',
      'csrf_refresh_token',
      'X-CSRF-TOKEN',
    ]) {
      expect(code).toContain(`"${name}"`);
    }
    expect(code).not.toContain('access_token_cookie');
    expect(code).not.toContain('tokenLength');
  });

  it('control: the same build fails on a Node built-in and reports jose', async () => {
    const resolveDir = fileURLToPath(new URL('../../../', import.meta.url));
    await expect(
      bundle({
        stdin: { contents: "import 'node:crypto'; export * from './src/client/index.ts';", resolveDir },
      }),
    ).rejects.toThrow(/node:crypto/);
    const withJose = await bundle({
      stdin: { contents: "export * from 'jose'; export * from './src/client/index.ts';", resolveDir },
    });
    expect(Object.keys(withJose.metafile.inputs).some((path) => path.includes('node_modules/jose'))).toBe(
      true,
    );
  });
});
