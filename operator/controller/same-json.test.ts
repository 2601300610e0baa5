import { describe, expect, it } from 'vitest';
import { sameJson } from './same-json.js';

describe('sameJson', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal scalars', 1, 1, true],
    ['different scalars', 1, 2, false],
    ['key order', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['absent vs undefined', { a: 1 }, { a: 1, b: undefined }, true],
    ['absent vs null', { a: 1 }, { a: 1, b: null }, false],
    ['nested arrays', { n: [{ x: 1 }] }, { n: [{ x: 1 }] }, true],
    ['array order', [1, 2], [2, 1], false],
    ['array length', [1], [1, 1], false],
    ['array vs object', [], {}, false],
    ['date vs string', new Date('2026-01-01T00:00:00Z'), '2026-01-01T00:00:00Z', true],
  ])('should compare %s', (_name, a, b, expected) => {
    expect(sameJson(a, b)).toBe(expected);
  });
});
