import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CaptureStats } from '../capture/capture-source.js';
import { createRecordWriter } from './create-record-writer.js';
import { HOST_LITTLE_ENDIAN } from './file-encoder.js';
import { BlockType } from './pcapng-blocks.js';
import { ISB_BYTES } from './pcapng-format.js';
import { epochText, recordsOf, syntheticPackets } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';
import { capinfos, tsharkFields } from './testing/wireshark.js';

const dir = useTempDir();
const NODE = 'ip-10-0-0-1.eu-west-1.compute.internal';
const stats: CaptureStats = {
  packetsReceived: 1200,
  kernelDropped: 30,
  interfaceDropped: 4,
  agentDropped: 200,
  agentDroppedBytes: 20_000,
};

function pcapngWriter(interfaceName: string, linkType = 1) {
  return createRecordWriter({
    format: 'pcapng',
    directory: dir.path,
    filePrefix: 'test',
    nodeName: NODE,
    linkType,
    snaplen: 0,
    interfaceName,
  });
}

describe('pcapng-format', { timeout: 60_000 }, () => {
  it.each([
    ['eth0', 1, 'ether'],
    ['any', 276, 'linux-sll2'],
  ])(
    'should write %s packets tshark reads with their interface, node, timestamps and lengths',
    async (name, linkType, encapsulation) => {
      // Odd captured lengths exercise the 32-bit padding of every block.
      const packets = syntheticPackets({ count: 999, sizes: [42, 61, 62, 63, 64, 1514], stepNanos: 999_999_937 });
      const writer = pcapngWriter(name, linkType);
      writer.write(recordsOf(packets.slice(0, 500)), 500);
      writer.write(recordsOf(packets.slice(500), 500), 499);
      const [file] = await writer.close(stats);
      expect(file).toMatchObject({ format: 'pcapng', packets: 999 });
      expect(file?.path).toMatch(/\/test_\d{10}_[0-9a-f]{8}_ip-10-0-0-1\.eu-west-1\.compute\.internal_000000\.pcapng$/);

      const fields = [
        'frame.time_epoch',
        'frame.len',
        'frame.cap_len',
        'frame.interface_name',
        'frame.interface_description',
      ];
      const read = await tsharkFields(file?.path ?? '', fields);
      expect(read.exitCode).toBe(0);
      expect(read.rows).toEqual(
        packets.map((p) => [epochText(p), String(p.originalLength), String(p.capturedLength), name, NODE]),
      );
      const info = await capinfos(file?.path ?? '');
      expect(Object.fromEntries(info)).toMatchObject({
        'File type': 'pcapng',
        'File encapsulation': encapsulation,
        'File timestamp precision': 'nanoseconds (9)',
        'Number of packets': '999',
        'Capture hardware': NODE,
        'Capture application': 'tapedeck',
        Name: name,
        Description: NODE,
        'Time resolution': '0x09',
        'Number of stat entries': '1',
        SHA256: file?.sha256,
      });
    },
  );

  it('should end the file with an Interface Statistics Block of the final counters', async () => {
    const writer = pcapngWriter('eth0');
    writer.write(recordsOf(syntheticPackets({ count: 3 })), 3);
    const [file] = await writer.close(stats);
    const bytes = readFileSync(file?.path ?? '');
    const isb = bytes.subarray(bytes.length - ISB_BYTES);
    const view = new DataView(isb.buffer, isb.byteOffset, isb.byteLength);
    expect(view.getUint32(0, HOST_LITTLE_ENDIAN)).toBe(BlockType.InterfaceStatistics);
    expect(view.getUint32(4, HOST_LITTLE_ENDIAN)).toBe(ISB_BYTES);
    const options = new Map<number, bigint>();
    for (let at = 20; view.getUint16(at, HOST_LITTLE_ENDIAN) !== 0; at += 12) {
      options.set(view.getUint16(at, HOST_LITTLE_ENDIAN), isb.readBigUInt64LE(at + 4));
    }
    // isb_ifrecv, isb_ifdrop, isb_osdrop, isb_usrdeliv
    expect([4, 5, 7, 8].map((code) => options.get(code))).toEqual([1230n, 4n, 30n, 1000n]);
  });

  it('should write no statistics block when close gets no statistics', async () => {
    const writer = pcapngWriter('eth0');
    writer.write(recordsOf(syntheticPackets({ count: 3 })), 3);
    const [file] = await writer.close();
    expect((await capinfos(file?.path ?? '')).get('Number of stat entries')).toBe('0');
  });
});
