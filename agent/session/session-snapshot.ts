// What a session reports about itself: state, statistics and files.
import type { RecordStats } from '../output/record-writer.js';
import type { SessionSpec } from './session-spec.js';
import type { StopReason } from './stop-condition.js';

export const SessionState = {
  Running: 'Running',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
  Failed: 'Failed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export interface SessionStats {
  readonly packetsCaptured: number;
  /** Captured packet data written (pcap record headers not included). */
  readonly bytesCaptured: number;
  /** Kernel drops (pcap_stats ps_drop) plus packets the agent could not hand over or write. */
  readonly packetsLost: number;
  /** Bytes the agent dropped plus kernel drops × the mean captured packet size (the kernel does not report bytes). */
  readonly bytesLost: number;
}

export interface SessionFile {
  readonly path: string;
  readonly format: string;
  readonly bytes: number;
  readonly packets: number;
  /** Hex sha256, "" while the file is open. */
  readonly sha256: string;
  readonly closed: boolean;
  readonly firstPacketTime?: Date;
  readonly lastPacketTime?: Date;
  readonly closeTime?: Date;
  /** The capture interfaces whose packets the file holds, and its link type (DLT_*). */
  readonly interfaces: readonly string[];
  readonly linkType: number;
  /** The segment (1, 2, … after restarts) that wrote the file. */
  readonly segment: number;
  /** Set once the agent deleted the local file (TTL | Expired | Evicted). */
  readonly deletedTime?: Date;
  readonly deletedReason?: string;
}

/** The session and the node's storage budget. */
export interface SessionStorage {
  /** The session is running and its latest batch found no room. */
  readonly full: boolean;
  /** Packets and captured bytes not written for lack of room, all segments (part of stats.*Lost). */
  readonly lostPackets: number;
  readonly lostBytes: number;
}

/** What retention did to the session's local data. */
export interface SessionRetention {
  /** When retention.expireAfter deletes (or deleted) all local data; absent = never or still running. */
  readonly expireTime?: Date;
  readonly expired: boolean;
  /** Files a TTL or the expiry deleted before they were exported (only counted when the spec exports). */
  readonly expiredUnexported: number;
}

/** A time the session was not capturing. */
export interface SessionGap {
  readonly from: Date;
  readonly to: Date;
  readonly reason: string;
}

export interface SessionSnapshot {
  readonly id: string;
  readonly nodeName: string;
  readonly spec: SessionSpec;
  readonly state: SessionState;
  readonly stopReason?: StopReason;
  readonly message: string;
  readonly stats: SessionStats;
  readonly files: readonly SessionFile[];
  /** When the first segment started. */
  readonly startTime: Date;
  readonly stopTime?: Date;
  /** The current (or last) segment, 1 unless the session was resumed after an agent restart. */
  readonly segment: number;
  readonly gaps: readonly SessionGap[];
  readonly storage?: SessionStorage;
  readonly retention?: SessionRetention;
  /** The json format's records, flows and evictions in this segment; absent without a record format. */
  readonly records?: RecordStats;
}
