/**
 * The README's TypeScript examples against the real API: every ```ts block is type-checked with the
 * project's compiler options (strict), importing the built package by name as a user would; the
 * "A server and a client in 20 lines" example is also run, server and client as child processes.
 *
 * A block that imports what it uses is checked as-is. A fragment (it uses `jwt`, `t`, … from earlier
 * in the README) names a prelude below in an HTML comment on the line just before its fence:
 * `<!-- prelude: server -->`. A prelude also provides the ambient imports and helpers below, minus any
 * name the block imports or declares itself. Lines at column 0 such as `login: t.procedure…` start
 * router entries: they are checked inside `t.router({ … })`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Ambient,
  checkVirtualFiles,
  type CodeBlock,
  extractTsBlocks,
  type Prelude,
  projectCompilerOptions,
  readReadme,
  toVirtualFile,
  type VirtualFile,
} from './readme-blocks.js';
import { freePort } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the checked files would live (they are never written): inside the package, for its self-reference. */
const VIRTUAL_DIR = path.join(ROOT, 'test/docs/__readme__');

const AMBIENT: Ambient = {
  imports: {
    '@trpc/server': ['initTRPC', 'TRPCError'],
    '@trpc/client': ['createTRPCClient', 'httpBatchLink'],
    superjson: ['default as superjson'],
    zod: ['z', 'ZodError'],
    'trpc-jwt-extended': ['createJwtManager', 'createMemoryBlocklist'],
    'trpc-jwt-extended/client': ['createTokenStore', 'jwtHeaders', 'refreshLink'],
  },
  // The app's own functions and values that the examples call.
  helpers: {
    secretKey: 'declare const secretKey: string;',
    token: 'declare const token: string;',
    credentials: 'const credentials = z.object({ username: z.string(), password: z.string() });',
    checkPassword:
      'declare function checkPassword(input: { username: string; password: string }): Promise<{ id: string }>;',
    userIdOf: 'declare function userIdOf(input: { username: string; password: string }): Promise<string>;',
    setPassword: 'declare function setPassword(identity: string, password: string): Promise<void>;',
    roleOf: "declare function roleOf(identity: unknown): Promise<'user' | 'admin'>;",
    rolesOf: 'declare function rolesOf(identity: unknown): Promise<string[]>;',
    revoked: 'declare const revoked: Set<string>;',
    db: 'declare const db: { users: { find(id: string | undefined): Promise<{ id: string } | null> } };',
    feed: 'declare function feed(identity: string, signal: AbortSignal | undefined): AsyncIterable<string>;',
    blocklist: 'const blocklist = createMemoryBlocklist();',
  },
};

/** The manager and context of "A server and a client in 20 lines". */
const JWT = `
const jwt = createJwtManager({ secretKey });
type Context = ReturnType<typeof jwt.createJwtContext>;`;
/** … and its tRPC instance. */
const TRPC = `${JWT}
const t = initTRPC.context<Context>().create({ transformer: superjson, errorFormatter: jwt.errorFormatter });`;
/** … and the procedures, a router and a procedure's ctx. */
const SERVER = `${TRPC}
const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(t.procedure);
const appRouter = t.router({ whoami: protectedProcedure.query(({ ctx }) => ctx.token.identity) });
declare const ctx: Context;`;

const PRELUDES: Record<string, Prelude> = {
  /** Only the ambient imports and helpers. */
  imports: {},
  jwt: { before: JWT },
  trpc: { before: TRPC },
  server: { before: SERVER },
  /** The block creates its own `jwt`: the tRPC instance and procedures are built on it. */
  'after-jwt': {
    after: `
type Context = ReturnType<typeof jwt.createJwtContext>;
const t = initTRPC.context<Context>().create({ errorFormatter: jwt.errorFormatter });
const { protectedProcedure, optionalProcedure, freshProcedure, refreshProcedure } = jwt.procedures(t.procedure);`,
  },
  /** Client code: `AppRouter` is a server with `auth.login` and `auth.refresh`, as the example app has. */
  client: {
    before: `
const appJwt = createJwtManager({ secretKey });
const appT = initTRPC
  .context<ReturnType<typeof appJwt.createJwtContext>>()
  .create({ transformer: superjson, errorFormatter: appJwt.errorFormatter });
const appProcedures = appJwt.procedures(appT.procedure);
const appRouter = appT.router({
  auth: appT.router({
    login: appT.procedure.input(credentials).mutation(async ({ input }) => ({
      accessToken: await appJwt.createAccessToken(input.username, { fresh: true }),
      refreshToken: await appJwt.createRefreshToken(input.username),
    })),
    refresh: appProcedures.refreshProcedure.mutation(async ({ ctx }) => ({
      accessToken: await appJwt.createAccessToken(ctx.token.identity, { fresh: false }),
    })),
  }),
});
type AppRouter = typeof appRouter;`,
  },
};

const readme = readReadme(ROOT);
const blocks = extractTsBlocks(readme);
let results: Map<VirtualFile, string[]> | undefined;

function resultOf(block: CodeBlock): string[] {
  if (!results) throw new Error('the README blocks were not type-checked (see the beforeAll error)');
  for (const [file, diagnostics] of results) if (file.block === block) return diagnostics;
  throw new Error(`README.md:${block.line} was not type-checked`);
}

describe('README.md: ```ts examples type-check against the built package', () => {
  beforeAll(() => {
    const files = blocks
      .filter((block) => block.prelude === undefined || Object.hasOwn(PRELUDES, block.prelude))
      .map((block) => toVirtualFile(block, VIRTUAL_DIR, PRELUDES, AMBIENT));
    results = checkVirtualFiles(files, projectCompilerOptions(ROOT), VIRTUAL_DIR);
  }, 60_000);

  it('finds the examples, and every exclusion names a block', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    // A marker counts only on the line just before a ```ts fence, and must name a prelude.
    const markers = readme.split(/\r?\n/).filter((line) => line.includes('<!-- prelude:')).length;
    expect(blocks.filter((block) => block.prelude !== undefined).length, 'misplaced prelude markers').toBe(
      markers,
    );
    const unknown = blocks.filter(
      (block) => block.prelude !== undefined && !Object.hasOwn(PRELUDES, block.prelude),
    );
    expect(unknown.map((block) => `README.md:${block.line - 1}: prelude "${block.prelude}"`)).toEqual([]);
  });

  for (const block of blocks) {
    const name = `README.md:${block.line} ${block.firstLine.slice(0, 70)}`;
    it(name, () => {
      if (block.prelude !== undefined && !Object.hasOwn(PRELUDES, block.prelude)) {
        throw new Error(
          `README.md:${block.line - 1}: unknown prelude "${block.prelude}" (known: ${Object.keys(PRELUDES).join(', ')})`,
        );
      }
      const diagnostics = resultOf(block);
      expect(diagnostics, `README.md:${block.line}:\n${diagnostics.join('\n')}`).toEqual([]);
    });
  }
});

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the README server exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the README server did not listen within 15 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** The block whose first line is `// <name>`, with its one `3000` replaced by `port`. */
function exampleFile(name: string, port: number): string {
  const block = blocks.find((b) => b.firstLine === `// ${name}`);
  if (!block) throw new Error(`README.md has no \`\`\`ts block starting with "// ${name}"`);
  const occurrences = block.code.match(/\b3000\b/g)?.length ?? 0;
  if (occurrences !== 1)
    throw new Error(`README.md:${block.line}: expected port 3000 once, found ${occurrences}`);
  return block.code.replace(/\b3000\b/, String(port));
}

describe('README.md: "A server and a client in 20 lines" runs', () => {
  const dir = path.join(
    ROOT,
    'node_modules/.cache/readme-run',
    `${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  let server: ChildProcess | undefined;

  afterAll(async () => {
    if (server) await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the client prints ann', async () => {
    const port = await freePort();
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    // A user's ESM project with the package installed (here: linked to this checkout, built in dist/).
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
    symlinkSync(ROOT, path.join(dir, 'node_modules/trpc-jwt-extended'), 'dir');
    writeFileSync(path.join(dir, 'server.ts'), exampleFile('server.ts', port));
    writeFileSync(path.join(dir, 'client.ts'), exampleFile('client.ts', port));
    const env = { ...process.env, JWT_SECRET_KEY: randomBytes(32).toString('base64url') };

    let serverOutput = '';
    server = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: dir, env });
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.on('error', (error) => (serverOutput += `spawn failed: ${error.message}\n`));
    try {
      await waitForPort(port, server, () => serverOutput);
      const client = await new Promise<{ failure: string | null; stdout: string; stderr: string }>(
        (resolve) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', 'client.ts'],
            { cwd: dir, env, timeout: 20_000, killSignal: 'SIGKILL' },
            (error, stdout, stderr) => {
              const failure = error
                ? error.killed
                  ? 'killed after 20 s'
                  : `exit ${String(error.code ?? error.signal)}`
                : null;
              resolve({ failure, stdout, stderr });
            },
          );
        },
      );
      expect(
        { failure: client.failure, stdout: client.stdout.trim() },
        `client stderr:\n${client.stderr}\nserver output:\n${serverOutput}`,
      ).toEqual({ failure: null, stdout: 'ann' });
    } finally {
      await stop(server);
    }
  }, 45_000);
});
