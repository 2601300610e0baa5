import { describe, expect, it } from 'vitest';
import { PcapngParser } from '../capture/pcapng-parser.js';
import { pcapFile as capturePcap } from '../testing/capture-file.js';
import { mergeToPcapng } from './k-way-merge.js';
import type { ByteSink, MergeInput } from './k-way-merge.js';
import { PacketSource, READ_CHUNK } from './packet-source.js';
import type { ByteSource } from './packet-source.js';
import { enhancedPacket, interfaceDescription, sectionHeader } from './pcapng-encoder.js';

function bufferSource(data: Buffer): ByteSource {
  let at = 0;
  return {
    async read(into, offset, length) {
      const n = Math.min(length, data.length - at);
      data.copy(into, offset, at, at + n);
      at += n;
      return n;
    },
  };
}

/** A pcap (µs) file of `count` packets from `start` µs, `step` µs apart, each payload naming it. */
function pcapFile(tag: string, count: number, startUs: number, stepUs: number, size = 60): Buffer {
  return capturePcap(
    Array.from({ length: count }, (_, i) => {
      const data = Buffer.alloc(size);
      data.write(`${tag}:${i}`);
      return { data, time: (startUs + i * stepUs) / 1e6, originalLength: size + 4 };
    }),
  );
}

async function merge(files: Buffer[], names: string[][]) {
  const chunks: Buffer[] = [];
  const sink: ByteSink = { write: async (data) => void chunks.push(data) };
  const inputs: MergeInput[] = files.map((f, i) => ({
    source: new PacketSource(bufferSource(f), `f${i}`),
    interfaceName: (index) => ({ name: names[i]![index] ?? `f${i}/if${index}` }),
  }));
  const result = await mergeToPcapng(inputs, sink);
  const out = Buffer.concat(chunks);
  const seen: { ns: bigint; payload: string; linkType: number }[] = [];
  const parser = new PcapngParser({
    packet: (data, offset, captured, _orig, sec, nsec, linkType) =>
      seen.push({
        ns: BigInt(sec) * 1_000_000_000n + BigInt(nsec),
        payload: data.toString('latin1', offset, offset + 12).replace(/\0.*$/, ''),
        linkType,
      }),
  });
  const end = parser.parse(out, 0, out.length);
  parser.finish(out.length - end);
  return { result, seen, out };
}

describe('mergeToPcapng', () => {
  it('should interleave inputs in timestamp order, every packet once, with one named interface per input', async () => {
    const files = [pcapFile('a', 500, 1_000_000, 7), pcapFile('b', 300, 1_000_003, 11), pcapFile('c', 1, 999_999, 1)];
    const { result, seen } = await merge(files, [['node-a/eth0'], ['node-b/eth0'], ['node-c/lo']]);
    expect(result.packets).toBe(801);
    expect(seen).toHaveLength(801);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.ns >= seen[i - 1]!.ns).toBe(true);
    expect(seen[0]!.payload).toBe('c:0');
    expect(new Set(seen.map((s) => s.payload)).size).toBe(801);
    expect([...result.interfaces].sort()).toEqual(['node-a/eth0', 'node-b/eth0', 'node-c/lo']);
  });

  it('should keep memory bounded by reading inputs larger than a chunk piecewise', async () => {
    const big = pcapFile('big', 4000, 0, 1, 200); // ~860 KiB, several chunks
    expect(big.length).toBeGreaterThan(3 * READ_CHUNK);
    const { result, seen } = await merge([big, pcapFile('s', 10, 5, 1000)], [['n/a'], ['n/b']]);
    expect(result.packets).toBe(4010);
    expect(seen.filter((s) => s.payload.startsWith('big:'))).toHaveLength(4000);
  });

  it('should map each interface of a multi-interface pcapng input to its own output interface', async () => {
    const ns = (n: number) => n;
    const file = Buffer.concat([
      sectionHeader('test'),
      interfaceDescription(1, 'eth0'),
      interfaceDescription(1, 'eth1'),
      enhancedPacket(0, 1, ns(10), Buffer.from('x:0'), 3),
      enhancedPacket(1, 1, ns(20), Buffer.from('y:0'), 3),
      enhancedPacket(0, 1, ns(30), Buffer.from('x:1'), 3),
    ]);
    const { result, seen } = await merge([file], [['node-a/eth0', 'node-a/eth1']]);
    expect(result.interfaces).toEqual(['node-a/eth0', 'node-a/eth1']);
    expect(seen.map((s) => s.payload)).toEqual(['x:0', 'y:0', 'x:1']);
    expect(seen.map((s) => s.ns)).toEqual([1_000_000_010n, 1_000_000_020n, 1_000_000_030n]);
  });

  it('should fail naming the damage when an input is truncated', async () => {
    const damaged = pcapFile('d', 10, 0, 1).subarray(0, 24 + 16 + 30);
    await expect(merge([damaged], [['n/x']])).rejects.toThrow(/trunc/i);
  });
});
