import { describe, expect, it } from 'vitest';
import { deepFreeze, isPlainObject, safeAssign } from '../../../src/internal/objects.js';

describe('safeAssign', () => {
  it('copies own enumerable properties in order, later sources winning', () => {
    const target: Record<string, unknown> = { a: 1, b: 2 };
    const result = safeAssign(target, { b: 3, c: 4 }, undefined, null, { c: 5, d: 6 });
    expect(result).toBe(target);
    expect(target).toEqual({ a: 1, b: 3, c: 5, d: 6 });
    expect(Object.keys(target)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps __proto__, constructor and prototype as plain data, without polluting anything', () => {
    const evil = JSON.parse(
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"prototype":{"polluted":1}}',
    ) as object;
    const target: Record<string, unknown> = {};
    safeAssign(target, evil);
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')).toEqual({
      value: { polluted: 1 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(target.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(target)).toBe(JSON.stringify(evil));
  });

  it('ignores inherited and non-enumerable properties', () => {
    const source = Object.create({ inherited: 1 }) as Record<string, unknown>;
    Object.defineProperty(source, 'hidden', { value: 2, enumerable: false });
    source.own = 3;
    expect(safeAssign({}, source)).toEqual({ own: 3 });
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays and returns the value', () => {
    const value = { a: { b: [1, { c: 2 }] }, d: 'x' };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(() => {
      (value.a.b[1] as { c: number }).c = 3;
    }).toThrow(TypeError);
  });

  it('leaves primitives alone and copes with cycles', () => {
    expect(deepFreeze(5)).toBe(5);
    expect(deepFreeze(null)).toBeNull();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(Object.isFrozen(deepFreeze(cyclic))).toBe(true);
  });
});

describe('isPlainObject', () => {
  it('is true for objects, false for null, arrays and primitives', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const value of [null, undefined, [], [1], 'x', 1, true]) expect(isPlainObject(value)).toBe(false);
  });
});
