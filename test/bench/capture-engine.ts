// Runs tapedeck's capture engine in a process of its own, so that its CPU time
// and peak memory can be measured apart from the harness (the benchmark and
// the capture integration tests spawn it, possibly under `ip netns exec`).
//
// --writer session (the default) runs what the agent runs for a recording: a
// CaptureSession (agent/session/) over the native capture, writing through
// agent/output's writer exactly as agent/main.ts creates it (no hashing: only
// the export hashes, as it uploads). --writer raw
// appends each batch with one write and nothing else (engine-only baseline,
// and the only mode that can hold batches, --hold-ms, to force overload).
//
// Prints {"event":"ready",...} once the handle is open, and on SIGTERM/SIGINT
// (or "stop" on stdin) stops and prints one {"event":"done",...} line with its
// statistics and CPU time: `cpuOpen` of opening the capture, `cpuAtStop` from the
// open until the stop is asked for (tcpdump's is read over the same span: from
// "listening on" to just before its SIGINT); and from before the open, `cpu`
// until every file is written and closed, `cpuTotal` until the session stopped.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { CaptureHandle, CaptureStats } from '../../agent/capture/capture-source.js';
import { openNativeCapture, type NativeCaptureHandle } from '../../agent/capture/native-capture.js';
import { systemClock } from '../../agent/output/clock.js';
import {
  createJsonRecordWriter,
  createRecordWriter,
  PacketFileFormat,
} from '../../agent/output/create-record-writer.js';
import type { RecordWriter } from '../../agent/output/record-writer.js';
import { CaptureSession } from '../../agent/session/capture-session.js';
import type { CreateWriter } from '../../agent/session/ports.js';
import { OutputFormat } from '../../agent/session/session-spec.js';
import { StateStore } from '../../agent/state/state-store.js';
import { NO_LIMITS, StopReason } from '../../agent/session/stop-condition.js';
import { StorageBudget } from '../../agent/storage/storage-budget.js';

const { values } = parseArgs({
  options: {
    interface: { type: 'string', default: 'lo' },
    filter: { type: 'string', default: '' },
    out: { type: 'string' }, // raw: the file; session: a directory that exists
    writer: { type: 'string', default: 'session' }, // session | raw
    format: { type: 'string', default: 'pcap' }, // session: pcap | pcapng
    formats: { type: 'string' }, // session: comma-separated, e.g. pcap,json (overrides --format)
    snaplen: { type: 'string', default: '0' },
    'buffer-bytes': { type: 'string', default: '0' },
    'batch-count': { type: 'string' },
    'batch-bytes': { type: 'string' },
    'hold-ms': { type: 'string', default: '0' }, // raw only: keep each batch this long
    sha256: { type: 'boolean', default: false }, // session: also hash while writing (the agent does not)
    // session: the node's storage budget, accounted as the agent does (0: none)
    'storage-limit-bytes': { type: 'string', default: String(8 * 2 ** 30) },
  },
});
const out = values.out;
if (out === undefined) throw new Error('--out is required');
const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const holdMs = Number(values['hold-ms']);
const sessionMode = values.writer !== 'raw';
if (sessionMode && holdMs > 0) throw new Error('--hold-ms needs --writer raw');

let native: NativeCaptureHandle | undefined;
let batches = 0;
let forwardError: ((error: Error) => void) | undefined;
/** The engine with its tuning flags; counts batches (one call per batch, not per packet). */
function openEngine(options: { interface: string; filter: string; snaplen: number }): CaptureHandle {
  const handle = openNativeCapture({
    ...options,
    bufferBytes: Number(values['buffer-bytes']),
    ...(values['batch-count'] === undefined ? {} : { batchCount: num(values['batch-count']) }),
    ...(values['batch-bytes'] === undefined ? {} : { batchBytes: num(values['batch-bytes']) }),
  });
  native = handle;
  return {
    linkType: handle.linkType,
    snaplen: handle.snaplen,
    onBatch: (listener) =>
      handle.onBatch((batch) => {
        batches += 1;
        listener(batch);
      }),
    stats: () => handle.stats(),
    close: () => handle.close(),
    // The engine listens itself (below) and passes the error on.
    onError: (listener) => void (forwardError = listener),
  };
}

let cpuWritten: NodeJS.CpuUsage | undefined;
interface Engine {
  handle: NativeCaptureHandle;
  stop(): Promise<{ packetsWritten: number; files: readonly string[]; stats: CaptureStats }>;
}

function sessionEngine(directory: string): Engine {
  mkdirSync(directory, { recursive: true });
  const formats = (values.formats ?? values.format ?? 'pcap').split(',').map((name) => {
    const known = Object.values(OutputFormat).find((f) => f === name.trim());
    if (known !== OutputFormat.Pcap && known !== OutputFormat.Pcapng && known !== OutputFormat.Json) {
      throw new Error(`--formats: ${JSON.stringify(name)} is not pcap, pcapng or json`);
    }
    return known;
  });
  // As agent/main.ts does, plus an optional hash while writing (--sha256).
  const createWriter: CreateWriter = (options) => {
    const writer: RecordWriter =
      options.format === OutputFormat.Json
        ? createJsonRecordWriter({ ...options, sha256: values.sha256, ...ledger })
        : createRecordWriter({
            ...options,
            format: options.format === OutputFormat.Pcapng ? PacketFileFormat.Pcapng : PacketFileFormat.Pcap,
            sha256: values.sha256,
            ...ledger,
          });
    // Everything written, fsynced and closed: the capture path ends here.
    const close: RecordWriter['close'] = (stats) =>
      writer.close(stats).finally(() => (cpuWritten = process.cpuUsage(cpuAtStart)));
    return { write: (r, p, b, i, l) => writer.write(r, p, b, i, l), files: () => writer.files(), close };
  };
  const session = CaptureSession.start(
    {
      id: 'bench',
      interfaces: [values.interface],
      include: [],
      bpf: values.filter,
      endpointIps: [],
      filter: values.filter,
      snaplen: Number(values.snaplen),
      limits: NO_LIMITS,
      formats,
      rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
      filePrefix: 'bench',
      labels: {},
    },
    {
      nodeName: 'bench',
      directory,
      // As the agent: every session records into the state store on the data volume.
      ports: {
        openCapture: openEngine,
        createWriter,
        clock: systemClock,
        journal: StateStore.open(`${directory}/state`),
        ...(budget && { storage: budget }),
      },
      logger: pino({ level: 'info' }, pino.destination({ dest: 2, sync: true })),
    },
  );
  const handle = native;
  if (handle === undefined) throw new Error('the session did not open the capture');
  return {
    handle,
    stop: async () => {
      const snapshot = await session.stop(StopReason.Stopped);
      if (snapshot.message !== '') process.stderr.write(`session: ${snapshot.message}\n`);
      const files = snapshot.files.map((f) => f.path);
      return { packetsWritten: snapshot.stats.packetsCaptured, files, stats: handle.stats() };
    },
  };
}

function rawEngine(path: string): Engine {
  const handle = openEngine({ interface: values.interface, filter: values.filter, snaplen: Number(values.snaplen) });
  if (native === undefined) throw new Error('no capture handle');
  const fd = openSync(path, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0); // nanosecond pcap, host (little-endian) order
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(handle.snaplen, 16);
  header.writeUInt32LE(handle.linkType, 20);
  writeSync(fd, header);
  let packetsWritten = 0;
  handle.onBatch((batch) => {
    const done = (): void => {
      writeSync(fd, batch.data, 0, batch.length);
      packetsWritten += batch.packets;
      batch.release();
    };
    if (holdMs > 0) setTimeout(done, holdMs);
    else done();
  });
  return {
    handle: native,
    stop: async () => {
      const stats = await handle.close();
      if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs + 50));
      closeSync(fd);
      cpuWritten = process.cpuUsage(cpuAtStart);
      return { packetsWritten, files: [path], stats };
    },
  };
}

function peakRssKiB(): number {
  const match = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] !== undefined ? Number(match[1]) : 0;
}

/** CPU seconds per thread name (the capture thread is "td-capture", JavaScript runs on the process's name). */
function threadCpu(): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

// As agent/main.ts: every write is accounted in the node's storage budget (a statfs of the volume too).
if (sessionMode) mkdirSync(out, { recursive: true });
const budget =
  sessionMode && Number(values['storage-limit-bytes']) > 0
    ? await StorageBudget.open({
        dataDir: out,
        limitBytes: Number(values['storage-limit-bytes']),
        clock: systemClock,
        logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true })),
      })
    : undefined;
const ledger = budget === undefined ? {} : { ledger: budget };
const cpuAtStart = process.cpuUsage();
const threadsAtReady = threadCpu();
const engine = sessionMode ? sessionEngine(out) : rawEngine(out);
// Opening sets up the kernel ring: a one-off cost that depends on the kernel's free memory more than on
// us (the first of two 32 MiB rings allocated after a while can take 70 ms longer than the next one).
const cpuOpen = process.cpuUsage(cpuAtStart);
const cpuAtOpen = process.cpuUsage();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // From the open to the point at which the harness reads tcpdump's CPU (just before its SIGINT).
  const cpuAtStop = process.cpuUsage(cpuAtOpen);
  const threadsAtStop = threadCpu();
  const result = await engine.stop();
  // CPU from "ready" on: the harness's TypeScript loader is not the engine.
  const cpuTotal = process.cpuUsage(cpuAtStart);
  const threads = Object.fromEntries(
    Object.entries(threadsAtStop).map(([name, s]) => [name, +(s - (threadsAtReady[name] ?? 0)).toFixed(2)]),
  );
  const raw = engine.handle.rawStats();
  const error = engine.handle.error()?.message;
  const cpu = cpuWritten ?? cpuTotal;
  const done = {
    ...{ event: 'done', ...result, raw, error, batches, cpu, cpuOpen, cpuAtStop, cpuTotal, threads },
    peakRssKiB: peakRssKiB(),
  };
  process.stdout.write(`${JSON.stringify(done)}\n`);
  process.exit(0);
}
engine.handle.onError((error) => {
  forwardError?.(error);
  process.stdout.write(`${JSON.stringify({ event: 'error', message: error.message })}\n`);
  void stop();
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) void stop();
});
const ready = { event: 'ready', linkType: engine.handle.linkType, snaplen: engine.handle.snaplen };
process.stdout.write(`${JSON.stringify(ready)}\n`);
