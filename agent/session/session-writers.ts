// The writers of one session and which batches each one gets: pcap holds one
// interface per file, so it gets a writer per interface; pcapng (and every
// later format) one writer for all interfaces (pcapng: one Interface
// Description Block each).
import type { CaptureStats } from '../capture/capture-source.js';
import type { OutputFile, RecordStats, RecordWriter, WriteBound } from '../output/record-writer.js';
import type { CreateWriter, WriterInterface, WriterOptions } from './ports.js';
import { messageOf } from './session-captures.js';
import { OutputFormat, type SessionSpec } from './session-spec.js';

interface Routed {
  readonly format: OutputFormat;
  readonly writer: RecordWriter;
  /** Session interface index → this writer's interface index, or undefined when it does not take it. */
  readonly route: (interfaceIndex: number) => number | undefined;
  /** The session interface indexes the writer holds, in its order. */
  readonly holds: readonly number[];
}

export interface WriterContext {
  readonly directory: string;
  readonly nodeName: string;
  readonly snaplen: number;
  readonly onFileOpened: (file: OutputFile) => void;
  readonly onFileClosed: (file: OutputFile) => void;
}

export class SessionWriters {
  private readonly writers: Routed[] = [];

  /** Creates every writer; closes the ones created and rethrows if one fails. */
  constructor(create: CreateWriter, spec: SessionSpec, interfaces: readonly WriterInterface[], context: WriterContext) {
    const base = (format: OutputFormat, list: readonly WriterInterface[]): WriterOptions => ({
      format,
      directory: context.directory,
      filePrefix: spec.filePrefix,
      nodeName: context.nodeName,
      interfaces: list,
      snaplen: context.snaplen,
      rotation: spec.rotation,
      onFileOpened: context.onFileOpened,
      onFileClosed: context.onFileClosed,
      ...(spec.recording && { recording: `${spec.recording.namespace}/${spec.recording.name}` }),
      ...(spec.redaction && { redaction: spec.redaction }),
    });
    try {
      for (const format of spec.formats) {
        if (format === OutputFormat.Pcap) {
          for (const [k, iface] of interfaces.entries()) {
            const writer = create(base(format, [iface]));
            this.writers.push({ format, writer, route: (i) => (i === k ? 0 : undefined), holds: [k] });
          }
        } else {
          const writer = create(base(format, interfaces));
          this.writers.push({ format, writer, route: (i) => i, holds: interfaces.map((_, i) => i) });
        }
      }
    } catch (error) {
      for (const { writer } of this.writers) void writer.close().catch(() => undefined);
      throw error;
    }
  }

  /** Hands a batch of interface `interfaceIndex` to every writer that takes it; may throw (malformed batch). */
  write(
    records: Buffer,
    packets: number,
    recordBytes: number,
    interfaceIndex: number,
    lastRecordOffset?: number,
  ): Promise<void>[] {
    const writes: Promise<void>[] = [];
    for (const { writer, route } of this.writers) {
      const index = route(interfaceIndex);
      if (index !== undefined) writes.push(writer.write(records, packets, recordBytes, index, lastRecordOffset));
    }
    return writes;
  }

  /** At most what write() of this batch adds to the disk, over every writer that takes it. */
  bound(recordBytes: number, packets: number, interfaceIndex: number): WriteBound {
    let bytes = 0;
    let files = 0;
    for (const { writer, route } of this.writers) {
      if (route(interfaceIndex) === undefined || writer.writeBound === undefined) continue;
      const one = writer.writeBound(recordBytes, packets);
      bytes += one.bytes;
      files += one.files;
    }
    return { bytes, files };
  }

  /** The record formats' statistics (json), summed; undefined without one. */
  recordStats(): RecordStats | undefined {
    let total: RecordStats | undefined;
    for (const { writer } of this.writers) {
      const own = writer.recordStats?.();
      if (!own) continue;
      total = {
        records: (total?.records ?? 0) + own.records,
        flows: (total?.flows ?? 0) + own.flows,
        evictions: (total?.evictions ?? 0) + own.evictions,
      };
    }
    return total;
  }

  files(): OutputFile[] {
    return this.writers.flatMap(({ writer }) => writer.files());
  }

  /** Closes every writer with its interfaces' statistics; files of a failed writer are returned as they are. */
  async close(stats: readonly CaptureStats[]): Promise<{ files: OutputFile[]; errors: string[] }> {
    const files: OutputFile[] = [];
    const errors: string[] = [];
    for (const { writer, holds } of this.writers) {
      const own = holds.map((i) => stats[i]).filter((s): s is CaptureStats => s !== undefined);
      try {
        files.push(...(await writer.close(own)));
      } catch (error) {
        errors.push(`close writer: ${messageOf(error)}`);
        files.push(...writer.files());
      }
    }
    return { files, errors };
  }
}
