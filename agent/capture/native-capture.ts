// The libpcap capture engine: implements OpenCapture on top of the native
// addon. Batches arrive in capture order on the JavaScript thread; each one is
// a pooled buffer that goes back to the capture thread on release().
import type { CaptureHandle, CaptureOptions, CaptureStats, OpenCapture } from './capture-source.js';
import type { PacketBatch } from './packet-batch.js';
import { CaptureError, CaptureErrorCode, FilterError } from './capture-error.js';
import { loadNativeCapture } from './native-binding.js';
import type { NativeCaptureAddon, RawHandle, RawStats } from './native-binding.js';
import { RECORD_HEADER_BYTES } from './packet-batch.js';

/** Engine tuning beyond the shared contract; every field has a default. */
export interface NativeCaptureOptions extends CaptureOptions {
  /** Kernel block timeout: a batch is handed over at least this often while packets flow. */
  readonly timeoutMs?: number;
  /** Bytes per pooled batch buffer. */
  readonly batchBytes?: number;
  /**
   * Pooled batch buffers; when all are held by JavaScript the capture thread waits for one and the
   * kernel ring absorbs the backlog (what it cannot hold the kernel drops and counts).
   */
  readonly batchCount?: number;
}

export const MAX_SNAPLEN = 262_144;
export const CAPTURE_DEFAULTS = {
  bufferBytes: 32 * 1024 * 1024,
  timeoutMs: 50,
  batchBytes: 1024 * 1024,
  batchCount: 16,
} as const;
const LIMITS = {
  minBufferBytes: 64 * 1024,
  maxBufferBytes: 1024 * 1024 * 1024,
  maxTimeoutMs: 1000,
  maxBatchBytes: 64 * 1024 * 1024,
  maxBatchCount: 64,
  maxInterfaceName: 255,
} as const;

function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CaptureError(
      CaptureErrorCode.InvalidOptions,
      `${field} must be an integer in [${min}, ${max}], got ${value}`,
    );
  }
  return value;
}

function rawOptions(options: NativeCaptureOptions) {
  const name = options.interface;
  if (name === '' || name.length > LIMITS.maxInterfaceName || name.includes('\0')) {
    throw new CaptureError(CaptureErrorCode.InvalidOptions, `interface name ${JSON.stringify(name)} is not usable`);
  }
  const snaplen = checkInt('snaplen', options.snaplen, 0, MAX_SNAPLEN) || MAX_SNAPLEN;
  const bufferBytes = options.bufferBytes ? options.bufferBytes : CAPTURE_DEFAULTS.bufferBytes;
  const minBatch = 2 * (snaplen + RECORD_HEADER_BYTES);
  return {
    device: name,
    filter: options.filter,
    snaplen,
    bufferBytes: checkInt('bufferBytes', bufferBytes, LIMITS.minBufferBytes, LIMITS.maxBufferBytes),
    timeoutMs: checkInt('timeoutMs', options.timeoutMs ?? CAPTURE_DEFAULTS.timeoutMs, 1, LIMITS.maxTimeoutMs),
    batchBytes: checkInt(
      'batchBytes',
      options.batchBytes ?? Math.max(CAPTURE_DEFAULTS.batchBytes, minBatch),
      Math.min(minBatch, LIMITS.maxBatchBytes),
      LIMITS.maxBatchBytes,
    ),
    batchCount: checkInt('batchCount', options.batchCount ?? CAPTURE_DEFAULTS.batchCount, 1, LIMITS.maxBatchCount),
  };
}

// packetsReceived counts what the capture thread read from the ring (records
// delivered plus the agent's own drops) rather than ps_recv - ps_drop: on the
// loopback device ps_recv also counts the outgoing copy of every packet, which
// libpcap discards in user space.
function toStats(raw: RawStats): CaptureStats {
  return {
    packetsReceived: raw.delivered + raw.agentDropped,
    kernelDropped: raw.kernelDropped,
    interfaceDropped: raw.interfaceDropped,
    agentDropped: raw.agentDropped,
    agentDroppedBytes: raw.agentDroppedBytes,
  };
}

function nativeError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_CAPTURE_FILTER') return new FilterError('filter', message, { cause: err });
  return new CaptureError(CaptureErrorCode.OpenFailed, `${what}: ${message}`, { cause: err });
}

class NativeBatch implements PacketBatch {
  private released = false;
  constructor(
    readonly data: Buffer,
    readonly length: number,
    readonly packets: number,
    readonly lastRecordOffset: number,
    private readonly giveBack: () => void,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.giveBack();
  }
}

export class NativeCaptureHandle implements CaptureHandle {
  readonly linkType: number;
  readonly snaplen: number;
  private readonly handle: RawHandle;
  private readonly buffers: readonly Buffer[];
  private listener: ((batch: PacketBatch) => void) | undefined;
  private errorListener: ((error: Error) => void) | undefined;
  private closeRequested = false;
  private readonly pending: PacketBatch[] = [];
  private finalStats: RawStats | undefined;
  private listenerError: CaptureError | undefined;
  private readonly closed: Promise<CaptureStats>;
  private resolveClosed: (stats: CaptureStats) => void = () => undefined;

  constructor(
    private readonly addon: NativeCaptureAddon,
    options: NativeCaptureOptions,
  ) {
    const raw = rawOptions(options);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    try {
      const opened = addon.open(
        raw,
        (slot, length, packets, last) => this.deliver(slot, length, packets, last),
        (stats) => this.ended(stats),
      );
      this.handle = opened.handle;
      this.buffers = opened.buffers;
      this.linkType = opened.linkType;
      this.snaplen = opened.snaplen;
    } catch (err) {
      throw nativeError(err, `cannot capture on ${JSON.stringify(options.interface)}`);
    }
  }

  onBatch(listener: (batch: PacketBatch) => void): void {
    if (this.listener !== undefined) {
      throw new CaptureError(CaptureErrorCode.InvalidOptions, 'a capture handle has exactly one batch listener');
    }
    this.listener = listener;
    for (const batch of this.pending.splice(0)) this.dispatch(batch);
  }

  onError(listener: (error: Error) => void): void {
    this.errorListener = listener;
    const error = this.finalStats !== undefined && !this.closeRequested ? this.error() : undefined;
    if (error !== undefined) listener(error);
  }

  stats(): CaptureStats {
    return toStats(this.finalStats ?? this.addon.stats(this.handle));
  }

  /** The addon's counters, including ps_recv and the records delivered (for tests and benchmarks). */
  rawStats(): RawStats {
    return this.finalStats ?? this.addon.stats(this.handle);
  }

  /** The libpcap error that ended the capture loop, if any (the loop then closes by itself). */
  error(): CaptureError | undefined {
    if (this.listenerError !== undefined) return this.listenerError;
    const message = (this.finalStats ?? this.addon.stats(this.handle)).error;
    return message === '' ? undefined : new CaptureError(CaptureErrorCode.CaptureFailed, message);
  }

  close(): Promise<CaptureStats> {
    this.closeRequested = true;
    if (this.finalStats === undefined) this.addon.close(this.handle);
    return this.closed;
  }

  private deliver(slot: number, length: number, packets: number, lastRecordOffset: number): void {
    const data = this.buffers[slot];
    if (data === undefined) return;
    const release = (): void => this.addon.release(this.handle, slot);
    const batch = new NativeBatch(data, length, packets, lastRecordOffset, release);
    if (this.listener === undefined) this.pending.push(batch);
    else this.dispatch(batch);
  }

  private dispatch(batch: PacketBatch): void {
    if (this.listenerError !== undefined) {
      batch.release();
      return;
    }
    try {
      this.listener?.(batch);
    } catch (err) {
      // A throwing listener must not leak a pooled buffer, and must not be
      // swallowed by N-API: the capture ends with the error, which the
      // error listener (the session) reports.
      batch.release();
      const message = err instanceof Error ? err.message : String(err);
      this.listenerError = new CaptureError(CaptureErrorCode.CaptureFailed, `batch listener: ${message}`, {
        cause: err,
      });
      this.addon.close(this.handle);
      this.errorListener?.(this.listenerError);
    }
  }

  private ended(stats: RawStats): void {
    this.finalStats = stats;
    this.resolveClosed(toStats(stats));
    const error = this.listenerError === undefined ? this.error() : undefined; // a listener error was reported
    if (error !== undefined && !this.closeRequested) this.errorListener?.(error);
  }
}

export function openNativeCapture(options: NativeCaptureOptions): NativeCaptureHandle {
  return new NativeCaptureHandle(loadNativeCapture(), options);
}

export const openCapture: OpenCapture = openNativeCapture;
