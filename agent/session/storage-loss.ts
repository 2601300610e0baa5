// What a session could not write because the node's storage budget was full: counted as lost,
// shown as storage_full while it lasts, logged once per episode.
import type { Logger } from 'pino';
import type { CaptureStats } from '../capture/capture-source.js';
import type { StorageGate } from './ports.js';
import type { SegmentLoss } from './session-journal-writer.js';
import type { SessionWriters } from './session-writers.js';
import type { Admission } from './stop-condition.js';

export interface StorageLossView {
  /** The latest batch found no room. */
  readonly full: boolean;
  /** This segment's packets and captured bytes not written for lack of room. */
  readonly packets: number;
  readonly bytes: number;
}

export class StorageLoss implements StorageLossView {
  full = false;
  packets = 0;
  bytes = 0;
  private episodePackets = 0;

  constructor(private readonly logger: Logger) {}

  /**
   * Asks the storage budget (none = room) for the whole batch across every writer that takes it, so
   * every format writes it or none does. false = no room; the caller counts it with refused().
   */
  admit(gate: StorageGate | undefined, writers: SessionWriters, admitted: Admission, interfaceIndex: number): boolean {
    if (gate === undefined) return true;
    const bound = writers.bound(admitted.recordBytes, admitted.packets, interfaceIndex);
    if (!gate.admit(bound.bytes, bound.files)) return false;
    this.wrote();
    return true;
  }

  /** A batch found no room; returns true when this starts an episode. */
  refused(packets: number, bytes: number): boolean {
    this.packets += packets;
    this.bytes += bytes;
    this.episodePackets += packets;
    if (this.full) return false;
    this.full = true;
    this.logger.warn({ packets }, 'Storage full, counting packets as lost');
    return true;
  }

  /** A batch found room again. */
  wrote(): void {
    if (!this.full) return;
    this.full = false;
    this.logger.info({ lostPackets: this.episodePackets }, 'Storage has room again, writing');
    this.episodePackets = 0;
  }
}

/** A segment's losses: kernel drops (bytes estimated at `meanBytes`), the agent's, failed writes, no room. */
export function segmentLoss(
  capture: CaptureStats,
  meanBytes: number,
  failedWrites: { packets: number; bytes: number },
  storage: StorageLossView,
): SegmentLoss {
  return {
    packets: capture.kernelDropped + capture.agentDropped + failedWrites.packets + storage.packets,
    bytes:
      Math.round(capture.kernelDropped * meanBytes) + capture.agentDroppedBytes + failedWrites.bytes + storage.bytes,
    storagePackets: storage.packets,
    storageBytes: storage.bytes,
  };
}
