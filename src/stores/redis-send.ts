/**
 * How the Redis blocklist talks to Redis: the structural client types it accepts, and `send()`, one
 * command bounded by `timeoutMs` whose every failure becomes a `BlocklistUnavailableError` that names
 * an error code at most (never an address, key or token).
 */
import { BlocklistUnavailableError } from '../errors.js';

/** The one method used, as node-redis v4–v6 clients have it (`createClient()`). */
export interface RedisClientLike {
  /**
   * Sends a raw command. `abortSignal` (node-redis v5+) and `signal` (v4) carry the same signal:
   * on timeout it drops the command from the client's queue, so it is not replayed later.
   */
  sendCommand(
    args: string[],
    options?: { abortSignal?: AbortSignal; signal?: AbortSignal },
  ): Promise<unknown>;
}

/** The one method used, as node-redis v4–v6 cluster clients have it (`createCluster()`). */
export interface RedisClusterLike {
  /** Sends a raw command to the node that owns `firstKey`'s slot (any node when undefined). */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
}

/** A short reason safe to show: an error code or class name, never an address, key or stack. */
function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[A-Z][A-Z_]*$/.test(code)) return code;
  // An error reply of the server starts with its code: `WRONGTYPE …`, `NOAUTH …`, `READONLY …`.
  const word = typeof message === 'string' ? /^([A-Z][A-Z_]+)\b/.exec(message)?.[1] : undefined;
  if (word !== undefined) return word;
  const name = (error as object | null)?.constructor?.name;
  return typeof name === 'string' && /^[A-Z][A-Za-z]*Error$/.test(name) ? name : 'unknown error';
}

export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/** `send(args, firstKey)`: one command (routed by `firstKey` on a Cluster), bounded by `timeoutMs`. */
export function createSender(
  client: RedisClientLike | undefined,
  cluster: RedisClusterLike | undefined,
  timeoutMs: number,
): (args: string[], firstKey: string | undefined) => Promise<unknown> {
  // Never a replica (isReadonly false): a replica may not have a revocation Redis acknowledged yet.
  const dispatch =
    cluster === undefined
      ? (args: string[], _: string | undefined, signal: AbortSignal) =>
          client!.sendCommand(args, { abortSignal: signal, signal })
      : (args: string[], firstKey: string | undefined, signal: AbortSignal) =>
          cluster.sendCommand(firstKey, false, args, { abortSignal: signal });

  /** One command, bounded by timeoutMs; every failure becomes a BlocklistUnavailableError. */
  async function send(args: string[], firstKey: string | undefined): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new BlocklistUnavailableError(`Blocklist unavailable: Redis did not answer within ${timeoutMs} ms`),
        );
        controller.abort();
      }, timeoutMs);
    });
    const reply = Promise.resolve()
      .then(() => dispatch(args, firstKey, controller.signal))
      .catch((error: unknown) => {
        throw new BlocklistUnavailableError(
          `Blocklist unavailable: Redis command failed (${reasonOf(error)})`,
        );
      });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  return send;
}
