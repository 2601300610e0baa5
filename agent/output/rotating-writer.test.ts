import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordWriter, type PacketFileFormat, type RotationOptions } from './create-record-writer.js';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { OutputErrorCode } from './output-error.js';
import { PCAP_HEADER_BYTES } from './pcap-format.js';
import { EPB_OVERHEAD_BYTES, ISB_BYTES, pcapngHeader } from './pcapng-format.js';
import type { OutputFile } from './record-writer.js';
import { FakeClock } from './testing/fake-clock.js';
import { epochText, recordsOf, syntheticPackets } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';
import { capinfosCounts, concatenate, tsharkFields } from './testing/wireshark.js';

const dir = useTempDir();
const NODE = 'node-a';
const AGE_MS = 60_000;

function newWriter(
  format: PacketFileFormat,
  rotation: RotationOptions,
  clock = new FakeClock(),
  closed?: OutputFile[],
) {
  return createRecordWriter({
    format,
    directory: dir.path,
    filePrefix: 'rot',
    nodeName: NODE,
    linkType: 1,
    snaplen: 0,
    interfaceName: 'eth0',
    rotation,
    clock,
    ...(closed === undefined ? {} : { onFileClosed: (file: OutputFile) => closed.push(file) }),
  });
}

/** Bytes of a file with no packets, and bytes per 100-byte packet, per format. */
function layout(format: PacketFileFormat): { empty: number; perPacket: number } {
  if (format === 'pcap') return { empty: PCAP_HEADER_BYTES, perPacket: 16 + 100 };
  const header = pcapngHeader({ snaplen: 262_144, nodeName: NODE, interfaces: [{ name: 'eth0', linkType: 1 }] }).length;
  return { empty: header + ISB_BYTES, perPacket: EPB_OVERHEAD_BYTES + 100 };
}

function openDescriptorsUnder(directory: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(directory);
    } catch {
      return false;
    }
  }).length;
}

describe('rotating-writer', { timeout: 120_000 }, () => {
  it("should take a file's last packet time from the record the caller names, or find it itself", async () => {
    // 1 ms between packets, so that each packet has its own millisecond.
    const packets = syntheticPackets({ count: 50, stepNanos: 1_000_000 });
    const records = recordsOf(packets);
    const lastOffset = records.length - RECORD_HEADER_BYTES - (packets.at(-1)?.capturedLength ?? 0);
    const time = (i: number): Date => new Date(packets[i]!.seconds * 1000 + Math.floor(packets[i]!.nanos / 1e6));
    const lastTime = async (...hint: [] | [number]): Promise<Date | undefined> => {
      const writer = newWriter('pcap', { maxFileBytes: 0, maxFileAgeMs: 0 });
      await writer.write(records, packets.length, records.length, 0, ...hint);
      return (await writer.close())[0]?.lastPacketTime;
    };
    expect(await lastTime()).toEqual(time(49)); // walked
    expect(await lastTime(lastOffset)).toEqual(time(49));
    // The hint is believed, not checked (the native capture knows it): pointing at the first record says so.
    expect(await lastTime(0)).toEqual(time(0));
  });

  it.each([
    ['pcap', 1024],
    ['pcap', 4000],
    ['pcapng', 1024],
    ['pcapng', 4000],
  ] as const)('should cut %s files at %i bytes into readable files that hold every packet', async (format, max) => {
    const packets = syntheticPackets({ count: 60, sizes: [100] });
    const closed: OutputFile[] = [];
    const writer = newWriter(format, { maxFileBytes: max, maxFileAgeMs: 0 }, new FakeClock(), closed);
    for (let from = 0; from < packets.length; from += 7) {
      const batch = packets.slice(from, from + 7);
      writer.write(recordsOf(batch, from), batch.length);
    }
    const files = await writer.close();

    const { empty, perPacket } = layout(format);
    const perFile = Math.floor((max - empty) / perPacket);
    expect(files).toHaveLength(Math.ceil(60 / perFile));
    // fsync and close run in the thread pool, so files may report closed in any order.
    expect([...closed].sort((a, b) => a.path.localeCompare(b.path))).toEqual(files);
    expect(openDescriptorsUnder(dir.path)).toBe(0);
    const paths = files.map((f) => f.path);
    expect(readdirSync(dir.path).sort()).toEqual(paths.map((p) => path.basename(p)));
    for (const file of files) {
      expect(statSync(file.path).size).toBe(file.bytes);
      expect(file.bytes).toBeLessThanOrEqual(max);
      expect(file.sha256).toBe(createHash('sha256').update(readFileSync(file.path)).digest('hex'));
    }
    const counts = await capinfosCounts(paths);
    expect(counts).toEqual(files.map((f) => f.packets));
    expect(counts.slice(0, -1).every((c) => c === perFile)).toBe(true);

    const merged = path.join(dir.path, `all.${format}`);
    await concatenate(paths, merged);
    const read = await tsharkFields(merged, ['frame.time_epoch', 'frame.len']);
    expect(read.rows).toEqual(packets.map((p) => [epochText(p), '100']));
  });

  it.each(['pcap', 'pcapng'] as const)(
    'should put a %s record larger than maxFileBytes alone in its own file',
    async (format) => {
      const packets = syntheticPackets({ count: 4, sizes: [1514] });
      const writer = newWriter(format, { maxFileBytes: 1024, maxFileAgeMs: 0 });
      writer.write(recordsOf(packets), 4);
      const files = await writer.close();
      expect(files.map((f) => f.packets)).toEqual([1, 1, 1, 1]);
      expect(await capinfosCounts(files.map((f) => f.path))).toEqual([1, 1, 1, 1]);
    },
  );

  it.each(['pcap', 'pcapng'] as const)('should write only the first N records of a %s batch', async (format) => {
    const packets = syntheticPackets({ count: 10 });
    const writer = newWriter(format, { maxFileBytes: 0, maxFileAgeMs: 0 });
    writer.write(recordsOf(packets), 7);
    const [file] = await writer.close();
    expect(file?.packets).toBe(7);
    const read = await tsharkFields(file?.path ?? '', ['frame.time_epoch']);
    expect(read.rows).toEqual(packets.slice(0, 7).map((p) => [epochText(p)]));
  });

  it.each(['pcap', 'pcapng'] as const)('should close an idle %s file when its age is reached', async (format) => {
    const clock = new FakeClock();
    const writer = newWriter(format, { maxFileBytes: 0, maxFileAgeMs: AGE_MS }, clock);
    writer.write(recordsOf(syntheticPackets({ count: 5 })), 5);
    clock.advance(AGE_MS - 1);
    expect(writer.files().map((f) => f.closedAt)).toEqual([undefined]);
    clock.advance(1);
    expect(writer.files().map((f) => f.closedAt)).toEqual([new Date(clock.now())]);
    clock.advance(10 * AGE_MS);
    expect(writer.files()).toHaveLength(1);

    writer.write(recordsOf(syntheticPackets({ count: 3 })), 3);
    const files = await writer.close();
    expect(files.map((f) => [f.packets, Math.floor(f.closedAt?.getTime() ?? 0) > 0])).toEqual([
      [5, true],
      [3, true],
    ]);
    expect(path.basename(files[1]?.path ?? '')).toMatch(
      new RegExp(`^rot_${clock.now() / 1000}_[0-9a-f]{8}_node-a_000001\\.`),
    );
    expect(await capinfosCounts(files.map((f) => f.path))).toEqual([5, 3]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('should rotate on write when the file is older than maxFileAge and its timer is late', async () => {
    const clock = new FakeClock();
    const writer = newWriter('pcap', { maxFileBytes: 0, maxFileAgeMs: AGE_MS }, clock);
    writer.write(recordsOf(syntheticPackets({ count: 2 })), 2);
    clock.skip(AGE_MS);
    writer.write(recordsOf(syntheticPackets({ count: 4 })), 4);
    const files = await writer.close();
    expect(files.map((f) => f.packets)).toEqual([2, 4]);
  });

  it('should keep the open file when age rotation is off', async () => {
    const clock = new FakeClock();
    const writer = newWriter('pcap', { maxFileBytes: 0, maxFileAgeMs: 0 }, clock);
    writer.write(recordsOf(syntheticPackets({ count: 2 })), 2);
    clock.skip(365 * 24 * 3600 * 1000);
    writer.write(recordsOf(syntheticPackets({ count: 2 })), 2);
    expect((await writer.close()).map((f) => f.packets)).toEqual([4]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it.each([
    ['records cut short', 10, (r: Buffer) => r.subarray(0, r.length - 1)],
    ['more packets than records', 11, (r: Buffer) => r],
    ['a fractional packet count', 1.5, (r: Buffer) => r],
    ['a negative packet count', -1, (r: Buffer) => r],
  ])('should reject a batch with %s', async (_case, packets, cut) => {
    const writer = newWriter('pcap', { maxFileBytes: 0, maxFileAgeMs: 0 });
    expect(() => writer.write(cut(recordsOf(syntheticPackets({ count: 10 }))), packets)).toThrow(
      expect.objectContaining({ code: OutputErrorCode.MalformedBatch }),
    );
    await writer.close();
  });

  it('should refuse writes after close and return the same files on a second close', async () => {
    const writer = newWriter('pcapng', { maxFileBytes: 0, maxFileAgeMs: AGE_MS });
    writer.write(recordsOf(syntheticPackets({ count: 1 })), 1);
    const files = await writer.close();
    expect(await writer.close()).toEqual(files);
    expect(() => writer.write(recordsOf(syntheticPackets({ count: 1 })), 1)).toThrow(
      expect.objectContaining({ code: OutputErrorCode.Closed }),
    );
  });
});

describe('RotatingRecordWriter with a storage ledger', () => {
  it('should write nothing a full ledger refuses, open the next file once there is room, and close cleanly', async () => {
    let room = true;
    const asked: number[] = [];
    const writer = createRecordWriter({
      format: 'pcap',
      directory: dir.path,
      filePrefix: 'full',
      nodeName: NODE,
      linkType: 1,
      snaplen: 0,
      interfaceName: 'eth0',
      rotation: { maxFileBytes: 2048, maxFileAgeMs: 0 },
      clock: new FakeClock(),
      ledger: {
        grow: (_path, bytes) => {
          asked.push(bytes);
          return room;
        },
        settled: () => undefined,
      },
    });
    const records = recordsOf(syntheticPackets({ count: 10, sizes: [100] }));
    await writer.write(records, 10, records.length);
    room = false;
    await expect(writer.write(records, 10, records.length)).rejects.toMatchObject({
      code: OutputErrorCode.StorageFull,
    });
    room = true;
    await writer.write(records, 10, records.length);
    const bound = writer.writeBound?.(records.length, 10);
    expect(bound?.bytes).toBeGreaterThanOrEqual(records.length);
    const files = await writer.close();
    const counts = await capinfosCounts(files.map((f) => f.path));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(files.reduce((n, f) => n + f.packets, 0)).toBe(20);
    expect(Math.max(...asked)).toBeLessThanOrEqual(2048);
  });
});
