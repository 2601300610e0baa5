// Reads one capture file through a core capture parser in large chunks; the parser consumes complete
// units in place, the unconsumed tail moves to the front of the buffer. A damaged file ends with the
// CaptureError after every packet before the damage was delivered.
import { closeSync, openSync, readSync } from 'node:fs';
import type { CaptureParser } from '../../core/capture/capture-parser.js';

const CHUNK_BYTES = 1 << 20;

export async function readCapture(
  path: string,
  makeParser: (head: Buffer) => CaptureParser,
  afterChunk: () => Promise<void>,
): Promise<number> {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = readSync(fd, buf, 0, buf.length, null);
    const parser = makeParser(buf.subarray(0, filled));
    let start = 0;
    for (;;) {
      start = parser.parse(buf, start, filled);
      const rest = filled - start;
      if (parser.nextUnitBytes > buf.length) {
        const bigger = Buffer.allocUnsafe(parser.nextUnitBytes);
        buf.copy(bigger, 0, start, filled);
        buf = bigger;
      } else if (rest > 0) {
        buf.copyWithin(0, start, filled);
      }
      start = 0;
      filled = rest;
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) {
        parser.finish(filled);
        return parser.packets;
      }
      filled += n;
      await afterChunk();
    }
  } finally {
    closeSync(fd);
  }
}
