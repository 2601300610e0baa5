// pcapng files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/):
// a Section Header Block (shb_userappl "tapedeck", shb_hardware = node name,
// shb_os), one Interface Description Block (if_name, if_description = node
// name so it survives mergecap, if_tsresol 9 = nanoseconds) per capture
// interface, an Enhanced Packet Block per packet naming its interface and, at
// close, an Interface Statistics Block per interface.
import { release, type } from 'node:os';
import type { CaptureStats } from '../capture/capture-source.js';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { HOST_LITTLE_ENDIAN, type FileEncoder } from './file-encoder.js';
import { BlockBuilder, BlockType, epochMsSplit } from './pcapng-blocks.js';

export const PCAPNG_USER_APPLICATION = 'tapedeck';
/** Enhanced Packet Block without data: 7 words of header plus the trailing length. */
export const EPB_OVERHEAD_BYTES = 32;
/** Interface Statistics Block with six 8-byte options (see statisticsBlock). */
export const ISB_BYTES = 20 + 6 * 12 + 4 + 4;

const ShbOption = { Hardware: 2, Os: 3, UserApplication: 4 } as const;
const IdbOption = { Name: 2, Description: 3, TimestampResolution: 9 } as const;
const IsbOption = { StartTime: 2, EndTime: 3, IfRecv: 4, IfDrop: 5, OsDrop: 7, UserDelivered: 8 } as const;
const NANOSECOND_RESOLUTION = 9;
/** Packets up to this size are copied word by word in JavaScript, larger ones with Buffer.copy. */
const WORD_COPY_MAX_BYTES = 256;

export interface PcapngInterface {
  readonly name: string;
  /** DLT_* of the interface's capture handle. */
  readonly linkType: number;
}

export interface PcapngEncoderOptions {
  readonly snaplen: number;
  readonly nodeName: string;
  /** One Interface Description Block each, in this order (EPB interface id = index). */
  readonly interfaces: readonly PcapngInterface[];
}

export function pcapngHeader(options: PcapngEncoderOptions): Buffer {
  const shb = new BlockBuilder(BlockType.SectionHeader);
  shb.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff); // byte-order magic, v1.0, length unknown
  shb.stringOption(ShbOption.Hardware, options.nodeName);
  shb.stringOption(ShbOption.Os, `${type()} ${release()}`);
  shb.stringOption(ShbOption.UserApplication, PCAPNG_USER_APPLICATION);
  const idbs = options.interfaces.map((i) => {
    const idb = new BlockBuilder(BlockType.InterfaceDescription);
    idb.u16(i.linkType).u16(0).u32(options.snaplen);
    idb.stringOption(IdbOption.Name, i.name);
    idb.stringOption(IdbOption.Description, options.nodeName);
    idb.option(IdbOption.TimestampResolution, Buffer.from([NANOSECOND_RESOLUTION]));
    return idb.finish();
  });
  return Buffer.concat([shb.finish(), ...idbs]);
}

export function statisticsBlock(stats: CaptureStats, startMs: number, endMs: number, interfaceId = 0): Buffer {
  const isb = new BlockBuilder(BlockType.InterfaceStatistics);
  const [high, low] = epochMsSplit(endMs);
  isb.u32(interfaceId).u32(high).u32(low);
  isb.timestampOption(IsbOption.StartTime, startMs);
  isb.timestampOption(IsbOption.EndTime, endMs);
  isb.u64Option(IsbOption.IfRecv, stats.packetsReceived + stats.kernelDropped);
  isb.u64Option(IsbOption.IfDrop, stats.interfaceDropped);
  isb.u64Option(IsbOption.OsDrop, stats.kernelDropped);
  isb.u64Option(IsbOption.UserDelivered, Math.max(0, stats.packetsReceived - stats.agentDropped));
  return isb.finish();
}

export function createPcapngEncoder(options: PcapngEncoderOptions): FileEncoder {
  const header = pcapngHeader(options);
  const interfaces = options.interfaces.length;
  return {
    format: 'pcapng',
    extension: 'pcapng',
    trailerBytes: ISB_BYTES * interfaces,
    header: () => Buffer.from(header),
    recordBytes: (capturedLength) => EPB_OVERHEAD_BYTES + ((capturedLength + 3) & ~3),
    // An EPB header is 16 bytes longer than a record header, and data is padded to 4 bytes.
    maxEncodedBytes: (recordBytes, packets) => recordBytes + packets * (EPB_OVERHEAD_BYTES - RECORD_HEADER_BYTES + 3),
    encode(records, start, end, packets, fileBytes, interfaceIndex) {
      const out = Buffer.allocUnsafe(fileBytes);
      return out.subarray(0, encodeEnhancedPackets(records, start, packets, out, interfaceIndex));
    },
    trailer: (stats, startMs, endMs) =>
      stats === undefined || stats.length === 0
        ? undefined
        : Buffer.concat(stats.slice(0, interfaces).map((s, i) => statisticsBlock(s, startMs, endMs, i))),
  };
}

/** Writes one Enhanced Packet Block (no options) per record into `out`; returns the bytes written. */
function encodeEnhancedPackets(
  records: Buffer,
  start: number,
  packets: number,
  out: Buffer,
  interfaceId: number,
): number {
  const src = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = HOST_LITTLE_ENDIAN;
  let from = start;
  let to = 0;
  for (let i = 0; i < packets; i++) {
    const seconds = src.getUint32(from, le);
    const nanos = src.getUint32(from + 4, le);
    const captured = src.getUint32(from + 8, le);
    const original = src.getUint32(from + 12, le);
    const padded = (captured + 3) & ~3;
    const total = EPB_OVERHEAD_BYTES + padded;
    // 64-bit count of nanoseconds, split without BigInt (see nanosecondsSplit).
    const q = (seconds >>> 16) * 1e9;
    const qHigh = Math.floor(q / 65536);
    const low = (q - qHigh * 65536) * 65536 + (seconds & 0xffff) * 1e9 + nanos;
    const carry = Math.floor(low / 4294967296);
    dst.setUint32(to, BlockType.EnhancedPacket, le);
    dst.setUint32(to + 4, total, le);
    dst.setUint32(to + 8, interfaceId, le);
    dst.setUint32(to + 12, qHigh + carry, le);
    dst.setUint32(to + 16, low - carry * 4294967296, le);
    dst.setUint32(to + 20, captured, le);
    dst.setUint32(to + 24, original, le);
    const data = from + RECORD_HEADER_BYTES;
    const body = to + 28;
    if (captured > WORD_COPY_MAX_BYTES) {
      records.copy(out, body, data, data + captured);
      if (padded !== captured) out.fill(0, body + captured, body + padded);
    } else {
      // Small packets: a native copy and fill per packet cost more than the copy itself.
      if (padded !== captured) dst.setUint32(body + padded - 4, 0, le); // zero padding, then overwrite with data
      const words = captured & ~3;
      for (let k = 0; k < words; k += 4) dst.setUint32(body + k, src.getUint32(data + k, le), le);
      for (let k = words; k < captured; k++) dst.setUint8(body + k, src.getUint8(data + k));
    }
    dst.setUint32(body + padded, total, le);
    from = data + captured;
    to += total;
  }
  return to;
}
