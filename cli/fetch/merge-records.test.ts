import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CliError } from '../cli-error.js';
import { mergeRecordFiles, timeNs } from './merge-records.js';

const dir = mkdtempSync(join(tmpdir(), 'tapedeck-merge-records-'));
const manifestFile = (key: string): ManifestFile => ({
  key,
  format: 'json',
  bytes: 0,
  packets: 0,
  interfaces: [],
  linkType: 0,
  sha256: '0'.repeat(64),
});

function input(node: string, lines: readonly string[]) {
  const path = join(dir, `${node}.jsonl`);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return { node, path, file: manifestFile(`k/${node}.jsonl`) };
}

describe('timeNs', () => {
  it.each([
    ['2026-12-02T10:00:00Z', 1796205600000000000n],
    ['2026-12-02T10:00:00.5Z', 1796205600500000000n],
    ['2026-12-02T10:00:00.000000001Z', 1796205600000000001n],
  ])('should read %s to the nanosecond', (text, ns) => {
    expect(timeNs(text)).toBe(ns);
  });

  it.each(['2026-12-02 10:00:00Z', '2026-12-02T10:00:00+01:00', '2026-12-02T10:00:00.1234567890Z', ''])(
    'should refuse %j',
    (text) => {
      expect(timeNs(text)).toBeUndefined();
    },
  );
});

describe('mergeRecordFiles', () => {
  it('should order records by end time across files, keep ties in input order and name the node', async () => {
    const a = input('node-a', [
      '{"time":"2026-12-02T10:00:00Z","duration":3000000000,"flow":"a1"}', // ends :03
      '{"time":"2026-12-02T10:00:04Z","duration":0,"flow":"a2","node":"kept"}', // ends :04
    ]);
    const b = input('node-b', [
      '{"time":"2026-12-02T10:00:01Z","duration":1000000000,"flow":"b1"}', // ends :02
      '',
      '{"time":"2026-12-02T10:00:02Z","duration":1000000000,"flow":"b2"}', // ends :03, after a1 (tie)
    ]);
    const output = join(dir, 'merged.jsonl');
    expect(await mergeRecordFiles([a, b], output)).toEqual({ records: 4 });
    const merged = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { flow: string; node: string });
    expect(merged.map((r) => `${r.flow}@${r.node}`)).toEqual(['b1@node-b', 'a1@node-a', 'b2@node-b', 'a2@kept']);
  });

  it('should name the file and line of a record it cannot order, and leave no output', async () => {
    const bad = input('node-c', ['{"time":"2026-12-02T10:00:00Z","duration":1}', '{"time":"yesterday","duration":1}']);
    const output = join(dir, 'never.jsonl');
    const error = await mergeRecordFiles([bad], output).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      'k/node-c.jsonl line 2: a record needs an RFC 3339 "time" and a nanosecond "duration"',
    );
    expect(() => readFileSync(output)).toThrow(/ENOENT/);
  });
});
