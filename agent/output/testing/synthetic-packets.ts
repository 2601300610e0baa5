// Test helper: batches of nanosecond pcap records (the PacketBatch layout)
// holding Ethernet/IPv4/UDP frames, 127.0.0.1:40000 → 127.0.0.2:9000.
import { RECORD_HEADER_BYTES } from '../../capture/packet-batch.js';
import { HOST_LITTLE_ENDIAN } from '../file-encoder.js';

export interface SyntheticPacket {
  readonly seconds: number;
  readonly nanos: number;
  /** Bytes of the frame kept in the record. */
  readonly capturedLength: number;
  /** Length on the wire (≥ capturedLength when the snaplen cut the frame). */
  readonly originalLength: number;
}

export interface SyntheticPacketsOptions {
  readonly count: number;
  readonly startSeconds?: number;
  readonly startNanos?: number;
  /** Time between packets. */
  readonly stepNanos?: number;
  /** Frame sizes, used in turn (≥ 42: Ethernet + IPv4 + UDP headers). */
  readonly sizes?: readonly number[];
  /** Bytes kept per packet; 0 = all. */
  readonly snaplen?: number;
}

export function syntheticPackets(options: SyntheticPacketsOptions): SyntheticPacket[] {
  const { count, startSeconds = 1_700_000_000, startNanos = 123_456_789, stepNanos = 1_001, snaplen = 0 } = options;
  const sizes = options.sizes ?? [64, 65, 66, 67, 1514];
  const packets: SyntheticPacket[] = [];
  for (let i = 0; i < count; i++) {
    const total = startNanos + i * stepNanos;
    const originalLength = sizes[i % sizes.length] ?? 64;
    packets.push({
      seconds: startSeconds + Math.floor(total / 1e9),
      nanos: total % 1e9,
      capturedLength: snaplen > 0 ? Math.min(snaplen, originalLength) : originalLength,
      originalLength,
    });
  }
  return packets;
}

/** One buffer of consecutive records, as a capture batch delivers them. */
export function recordsOf(packets: readonly SyntheticPacket[], firstIndex = 0): Buffer {
  const total = packets.reduce((sum, p) => sum + RECORD_HEADER_BYTES + p.capturedLength, 0);
  const records = Buffer.alloc(total);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let offset = 0;
  packets.forEach((packet, i) => {
    view.setUint32(offset, packet.seconds, HOST_LITTLE_ENDIAN);
    view.setUint32(offset + 4, packet.nanos, HOST_LITTLE_ENDIAN);
    view.setUint32(offset + 8, packet.capturedLength, HOST_LITTLE_ENDIAN);
    view.setUint32(offset + 12, packet.originalLength, HOST_LITTLE_ENDIAN);
    udpFrame(packet.originalLength, firstIndex + i).copy(
      records,
      offset + RECORD_HEADER_BYTES,
      0,
      packet.capturedLength,
    );
    offset += RECORD_HEADER_BYTES + packet.capturedLength;
  });
  return records;
}

/** An Ethernet/IPv4/UDP frame of `length` bytes whose payload starts with the packet's index. */
export function udpFrame(length: number, index: number): Buffer {
  const frame = Buffer.alloc(length);
  frame.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00], 0); // dst, src MAC, IPv4
  const ipLength = length - 14;
  frame.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2], 14);
  const udpLength = ipLength - 20;
  frame.set([40000 >> 8, 40000 & 0xff, 9000 >> 8, 9000 & 0xff, udpLength >> 8, udpLength & 0xff, 0, 0], 34);
  if (length >= 46) frame.writeUInt32BE(index >>> 0, 42);
  return frame;
}

/** The epoch time tshark prints for a packet (frame.time_epoch, nanoseconds). */
export function epochText(packet: SyntheticPacket, resolution: 'us' | 'ns' = 'ns'): string {
  const fraction =
    resolution === 'ns'
      ? String(packet.nanos).padStart(9, '0')
      : String(Math.floor(packet.nanos / 1000)).padStart(6, '0') + '000';
  return `${packet.seconds}.${fraction}`;
}
