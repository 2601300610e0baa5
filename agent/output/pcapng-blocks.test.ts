import { describe, expect, it } from 'vitest';
import { epochMsSplit, nanosecondsSplit } from './pcapng-blocks.js';

function reference(seconds: number, nanos: number): [number, number] {
  const total = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
  return [Number(total >> 32n), Number(total & 0xffffffffn)];
}

describe('pcapng-blocks', () => {
  it.each([
    [0, 0],
    [0, 999_999_999],
    [1, 0],
    [4, 294_967_295],
    [4, 294_967_296],
    [65_535, 999_999_999],
    [65_536, 0],
    [1_700_000_000, 123_456_789],
    [2_147_483_647, 999_999_999],
    [4_294_967_295, 999_999_999],
  ])('should split %i s + %i ns into the exact 64-bit nanosecond count', (seconds, nanos) => {
    expect(nanosecondsSplit(seconds, nanos)).toEqual(reference(seconds, nanos));
  });

  it('should split wall-clock milliseconds', () => {
    expect(epochMsSplit(1_700_000_000_123)).toEqual(reference(1_700_000_000, 123_000_000));
  });
});
