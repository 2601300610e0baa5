import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { captureParserFor, createFlowEngine } from '../analyzer.js';
import { CaptureError } from '../capture/capture-error.js';
import { pcapFile, pcapngFile, type Frame } from '../testing/capture-file.js';
import { tcpFrame, udpFrame } from '../testing/packet-builder.js';
import { assertValidRecord } from '../testing/validate-record.js';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const c = { ip: '10.3.0.1', port: 40000 };
const s = { ip: '10.3.0.2', port: 53 };
const seedFrames: Frame[] = [
  tcpFrame({ from: c, to: s, seq: 1, flags: 'S' }),
  tcpFrame({ from: s, to: c, seq: 9, ack: 2, flags: 'SA' }),
  tcpFrame({
    from: c,
    to: s,
    seq: 2,
    ack: 10,
    flags: 'PA',
    payload: Buffer.from('\u0000\u0020hello dns over tcp, not really'),
  }),
  udpFrame(c, s, dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'x.test', type: 'A', class: 'IN' }] })),
  tcpFrame({ from: c, to: s, seq: 2, ack: 10, flags: 'FA' }),
].map((data, i) => ({ data, time: 1 + i }));

function run(file: Buffer): void {
  const engine = createFlowEngine(assertValidRecord, { maxFlows: 4 });
  try {
    const parser = captureParserFor(file, engine);
    parser.finish(file.length - parser.parse(file, 0, file.length));
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    expect(err.message).not.toContain('\n');
  }
  engine.finish();
}

describe('flow engine robustness', () => {
  it.each([
    ['pcap', pcapFile(seedFrames)],
    ['pcapng', pcapngFile([{ frames: seedFrames }, { frames: seedFrames, littleEndian: false, linkType: 101 }])],
  ])('should never throw anything but a CaptureError on mutated %s files', (_name, original) => {
    const next = random(0x7d);
    for (let round = 0; round < 3000; round++) {
      const file = Buffer.from(original);
      const flips = 1 + Math.floor(next() * 8);
      for (let i = 0; i < flips; i++) file[24 + Math.floor(next() * (file.length - 24))] = Math.floor(next() * 256);
      const cut = next() < 0.2 ? Math.floor(next() * file.length) : file.length;
      run(file.subarray(0, cut));
    }
  });

  it('should never throw on random frame contents of every link type', () => {
    const next = random(0x11);
    for (const linkType of [0, 1, 101, 108, 113, 228, 229, 276]) {
      const frames: Frame[] = [];
      for (let i = 0; i < 500; i++) {
        const data = Buffer.alloc(Math.floor(next() * 120));
        for (let j = 0; j < data.length; j++) data[j] = Math.floor(next() * 256);
        if (data.length > 20 && next() < 0.5) data[linkType === 1 ? 14 : 0] = next() < 0.5 ? 0x45 : 0x60;
        frames.push({ data, time: i });
      }
      run(pcapFile(frames, { linkType }));
    }
  });
});
