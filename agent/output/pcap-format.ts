// Classic pcap files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/):
// a 24-byte global header, then records. Nanosecond files (magic a1b23c4d)
// are the batch bytes as they come, so a batch is appended with no
// per-packet work; microsecond files (a1b2c3d4) get each timestamp divided
// by 1000 in a copy.
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { HOST_LITTLE_ENDIAN, type FileEncoder } from './file-encoder.js';

export const TimestampResolution = { Microsecond: 'us', Nanosecond: 'ns' } as const;
export type TimestampResolution = (typeof TimestampResolution)[keyof typeof TimestampResolution];

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_HEADER_BYTES = 24;
const VERSION_MAJOR = 2;
const VERSION_MINOR = 4;

export interface PcapEncoderOptions {
  readonly linkType: number;
  readonly snaplen: number;
  readonly resolution: TimestampResolution;
}

export function pcapGlobalHeader(options: PcapEncoderOptions): Buffer {
  const header = Buffer.alloc(PCAP_HEADER_BYTES);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const le = HOST_LITTLE_ENDIAN;
  const magic =
    options.resolution === TimestampResolution.Nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS;
  view.setUint32(0, magic, le);
  view.setUint16(4, VERSION_MAJOR, le);
  view.setUint16(6, VERSION_MINOR, le);
  // thiszone (8) and sigfigs (12) stay 0.
  view.setUint32(16, options.snaplen, le);
  view.setUint32(20, options.linkType, le);
  return header;
}

export function createPcapEncoder(options: PcapEncoderOptions): FileEncoder {
  const header = pcapGlobalHeader(options);
  const nanoseconds = options.resolution === TimestampResolution.Nanosecond;
  return {
    format: 'pcap',
    extension: 'pcap',
    trailerBytes: 0,
    header: () => Buffer.from(header),
    recordBytes: (capturedLength) => RECORD_HEADER_BYTES + capturedLength,
    maxEncodedBytes: (recordBytes) => recordBytes,
    encode(records, start, end, packets) {
      if (nanoseconds) return records.subarray(start, end);
      const out = Buffer.allocUnsafe(end - start);
      records.copy(out, 0, start, end);
      toMicroseconds(out, packets);
      return out;
    },
    trailer: () => undefined,
  };
}

/** Rewrites the nanosecond field of each of the first `packets` records in place. */
function toMicroseconds(records: Buffer, packets: number): void {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const le = HOST_LITTLE_ENDIAN;
  let offset = 0;
  for (let i = 0; i < packets; i++) {
    view.setUint32(offset + 4, Math.floor(view.getUint32(offset + 4, le) / 1000), le);
    offset += RECORD_HEADER_BYTES + view.getUint32(offset + 8, le);
  }
}
