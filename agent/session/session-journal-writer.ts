// What one session writes to the state store as it runs: its record when a
// segment starts, a heartbeat (the start of the gap if the agent dies), each
// file when it opens and closes, and the final state. Also carries what the
// earlier segments left (counters, files, gaps) so the session counts across
// segments.
import type { Logger } from 'pino';
import type { OutputFile } from '../output/record-writer.js';
import type { Gap, StoredFile, StoredSession } from '../state/stored-records.js';
import { StoredState } from '../state/stored-records.js';
import type { SessionPorts } from './ports.js';
import type { SessionFile, SessionState } from './session-snapshot.js';
import type { SessionSpec } from './session-spec.js';
import { StopReason } from './stop-condition.js';

/** How often a running session records that it is alive. */
export const HEARTBEAT_MS = 1000;
/** Gaps kept per session; the oldest are dropped first. */
export const MAX_GAPS = 64;

export interface PriorCounters {
  /** Packets and captured bytes in the files of earlier segments (the first output format's). */
  readonly packets: number;
  readonly bytes: number;
  readonly lostPackets: number;
  readonly lostBytes: number;
  /** The part of lostPackets/lostBytes not written because the storage budget was full. */
  readonly storageLostPackets: number;
  readonly storageLostBytes: number;
}

export const NO_PRIOR: PriorCounters = {
  packets: 0,
  bytes: 0,
  lostPackets: 0,
  lostBytes: 0,
  storageLostPackets: 0,
  storageLostBytes: 0,
};

/** What the current segment lost, in all and for lack of storage room (a part of it). */
export interface SegmentLoss {
  readonly packets: number;
  readonly bytes: number;
  readonly storagePackets: number;
  readonly storageBytes: number;
}

const NO_LOSS: SegmentLoss = { packets: 0, bytes: 0, storagePackets: 0, storageBytes: 0 };

/** How a restarted agent continues a session: the stored record, its repaired files and the new gap. */
export interface SessionResume {
  readonly stored: StoredSession;
  readonly priorFiles: readonly SessionFile[];
  readonly prior: PriorCounters;
  readonly gap: Gap;
}

export class SessionJournalWriter {
  readonly heartbeatMs = HEARTBEAT_MS;
  readonly segment: number;
  readonly firstStartMs: number;
  readonly gaps: readonly Gap[];
  readonly prior: PriorCounters;
  readonly priorFiles: readonly SessionFile[];
  /** Set when the session stopped because the agent shut down and will resume. */
  paused = false;
  private readonly segmentStartMs: number;
  private failed = false;
  /** When each file of this segment was opened. */
  private readonly openedMs = new Map<string, number>();

  constructor(
    private spec: SessionSpec,
    private readonly ports: SessionPorts,
    resume: SessionResume | undefined,
    private readonly logger?: Logger,
  ) {
    const now = ports.clock.now();
    this.segmentStartMs = now;
    this.segment = resume ? resume.stored.segment + 1 : 1;
    this.firstStartMs = resume?.stored.firstStartMs ?? now;
    this.gaps = resume ? [...resume.stored.gaps, resume.gap].slice(-MAX_GAPS) : [];
    this.prior = resume?.prior ?? NO_PRIOR;
    this.priorFiles = resume?.priorFiles ?? [];
  }

  started(): void {
    this.putSession(StoredState.Running, NO_LOSS);
  }

  heartbeat(lost: SegmentLoss): void {
    this.putSession(StoredState.Running, lost);
  }

  specChanged(spec: SessionSpec): void {
    this.spec = spec;
  }

  fileOpened(file: OutputFile): void {
    this.openedMs.set(file.path, this.ports.clock.now());
    this.guard(() => this.ports.journal.putFile(this.storedFile(file, '')));
  }

  fileClosed(file: OutputFile): void {
    const stored = this.storedFile(file, file.sha256 ?? '');
    this.guard(() => this.ports.journal.putFile(stored));
    for (const observer of this.ports.observers ?? []) this.notify(() => observer.fileClosed?.(this.spec, stored));
  }

  /** Records the closed files and returns their rows. */
  async filesClosed(files: readonly OutputFile[]): Promise<SessionFile[]> {
    const rows: SessionFile[] = [];
    for (const file of files) {
      if (file.closedAt === undefined) {
        rows.push(this.sessionFile(file));
        continue;
      }
      // A file is hashed once, by the export that reads it anyway (agent/export/), never on the capture path:
      // reading every file back to hash it cost half of tcpdump's CPU again. Files not exported carry none.
      const sha256 = file.sha256 ?? '';
      this.guard(() => this.ports.journal.putFile(this.storedFile(file, sha256)));
      rows.push({ ...this.sessionFile(file), sha256, closed: true });
    }
    return rows;
  }

  stopped(state: SessionState, reason: StopReason, message: string, stopMs: number, lost: SegmentLoss): void {
    // SIGTERM (helm upgrade, node drain) pauses a Recording's session: the next agent resumes it.
    // Hubble Record streams end with their stream and are not resumed.
    this.paused = reason === StopReason.Shutdown && state !== 'Failed' && this.spec.recording !== undefined;
    const stored = this.paused ? StoredState.Paused : state === 'Failed' ? StoredState.Failed : StoredState.Stopped;
    const row = this.putSession(stored, lost, { stopReason: reason, message, stopMs });
    if (this.paused) return;
    for (const observer of this.ports.observers ?? []) this.notify(() => observer.sessionEnded?.(this.spec, row));
  }

  sessionFile(file: OutputFile): SessionFile {
    return {
      path: file.path,
      format: file.format,
      bytes: file.bytes,
      packets: file.packets,
      sha256: file.sha256 ?? '',
      closed: file.closedAt !== undefined,
      ...(file.firstPacketTime && { firstPacketTime: file.firstPacketTime }),
      ...(file.lastPacketTime && { lastPacketTime: file.lastPacketTime }),
      ...(file.closedAt && { closeTime: file.closedAt }),
      interfaces: file.interfaces ?? [],
      linkType: file.linkType ?? 0,
      segment: this.segment,
    };
  }

  private storedFile(file: OutputFile, sha256: string): StoredFile {
    return {
      path: file.path,
      sessionId: this.spec.id,
      segment: this.segment,
      format: file.format,
      interfaces: file.interfaces ?? [],
      linkType: file.linkType ?? 0,
      bytes: file.bytes,
      packets: file.packets,
      capturedBytes: file.capturedBytes ?? 0,
      sha256,
      closed: file.closedAt !== undefined,
      openMs: this.openedMs.get(file.path) ?? this.segmentStartMs,
      ...(file.firstPacketTime && { firstPacketMs: file.firstPacketTime.getTime() }),
      ...(file.lastPacketTime && { lastPacketMs: file.lastPacketTime.getTime() }),
      ...(file.closedAt && { closeMs: file.closedAt.getTime() }),
    };
  }

  private putSession(
    state: StoredState,
    lost: SegmentLoss,
    end?: { stopReason: StopReason; message: string; stopMs: number },
  ): StoredSession {
    const now = this.ports.clock.now();
    const row: StoredSession = {
      id: this.spec.id,
      spec: this.spec,
      state,
      ...(end && { stopReason: end.stopReason, stopMs: end.stopMs }),
      message: end?.message ?? '',
      firstStartMs: this.firstStartMs,
      segment: this.segment,
      segmentStartMs: this.segmentStartMs,
      aliveMs: now,
      priorLostPackets: this.prior.lostPackets,
      priorLostBytes: this.prior.lostBytes,
      segmentLostPackets: lost.packets,
      segmentLostBytes: lost.bytes,
      storageLostPackets: this.prior.storageLostPackets + lost.storagePackets,
      storageLostBytes: this.prior.storageLostBytes + lost.storageBytes,
      gaps: this.gaps,
    };
    this.guard(() => this.ports.journal.putSession(row));
    return row;
  }

  /** An observer that throws (it must not) does not stop the capture either. */
  private notify(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.logger?.error({ err: error }, 'Session observer failed');
    }
  }

  /** A state store that cannot be written must not stop the capture: it is logged once. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      if (!this.failed) this.logger?.error({ err: error }, 'Cannot write the state store');
      this.failed = true;
    }
  }
}
