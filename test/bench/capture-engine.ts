// Runs tapedeck's capture engine in a process of its own, so that its CPU time
// and peak memory can be measured apart from the harness (the benchmark and
// the capture integration tests spawn it, possibly under `ip netns exec`).
//
// Writes every batch to a pcap file, prints {"event":"ready",...} once the
// handle is open, and on SIGTERM/SIGINT (or "stop" on stdin) closes the
// capture and prints one {"event":"done",...} line with its statistics.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { openNativeCapture } from '../../agent/capture/native-capture.js';
import type { PacketBatch } from '../../agent/capture/packet-batch.js';
import { createRecordWriter, PacketFileFormat } from '../../agent/output/create-record-writer.js';
import type { OutputFile } from '../../agent/output/record-writer.js';

const { values } = parseArgs({
  options: {
    interface: { type: 'string', default: 'lo' },
    filter: { type: 'string', default: '' },
    out: { type: 'string' },
    writer: { type: 'string', default: 'agent' }, // agent (agent/output pcap writer) | raw (one write per batch)
    snaplen: { type: 'string', default: '0' },
    'buffer-bytes': { type: 'string', default: '0' },
    'batch-count': { type: 'string' },
    'batch-bytes': { type: 'string' },
    'hold-ms': { type: 'string', default: '0' }, // slow consumer: keep each batch this long
    sha256: { type: 'boolean', default: true }, // agent writer: hash files while writing (the agent's default)
    'no-sha256': { type: 'boolean', default: false },
  },
});
const out = values.out;
if (out === undefined) throw new Error('--out FILE is required');
const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

const handle = openNativeCapture({
  interface: values.interface,
  filter: values.filter,
  snaplen: Number(values.snaplen),
  bufferBytes: Number(values['buffer-bytes']),
  ...(values['batch-count'] === undefined ? {} : { batchCount: num(values['batch-count']) }),
  ...(values['batch-bytes'] === undefined ? {} : { batchBytes: num(values['batch-bytes']) }),
});

interface Sink {
  write(batch: PacketBatch): void;
  close(): Promise<readonly string[]>;
}

function rawSink(path: string): Sink {
  const fd = openSync(path, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0); // nanosecond pcap, host (little-endian) order
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(handle.snaplen, 16);
  header.writeUInt32LE(handle.linkType, 20);
  writeSync(fd, header);
  return {
    write: (b) => void writeSync(fd, b.data, 0, b.length),
    close: async () => (closeSync(fd), [path]),
  };
}

function agentSink(path: string): Sink {
  const writer = createRecordWriter({
    format: PacketFileFormat.Pcap,
    directory: dirname(path),
    filePrefix:
      basename(path)
        .replace(/[^a-z0-9]/g, '')
        .replace(/^[^a-z]+/, '')
        .slice(0, 20) || 'bench',
    nodeName: 'bench',
    linkType: handle.linkType,
    snaplen: handle.snaplen,
    interfaceName: values.interface,
    sha256: values.sha256 && !values['no-sha256'],
  });
  return {
    write: (b) => writer.write(b.data.subarray(0, b.length), b.packets),
    close: async () => (await writer.close()).map((f: OutputFile) => f.path),
  };
}

const sink = values.writer === 'raw' ? rawSink(out) : agentSink(out);
const holdMs = Number(values['hold-ms']);
let packetsWritten = 0;
let batches = 0;
handle.onBatch((batch) => {
  batches += 1;
  const done = (): void => {
    sink.write(batch);
    packetsWritten += batch.packets;
    batch.release();
  };
  if (holdMs > 0) setTimeout(done, holdMs);
  else done();
});

function peakRssKiB(): number {
  const match = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] !== undefined ? Number(match[1]) : 0;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const stats = await handle.close();
  if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs + 50));
  const files = await sink.close();
  // CPU from "ready" on: the harness's TypeScript loader is not the engine.
  const cpu = process.cpuUsage(cpuAtReady);
  const raw = handle.rawStats();
  const error = handle.error()?.message;
  const done = { event: 'done', stats, raw, error, packetsWritten, batches, files, cpu, peakRssKiB: peakRssKiB() };
  process.stdout.write(`${JSON.stringify(done)}\n`);
  process.exit(0);
}
handle.onError((error) => {
  process.stdout.write(`${JSON.stringify({ event: 'error', message: error.message })}\n`);
  void stop();
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) void stop();
});
const cpuAtReady = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ event: 'ready', linkType: handle.linkType, snaplen: handle.snaplen })}\n`);
