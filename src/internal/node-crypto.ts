import type * as NodeCrypto from 'node:crypto';

/**
 * node:crypto when the runtime has it (Node, Bun, Deno, Workers with nodejs_compat), loaded without a
 * static import so the package still bundles for runtimes that lack it. Its synchronous HMAC and
 * signature primitives are 10-20x faster than WebCrypto for JWT-sized inputs (see bench/README.md);
 * WebCrypto is the fallback.
 */
export const nodeCrypto: typeof NodeCrypto | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
  } catch {
    return undefined;
  }
})();

/** Test hook: whether the node:crypto fast path is used (false forces WebCrypto). */
export const backend = { useNode: nodeCrypto !== undefined };
