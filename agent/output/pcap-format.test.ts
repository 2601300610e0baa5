import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRecordWriter } from './create-record-writer.js';
import { HOST_LITTLE_ENDIAN } from './file-encoder.js';
import {
  PCAP_HEADER_BYTES,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  TimestampResolution,
} from './pcap-format.js';
import { epochText, recordsOf, syntheticPackets, type SyntheticPacket } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';
import { capinfos, tsharkFields } from './testing/wireshark.js';

const dir = useTempDir();
const SNAPLEN = 96;

function pcapWriter(resolution: TimestampResolution) {
  return createRecordWriter({
    format: 'pcap',
    directory: dir.path,
    filePrefix: 'test',
    nodeName: 'node-a',
    linkType: 1,
    snaplen: SNAPLEN,
    interfaceName: 'eth0',
    timestampResolution: resolution,
  });
}

function expectedRows(packets: readonly SyntheticPacket[], resolution: TimestampResolution): string[][] {
  return packets.map((p) => [epochText(p, resolution), String(p.originalLength), String(p.capturedLength)]);
}

describe('pcap-format', { timeout: 60_000 }, () => {
  it.each([
    [TimestampResolution.Nanosecond, PCAP_MAGIC_NANOSECONDS, 'nanoseconds (9)'],
    [TimestampResolution.Microsecond, PCAP_MAGIC_MICROSECONDS, 'microseconds (6)'],
  ])('should write %s files tshark and capinfos read back exactly', async (resolution, magic, precision) => {
    const packets = syntheticPackets({ count: 1000, snaplen: SNAPLEN, sizes: [42, 60, 64, 100, 1514, 9000] });
    const writer = pcapWriter(resolution);
    for (const [from, to] of [
      [0, 1],
      [1, 400],
      [400, 1000],
    ] as const) {
      writer.write(recordsOf(packets.slice(from, to), from), to - from);
    }
    const [file, ...others] = await writer.close();
    expect(others).toHaveLength(0);
    const last = packets.at(-1)!;
    expect(file).toMatchObject({
      format: 'pcap',
      packets: 1000,
      firstPacketTime: new Date(1_700_000_000_123),
      // The last packet of the last of three writes, found by walking its records.
      lastPacketTime: new Date(last.seconds * 1000 + Math.floor(last.nanos / 1e6)),
    });
    expect(file?.lastPacketTime?.getTime()).toBeGreaterThan(file?.firstPacketTime?.getTime() ?? Infinity);

    const bytes = readFileSync(file?.path ?? '');
    const header = new DataView(bytes.buffer, bytes.byteOffset, PCAP_HEADER_BYTES);
    expect(header.getUint32(0, HOST_LITTLE_ENDIAN)).toBe(magic);
    expect(header.getUint32(16, HOST_LITTLE_ENDIAN)).toBe(SNAPLEN);
    expect(header.getUint32(20, HOST_LITTLE_ENDIAN)).toBe(1);
    expect(file?.bytes).toBe(bytes.length);

    const read = await tsharkFields(file?.path ?? '', ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
    expect(read.exitCode).toBe(0);
    expect(read.rows).toEqual(expectedRows(packets, resolution));
    const info = await capinfos(file?.path ?? '');
    expect(info.get('Number of packets')).toBe('1000');
    expect(info.get('File encapsulation')).toBe('ether');
    expect(info.get('File timestamp precision')).toBe(precision);
    expect(info.get('SHA256')).toBe(file?.sha256);
  });

  it('should append a nanosecond batch byte for byte after the global header', async () => {
    const packets = syntheticPackets({ count: 10 });
    const records = recordsOf(packets);
    const writer = pcapWriter(TimestampResolution.Nanosecond);
    writer.write(records, packets.length);
    const [file] = await writer.close();
    expect(readFileSync(file?.path ?? '').subarray(PCAP_HEADER_BYTES)).toEqual(records);
  });

  it('should leave the caller batch untouched when converting to microseconds', async () => {
    const records = recordsOf(syntheticPackets({ count: 10 }));
    const copy = Buffer.from(records);
    const writer = pcapWriter(TimestampResolution.Microsecond);
    writer.write(records, 10);
    await writer.close();
    expect(records).toEqual(copy);
  });
});
