import { TRPCError } from '@trpc/server';
import { JwtError } from '../errors.js';
import { withTimeout } from './timeout.js';

/** The `loaderTimeout` bound of a call: its limit (undefined: none) and what the timeout message names. */
export interface FailClosedTimeout {
  readonly ms: number | undefined;
  readonly what: string;
}

/**
 * Runs user code (a loader, a key loader, a store operation, a claims check) so that it fails
 * closed: a JwtError or TRPCError passes through, anything else thrown (a timeout included)
 * becomes INTERNAL_SERVER_ERROR with the call site's generic `message`, so the client never learns
 * what failed or why. What was thrown stays the `cause`, for `onError` logs.
 *
 * @param timeout bounds the call with `loaderTimeout` where it applies. @default no bound
 */
export async function failClosed<T>(
  run: () => T | PromiseLike<T>,
  message: string,
  timeout?: FailClosedTimeout,
): Promise<T> {
  try {
    const value = run();
    return await (timeout === undefined ? value : withTimeout(value, timeout.ms, timeout.what));
  } catch (error) {
    if (error instanceof JwtError || error instanceof TRPCError) throw error;
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message, cause: error });
  }
}
