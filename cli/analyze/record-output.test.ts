import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRecord } from '../../core/records/record.js';
import { RecordOutput } from './record-output.js';

function record(uri: string, value: string): HttpRecord {
  return {
    schema: 1,
    kind: 'http',
    flow: '0123456789abcdef',
    communityId: '1:x',
    time: '2024-01-01T00:00:00.000000000Z',
    duration: 0,
    network: 'tcp',
    client: '10.0.0.1:1',
    server: '10.0.0.2:80',
    http: { method: 'GET', host: 'h', uri, proto: 'HTTP/1.1', request: { contentLength: 0, header: { X: [value] } } },
  };
}

describe('RecordOutput', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should write one JSON line per record, in order, across blocks and with multi-byte characters', async () => {
    dir = mkdtempSync(join(tmpdir(), 'record-output-'));
    const out = join(dir, 'records.jsonl');
    const output = new RecordOutput(out);
    const records = [
      record('/é', 'caf\xe9 \u2028 "quoted" \\ \x01'),
      ...Array.from({ length: 3000 }, (_, i) => record(`/${i}`, 'v'.repeat(i % 700))),
      record('/big', 'ü'.repeat(1_500_000)), // more than a block by itself
      record('/last', '\u{1f600}'),
    ];
    for (const [i, r] of records.entries()) {
      output.write(r);
      if (i % 500 === 0) await output.flush();
    }
    await output.close();
    expect(readFileSync(out, 'utf8')).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect(output.records).toBe(records.length);
    expect(readdirSync(dir)).toEqual(['records.jsonl']); // the temporary file was renamed
  });
});
