// Exported recordings for the CLI tests: per-node capture files written here (pcap with µs and
// pcapng with several interfaces and ns), exported by the agent's real export queue to a store.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { enhancedPacket, interfaceDescription, sectionHeader } from '../../core/merge/pcapng-encoder.js';
import { pcapFile as capturePcap } from '../../core/testing/capture-file.js';
import type { RunLocation } from '../../core/manifest/object-key.js';
import { ExportQueue } from '../../agent/export/export-queue.js';
import type { ExportFile } from '../../agent/export/export-queue.js';
import type { ExportTarget } from '../../agent/export/export-target.js';
import { systemClock } from '../../agent/output/clock.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real program, from the repository (tsx), as a user runs it. */
export function tapedeck(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args],
      { cwd: ROOT, env, timeout: 120_000 },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const BASE_US = 1_796_000_000_000_000; // an instant in 2026, in µs

/** A frame: a broadcast Ethernet header, then `size - 14` random bytes. */
function frame(size: number): Buffer {
  const f = randomBytes(size);
  f.fill(0xff, 0, 6);
  f.writeUInt16BE(0x88b5, 12); // local experimental ethertype: tshark shows it as data
  return f;
}

/** A pcap (µs) file of `count` frames from `offsetUs` after BASE_US, `stepUs` apart. */
export function pcapFile(count: number, offsetUs: number, stepUs: number): Buffer {
  return capturePcap(
    Array.from({ length: count }, (_, i) => ({
      data: frame(60 + (i % 40)),
      time: (BASE_US + offsetUs + i * stepUs) / 1e6,
    })),
  );
}

/** A pcap (µs) of about `mib` MiB of 1400-byte frames, 10 µs apart from `offsetUs` after BASE_US. */
export function largePcapFile(mib: number, offsetUs: number): Buffer {
  const size = 1400;
  const pool = frame(size * 64);
  const count = Math.floor((mib * 2 ** 20) / (size + 16));
  return capturePcap(
    Array.from({ length: count }, (_, i) => {
      const data = Buffer.from(pool.subarray((i % 63) * size, (i % 63) * size + size));
      data.fill(0xff, 0, 6);
      data.writeUInt16BE(0x88b5, 12);
      data.writeUInt32BE(i, 14); // every frame distinct
      return { data, time: (BASE_US + offsetUs + i * 10) / 1e6 };
    }),
  );
}

/** A pcapng file whose packets alternate between `interfaces` (nanosecond timestamps). */
export function pcapngFile(count: number, offsetNs: number, stepNs: number, interfaces: readonly string[]): Buffer {
  const parts = [sectionHeader('test'), ...interfaces.map((name) => interfaceDescription(1, name))];
  for (let i = 0; i < count; i++) {
    const ns = BigInt(BASE_US) * 1000n + BigInt(offsetNs + i * stepNs);
    const data = frame(64 + (i % 30));
    parts.push(
      enhancedPacket(
        i % interfaces.length,
        Number(ns / 1_000_000_000n),
        Number(ns % 1_000_000_000n),
        data,
        data.length,
      ),
    );
  }
  return Buffer.concat(parts);
}

export interface NodeExport {
  readonly node: string;
  readonly files: readonly {
    name: string;
    format: 'pcap' | 'pcapng' | 'json';
    data: Buffer;
    packets: number;
    interfaces: string[];
  }[];
}

/** Writes every node's files into `dir` and exports them (and complete manifests) through `target`. */
export async function exportRecording(
  dir: string,
  target: ExportTarget,
  run: Omit<RunLocation, 'node'>,
  nodes: readonly NodeExport[],
): Promise<void> {
  const queue = new ExportQueue({
    target,
    journal: { saveCheckpoint: async () => {}, exported: async () => {} },
    clock: systemClock,
  });
  for (const n of nodes) {
    const location: RunLocation = { ...run, node: n.node };
    for (const f of n.files) {
      const path = join(dir, `${n.node}-${f.name}`);
      await writeFile(path, f.data);
      const file: ExportFile = {
        id: `${n.node}/${f.name}`,
        path,
        fileName: f.name,
        run: location,
        entry: { format: f.format, packets: f.packets, interfaces: f.interfaces, linkType: 1 },
      };
      queue.add(file);
    }
    queue.finishRun(location);
  }
  await queue.drained();
}

/**
 * A JSON record file (core/records' shape, trimmed to what the merge reads) of `count` flow records in
 * the order an agent writes them: by end time, `time` + `duration`, `stepMs` apart from `offsetMs`.
 */
export function recordsFile(count: number, offsetMs: number, stepMs: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const endNs = (BigInt(BASE_US) + BigInt((offsetMs + i * stepMs) * 1000)) * 1000n;
    const duration = 1_000_000 * ((i * 37) % 500); // up to 0.5 s, so start order differs from end order
    const start = endNs - BigInt(duration);
    const sec = Number(start / 1_000_000_000n);
    const time = `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(start % 1_000_000_000n).padStart(9, '0')}Z`;
    lines.push(JSON.stringify({ schema: 1, kind: 'flow', flow: `f${offsetMs}-${i}`, time, duration }));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Three nodes: a pcap; a pcapng of two interfaces; the same packets as both pcap and pcapng. */
export function threeNodes(): { nodes: NodeExport[]; packets: number } {
  const both = pcapFile(150, 5, 13);
  return {
    packets: 200 + 300 + 150,
    nodes: [
      {
        node: 'node-a',
        files: [
          {
            name: 'tapedeck_1796000000_0000000a_node-a_000000.pcap',
            format: 'pcap',
            data: pcapFile(200, 0, 7),
            packets: 200,
            interfaces: ['eth0'],
          },
        ],
      },
      {
        node: 'node-b',
        files: [
          {
            name: 'tapedeck_1796000000_0000000b_node-b_000000.pcapng',
            format: 'pcapng',
            data: pcapngFile(300, 3000, 4100, ['eth0', 'eth1']),
            packets: 300,
            interfaces: ['eth0', 'eth1'],
          },
        ],
      },
      {
        node: 'node-c',
        files: [
          {
            name: 'tapedeck_1796000000_0000000c_node-c_000000.pcap',
            format: 'pcap',
            data: both,
            packets: 150,
            interfaces: ['lo'],
          },
          {
            name: 'tapedeck_1796000000_0000000d_node-c_000000.pcapng',
            format: 'pcapng',
            data: toPcapng(both, 'lo'),
            packets: 150,
            interfaces: ['lo'],
          },
        ],
      },
    ],
  };
}

/** The same packets as a pcap file, in a one-interface pcapng. */
function toPcapng(pcap: Buffer, name: string): Buffer {
  const parts = [sectionHeader('test'), interfaceDescription(1, name)];
  for (let at = 24; at < pcap.length;) {
    const sec = pcap.readUInt32LE(at);
    const us = pcap.readUInt32LE(at + 4);
    const len = pcap.readUInt32LE(at + 8);
    const data = pcap.subarray(at + 16, at + 16 + len);
    parts.push(enhancedPacket(0, sec, us * 1000, data, len));
    at += 16 + len;
  }
  return Buffer.concat(parts);
}
