// The agent's capture batches (agent/capture/packet-batch.ts): consecutive nanosecond pcap records in host
// byte order, 16-byte header + data. Feeding one to a sink reads the headers in place: no packet is copied.
import type { PacketSink } from './packet-sink.js';

export const BATCH_RECORD_HEADER_BYTES = 16;
const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Delivers the first `packets` records of `records[0, length)`; returns how many were delivered. */
export function feedRecordBatch(
  sink: PacketSink,
  records: Buffer,
  length: number,
  packets: number,
  linkType: number,
): number {
  let at = 0;
  let delivered = 0;
  while (delivered < packets && length - at >= BATCH_RECORD_HEADER_BYTES) {
    const sec = hostLittleEndian ? records.readUInt32LE(at) : records.readUInt32BE(at);
    const nsec = hostLittleEndian ? records.readUInt32LE(at + 4) : records.readUInt32BE(at + 4);
    const captured = hostLittleEndian ? records.readUInt32LE(at + 8) : records.readUInt32BE(at + 8);
    const original = hostLittleEndian ? records.readUInt32LE(at + 12) : records.readUInt32BE(at + 12);
    if (at + BATCH_RECORD_HEADER_BYTES + captured > length) break;
    sink.packet(records, at + BATCH_RECORD_HEADER_BYTES, captured, original, sec, nsec, linkType);
    at += BATCH_RECORD_HEADER_BYTES + captured;
    delivered++;
  }
  return delivered;
}
