// The port through which sessions hand packets to an output format.
// Implementations: pcap and pcapng writers and the json record writer
// (agent/output/), later dnstap and streams.
import type { CaptureStats } from '../capture/capture-source.js';

export interface OutputFile {
  /** Absolute path under the agent's data directory. */
  readonly path: string;
  readonly format: string;
  readonly bytes: number;
  readonly packets: number;
  /** Packet data bytes (record headers excluded). */
  readonly capturedBytes?: number;
  readonly firstPacketTime?: Date;
  /** The newest packet written so far (the last one once the file is closed). */
  readonly lastPacketTime?: Date;
  readonly closedAt?: Date;
  /** Hex sha256 of the whole file, set once the file is closed (writers that hash as they write). */
  readonly sha256?: string;
  /** The capture interfaces whose packets the file holds, and the file's link type (pcapng: the first one's). */
  readonly interfaces?: readonly string[];
  readonly linkType?: number;
}

/** What a write may add to the disk at most: bytes and files touched (for block rounding). */
export interface WriteBound {
  readonly bytes: number;
  readonly files: number;
}

/** What a record writer (the json format) made of the packets. */
export interface RecordStats {
  readonly records: number;
  readonly flows: number;
  /** Flows written early because the flow table was full. */
  readonly evictions: number;
}

export interface RecordWriter {
  /**
   * Appends `packets` consecutive nanosecond pcap records (see packet-batch.ts)
   * taken from `records`, captured on interface `interfaceIndex` of the
   * writer (default 0). Returns at once; the promise settles when the records
   * are written, and until then the caller must keep `records` unchanged (the
   * session holds the capture batch, which back-pressures the capture thread).
   * When the caller knows that those records take exactly `recordBytes`
   * bytes, and where the last of them begins (`lastRecordOffset`, for the
   * file's last packet time), passing them lets a writer skip walking them.
   */
  write(
    records: Buffer,
    packets: number,
    recordBytes?: number,
    interfaceIndex?: number,
    lastRecordOffset?: number,
  ): Promise<void>;
  /**
   * At most what write() of `packets` records taking `recordBytes` bytes adds to the disk, so the
   * session can ask the storage budget for a whole batch before any writer writes it. Absent: the
   * writer's own file writes ask the budget (a refused write rejects with TD_ERR_OUTPUT_STORAGE_FULL).
   */
  writeBound?(recordBytes: number, packets: number): WriteBound;
  /** Files written so far, the open one last. */
  files(): readonly OutputFile[];
  /**
   * Finalises the open file (rotation closes the others as it goes) and waits
   * until every file is fsynced and closed. Final capture statistics (one
   * per interface), when given, are recorded where the format has room for
   * them (pcapng: an Interface Statistics Block each).
   */
  close(stats?: CaptureStats | readonly CaptureStats[]): Promise<readonly OutputFile[]>;
  /** Writers of records (json): what they recorded so far. */
  recordStats?(): RecordStats;
}
