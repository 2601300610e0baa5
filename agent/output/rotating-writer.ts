// A RecordWriter over any FileEncoder that rotates files by size and age.
//
// Hot path: when the caller passes the batch's recordBytes and the batch
// surely fits the open file (FileEncoder.maxEncodedBytes), it is encoded and
// written with one positioned write without reading its records here; for
// nanosecond pcap that write is a view of the caller's buffer. Writes run in
// the thread pool (see output-file.ts): write() returns their promise. Otherwise
// write() walks the record headers once (one u32 read per record, no copies)
// to find where the first `packets` records end and where a file must be cut,
// then hands each file's share to the encoder.
import { randomBytes } from 'node:crypto';
import type { CaptureStats } from '../capture/capture-source.js';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import type { Clock, ClockTimer } from './clock.js';
import { HOST_LITTLE_ENDIAN, type FileEncoder } from './file-encoder.js';
import { outputFileName, resolveInside } from './file-naming.js';
import { OpenOutputFile } from './output-file.js';
import { isStorageFull, OutputError, OutputErrorCode } from './output-error.js';
import type { OutputFile, RecordWriter, WriteBound } from './record-writer.js';
import type { StorageLedger } from './storage-ledger.js';

export interface RotatingWriterOptions {
  readonly directory: string;
  readonly filePrefix: string;
  readonly nodeName: string;
  readonly encoder: FileEncoder;
  /** 0 = no limit. */
  readonly maxFileBytes: number;
  /** 0 = no limit. */
  readonly maxFileAgeMs: number;
  readonly clock: Clock;
  readonly sha256: boolean;
  /** The capture interfaces of the files and their link type, for OutputFile. */
  readonly interfaces: readonly string[];
  readonly linkType: number;
  /** Called when a file is opened (before its first packet), with its first row. */
  readonly onFileOpened?: (file: OutputFile) => void;
  /** Called once a file is fsynced and closed (rotation or close()). */
  readonly onFileClosed?: (file: OutputFile) => void;
  /** The node's storage budget; absent = no budget. */
  readonly ledger?: StorageLedger;
}

export class RotatingRecordWriter implements RecordWriter {
  private readonly random = randomBytes(4).toString('hex');
  private readonly startedAtMs: number;
  private readonly finished: OutputFile[] = [];
  private readonly durable: Promise<void>[] = [];
  private readonly failures = new Set<unknown>();
  private current: OpenOutputFile | undefined;
  private timer: ClockTimer | undefined;
  private nextIndex = 0;
  private closing: Promise<readonly OutputFile[]> | undefined;
  private readonly headerBytes: number;

  constructor(private readonly options: RotatingWriterOptions) {
    this.startedAtMs = options.clock.now();
    this.headerBytes = options.encoder.header().length;
    // No room for the first file's header: the first write that finds room opens it.
    this.current = this.open();
  }

  /**
   * At most the bytes write(records, packets, recordBytes) adds to the disk and the files it touches
   * (the open one and those it may open), without reading the records: what the session asks the
   * storage budget for before it writes a batch.
   */
  writeBound(recordBytes: number, packets: number): WriteBound {
    const { encoder, maxFileBytes } = this.options;
    const encoded = encoder.maxEncodedBytes(recordBytes, packets);
    const room = maxFileBytes - this.headerBytes - encoder.trailerBytes;
    const opened = maxFileBytes === 0 || room <= 0 ? 1 : Math.ceil(encoded / room) + 1;
    return { bytes: encoded + opened * this.headerBytes, files: opened + 1 };
  }

  /**
   * Writes the first `packets` records of `records`, cutting files by size and
   * age on record boundaries. On an I/O error (e.g. disk full) the error is
   * thrown and the packets not written are the caller's to count as lost:
   * records already written to a rotated file stay there. A malformed batch
   * or a write after close throws at once; an I/O error rejects the promise.
   */
  write(
    records: Buffer,
    packets: number,
    recordBytes?: number,
    interfaceIndex = 0,
    lastRecordOffset?: number,
  ): Promise<void> {
    if (this.closing !== undefined) throw new OutputError(OutputErrorCode.Closed, 'write after close');
    if (!Number.isSafeInteger(packets) || packets < 0) {
      throw new OutputError(OutputErrorCode.MalformedBatch, `invalid packet count ${packets}`);
    }
    if (packets === 0) return Promise.resolve();
    const { encoder, maxFileBytes } = this.options;
    if (this.current !== undefined && this.expired(this.current)) this.rotate();
    let file = this.current ?? this.open();
    if (file === undefined) return Promise.reject(storageFull(this.options.directory));
    // Hot path: a whole batch that surely fits the open file goes out in one
    // append without reading each record's header here.
    if (recordBytes !== undefined && recordBytes <= records.length) {
      const bound = encoder.maxEncodedBytes(recordBytes, packets);
      if (maxFileBytes === 0 || file.bytes + bound + encoder.trailerBytes <= maxFileBytes) {
        const last = lastRecordOffset ?? lastRecordAt(records, 0, recordBytes);
        return this.append(file, records, 0, recordBytes, last, packets, bound, interfaceIndex);
      }
    }
    const writes: Promise<void>[] = [];
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const le = HOST_LITTLE_ENDIAN;
    let start = 0;
    let offset = 0;
    let segmentPackets = 0;
    let segmentBytes = 0;
    let last = 0;
    for (let i = 0; i < packets; i++) {
      if (offset + RECORD_HEADER_BYTES > records.length) throw malformed(i, packets);
      const captured = view.getUint32(offset + 8, le);
      const next = offset + RECORD_HEADER_BYTES + captured;
      if (next > records.length) throw malformed(i, packets);
      const size = encoder.recordBytes(captured);
      if (
        maxFileBytes > 0 &&
        file.bytes + segmentBytes + size + encoder.trailerBytes > maxFileBytes &&
        file.packets + segmentPackets > 0
      ) {
        writes.push(this.append(file, records, start, offset, last, segmentPackets, segmentBytes, interfaceIndex));
        this.rotate();
        const next = this.open();
        if (next === undefined) {
          // The session asked the budget for the whole batch first; this only happens when a
          // measurement shrank the room meanwhile. The rest of the batch is not written.
          writes.push(Promise.reject(storageFull(this.options.directory)));
          return Promise.all(writes).then(() => undefined);
        }
        file = next;
        start = offset;
        segmentPackets = 0;
        segmentBytes = 0;
      }
      segmentPackets++;
      segmentBytes += size;
      last = offset;
      offset = next;
    }
    writes.push(this.append(file, records, start, offset, last, segmentPackets, segmentBytes, interfaceIndex));
    return Promise.all(writes).then(() => undefined);
  }

  files(): readonly OutputFile[] {
    return this.current === undefined ? [...this.finished] : [...this.finished, this.row(this.current.snapshot())];
  }

  close(stats?: CaptureStats | readonly CaptureStats[]): Promise<readonly OutputFile[]> {
    const list = stats === undefined ? undefined : Array.isArray(stats) ? stats : [stats as CaptureStats];
    this.closing ??= this.finishAll(list);
    return this.closing;
  }

  private async finishAll(stats: readonly CaptureStats[] | undefined): Promise<readonly OutputFile[]> {
    const file = this.current;
    if (file !== undefined) {
      const trailer = this.options.encoder.trailer(stats, this.startedAtMs, this.options.clock.now());
      if (trailer !== undefined) {
        // No room for the statistics block leaves a valid file without it.
        file.append(trailer, 0).catch((error: unknown) => {
          if (!isStorageFull(error)) this.failures.add(error);
        });
      }
      this.rotate();
    }
    await Promise.all(this.durable);
    const [failure] = [...this.failures];
    if (failure !== undefined) {
      throw new OutputError(OutputErrorCode.Io, `${this.failures.size} output file(s) failed to close`, {
        cause: failure,
      });
    }
    return [...this.finished];
  }

  private expired(file: OpenOutputFile): boolean {
    const { maxFileAgeMs, clock } = this.options;
    return maxFileAgeMs > 0 && clock.now() - file.openedAtMs >= maxFileAgeMs;
  }

  /** Opens the next file, or returns undefined when the storage budget has no room for its header. */
  private open(): OpenOutputFile | undefined {
    const { clock, directory, encoder, filePrefix, nodeName, maxFileAgeMs, sha256, ledger } = this.options;
    const openedAtMs = clock.now();
    const name = outputFileName({
      prefix: filePrefix,
      openedAtMs,
      random: this.random,
      node: nodeName,
      index: this.nextIndex,
      extension: encoder.extension,
    });
    const file = OpenOutputFile.create(
      resolveInside(directory, name),
      encoder.format,
      encoder.header(),
      openedAtMs,
      sha256,
      ledger,
    );
    if (file === undefined) return undefined;
    this.nextIndex++;
    this.current = file;
    this.options.onFileOpened?.(this.row(file.snapshot()));
    if (maxFileAgeMs > 0) {
      this.timer = clock.setTimer(maxFileAgeMs, () => {
        if (this.current === file && this.closing === undefined) this.rotate();
      });
    }
    return file;
  }

  /** Closes the open file; the next write opens the next one. */
  private rotate(): void {
    const file = this.current;
    if (file === undefined) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.current = undefined;
    const finished = file.finish(this.options.clock.now());
    const row = this.row(finished.row);
    const durable = finished.durable;
    this.finished.push(row);
    this.durable.push(
      durable
        .then(() => this.options.onFileClosed?.(row))
        .catch((error: unknown) => {
          this.failures.add(error);
        }),
    );
  }

  private append(
    file: OpenOutputFile,
    records: Buffer,
    start: number,
    end: number,
    lastRecord: number,
    packets: number,
    fileBytes: number,
    interfaceIndex: number,
  ): Promise<void> {
    if (packets === 0) return Promise.resolve();
    const first = file.packets === 0 ? timestampAt(records, start) : undefined;
    const last = timestampAt(records, lastRecord);
    const encoded = this.options.encoder.encode(records, start, end, packets, fileBytes, interfaceIndex);
    const written = file.append(encoded, packets, end - start - packets * RECORD_HEADER_BYTES);
    if (first !== undefined) file.firstPacketTime = first;
    file.lastPacketTime = last;
    // An I/O error also reaches the caller through this promise; failures
    // keeps it for close(), which must report it even if nobody awaited. No
    // storage room is not a failure of the file: nothing was written.
    written.catch((error: unknown) => {
      if (!isStorageFull(error)) this.failures.add(error);
    });
    return written;
  }

  private row(file: OutputFile): OutputFile {
    return { ...file, interfaces: this.options.interfaces, linkType: this.options.linkType };
  }
}

/** The capture time (to the millisecond) of the record at `offset`. */
function timestampAt(records: Buffer, offset: number): Date {
  const view = new DataView(records.buffer, records.byteOffset + offset, RECORD_HEADER_BYTES);
  const seconds = view.getUint32(0, HOST_LITTLE_ENDIAN);
  const nanos = view.getUint32(4, HOST_LITTLE_ENDIAN);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
}

/**
 * Where the last record of records[start, end) begins, by walking the record lengths: for callers that do
 * not know it (the native capture does). The walk reads a word of every record, about as costly as the
 * write itself on a 64-byte flood, so the capture path never takes it.
 */
function lastRecordAt(records: Buffer, start: number, end: number): number {
  const view = new DataView(records.buffer, records.byteOffset, records.length);
  let offset = start;
  for (;;) {
    const next = offset + RECORD_HEADER_BYTES + view.getUint32(offset + 8, HOST_LITTLE_ENDIAN);
    if (next >= end) return offset;
    offset = next;
  }
}

function storageFull(directory: string): OutputError {
  return new OutputError(OutputErrorCode.StorageFull, `no storage room for a new file in ${directory}`);
}

function malformed(index: number, packets: number): OutputError {
  return new OutputError(
    OutputErrorCode.MalformedBatch,
    `record ${index} of ${packets} runs past the end of the batch buffer`,
  );
}
