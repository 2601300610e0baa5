// The port through which sessions hand packets to an output format.
// Implementations: pcap and pcapng writers (agent/output/), later JSON flow
// records, dnstap and streams.
import type { CaptureStats } from '../capture/capture-source.js';

export interface OutputFile {
  /** Absolute path under the agent's data directory. */
  readonly path: string;
  readonly format: string;
  readonly bytes: number;
  readonly packets: number;
  readonly firstPacketTime?: Date;
  readonly closedAt?: Date;
  /** Hex sha256 of the whole file, set once the file is closed (writers that hash as they write). */
  readonly sha256?: string;
}

export interface RecordWriter {
  /**
   * Appends `packets` consecutive nanosecond pcap records (see packet-batch.ts)
   * taken from `records`. The writer must not keep a reference to `records`
   * after returning. When the caller knows that those records take exactly
   * `recordBytes` bytes, passing it lets a writer skip walking them.
   */
  write(records: Buffer, packets: number, recordBytes?: number): void;
  /** Files written so far, the open one last. */
  files(): readonly OutputFile[];
  /**
   * Finalises the open file (rotation closes the others as it goes) and waits
   * until every file is fsynced and closed. Final capture statistics, when
   * given, are recorded where the format has room for them (pcapng: an
   * Interface Statistics Block).
   */
  close(stats?: CaptureStats): Promise<readonly OutputFile[]>;
}
