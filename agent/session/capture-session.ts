// One capture session: one capture handle feeding one writer per output
// format, stop conditions with Hubble semantics, statistics and files.
import type { Logger } from 'pino';
import type { CaptureHandle, CaptureStats } from '../capture/capture-source.js';
import type { PacketBatch } from '../capture/packet-batch.js';
import type { ClockTimer } from '../output/clock.js';
import type { OutputFile, RecordWriter } from '../output/record-writer.js';
import { sha256File } from './file-digest.js';
import type { SessionPorts } from './ports.js';
import { SessionError, SessionErrorCode } from './session-error.js';
import { SwappableCapture } from './swappable-capture.js';
import type { SessionFile, SessionSnapshot, SessionStats } from './session-snapshot.js';
import { SessionState } from './session-snapshot.js';
import type { FilterUpdate, SessionSpec } from './session-spec.js';
import { admitBatch, StopReason } from './stop-condition.js';

export interface SessionContext {
  readonly nodeName: string;
  /** Existing directory under the data directory that receives the files. */
  readonly directory: string;
  readonly ports: SessionPorts;
  readonly logger: Logger;
}

const ZERO_CAPTURE: CaptureStats = {
  packetsReceived: 0,
  kernelDropped: 0,
  interfaceDropped: 0,
  agentDropped: 0,
  agentDroppedBytes: 0,
};

export class CaptureSession {
  private state: SessionState = SessionState.Running;
  private stopReason: StopReason | undefined;
  private message = '';
  private packets = 0;
  private bytes = 0;
  private writeLostPackets = 0;
  private writeLostBytes = 0;
  /** False once a limit was reached or writing failed: later batches are not written. */
  private accepting = true;
  private captureStats: CaptureStats | undefined;
  private readonly startTime: Date;
  private stopTime: Date | undefined;
  private closedFiles: SessionFile[] | undefined;
  private timer: ClockTimer | undefined;
  private windowTimer: ClockTimer | undefined;
  private stopping: Promise<SessionSnapshot> | undefined;
  private resolveFinished: (snapshot: SessionSnapshot) => void = () => undefined;
  private readonly finished = new Promise<SessionSnapshot>((resolve) => {
    this.resolveFinished = resolve;
  });

  private constructor(
    private currentSpec: SessionSpec,
    private readonly context: SessionContext,
    private readonly handle: SwappableCapture,
    private readonly writers: readonly RecordWriter[],
  ) {
    this.startTime = new Date(context.ports.clock.now());
  }

  /** Opens the capture and the writers; throws SessionError(StartFailed) and leaves nothing open on failure. */
  static start(spec: SessionSpec, context: SessionContext): CaptureSession {
    const { ports } = context;
    let handle: SwappableCapture;
    try {
      const options = { interface: spec.interface, filter: spec.filter, snaplen: spec.snaplen };
      handle = new SwappableCapture(ports.openCapture, options);
    } catch (error) {
      throw new SessionError(SessionErrorCode.StartFailed, `open capture on ${spec.interface}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const writers: RecordWriter[] = [];
    try {
      for (const format of spec.formats) {
        writers.push(
          ports.createWriter({
            format,
            directory: context.directory,
            filePrefix: spec.filePrefix,
            nodeName: context.nodeName,
            interfaceName: spec.interface,
            linkType: handle.linkType,
            snaplen: handle.snaplen,
            rotation: spec.rotation,
          }),
        );
      }
    } catch (error) {
      void handle.close().catch(() => undefined);
      for (const writer of writers) void writer.close().catch(() => undefined);
      throw new SessionError(SessionErrorCode.StartFailed, `open writer: ${messageOf(error)}`, { cause: error });
    }
    const session = new CaptureSession(spec, context, handle, writers);
    handle.onBatch((batch) => session.onBatch(batch));
    // Capture that ends on its own (the interface went away) fails the session
    // instead of leaving it Running with no packets.
    handle.onError((error) => void session.stop(StopReason.Error, `capture: ${messageOf(error)}`));
    if (spec.limits.timeElapsedMs > 0) {
      session.timer = ports.clock.setTimer(spec.limits.timeElapsedMs, () => void session.stop(StopReason.TimeElapsed));
    }
    if (spec.windowEndMs !== undefined) {
      // Dead-man switch: the wall-clock instant becomes a delay once, then the
      // timer runs on the monotonic clock, so clock steps do not move it.
      const remaining = Math.max(0, spec.windowEndMs - ports.clock.now());
      session.windowTimer = ports.clock.setTimer(remaining, () => {
        context.logger.info({ windowEnd: new Date(spec.windowEndMs ?? 0).toISOString() }, 'Window ended');
        void session.stop(StopReason.Duration);
      });
    }
    context.logger.info({ interface: spec.interface, filter: spec.filter, formats: spec.formats }, 'Started capture');
    return session;
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
   * being written, see SwappableCapture for the overlap. `update` carries include,
   * bpf and the compiled filter; the same filter again is a no-op.
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
      await this.handle.replace(filter);
    } catch (error) {
      throw new SessionError(SessionErrorCode.UpdateFailed, `replace capture filter: ${messageOf(error)}`, {
        cause: error,
      });
    }
    this.currentSpec = { ...this.currentSpec, include, bpf, endpointIps, filter };
    this.context.logger.info({ filter }, 'Updated capture filter');
    return this.snapshot();
  }

  isActive(): boolean {
    return this.state === SessionState.Running || this.state === SessionState.Stopping;
  }

  private onBatch(batch: PacketBatch): void {
    try {
      if (!this.accepting) return;
      const admitted = admitBatch(
        { packets: this.packets, bytes: this.bytes },
        this.spec.limits,
        batch.data,
        batch.length,
        batch.packets,
      );
      if (admitted.packets > 0) {
        const records = batch.data.subarray(0, admitted.recordBytes);
        try {
          for (const writer of this.writers) writer.write(records, admitted.packets, admitted.recordBytes);
        } catch (error) {
          this.accepting = false;
          this.writeLostPackets += admitted.packets;
          this.writeLostBytes += admitted.capturedBytes;
          void this.stop(StopReason.Error, `write: ${messageOf(error)}`);
          return;
        }
        this.packets += admitted.packets;
        this.bytes += admitted.capturedBytes;
      }
      if (admitted.limitHit !== undefined) {
        this.accepting = false;
        this.captureStats = this.handle.stats();
        void this.stop(admitted.limitHit);
      }
    } finally {
      batch.release();
    }
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
    this.timer?.cancel();
    this.windowTimer?.cancel();
    const errors: string[] = message ? [message] : [];
    let final: CaptureStats | undefined;
    try {
      final = await this.handle.close();
    } catch (error) {
      errors.push(`close capture: ${messageOf(error)}`);
    }
    this.accepting = false;
    this.captureStats ??= final ?? safeStats(this.handle);
    const files: SessionFile[] = [];
    for (const writer of this.writers) {
      try {
        for (const file of await writer.close(this.captureStats)) files.push(await closedFile(file));
      } catch (error) {
        errors.push(`close writer: ${messageOf(error)}`);
        for (const file of writer.files()) files.push(openFile(file));
      }
    }
    this.closedFiles = files;
    this.stopTime = new Date(this.context.ports.clock.now());
    const failed = reason === StopReason.Error || errors.length > 0;
    this.state = failed ? SessionState.Failed : SessionState.Stopped;
    if (failed && reason !== StopReason.Error) this.stopReason = StopReason.Error;
    this.message = errors.join('; ');
    const snapshot = this.snapshot();
    const log = { reason: this.stopReason, ...snapshot.stats, files: files.map((f) => f.path) };
    if (failed) this.context.logger.error({ ...log, error: this.message }, 'Capture failed');
    else this.context.logger.info(log, 'Stopped capture');
    this.resolveFinished(snapshot);
    return snapshot;
  }

  stats(): SessionStats {
    const capture = this.captureStats ?? safeStats(this.handle);
    const meanBytes = this.packets > 0 ? this.bytes / this.packets : 0;
    return {
      packetsCaptured: this.packets,
      bytesCaptured: this.bytes,
      packetsLost: capture.kernelDropped + capture.agentDropped + this.writeLostPackets,
      bytesLost: Math.round(capture.kernelDropped * meanBytes) + capture.agentDroppedBytes + this.writeLostBytes,
    };
  }

  snapshot(): SessionSnapshot {
    const files = this.closedFiles ?? this.writers.flatMap((w) => w.files().map(openFile));
    return {
      id: this.spec.id,
      nodeName: this.context.nodeName,
      spec: this.spec,
      state: this.state,
      ...(this.stopReason !== undefined && { stopReason: this.stopReason }),
      message: this.message,
      stats: this.stats(),
      files,
      startTime: this.startTime,
      ...(this.stopTime !== undefined && { stopTime: this.stopTime }),
    };
  }
}

function safeStats(handle: CaptureHandle): CaptureStats {
  try {
    return handle.stats();
  } catch {
    return ZERO_CAPTURE;
  }
}

function openFile(file: OutputFile): SessionFile {
  return {
    path: file.path,
    format: file.format,
    bytes: file.bytes,
    packets: file.packets,
    sha256: file.sha256 ?? '',
    closed: file.closedAt !== undefined,
    ...(file.firstPacketTime && { firstPacketTime: file.firstPacketTime }),
    ...(file.closedAt && { closeTime: file.closedAt }),
  };
}

async function closedFile(file: OutputFile): Promise<SessionFile> {
  const sha256 = file.sha256 ?? (await sha256File(file.path));
  return { ...openFile(file), sha256, closed: true, closeTime: file.closedAt ?? new Date() };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
