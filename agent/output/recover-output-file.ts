// Crash recovery of output files (for the agent's restart path): a writer
// killed mid-write leaves at most a torn last record and, if killed while
// creating a file, a hidden `.partial` file. trimTornTail cuts a file back to
// its last whole record so every tool reads it cleanly again;
// removePartialFiles deletes the hidden leftovers.
import { closeSync, ftruncateSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { JSONL_EXTENSION } from './jsonl-encoder.js';
import { PARTIAL_SUFFIX } from './output-file.js';
import { trimJsonLines } from './recover-jsonl-file.js';
import { OutputError, OutputErrorCode } from './output-error.js';
import { PCAP_HEADER_BYTES, PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './pcap-format.js';
import { BlockType } from './pcapng-blocks.js';

const CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_BLOCK_BYTES = 12;
const SIMPLE_PACKET_BLOCK = 3;
const OBSOLETE_PACKET_BLOCK = 2;

export interface TrimResult {
  /** Length of the file once trimmed. */
  readonly bytes: number;
  /** Bytes cut off the end (0 when the file was whole). */
  readonly trimmedBytes: number;
  /** Whole packet records (pcap) or blocks (pcapng) kept after the file header. */
  readonly records: number;
  /** Packets among them (pcap: every record; pcapng: Enhanced, Simple and obsolete Packet Blocks). */
  readonly packets: number;
  /** Packet data bytes (captured lengths) of those packets. */
  readonly capturedBytes: number;
}

/** Cuts a pcap, pcapng or .jsonl file back to its last whole record (json: line). */
export function trimTornTail(file: string): TrimResult {
  if (file.endsWith(`.${JSONL_EXTENSION}`)) {
    const { bytes, trimmedBytes, lines } = trimJsonLines(file);
    return { bytes, trimmedBytes, records: lines, packets: lines, capturedBytes: 0 };
  }
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (error) {
    throw new OutputError(OutputErrorCode.Io, `opening ${file}`, { cause: error });
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, PCAP_HEADER_BYTES));
    readSync(fd, head, 0, head.length, 0);
    const walk = formatOf(head, file);
    const { end, records, packets, capturedBytes } = walkRecords(fd, size, walk);
    if (end < size) ftruncateSync(fd, end);
    return { bytes: end, trimmedBytes: size - end, records, packets, capturedBytes };
  } finally {
    closeSync(fd);
  }
}

/** Deletes the hidden `.partial` files a crash left in `directory`; returns their names. */
export function removePartialFiles(directory: string): string[] {
  const removed = readdirSync(directory).filter((name) => name.startsWith('.') && name.endsWith(PARTIAL_SUFFIX));
  for (const name of removed) rmSync(path.join(directory, name), { force: true });
  return removed;
}

interface Walk {
  readonly start: number;
  /** Bytes of the record starting at `offset` of `chunk`, or undefined when its header is incomplete. */
  readonly recordBytes: (view: DataView, offset: number) => number | undefined;
  readonly headerBytes: number;
  /** Captured packet bytes of the whole record at `offset`, or undefined when it is no packet. */
  readonly packetBytes: (view: DataView, offset: number) => number | undefined;
}

function formatOf(head: Buffer, file: string): Walk {
  if (head.length >= 4) {
    for (const le of [true, false]) {
      const magic = head.readUInt32LE(0);
      const value = le ? magic : head.readUInt32BE(0);
      if (
        (value === PCAP_MAGIC_MICROSECONDS || value === PCAP_MAGIC_NANOSECONDS) &&
        head.length === PCAP_HEADER_BYTES
      ) {
        return {
          start: PCAP_HEADER_BYTES,
          headerBytes: RECORD_HEADER_BYTES,
          recordBytes: (view, offset) => RECORD_HEADER_BYTES + view.getUint32(offset + 8, le),
          packetBytes: (view, offset) => view.getUint32(offset + 8, le),
        };
      }
    }
    if (head.readUInt32LE(0) === BlockType.SectionHeader && head.length >= 12) {
      const le = head.readUInt32LE(8) === 0x1a2b3c4d;
      return {
        start: 0,
        headerBytes: 8,
        recordBytes: (view, offset) => {
          const total = view.getUint32(offset + 4, le);
          return total >= MIN_BLOCK_BYTES && total % 4 === 0 ? total : undefined;
        },
        packetBytes: (view, offset) => {
          const type = view.getUint32(offset, le);
          if (type === BlockType.EnhancedPacket || type === OBSOLETE_PACKET_BLOCK)
            return view.getUint32(offset + 20, le);
          if (type === SIMPLE_PACKET_BLOCK) return view.getUint32(offset + 4, le) - 16;
          return undefined;
        },
      };
    }
  }
  throw new OutputError(OutputErrorCode.InvalidOptions, `${file} is not a pcap or pcapng file`);
}

interface WalkResult {
  readonly end: number;
  readonly records: number;
  readonly packets: number;
  readonly capturedBytes: number;
}

function walkRecords(fd: number, size: number, walk: Walk): WalkResult {
  let offset = walk.start;
  let records = 0;
  let packets = 0;
  let capturedBytes = 0;
  const done = (end: number): WalkResult => ({ end, records, packets, capturedBytes });
  const count = (view: DataView, at: number): void => {
    records++;
    const captured = walk.packetBytes(view, at);
    if (captured !== undefined) {
      packets++;
      capturedBytes += captured;
    }
  };
  const chunk = Buffer.alloc(CHUNK_BYTES);
  for (;;) {
    const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, size - offset), offset);
    const view = new DataView(chunk.buffer, chunk.byteOffset, read);
    let at = 0;
    while (at + walk.headerBytes <= read) {
      const bytes = walk.recordBytes(view, at);
      if (bytes === undefined || offset + at + bytes > size) return done(offset + at);
      if (at + bytes > read) break; // the record continues in the next chunk
      count(view, at);
      at += bytes;
    }
    if (at === 0) {
      if (read < walk.headerBytes) return done(offset);
      // A single record larger than the chunk: skip over it without reading it.
      const bytes = walk.recordBytes(view, 0);
      if (bytes === undefined || offset + bytes > size) return done(offset);
      count(view, 0);
      at = bytes;
    }
    offset += at;
    if (offset >= size) return done(offset);
  }
}
