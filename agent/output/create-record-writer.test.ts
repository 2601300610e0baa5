import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordWriter, type RecordWriterOptions } from './create-record-writer.js';
import { OutputErrorCode } from './output-error.js';
import { PCAP_HEADER_BYTES } from './pcap-format.js';
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
  it('should create the first file at once, named after Hubble with the default prefix', async () => {
    const writer = createRecordWriter(options());
    const [file] = writer.files();
    expect(path.dirname(file?.path ?? '')).toBe(dir.path);
    expect(path.basename(file?.path ?? '')).toMatch(/^hubble_\d{10}_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(readFileSync(file?.path ?? '')).toHaveLength(PCAP_HEADER_BYTES);
    expect(await writer.close()).toMatchObject([{ packets: 0, bytes: PCAP_HEADER_BYTES }]);
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

  it('should report a missing directory as an I/O error', () => {
    expect(() => createRecordWriter(options({ directory: path.join(dir.path, 'missing') }))).toThrow(
      expect.objectContaining({ code: OutputErrorCode.Io }),
    );
  });
});

function readdirCount(directory: string): number {
  return readdirSync(directory).length;
}
