// A directory of damaged and unusual captures, each given to the real `tapedeck analyze`: every one must end
// with exit 0 (nothing wrong) or a documented code and exactly one line on stderr: no crash, no stack
// trace, no hang. The records written before the damage are valid against the schema.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcapFile, pcapngBlock, pcapngFile, type Frame } from '../../core/testing/capture-file.js';
import { tcpFrame, udpFrame } from '../../core/testing/packet-builder.js';
import { analyze } from './analyze-tools.js';

const client = { ip: '10.4.0.1', port: 40000 };
const server = { ip: '10.4.0.2', port: 53 };
const frames: Frame[] = [
  udpFrame(
    client,
    server,
    dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'x.test', type: 'A', class: 'IN' }] }),
  ),
  tcpFrame({ from: client, to: server, seq: 1, flags: 'S' }),
  tcpFrame({ from: server, to: client, seq: 7, ack: 2, flags: 'SA' }),
].map((data, i) => ({ data, time: 1_700_000_000 + i }));
const good = pcapFile(frames);
const goodNg = pcapngFile([{ frames }]);

function patched(file: Buffer, offset: number, value: number, le = true): Buffer {
  const copy = Buffer.from(file);
  if (le) copy.writeUInt32LE(value >>> 0, offset);
  else copy.writeUInt32BE(value >>> 0, offset);
  return copy;
}

const FIRST_RECORD = 24;
const FIRST_NG_PACKET = 28 + 32; // section header block, interface description block

// name → [bytes, allowed exit code, records expected at least]
const CASES: Record<string, [Buffer, number, number]> = {
  'empty.pcap': [Buffer.alloc(0), 2, 0],
  'three-bytes.pcap': [Buffer.from([0xd4, 0xc3, 0xb2]), 2, 0],
  'header-truncated.pcap': [good.subarray(0, 20), 3, 0],
  'record-header-truncated.pcap': [good.subarray(0, FIRST_RECORD + 10), 3, 0],
  'record-data-truncated.pcap': [good.subarray(0, good.length - 5), 3, 1],
  'caplen-4g.pcap': [patched(good, FIRST_RECORD + 8, 0xffffffff), 3, 0],
  'snaplen-0.pcap': [patched(good, 16, 0), 0, 3],
  'snaplen-0-caplen-300k.pcap': [patched(patched(good, 16, 0), FIRST_RECORD + 8, 300_000), 3, 0],
  'caplen-beyond-file.pcap': [patched(good, FIRST_RECORD + 8, 200_000), 3, 0],
  'unknown-link-type.pcap': [pcapFile(frames, { linkType: 147 }), 2, 0],
  'version-9.pcap': [patched(good, 4, 9, true), 2, 0],
  'big-endian.pcap': [pcapFile(frames, { littleEndian: false, nanoseconds: true }), 0, 3],
  'absurd-block.pcapng': [patched(goodNg, FIRST_NG_PACKET + 4, 0x7ffffff0), 3, 0],
  'block-not-multiple-of-4.pcapng': [patched(goodNg, FIRST_NG_PACKET + 4, 61), 3, 0],
  'trailer-mismatch.pcapng': [patched(goodNg, goodNg.length - 4, 12), 3, 2],
  'undeclared-interface.pcapng': [patched(goodNg, FIRST_NG_PACKET + 8, 5), 3, 0],
  'caplen-beyond-block.pcapng': [patched(goodNg, FIRST_NG_PACKET + 20, 5000), 3, 0],
  'section-only.pcapng': [goodNg.subarray(0, 28), 0, 0],
  'sections-both-byte-orders.pcapng': [
    pcapngFile([{ frames }, { frames, littleEndian: false, linkType: 1 }, { frames, tsresol: 9 }]),
    0,
    3,
  ],
  'unknown-link-type.pcapng': [pcapngFile([{ frames, linkType: 147 }]), 2, 0],
  'custom-blocks.pcapng': [
    Buffer.concat([
      goodNg.subarray(0, FIRST_NG_PACKET),
      pcapngBlock(0x40000bad, Buffer.alloc(40)),
      goodNg.subarray(FIRST_NG_PACKET),
    ]),
    0,
    3,
  ],
  'random.bin': [Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => (i * 2654435761) >>> 24)), 2, 0],
  'text.pcap': [Buffer.from('this is not a capture\n'), 2, 0],
};

describe('tapedeck analyze on malformed captures', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-malformed-'));
    for (const [name, [bytes]] of Object.entries(CASES)) await writeFile(path.join(dir, name), bytes);
    await mkdir(path.join(dir, 'a-directory.pcap'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.entries(CASES))(
    'should handle %s with its exit code and at most one line',
    async (name, [, code, atLeast]) => {
      const result = await analyze([path.join(dir, name)]);
      expect(result.code).toBe(code);
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(code === 0 ? 0 : 1);
      if (code !== 0) expect(lines[0]).toMatch(new RegExp(`^tapedeck: \\S*/${name.replace('.', '\\.')}: [a-z]`));
      expect(result.stderr).not.toMatch(/\n\s+at /);
      // Flows are written at the end, so a damaged file still yields the flows seen before the damage.
      expect(result.records.length).toBeGreaterThanOrEqual(atLeast);
    },
  );

  it.each([
    ['a missing file', 'missing.pcap', /^tapedeck: cannot read .*missing\.pcap: ENOENT/],
    ['a directory', 'a-directory.pcap', /^tapedeck: cannot read .*a-directory\.pcap: EISDIR/],
  ])('should report %s in one line with exit 2', async (_what, name, message) => {
    const result = await analyze([path.join(dir, name)]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('should go on to the next file after a damaged one and exit 3', async () => {
    const files = ['snaplen-0.pcap', 'record-data-truncated.pcap', 'big-endian.pcap'].map((f) => path.join(dir, f));
    const result = await analyze(files);
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.records.filter((r) => r.kind === 'dns')).toHaveLength(1); // the same unanswered query id 1, 3 times: first copy counts
  });
});
