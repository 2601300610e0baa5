// Crash recovery of a json (.jsonl) file: lines are appended whole, so a writer killed mid-write leaves
// at most a torn last line; cut the file back to its last newline and count the whole lines.
import { closeSync, ftruncateSync, fstatSync, openSync, readSync } from 'node:fs';
import { OutputError, OutputErrorCode } from './output-error.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

export function trimJsonLines(file: string): { bytes: number; trimmedBytes: number; lines: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (error) {
    throw new OutputError(OutputErrorCode.Io, `opening ${file}`, { cause: error });
  }
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let lines = 0;
    let end = 0;
    for (let at = 0; at < size;) {
      const n = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, size - at), at);
      if (n === 0) break;
      for (let i = chunk.indexOf(0x0a, 0); i >= 0 && i < n; i = chunk.indexOf(0x0a, i + 1)) {
        lines++;
        end = at + i + 1;
      }
      at += n;
    }
    if (end < size) ftruncateSync(fd, end);
    return { bytes: end, trimmedBytes: size - end, lines };
  } finally {
    closeSync(fd);
  }
}
