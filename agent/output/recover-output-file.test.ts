import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordWriter, type PacketFileFormat } from './create-record-writer.js';
import { OutputErrorCode } from './output-error.js';
import { removePartialFiles, trimTornTail } from './recover-output-file.js';
import { recordsOf, syntheticPackets } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';
import { capinfosCounts } from './testing/wireshark.js';

const dir = useTempDir();

async function writeFile(format: PacketFileFormat, count: number): Promise<string> {
  const writer = createRecordWriter({
    format,
    directory: dir.path,
    filePrefix: 'rec',
    nodeName: 'node-a',
    linkType: 1,
    snaplen: 0,
    interfaceName: 'eth0',
  });
  writer.write(recordsOf(syntheticPackets({ count, sizes: [60, 1514, 99] })), count);
  const [file] = await writer.close();
  return file?.path ?? '';
}

describe('recover-output-file', { timeout: 60_000 }, () => {
  // pcapng counts blocks: section header + interface description + one per packet.
  it.each([
    ['pcap', 0, 3000, 3000],
    ['pcap', 1, 3000, 2999],
    ['pcap', 10, 3000, 2999],
    ['pcap', 1530, 3000, 2998], // the last record (115 bytes) and most of the one before (1530)
    ['pcapng', 0, 3000, 3002],
    ['pcapng', 2, 3000, 3001],
    ['pcapng', 1600, 3000, 3000],
    ['pcap', 30, 1, 0],
  ] as const)(
    'should cut a %s file torn %i bytes short back to whole records',
    async (format, missing, count, records) => {
      const file = await writeFile(format, count);
      const whole = statSync(file).size;
      truncateSync(file, whole - missing);
      const result = trimTornTail(file);
      expect(result.records).toBe(records);
      expect(statSync(file).size).toBe(result.bytes);
      expect(result.trimmedBytes).toBe(whole - missing - result.bytes);
      expect(result.trimmedBytes === 0).toBe(missing === 0);
      const packets = format === 'pcap' ? records : records - 2;
      expect(await capinfosCounts([file])).toEqual([packets]); // capinfos exits non-zero on a torn file
    },
  );

  it('should cut a .jsonl file with a torn last line back to its whole lines', () => {
    const file = path.join(dir.path, 'r_1_00000000_node-a_000000.jsonl');
    writeFileSync(file, '{"a":1}\n{"b":2}\n{"c":');
    expect(trimTornTail(file)).toEqual({ bytes: 16, trimmedBytes: 5, records: 2, packets: 2, capturedBytes: 0 });
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });

  it('should refuse a file that is not a capture', () => {
    const file = path.join(dir.path, 'x.pcap');
    writeFileSync(file, 'not a capture file at all');
    expect(() => trimTornTail(file)).toThrow(expect.objectContaining({ code: OutputErrorCode.InvalidOptions }));
    expect(readFileSync(file, 'utf8')).toBe('not a capture file at all');
  });

  it('should remove only the hidden partial files', () => {
    for (const name of ['.a.pcap.partial', '.b.pcapng.partial', 'c.pcap', 'd.partial']) {
      writeFileSync(path.join(dir.path, name), '');
    }
    expect(removePartialFiles(dir.path).sort()).toEqual(['.a.pcap.partial', '.b.pcapng.partial']);
    expect(readdirSync(dir.path).sort()).toEqual(['c.pcap', 'd.partial']);
  });
});
