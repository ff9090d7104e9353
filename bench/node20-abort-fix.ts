/**
 * Node 20's `AbortSignal.any` leaks the composite signal once a listener is attached
 * (nodejs/node#54614, #55328), and tRPC 11's resolveResponse does that for every request: the heap
 * grows about 5 KB per request and throughput decays within seconds, whatever the procedure does.
 * Without `AbortSignal.any`, tRPC falls back to its own ponyfill, which does not leak. Applied to the
 * bench processes only, equally to every case, so the figures measure the procedures, not the leak.
 */

if (typeof AbortSignal.any === 'function') {
  Reflect.deleteProperty(AbortSignal, 'any');
}

export const abortSignalAnyRemoved = typeof AbortSignal.any !== 'function';
