// What a session reports about itself: state, statistics and files.
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
  readonly closeTime?: Date;
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
  readonly startTime: Date;
  readonly stopTime?: Date;
}
