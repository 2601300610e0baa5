// One capture session: a capture handle per interface feeding the writers of
// every output format, stop conditions with Hubble semantics counted across
// segments, statistics and files, all kept in the state store so that a
// restarted agent resumes the session as its next segment.
import type { Logger } from 'pino';
import type { CaptureStats } from '../capture/capture-source.js';
import type { PacketBatch } from '../capture/packet-batch.js';
import type { ClockTimer } from '../output/clock.js';
import type { OutputFile } from '../output/record-writer.js';
import type { SessionPorts } from './ports.js';
import { SessionCaptures, messageOf, addStats, ZERO_CAPTURE } from './session-captures.js';
import { SessionError, SessionErrorCode } from './session-error.js';
import { SessionJournalWriter, type SegmentLoss, type SessionResume } from './session-journal-writer.js';
import type { SessionFile, SessionSnapshot, SessionStats } from './session-snapshot.js';
import { SessionState } from './session-snapshot.js';
import { StorageFullPolicy, type FilterUpdate, type SessionSpec } from './session-spec.js';
import { SessionWriters } from './session-writers.js';
import { admitBatch, StopReason } from './stop-condition.js';
import { segmentLoss, StorageLoss } from './storage-loss.js';
import { armSessionTimers } from './session-timers.js';
import { isStorageFull } from '../output/output-error.js';

export { messageOf } from './session-captures.js';
export type { SessionResume } from './session-journal-writer.js';

export interface SessionContext {
  readonly nodeName: string;
  /** Existing directory under the data directory that receives the files. */
  readonly directory: string;
  readonly ports: SessionPorts;
  readonly logger: Logger;
}

export class CaptureSession {
  private state: SessionState = SessionState.Running;
  private stopReason: StopReason | undefined;
  private message = '';
  /** Packets and captured bytes admitted in this segment (earlier segments: journal.prior). */
  private packets = 0;
  private bytes = 0;
  private writeLostPackets = 0;
  private writeLostBytes = 0;
  /** False once a limit was reached or writing failed: later batches are not written. */
  private accepting = true;
  private captureStats: CaptureStats | undefined;
  private stopTime: Date | undefined;
  private closedFiles: SessionFile[] | undefined;
  private readonly timers: ClockTimer[] = [];
  private stopping: Promise<SessionSnapshot> | undefined;
  private resolveFinished: (snapshot: SessionSnapshot) => void = () => undefined;
  private readonly finished = new Promise<SessionSnapshot>((resolve) => {
    this.resolveFinished = resolve;
  });
  private writers!: SessionWriters;
  private readonly storage: StorageLoss;

  private constructor(
    private currentSpec: SessionSpec,
    private readonly context: SessionContext,
    private readonly captures: SessionCaptures,
    readonly journal: SessionJournalWriter,
  ) {
    this.storage = new StorageLoss(context.logger);
  }

  /**
   * Opens the captures and the writers (a new segment of `resume` when given); throws
   * SessionError(StartFailed) and leaves nothing open on failure.
   */
  static start(spec: SessionSpec, context: SessionContext, resume?: SessionResume): CaptureSession {
    const { ports } = context;
    let captures: SessionCaptures;
    try {
      captures = new SessionCaptures(ports.openCapture, spec.interfaces, spec.filter, spec.snaplen);
    } catch (error) {
      throw new SessionError(SessionErrorCode.StartFailed, messageOf(error), { cause: error });
    }
    const journal = new SessionJournalWriter(spec, ports, resume, context.logger);
    const session = new CaptureSession(spec, context, captures, journal);
    const linkTypes = captures.linkTypes;
    try {
      session.writers = new SessionWriters(
        ports.createWriter,
        spec,
        spec.interfaces.map((name, i) => ({ name, linkType: linkTypes[i] ?? 0 })),
        {
          directory: context.directory,
          nodeName: context.nodeName,
          snaplen: captures.snaplen,
          onFileOpened: (file) => journal.fileOpened(file),
          onFileClosed: (file) => journal.fileClosed(file),
        },
      );
    } catch (error) {
      void captures.close();
      throw new SessionError(SessionErrorCode.StartFailed, `open writer: ${messageOf(error)}`, { cause: error });
    }
    journal.started();
    captures.onBatch((batch, i) => session.onBatch(batch, i));
    // Capture that ends on its own (the interface went away) fails the session
    // instead of leaving it Running with no packets.
    captures.onError((error, name) => void session.stop(StopReason.Error, `capture on ${name}: ${messageOf(error)}`));
    session.armTimers();
    const log = { interfaces: spec.interfaces, filter: spec.filter, formats: spec.formats, segment: journal.segment };
    if (resume) {
      const gap = journal.gaps.at(-1);
      context.logger.info({ ...log, gapMs: gap ? gap.toMs - gap.fromMs : 0 }, 'Resumed capture');
    } else context.logger.info(log, 'Started capture');
    return session;
  }

  private armTimers(): void {
    const hooks = {
      firstStartMs: this.journal.firstStartMs,
      heartbeatMs: this.journal.heartbeatMs,
      stop: (reason: StopReason) => void this.stop(reason),
      beat: () => {
        if (!this.isActive()) return false;
        this.journal.heartbeat(this.lost());
        return true;
      },
    };
    this.timers.push(...armSessionTimers(this.context.ports.clock, this.spec, hooks, this.context.logger));
  }

  get id(): string {
    return this.spec.id;
  }

  /** The spec as started, with the filter of the latest updateFilter(). */
  get spec(): SessionSpec {
    return this.currentSpec;
  }

  /**
   * Replaces the filter of a running session (UpdateSession): the same files keep
   * being written, see SwappableCapture for the overlap. The same filter again is a no-op.
   */
  async updateFilter(update: FilterUpdate): Promise<SessionSnapshot> {
    const { include, bpf, endpointIps, filter } = update;
    const same =
      JSON.stringify([include, bpf, endpointIps]) ===
      JSON.stringify([this.spec.include, this.spec.bpf, this.spec.endpointIps]);
    if (same && filter === this.spec.filter) return this.snapshot();
    if (this.state !== SessionState.Running) {
      throw new SessionError(SessionErrorCode.NotRunning, `session ${this.spec.id} is not running`);
    }
    try {
      await this.captures.replace(filter);
    } catch (error) {
      throw new SessionError(SessionErrorCode.UpdateFailed, `replace capture filter: ${messageOf(error)}`, {
        cause: error,
      });
    }
    this.currentSpec = { ...this.currentSpec, include, bpf, endpointIps, filter };
    this.journal.specChanged(this.currentSpec);
    this.context.logger.info({ filter }, 'Updated capture filter');
    return this.snapshot();
  }

  isActive(): boolean {
    return this.state === SessionState.Running || this.state === SessionState.Stopping;
  }

  private onBatch(batch: PacketBatch, interfaceIndex: number): void {
    if (!this.accepting) {
      batch.release();
      return;
    }
    try {
      const prior = this.journal.prior;
      const admitted = admitBatch(
        { packets: prior.packets + this.packets, bytes: prior.bytes + this.bytes },
        this.spec.limits,
        batch.data,
        batch.length,
        batch.packets,
      );
      if (
        admitted.packets > 0 &&
        !this.storage.admit(this.context.ports.storage, this.writers, admitted, interfaceIndex)
      ) {
        batch.release();
        this.storageRefused(admitted.packets, admitted.capturedBytes);
        return;
      }
      if (admitted.packets > 0) {
        const records = batch.data.subarray(0, admitted.recordBytes);
        // The batch's last record is the last written unless a stop condition cut the batch short.
        const last = admitted.packets === batch.packets ? batch.lastRecordOffset : undefined;
        const writes = this.writers.write(records, admitted.packets, admitted.recordBytes, interfaceIndex, last);
        this.packets += admitted.packets;
        this.bytes += admitted.capturedBytes;
        // The batch goes back to the capture thread once every writer wrote it:
        // a slow disk holds batches, and a full pool pauses the capture thread
        // while the kernel ring absorbs the backlog.
        Promise.all(writes).then(
          () => batch.release(),
          (error: unknown) => {
            batch.release();
            this.writeFailed(admitted.packets, admitted.capturedBytes, error);
          },
        );
      } else batch.release();
      if (admitted.limitHit !== undefined) {
        this.accepting = false;
        this.captureStats = this.captures.stats();
        void this.stop(admitted.limitHit);
      }
    } catch (error) {
      batch.release();
      this.accepting = false;
      void this.stop(StopReason.Error, `batch: ${messageOf(error)}`);
    }
  }

  /** Not written for lack of room: lost; the session goes on unless the spec says Stop. */
  private storageRefused(packets: number, bytes: number): void {
    this.storage.refused(packets, bytes);
    if (this.spec.onStorageFull !== StorageFullPolicy.Stop || !this.accepting) return;
    this.accepting = false;
    this.captureStats = this.captures.stats();
    // A message would mark the stop as failed: the stop reason says it all.
    this.context.logger.info('Stopping capture: the storage budget is full and onStorageFull is Stop');
    void this.stop(StopReason.StorageFull);
  }

  private writeFailed(packets: number, bytes: number, error: unknown): void {
    this.packets -= packets;
    this.bytes -= bytes;
    if (isStorageFull(error)) {
      this.storageRefused(packets, bytes);
      return;
    }
    this.writeLostPackets += packets;
    this.writeLostBytes += bytes;
    if (!this.accepting) return;
    this.accepting = false;
    void this.stop(StopReason.Error, `write: ${messageOf(error)}`);
  }

  /** Stops capturing, finalises every file and resolves with the final snapshot. Idempotent. */
  stop(reason: StopReason, message = ''): Promise<SessionSnapshot> {
    this.stopping ??= this.finish(reason, message);
    return this.stopping;
  }

  /** Resolves when the session has stopped, for whatever reason. */
  done(): Promise<SessionSnapshot> {
    return this.finished;
  }

  private async finish(reason: StopReason, message: string): Promise<SessionSnapshot> {
    this.stopReason = reason;
    this.message = message;
    this.state = SessionState.Stopping;
    for (const timer of this.timers) timer.cancel();
    const closed = await this.captures.close();
    const errors: string[] = [...(message ? [message] : []), ...closed.errors];
    this.accepting = false;
    this.captureStats ??= closed.stats.reduce(addStats, ZERO_CAPTURE);
    const written = await this.writers.close(closed.stats);
    errors.push(...written.errors);
    this.closedFiles = await this.journal.filesClosed(written.files);
    this.stopTime = new Date(this.context.ports.clock.now());
    const failed = reason === StopReason.Error || errors.length > 0;
    this.state = failed ? SessionState.Failed : SessionState.Stopped;
    if (failed && reason !== StopReason.Error) this.stopReason = StopReason.Error;
    this.message = errors.join('; ');
    this.journal.stopped(this.state, this.stopReason ?? reason, this.message, this.stopTime.getTime(), this.lost());
    const snapshot = this.snapshot();
    const log = { reason: this.stopReason, ...snapshot.stats, files: this.closedFiles.map((f) => f.path) };
    if (failed) this.context.logger.error({ ...log, error: this.message }, 'Capture failed');
    else if (this.journal.paused) this.context.logger.info(log, 'Paused capture');
    else this.context.logger.info(log, 'Stopped capture');
    this.resolveFinished(snapshot);
    return snapshot;
  }

  /** Lost in this segment: kernel drops, the agent's drops, failed writes and no storage room. */
  private lost(): SegmentLoss {
    const meanBytes = this.packets > 0 ? this.bytes / this.packets : 0;
    const written = { packets: this.writeLostPackets, bytes: this.writeLostBytes };
    return segmentLoss(this.captureStats ?? this.captures.stats(), meanBytes, written, this.storage);
  }

  stats(): SessionStats {
    const lost = this.lost();
    const prior = this.journal.prior;
    return {
      packetsCaptured: prior.packets + this.packets,
      bytesCaptured: prior.bytes + this.bytes,
      packetsLost: prior.lostPackets + lost.packets,
      bytesLost: prior.lostBytes + lost.bytes,
    };
  }

  snapshot(): SessionSnapshot {
    const current = this.closedFiles ?? this.writers.files().map((f: OutputFile) => this.journal.sessionFile(f));
    const records = this.writers.recordStats();
    return {
      id: this.spec.id,
      nodeName: this.context.nodeName,
      spec: this.spec,
      state: this.state,
      ...(this.stopReason !== undefined && { stopReason: this.stopReason }),
      message: this.message,
      stats: this.stats(),
      files: [...this.journal.priorFiles, ...current],
      startTime: new Date(this.journal.firstStartMs),
      ...(this.stopTime !== undefined && { stopTime: this.stopTime }),
      segment: this.journal.segment,
      gaps: this.journal.gaps.map((g) => ({ from: new Date(g.fromMs), to: new Date(g.toMs), reason: g.reason })),
      storage: {
        full: this.isActive() && this.storage.full,
        lostPackets: this.journal.prior.storageLostPackets + this.storage.packets,
        lostBytes: this.journal.prior.storageLostBytes + this.storage.bytes,
      },
      ...(records && { records }),
    };
  }
}
