import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['1048576', 1_048_576],
    ['50Mi', 50 * 2 ** 20],
    ['5Gi', 5 * 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500M', 500e6],
    ['1G', 1e9],
    ['2k', 2000],
    ['2Ki', 2048],
    ['1e9', 1e9],
    [' 64Ki ', 65_536],
  ])('should read %s as %d bytes', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });

  it.each(['', '-1Gi', '2ki', '5GB', '5 Gi', 'Gi', '1.5.3Mi', '99999999Ei'])('should refuse %j', (text) => {
    expect(() => parseQuantity(text)).toThrow(RangeError);
  });
});
