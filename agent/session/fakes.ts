// Small fakes of the session ports for unit tests: a capture handle the test
// feeds batches into, a writer that appends records to a real file, and a
// clock the test advances by hand.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CaptureHandle, CaptureOptions, CaptureStats } from '../capture/capture-source.js';
import { RECORD_HEADER_BYTES, type PacketBatch } from '../capture/packet-batch.js';
import type { Clock, ClockTimer } from '../output/clock.js';
import type { OutputFile, RecordWriter } from '../output/record-writer.js';
import pino from 'pino';
import type { SessionObserver, StorageGate, WriterOptions } from './ports.js';
import { StateStore } from '../state/state-store.js';
import { SessionManager } from './session-manager.js';

export class FakeCapture implements CaptureHandle {
  readonly linkType = 1;
  readonly snaplen: number;
  kernelDropped = 0;
  agentDropped = 0;
  agentDroppedBytes = 0;
  closed = false;
  released = 0;
  private listener: ((batch: PacketBatch) => void) | undefined;
  private errorListener: ((error: Error) => void) | undefined;
  private received = 0;

  constructor(readonly options: CaptureOptions) {
    this.snaplen = options.snaplen || 262_144;
  }

  onBatch(listener: (batch: PacketBatch) => void): void {
    this.listener = listener;
  }

  onError(listener: (error: Error) => void): void {
    this.errorListener = listener;
  }

  /** Ends capturing on its own, as when the interface goes away. */
  fail(error: Error): void {
    this.errorListener?.(error);
  }

  /** Delivers one batch holding one record per entry of `sizes` (captured lengths). */
  emit(sizes: readonly number[]): void {
    const data = Buffer.alloc(sizes.reduce((sum, size) => sum + RECORD_HEADER_BYTES + size, 0));
    let offset = 0;
    for (const [i, size] of sizes.entries()) {
      data.writeUInt32LE(1_700_000_000 + i, offset);
      data.writeUInt32LE(0, offset + 4);
      data.writeUInt32LE(size, offset + 8);
      data.writeUInt32LE(size, offset + 12);
      data.fill(i % 256, offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + size);
      offset += RECORD_HEADER_BYTES + size;
    }
    this.received += sizes.length;
    this.listener?.({ data, length: data.length, packets: sizes.length, release: () => (this.released += 1) });
  }

  stats(): CaptureStats {
    return {
      packetsReceived: this.received,
      kernelDropped: this.kernelDropped,
      interfaceDropped: 0,
      agentDropped: this.agentDropped,
      agentDroppedBytes: this.agentDroppedBytes,
    };
  }

  close(): Promise<CaptureStats> {
    this.closed = true;
    return Promise.resolve(this.stats());
  }
}

/**
 * Appends the records it is given, unchanged, to `<directory>/<prefix>.<format>`, or when that is
 * taken (a second interface, an earlier segment) `<prefix>.<interface>.<format>`, then
 * `<prefix>.<n>.<format>`.
 */
export class FakeWriter implements RecordWriter {
  readonly path: string;
  private bytes = 0;
  private packets = 0;
  private closedAt: Date | undefined;
  /** Makes write() reject (an I/O error)… */
  failWith: Error | undefined;
  /** …or throw at once (e.g. a malformed batch). */
  throwWith: Error | undefined;

  constructor(readonly options: WriterOptions) {
    const base = path.join(options.directory, options.filePrefix);
    const first = options.interfaces[0]?.name ?? 'any';
    const candidates = [`${base}.${options.format}`, `${base}.${first}.${options.format}`];
    for (let n = 1; candidates.every(existsSync); n += 1) candidates.push(`${base}.${n}.${options.format}`);
    this.path = candidates.find((c) => !existsSync(c)) ?? `${base}.${options.format}`;
    writeFileSync(this.path, '');
    options.onFileOpened?.(this.files()[0]!);
  }

  write(records: Buffer, packets: number): Promise<void> {
    if (this.throwWith) throw this.throwWith;
    if (this.failWith) return Promise.reject(this.failWith);
    appendFileSync(this.path, records);
    this.bytes += records.length;
    this.packets += packets;
    return Promise.resolve();
  }

  files(): readonly OutputFile[] {
    const file = {
      path: this.path,
      format: this.options.format,
      bytes: this.bytes,
      packets: this.packets,
      capturedBytes: this.bytes - this.packets * RECORD_HEADER_BYTES,
      interfaces: this.options.interfaces.map((i) => i.name),
      linkType: this.options.interfaces[0]?.linkType ?? 0,
    };
    return [this.closedAt ? { ...file, closedAt: this.closedAt } : file];
  }

  close(): Promise<readonly OutputFile[]> {
    if (this.closedAt === undefined) {
      this.closedAt = new Date(0);
      this.options.onFileClosed?.(this.files()[0]!);
    }
    return Promise.resolve(this.files());
  }
}

export class FakeClock implements Clock {
  private timers: { at: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): ClockTimer {
    const timer = { at: this.current + delayMs, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => !t.cancelled && t.at <= this.current);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const timer of due) timer.callback();
  }
}

export interface FakedManager {
  readonly manager: SessionManager;
  /** The real state store in `<dataDir>/state` the manager records into. */
  readonly store: StateStore;
  /** Every capture the manager opened, in order. */
  readonly captures: FakeCapture[];
  /** Every writer the manager created, in order. */
  readonly writers: FakeWriter[];
}

/** A SessionManager on node-a whose capture and writers are the fakes above. */
export function managerWithFakes(options: {
  dataDir: string;
  maxConcurrentSessions: number;
  clock?: FakeClock;
  storage?: StorageGate;
  observers?: readonly SessionObserver[];
}): FakedManager {
  const store = StateStore.open(path.join(options.dataDir, 'state'));
  const captures: FakeCapture[] = [];
  const writers: FakeWriter[] = [];
  const manager = new SessionManager({
    nodeName: 'node-a',
    dataDir: options.dataDir,
    maxConcurrentSessions: options.maxConcurrentSessions,
    logger: pino({ level: 'silent' }),
    ports: {
      clock: options.clock ?? new FakeClock(),
      journal: store,
      ...(options.storage && { storage: options.storage }),
      ...(options.observers && { observers: options.observers }),
      openCapture: (captureOptions) => {
        const capture = new FakeCapture(captureOptions);
        captures.push(capture);
        return capture;
      },
      createWriter: (writerOptions) => {
        const writer = new FakeWriter(writerOptions);
        writers.push(writer);
        return writer;
      },
    },
  });
  return { manager, store, captures, writers };
}
