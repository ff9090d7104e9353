import { nodeCrypto } from './node-crypto.js';

const encoder = new TextEncoder();

/** Compares two strings in time independent of where they differ (lengths may leak, values do not). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.length !== y.length) return false;
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
