// The json format's FileEncoder: the json writer hands the rotating writer its JSON lines framed like
// capture records (16-byte header, then the line), so files are cut by size and age on line boundaries,
// named, hashed, fsynced and reported exactly as pcap files are; this encoder writes the lines alone.
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { HOST_LITTLE_ENDIAN, type FileEncoder } from './file-encoder.js';

export const JSONL_FORMAT = 'json';
export const JSONL_EXTENSION = 'jsonl';

export function createJsonlEncoder(): FileEncoder {
  return {
    format: JSONL_FORMAT,
    extension: JSONL_EXTENSION,
    trailerBytes: 0,
    header: () => Buffer.alloc(0),
    recordBytes: (lineBytes) => lineBytes,
    maxEncodedBytes: (recordBytes, lines) => recordBytes - lines * RECORD_HEADER_BYTES,
    encode(records, start, end, lines, fileBytes) {
      const out = Buffer.allocUnsafe(fileBytes);
      let at = start;
      let written = 0;
      for (let i = 0; i < lines && at < end; i++) {
        const length = HOST_LITTLE_ENDIAN ? records.readUInt32LE(at + 8) : records.readUInt32BE(at + 8);
        records.copy(out, written, at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
        written += length;
        at += RECORD_HEADER_BYTES + length;
      }
      return written === fileBytes ? out : out.subarray(0, written);
    },
    trailer: () => undefined,
  };
}

/** Frames JSON lines as records for the rotating writer; `ms` stamps them (the file's first-record time). */
export function frameLines(lines: readonly string[], ms: number): { records: Buffer; bytes: number } {
  let bytes = 0;
  for (const line of lines) bytes += RECORD_HEADER_BYTES + Buffer.byteLength(line);
  const records = Buffer.allocUnsafe(bytes);
  const sec = Math.floor(ms / 1000);
  const nsec = (ms % 1000) * 1e6;
  let at = 0;
  for (const line of lines) {
    const length = records.write(line, at + RECORD_HEADER_BYTES);
    const w = (value: number, offset: number): number =>
      HOST_LITTLE_ENDIAN ? records.writeUInt32LE(value, at + offset) : records.writeUInt32BE(value, at + offset);
    w(sec, 0);
    w(nsec, 4);
    w(length, 8);
    w(length, 12);
    at += RECORD_HEADER_BYTES + length;
  }
  return { records, bytes };
}
