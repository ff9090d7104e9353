import { describe, expect, it } from 'vitest';
import { timingSafeEqualStrings } from '../../../src/internal/compare.js';

describe('timingSafeEqualStrings', () => {
  it('is true only for identical strings', () => {
    expect(timingSafeEqualStrings('abc', 'abc')).toBe(true);
    expect(timingSafeEqualStrings('', '')).toBe(true);
    expect(timingSafeEqualStrings('Zoë', 'Zoë')).toBe(true);
    expect(timingSafeEqualStrings('abc', 'abd')).toBe(false);
    expect(timingSafeEqualStrings('abc', 'ABC')).toBe(false);
    expect(timingSafeEqualStrings('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualStrings('abc', '')).toBe(false);
  });

  it('compares UTF-8 bytes, so equal lengths in characters but not bytes differ', () => {
    expect(timingSafeEqualStrings('é', 'e')).toBe(false);
    expect(timingSafeEqualStrings('é', 'e\u0301')).toBe(false); // NFC vs NFD
  });
});
