// The json format: the session's packets through core's flow engine (DNS and HTTP consumers), each
// flow, http and dns record stamped with the node and the recording and written as one JSON line to
// rotated .jsonl files (jsonl-encoder.ts over the rotating writer). One engine per capture interface,
// so a packet seen on two interfaces is not taken for a retransmission.
import { feedRecordBatch } from '../../core/capture/record-batch.js';
import { createFlowEngine } from '../../core/analyzer.js';
import type { FlowEngine } from '../../core/flow/flow-engine.js';
import type { RedactionOptions } from '../../core/http/redaction.js';
import type { TrafficRecord } from '../../core/records/record.js';
import type { CaptureStats } from '../capture/capture-source.js';
import type { Clock } from './clock.js';
import { createJsonlEncoder, frameLines } from './jsonl-encoder.js';
import { OutputError, OutputErrorCode } from './output-error.js';
import type { OutputFile, RecordStats, RecordWriter } from './record-writer.js';
import { RotatingRecordWriter } from './rotating-writer.js';
import type { StorageLedger } from './storage-ledger.js';

export interface JsonWriterOptions {
  readonly directory: string;
  readonly filePrefix: string;
  readonly nodeName: string;
  /** The capture interfaces: write()'s interfaceIndex points here. */
  readonly interfaces: readonly { readonly name: string; readonly linkType: number }[];
  readonly maxFileBytes: number;
  readonly maxFileAgeMs: number;
  readonly clock: Clock;
  readonly sha256: boolean;
  /** "namespace/name", set on every record when the session belongs to a Recording. */
  readonly recording?: string;
  readonly redaction?: RedactionOptions;
  readonly onFileOpened?: (file: OutputFile) => void;
  readonly onFileClosed?: (file: OutputFile) => void;
  /** The node's storage budget: every append asks it first (agent/storage/). */
  readonly ledger?: StorageLedger;
}

export class JsonRecordWriter implements RecordWriter {
  private readonly files_: RotatingRecordWriter;
  private readonly engines: (FlowEngine | undefined)[] = [];
  private lines: string[] = [];
  private records = 0;
  private closed = false;

  constructor(private readonly options: JsonWriterOptions) {
    this.files_ = new RotatingRecordWriter({
      directory: options.directory,
      filePrefix: options.filePrefix,
      nodeName: options.nodeName,
      encoder: createJsonlEncoder(),
      maxFileBytes: options.maxFileBytes,
      maxFileAgeMs: options.maxFileAgeMs,
      clock: options.clock,
      sha256: options.sha256,
      interfaces: options.interfaces.map((i) => i.name),
      linkType: options.interfaces[0]?.linkType ?? 0,
      ...(options.onFileOpened && { onFileOpened: options.onFileOpened }),
      ...(options.onFileClosed && { onFileClosed: options.onFileClosed }),
      ...(options.ledger && { ledger: options.ledger }),
    });
  }

  write(records: Buffer, packets: number, recordBytes?: number, interfaceIndex = 0): Promise<void> {
    if (this.closed) throw new OutputError(OutputErrorCode.Closed, 'write after close');
    const linkType = this.options.interfaces[interfaceIndex]?.linkType;
    if (linkType === undefined) {
      throw new OutputError(OutputErrorCode.MalformedBatch, `no interface ${interfaceIndex} in this writer`);
    }
    const delivered = feedRecordBatch(
      this.engine(interfaceIndex),
      records,
      recordBytes ?? records.length,
      packets,
      linkType,
    );
    if (delivered < packets) {
      throw new OutputError(OutputErrorCode.MalformedBatch, `record ${delivered} of ${packets} runs past the batch`);
    }
    return this.flush();
  }

  files(): readonly OutputFile[] {
    return this.files_.files();
  }

  recordStats(): RecordStats {
    let flows = 0;
    let evictions = 0;
    for (const engine of this.engines) {
      flows += engine?.stats.flows ?? 0;
      evictions += engine?.stats.evictions ?? 0;
    }
    return { records: this.records, flows, evictions };
  }

  /** Ends every flow (their records are written), then closes the files. */
  async close(stats?: CaptureStats | readonly CaptureStats[]): Promise<readonly OutputFile[]> {
    if (!this.closed) {
      for (const engine of this.engines) engine?.finish();
      const written = this.flush();
      this.closed = true;
      await written.catch(() => undefined); // an I/O error is reported by close() below
    }
    return this.files_.close(stats);
  }

  private engine(index: number): FlowEngine {
    let engine = this.engines[index];
    if (!engine) {
      const redaction = this.options.redaction;
      engine = createFlowEngine((record) => this.line(record), redaction ? { redaction } : {});
      this.engines[index] = engine;
    }
    return engine;
  }

  /** The engine hands over a fresh record: stamped in place rather than copied. */
  private line(record: TrafficRecord): void {
    record.node = this.options.nodeName;
    if (this.options.recording !== undefined) record.recording = this.options.recording;
    this.lines.push(`${JSON.stringify(record)}\n`);
  }

  private flush(): Promise<void> {
    if (this.lines.length === 0) return Promise.resolve();
    const lines = this.lines;
    this.lines = [];
    this.records += lines.length;
    const { records, bytes } = frameLines(lines, this.options.clock.now());
    return this.files_.write(records, lines.length, bytes);
  }
}
