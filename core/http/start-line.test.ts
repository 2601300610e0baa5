import { describe, expect, it } from 'vitest';
import { findHeadEnd } from './start-line.js';

describe('findHeadEnd', () => {
  it.each([
    ['GET / HTTP/1.1\r\nHost: h\r\n\r\nbody', 27],
    ['GET / HTTP/1.1\nHost: h\n\nbody', 24],
    ['GET / HTTP/1.1\r\nHost: h\n\r\nbody', 26],
    ['GET / HTTP/1.1\r\nHost: h\r\n\nbody', 26],
    ['HTTP/1.1 200 OK\r\n\r\n', 19],
  ])('should find the end of %j wherever the bytes before it were cut off', (text, end) => {
    const buf = Buffer.from(text, 'latin1');
    for (let held = 0; held < end; held++) {
      expect(findHeadEnd(buf, held, buf.length, text.slice(0, held))).toBe(end);
      expect(findHeadEnd(buf, held, end - 1, text.slice(0, held))).toBe(-1); // the last byte not there yet
    }
  });

  it('should not find an end in a head that has none', () => {
    const buf = Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n\r', 'latin1');
    expect(findHeadEnd(buf, 0, buf.length, '')).toBe(-1);
  });
});
