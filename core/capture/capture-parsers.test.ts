import { describe, expect, it } from 'vitest';
import { pcapFile, pcapngBlock, pcapngFile, type Frame } from '../testing/capture-file.js';
import { CaptureError, CaptureErrorCode } from './capture-error.js';
import { createCaptureParser } from './create-capture-parser.js';
import type { PacketSink } from './packet-sink.js';

interface Seen {
  length: number;
  original: number;
  sec: number;
  nsec: number;
  linkType: number;
  first: number;
}

function parseAll(file: Buffer, chunk = file.length): Seen[] {
  const seen: Seen[] = [];
  const sink: PacketSink = {
    packet(data, offset, captured, original, sec, nsec, linkType) {
      seen.push({ length: captured, original, sec, nsec, linkType, first: data[offset] ?? -1 });
    },
  };
  const parser = createCaptureParser(file, sink);
  // Feed in pieces, as the CLI does with its read buffer, carrying the unconsumed tail.
  let carry = Buffer.alloc(0);
  for (let at = 0; at < file.length; at += chunk) {
    const buf = Buffer.concat([carry, file.subarray(at, at + chunk)]);
    carry = Buffer.from(buf.subarray(parser.parse(buf, 0, buf.length)));
  }
  parser.finish(carry.length);
  return seen;
}

const frames: Frame[] = [
  { data: Buffer.from([1, 2, 3, 4, 5]), time: 1_700_000_000.25 },
  { data: Buffer.from([9, 8, 7]), time: 1_700_000_001.5, originalLength: 1500 },
];

function errorOf(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaptureError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('capture parsers', () => {
  it.each([
    ['pcap, little-endian, microseconds', pcapFile(frames)],
    ['pcap, big-endian, microseconds', pcapFile(frames, { littleEndian: false })],
    ['pcap, nanoseconds', pcapFile(frames, { nanoseconds: true })],
    ['pcapng, little-endian', pcapngFile([{ frames }])],
    ['pcapng, big-endian, nanosecond tsresol', pcapngFile([{ frames, littleEndian: false, tsresol: 9 }])],
  ])('should read every packet of a %s file, whole or in small chunks', (_name, file) => {
    for (const chunk of [file.length, 7, 1]) {
      const seen = parseAll(file, chunk);
      expect(seen.map((s) => [s.length, s.original, s.first, s.sec])).toEqual([
        [5, 5, 1, 1_700_000_000],
        [3, 1500, 9, 1_700_000_001],
      ]);
      expect(seen[0]?.nsec).toBe(250_000_000);
      expect(seen[1]?.nsec).toBe(500_000_000);
    }
  });

  it('should read a pcapng file with several sections of different byte orders and link types', () => {
    const file = pcapngFile([
      { frames: [frames[0] as Frame], littleEndian: true, linkType: 1 },
      { frames: [frames[1] as Frame], littleEndian: false, linkType: 276 },
    ]);
    expect(parseAll(file, 13).map((s) => [s.first, s.linkType])).toEqual([
      [1, 1],
      [9, 276],
    ]);
  });

  it('should skip blocks it does not know', () => {
    const file = pcapngFile([{ frames }]);
    const withCustom = Buffer.concat([
      file.subarray(0, 28 + 32),
      pcapngBlock(0x0bad, Buffer.from('xy')),
      file.subarray(28 + 32),
    ]);
    expect(parseAll(withCustom)).toHaveLength(2);
  });

  it.each([
    ['a pcap cut inside a record', pcapFile(frames).subarray(0, 24 + 16 + 2), CaptureErrorCode.Truncated],
    ['a pcap cut inside its header', pcapFile(frames).subarray(0, 10), CaptureErrorCode.Truncated],
    ['a pcapng cut inside a block', pcapngFile([{ frames }]).subarray(0, 70), CaptureErrorCode.Truncated],
    ['an unknown magic number', Buffer.from('hello world, not a capture'), CaptureErrorCode.NotACapture],
    ['an unsupported pcap link type', pcapFile(frames, { linkType: 147 }), CaptureErrorCode.UnsupportedLinkType],
    ['an unsupported pcapng link type', pcapngFile([{ frames, linkType: 147 }]), CaptureErrorCode.UnsupportedLinkType],
  ])('should stop at %s with a one-line error', (_name, file, code) => {
    const err = errorOf(() => parseAll(file));
    expect(err.code).toBe(code);
    expect(err.message).not.toContain('\n');
  });

  it('should reject an absurd captured length instead of waiting for it', () => {
    const file = pcapFile(frames);
    file.writeUInt32LE(0x7fffffff, 24 + 8);
    const err = errorOf(() => parseAll(file));
    expect(err.code).toBe(CaptureErrorCode.Corrupt);
    expect(err.message).toMatch(/captured length 2147483647/);
  });

  it('should reject an absurd pcapng block length', () => {
    const file = pcapngFile([{ frames }]);
    file.writeUInt32LE(0x40000000, 28 + 32 + 4); // section header, interface description, then the first packet block
    expect(errorOf(() => parseAll(file)).code).toBe(CaptureErrorCode.Corrupt);
  });

  it('should deliver the packets before the damage', () => {
    const file = pcapFile(frames);
    const seen: number[] = [];
    const parser = createCaptureParser(file, { packet: (_d, _o, captured) => seen.push(captured) });
    const cut = file.subarray(0, file.length - 1);
    const end = parser.parse(cut, 0, cut.length);
    expect(() => parser.finish(cut.length - end)).toThrow(/truncated pcap record/);
    expect(seen).toEqual([5]);
  });
});
