import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../operator/api/recording.js';
import { captureFiles, statusYaml } from './report.js';

let dir = '';

/** A classic pcap (LINKTYPE_RAW) holding `count` copies of a 20-byte IPv4 header. */
function pcap(count: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const ip = Buffer.from('4500001400000000401100007f0000017f000001', 'hex');
  const records = Array.from({ length: count }, (_, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_700_000_000 + i, 0);
    record.writeUInt32LE(ip.length, 8);
    record.writeUInt32LE(ip.length, 12);
    return Buffer.concat([record, ip]);
  });
  return Buffer.concat([header, ...records]);
}

const recording = (files: { name: string; format: string }[]): Recording =>
  ({
    metadata: { name: 'loopback', namespace: 'demo' },
    status: { phase: 'Completed', nodes: [{ name: 'vm', files }] },
  }) as unknown as Recording;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-demo-report-'));
  await writeFile(path.join(dir, 'a.pcap'), pcap(3));
  await writeFile(path.join(dir, 'a.json'), '{}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('demo report', () => {
  it('should locate the capture files of the node rows and count their packets with capinfos', async () => {
    const files = await captureFiles(
      recording([
        { name: 'a.pcap', format: 'pcap' },
        { name: 'a.json', format: 'json' },
      ]),
      dir,
    );
    expect(files).toEqual([{ node: 'vm', path: path.join(dir, 'a.pcap'), packets: 3 }]);
  });

  it('should fail with the missing file when a node row names a file that is not on disk', async () => {
    await expect(captureFiles(recording([{ name: 'gone.pcapng', format: 'pcapng' }]), dir)).rejects.toThrow(
      /gone\.pcapng/,
    );
  });

  it('should print the status under a status key', () => {
    expect(statusYaml(recording([]))).toMatch(/^status:\n {2}phase: Completed\n/);
  });
});
