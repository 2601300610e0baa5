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
  // One DataView a batch: Buffer's readUInt32LE validates its offset on every call, four times a packet.
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const limit = Math.min(length, records.byteLength);
  let at = 0;
  let delivered = 0;
  while (delivered < packets && limit - at >= BATCH_RECORD_HEADER_BYTES) {
    const sec = view.getUint32(at, hostLittleEndian);
    const nsec = view.getUint32(at + 4, hostLittleEndian);
    const captured = view.getUint32(at + 8, hostLittleEndian);
    const original = view.getUint32(at + 12, hostLittleEndian);
    if (at + BATCH_RECORD_HEADER_BYTES + captured > limit) break;
    sink.packet(records, at + BATCH_RECORD_HEADER_BYTES, captured, original, sec, nsec, linkType);
    at += BATCH_RECORD_HEADER_BYTES + captured;
    delivered++;
  }
  return delivered;
}
