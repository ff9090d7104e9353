/** Keys that must never be assigned with `obj[key] = value` from untrusted input. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Copies own enumerable properties of each source onto `target` as plain data properties, so a
 * `__proto__` key from JSON stays data and never changes a prototype.
 */
export function safeAssign<T extends object>(target: T, ...sources: (object | undefined | null)[]): T {
  for (const source of sources) {
    if (source === undefined || source === null) continue;
    for (const key of Object.keys(source)) {
      const value = (source as Record<string, unknown>)[key];
      if (UNSAFE.has(key)) {
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        (target as Record<string, unknown>)[key] = value;
      }
    }
  }
  return target;
}

/** Freezes an object graph (used for cached, shared payloads). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** True for a plain (JSON-like) object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
