import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../core/testing/capture-file.js';
import { scriptFrames } from '../../core/testing/tcp-script.js';
import { assertValidRecord } from '../../core/testing/validate-record.js';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { createJsonRecordWriter } from './create-record-writer.js';
import { HOST_LITTLE_ENDIAN } from './file-encoder.js';
import type { OutputFile } from './record-writer.js';
import { FakeClock } from './testing/fake-clock.js';
import { useTempDir } from './testing/temp-dir.js';

const dir = useTempDir();

/** Frames as one capture batch (nanosecond records, host byte order). */
function batchOf(frames: readonly Frame[]): { records: Buffer; bytes: number } {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const h = Buffer.alloc(RECORD_HEADER_BYTES);
    const sec = Math.floor(f.time);
    const w = (v: number, o: number): number => (HOST_LITTLE_ENDIAN ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o));
    w(sec, 0);
    w(Math.round((f.time - sec) * 1e6) * 1000, 4);
    w(f.data.length, 8);
    w(f.data.length, 12);
    parts.push(h, f.data);
  }
  const records = Buffer.concat(parts);
  return { records, bytes: records.length };
}

function exchange(i: number): Frame[] {
  return scriptFrames(
    [
      { c: `GET /item/${i} HTTP/1.1\r\nHost: shop.test\r\nAuthorization: Bearer s3cret\r\nX-Api-Key: k${i}\r\n\r\n` },
      { s: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok` },
    ],
    { client: { ip: '10.1.0.1', port: 40000 + i }, server: { ip: '10.1.0.2', port: 80 }, start: 1_700_000_000 + i },
  );
}

describe('JsonRecordWriter', () => {
  it('should write flow and http records stamped with node and recording into size-rotated .jsonl files', async () => {
    const closed: OutputFile[] = [];
    const writer = createJsonRecordWriter({
      directory: dir.path,
      filePrefix: 'rec',
      nodeName: 'node-a',
      interfaces: [{ name: 'eth0', linkType: 1 }],
      rotation: { maxFileBytes: 4096, maxFileAgeMs: 0 },
      clock: new FakeClock(),
      recording: 'shop/checkout',
      redaction: { headers: ['X-Api-Key'] },
      onFileClosed: (file) => closed.push(file),
    });
    for (let i = 0; i < 20; i++) {
      const { records, bytes } = batchOf(exchange(i));
      await writer.write(records, exchange(i).length, bytes);
    }
    const files = await writer.close();
    expect(files.length).toBeGreaterThan(2);
    expect(closed.map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
    const names = readdirSync(dir.path).sort();
    expect(names.every((n) => /^rec_\d+_[0-9a-f]{8}_node-a_\d{6}\.jsonl$/.test(n))).toBe(true);
    const lines = names.flatMap((n) => readFileSync(path.join(dir.path, n), 'utf8').split('\n').filter(Boolean));
    for (const file of files) {
      expect(file.bytes).toBeLessThanOrEqual(4096);
      expect(file.format).toBe('json');
      expect(file.packets).toBe(readFileSync(file.path, 'utf8').split('\n').filter(Boolean).length);
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) assertValidRecord(r);
    expect(records.every((r) => r.node === 'node-a' && r.recording === 'shop/checkout')).toBe(true);
    const http = records.filter((r) => r.kind === 'http') as unknown as {
      http: { uri: string; request: { header: Record<string, string[]> } };
    }[];
    expect(http.map((r) => r.http.uri).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `/item/${i}`).sort());
    expect(http[0]?.http.request.header).toMatchObject({ Authorization: ['[redacted]'], 'X-Api-Key': ['[redacted]'] });
    expect(records.filter((r) => r.kind === 'flow')).toHaveLength(20);
    expect(writer.recordStats?.()).toEqual({ records: 40, flows: 20, evictions: 0 });
  });
});
