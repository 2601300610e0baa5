import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordWriter, type RecordWriterOptions } from './create-record-writer.js';
import { OutputErrorCode } from './output-error.js';
import { PCAP_HEADER_BYTES } from './pcap-format.js';
import { recordsOf, syntheticPackets } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';

const dir = useTempDir();

function options(override: Partial<RecordWriterOptions> = {}): RecordWriterOptions {
  return {
    format: 'pcap',
    directory: dir.path,
    filePrefix: '',
    nodeName: 'node-a',
    linkType: 1,
    snaplen: 0,
    interfaceName: 'any',
    ...override,
  };
}

describe('create-record-writer', () => {
  it.each([
    ['pcap', 'ns', 0],
    ['pcap', 'us', 0],
    ['pcapng', 'ns', 0],
    ['pcap', 'ns', 4096],
    ['pcapng', 'ns', 4096],
  ] as const)(
    'should write the same %s (%s, rotation %i) whether or not the batch byte length is given',
    async (format, timestampResolution, maxFileBytes) => {
      const records = recordsOf(syntheticPackets({ count: 120 }));
      const contents = async (prefix: string, withLength: boolean): Promise<Buffer[]> => {
        const writer = createRecordWriter(
          options({ format, timestampResolution, filePrefix: prefix, rotation: { maxFileBytes, maxFileAgeMs: 0 } }),
        );
        for (let i = 0; i < 3; i++) writer.write(records, 120, withLength ? records.length : undefined);
        const files = await writer.close();
        return files.map((f) => readFileSync(f.path));
      };
      const walked = await contents('walked', false);
      const whole = await contents('whole', true);
      expect(whole.length).toBe(walked.length);
      expect(maxFileBytes === 0 ? whole.length === 1 : whole.length > 1).toBe(true);
      whole.forEach((bytes, i) => expect(bytes.subarray(24)).toEqual(walked[i]?.subarray(24)));
    },
  );

  it('should open the first file at once, named after Hubble with the default prefix', async () => {
    const writer = createRecordWriter(options());
    const [file] = writer.files();
    expect(path.dirname(file?.path ?? '')).toBe(dir.path);
    expect(path.basename(file?.path ?? '')).toMatch(/^hubble_\d{10}_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(await writer.close()).toMatchObject([{ packets: 0, bytes: PCAP_HEADER_BYTES }]);
    expect(readFileSync(file?.path ?? '')).toHaveLength(PCAP_HEADER_BYTES);
  });

  it.each([
    ['filePrefix', { filePrefix: '../x' }, OutputErrorCode.InvalidName],
    ['nodeName', { nodeName: 'node/../../etc' }, OutputErrorCode.InvalidName],
    ['format', { format: 'json' as 'pcap' }, OutputErrorCode.InvalidOptions],
    ['linkType', { linkType: 65_536 }, OutputErrorCode.InvalidOptions],
    ['linkType', { linkType: -1 }, OutputErrorCode.InvalidOptions],
    ['snaplen', { snaplen: 262_145 }, OutputErrorCode.InvalidOptions],
    ['snaplen', { snaplen: 1.5 }, OutputErrorCode.InvalidOptions],
    ['interfaceName', { interfaceName: '' }, OutputErrorCode.InvalidOptions],
    ['interfaceName', { interfaceName: 'eth 0' }, OutputErrorCode.InvalidOptions],
    ['interfaceName', { interfaceName: 'x'.repeat(65) }, OutputErrorCode.InvalidOptions],
    ['timestampResolution', { timestampResolution: 'ms' as 'us' }, OutputErrorCode.InvalidOptions],
    ['rotation.maxFileBytes', { rotation: { maxFileBytes: 1023, maxFileAgeMs: 0 } }, OutputErrorCode.InvalidOptions],
    ['rotation.maxFileBytes', { rotation: { maxFileBytes: -1, maxFileAgeMs: 0 } }, OutputErrorCode.InvalidOptions],
    ['rotation.maxFileAgeMs', { rotation: { maxFileBytes: 0, maxFileAgeMs: 999 } }, OutputErrorCode.InvalidOptions],
    ['directory', { directory: 'relative/dir' }, OutputErrorCode.InvalidOptions],
  ])('should reject a bad %s with a typed error', (field, override, code) => {
    expect(() => createRecordWriter(options(override))).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(field === 'format' ? 'format' : '') }),
    );
    expect(existsSync(dir.path) && readdirCount(dir.path)).toBe(0);
  });

  it('should report a missing directory as an I/O error of the write and of close', async () => {
    // File system calls run in the thread pool: the failure arrives with the first write.
    const writer = createRecordWriter(options({ directory: path.join(dir.path, 'missing') }));
    const records = Buffer.alloc(16 + 60);
    records.writeUInt32LE(60, 8);
    records.writeUInt32LE(60, 12);
    await expect(writer.write(records, 1)).rejects.toMatchObject({ code: OutputErrorCode.Io });
    await expect(writer.close()).rejects.toMatchObject({ code: OutputErrorCode.Io });
  });
});

function readdirCount(directory: string): number {
  return readdirSync(directory).length;
}
