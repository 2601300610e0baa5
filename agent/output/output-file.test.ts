import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRecordWriter, type PacketFileFormat } from './create-record-writer.js';
import { epochText, recordsOf, syntheticPackets } from './testing/synthetic-packets.js';
import { useTempDir } from './testing/temp-dir.js';
import { capinfosCounts, concatenate, tsharkFields } from './testing/wireshark.js';

const dir = useTempDir();
const CHILD = fileURLToPath(new URL('./testing/writer-child.ts', import.meta.url));
const KILL_AFTER_PACKETS = 20_000;
const CUT_SHORT = /appears to have been cut short in the middle of a packet/;

/** Runs the writer child until it reports `atLeast` packets written, then SIGKILLs it; returns the last report. */
async function writeThenKill(format: PacketFileFormat, maxFileBytes: number, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, format, dir.path, String(maxFileBytes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let reported = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().trim().split('\n');
    reported = Math.max(reported, Number(lines.at(-1)));
    if (reported >= atLeast) child.kill('SIGKILL');
  });
  const signal = await exited;
  expect(stderr).toBe('');
  expect(signal).toBe('SIGKILL');
  return reported;
}

function captureFiles(): string[] {
  return readdirSync(dir.path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => path.join(dir.path, name));
}

describe('output-file', { timeout: 120_000 }, () => {
  it.each([
    ['pcap', 0],
    ['pcapng', 0],
    ['pcap', 256 * 1024],
    ['pcapng', 256 * 1024],
  ] as const)(
    'should leave %s files (rotation at %i bytes) that tshark reads after kill -9',
    async (format, maxFileBytes) => {
      const reported = await writeThenKill(format, maxFileBytes, KILL_AFTER_PACKETS);
      const files = captureFiles();
      expect(files.length).toBeGreaterThanOrEqual(maxFileBytes === 0 ? 1 : 2);
      const closed = files.slice(0, -1); // every file rotated before the kill reads cleanly
      const counts = closed.length === 0 ? [] : await capinfosCounts(closed);
      const merged = path.join(dir.path, `.merged.${format}`);
      await concatenate(files, merged);
      const read = await tsharkFields(merged, ['frame.time_epoch', 'frame.len']);
      // Every write() the child finished is there; a write cut by the kill may add whole records.
      expect(read.exitCode === 0 || CUT_SHORT.test(read.stderr)).toBe(true);
      expect(read.rows.length).toBeGreaterThanOrEqual(reported);
      expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(read.rows.length);
      const expected = syntheticPackets({ count: read.rows.length, sizes: [60, 61, 62, 63, 200, 1514] });
      expect(read.rows).toEqual(expected.map((p) => [epochText(p), String(p.originalLength)]));
    },
  );

  it.each([
    ['pcap', 1],
    ['pcap', 17],
    ['pcapng', 1],
    ['pcapng', 40],
  ] as const)('should keep every whole record of a %s file torn %i bytes short', async (format, missing) => {
    const packets = syntheticPackets({ count: 10, sizes: [100] });
    const writer = createRecordWriter({
      format,
      directory: dir.path,
      filePrefix: 'torn',
      nodeName: 'node-a',
      linkType: 1,
      snaplen: 0,
      interfaceName: 'eth0',
    });
    writer.write(recordsOf(packets), 10);
    const [file] = await writer.close();
    truncateSync(file?.path ?? '', readFileSync(file?.path ?? '').length - missing);
    const read = await tsharkFields(file?.path ?? '', ['frame.time_epoch']);
    expect(read.stderr).toMatch(CUT_SHORT);
    expect(read.rows).toEqual(packets.slice(0, 9).map((p) => [epochText(p)]));
  });
});
