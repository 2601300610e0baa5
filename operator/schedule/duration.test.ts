import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['', 0],
    ['0', 0],
    ['0s', 0],
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['72h', 259_200_000],
    ['1m0.5s', 60_500],
    ['1500us', 2],
  ])('should parse %j as %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['5', '5 m', '-5s', 'm', '1d', '5mm', 'h1'])('should reject %j', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [500, '500ms'],
    [3_000, '3s'],
    [5_400_000, '1h30m0s'],
    [61_500, '1m1.5s'],
  ])('should format %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
