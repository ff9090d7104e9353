import { describe, expect, it } from 'vitest';
import { reconnectWsClient } from '../../../src/client/index.js';

/** A socket that records `close()` and fires its `close` listeners when told to. */
function fakeSocket(readyState: number) {
  const listeners = new Set<() => void>();
  return {
    readyState,
    closed: [] as unknown[][],
    close(...args: unknown[]) {
      this.closed.push(args);
    },
    addEventListener: (_type: 'close', listener: () => void) => void listeners.add(listener),
    removeEventListener: (_type: 'close', listener: () => void) => void listeners.delete(listener),
    fireClose: () => [...listeners].forEach((listener) => listener()),
    get listeners() {
      return listeners.size;
    },
  };
}

describe('reconnectWsClient', () => {
  it('closes an open socket (1000) and resolves once it has closed', async () => {
    const ws = fakeSocket(1);
    let resolved = false;
    const done = reconnectWsClient({ connection: { ws } }).then(() => (resolved = true));
    expect(ws.closed).toEqual([[1000, 'Token refreshed']]);
    await Promise.resolve();
    expect(resolved).toBe(false);
    ws.fireClose();
    await done;
    expect(ws.listeners).toBe(0);
  });

  it('leaves a socket still connecting (it reads connectionParams when it opens), and resolves with no socket', async () => {
    const connecting = fakeSocket(0);
    await reconnectWsClient({ connection: { ws: connecting } });
    expect(connecting.closed).toEqual([]);
    await expect(reconnectWsClient({ connection: null })).resolves.toBeUndefined();
  });

  it('resolves when close() throws', async () => {
    const ws = {
      ...fakeSocket(1),
      close() {
        throw new Error('already closing');
      },
    };
    await expect(reconnectWsClient({ connection: { ws } })).resolves.toBeUndefined();
  });
});
