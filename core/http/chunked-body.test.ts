import { describe, expect, it } from 'vitest';
import { ChunkedBody, ChunkStatus } from './chunked-body.js';

/** Reads `text` (latin1) whole, or one byte per call (a line then never lies whole in one buffer). */
function read(text: string, byteByByte: boolean): ChunkedBody {
  const body = new ChunkedBody();
  const buf = Buffer.from(text, 'latin1');
  if (!byteByByte) body.read(buf, 0, buf.length);
  else for (let i = 0; i < buf.length && body.status === ChunkStatus.Reading; i++) body.read(buf, i, i + 1);
  return body;
}

describe('ChunkedBody', () => {
  // The chunk-size line (without its CRLF) and the size it announces; undefined: not a chunk size.
  it.each<[string, number | undefined]>([
    ['5', 5],
    ['0a', 10],
    ['1A', 26],
    ['1a', 26],
    ['5 ', 5],
    ['5  ;x=1', 5],
    ['5;', 5],
    ['5;ext="a b"', 5],
    ['0000000000005', 5],
    ['00000000000005', undefined],
    [' 5', undefined],
    ['5\t', undefined],
    ['5;a\rb', undefined],
    ['5\r', undefined],
    ['5x', undefined],
    ['g', undefined],
    ['-5', undefined],
    ['', undefined],
  ])('should read the chunk-size line %j alike whole and split at every byte', (line, size) => {
    const text = `${line}\r\n${'d'.repeat(size ?? 3)}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    for (const byteByByte of [false, true]) {
      const body = read(text, byteByByte);
      if (size === undefined) {
        expect(body.status).toBe(ChunkStatus.Broken);
        expect(body.badLine).toBe(`${line}\r\n`);
      } else {
        expect(body.status).toBe(ChunkStatus.Done);
        expect(body.bytes).toBe(size);
      }
    }
  });

  it.each(['\r\n', '\n'])('should end at the empty trailer line (line end %j)', (eol) => {
    const text = `3${eol}abc${eol}0${eol}A: b${eol}${eol}rest`;
    for (const byteByByte of [false, true]) {
      const body = read(text, byteByByte);
      expect(body.status).toBe(ChunkStatus.Done);
      expect(body.bytes).toBe(3);
    }
  });
});
