import { nodeCrypto } from './node-crypto.js';

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const encoder = new TextEncoder();

/** Compares two strings in time independent of where they differ (lengths may leak, values do not). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  // Buffer.from takes short strings from a shared pool; TextEncoder allocates a new ArrayBuffer each.
  // Both write the same UTF-8 bytes (a lone surrogate becomes U+FFFD).
  const x = NodeBuffer ? NodeBuffer.from(a, 'utf8') : encoder.encode(a);
  const y = NodeBuffer ? NodeBuffer.from(b, 'utf8') : encoder.encode(b);
  if (x.length !== y.length) return false;
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
