// The capture handles of one session: one per interface (each a
// SwappableCapture, so UpdateSession can replace the filter), batches tagged
// with the index of the interface they came from, statistics per interface
// and summed.
import type { CaptureStats, OpenCapture } from '../capture/capture-source.js';
import type { PacketBatch } from '../capture/packet-batch.js';
import { SwappableCapture } from './swappable-capture.js';

export const ZERO_CAPTURE: CaptureStats = {
  packetsReceived: 0,
  kernelDropped: 0,
  interfaceDropped: 0,
  agentDropped: 0,
  agentDroppedBytes: 0,
};

export function addStats(a: CaptureStats, b: CaptureStats): CaptureStats {
  return {
    packetsReceived: a.packetsReceived + b.packetsReceived,
    kernelDropped: a.kernelDropped + b.kernelDropped,
    interfaceDropped: a.interfaceDropped + b.interfaceDropped,
    agentDropped: a.agentDropped + b.agentDropped,
    agentDroppedBytes: a.agentDroppedBytes + b.agentDroppedBytes,
  };
}

/** Thrown when one interface cannot be opened; names it. */
export class InterfaceOpenError extends Error {
  constructor(
    readonly interfaceName: string,
    options: ErrorOptions,
  ) {
    super(`open capture on ${interfaceName}: ${messageOf(options.cause)}`, options);
    this.name = 'InterfaceOpenError';
  }
}

export class SessionCaptures {
  private readonly handles: SwappableCapture[] = [];
  private final: CaptureStats[] | undefined;

  /** Opens every interface; closes what it opened and throws InterfaceOpenError if one fails. */
  constructor(
    open: OpenCapture,
    readonly interfaces: readonly string[],
    filter: string,
    snaplen: number,
  ) {
    for (const name of interfaces) {
      try {
        this.handles.push(new SwappableCapture(open, { interface: name, filter, snaplen }));
      } catch (error) {
        for (const handle of this.handles) void handle.close().catch(() => undefined);
        throw new InterfaceOpenError(name, { cause: error });
      }
    }
  }

  get linkTypes(): number[] {
    return this.handles.map((h) => h.linkType);
  }

  /** The largest snaplen of the handles (they were opened with the same one). */
  get snaplen(): number {
    return Math.max(...this.handles.map((h) => h.snaplen));
  }

  onBatch(listener: (batch: PacketBatch, interfaceIndex: number) => void): void {
    for (const [i, handle] of this.handles.entries()) handle.onBatch((batch) => listener(batch, i));
  }

  onError(listener: (error: Error, interfaceName: string) => void): void {
    for (const [i, handle] of this.handles.entries()) handle.onError((error) => listener(error, this.interfaces[i]!));
  }

  perInterface(): CaptureStats[] {
    return this.final ?? this.handles.map((h) => safeStats(() => h.stats()));
  }

  stats(): CaptureStats {
    return this.perInterface().reduce(addStats, ZERO_CAPTURE);
  }

  /** Replaces the filter of every handle (each keeps its old one if its new handle fails). */
  async replace(filter: string): Promise<void> {
    const results = await Promise.allSettled(this.handles.map((h) => h.replace(filter)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
      throw new Error(`${this.interfaces[failed]}: ${messageOf(reason)}`, { cause: reason });
    }
  }

  /** Closes every handle; resolves with final statistics per interface and the close errors. */
  async close(): Promise<{ stats: CaptureStats[]; errors: string[] }> {
    const errors: string[] = [];
    const stats = await Promise.all(
      this.handles.map((h, i) =>
        h.close().catch((error: unknown) => {
          errors.push(`close capture on ${this.interfaces[i]}: ${messageOf(error)}`);
          return safeStats(() => h.stats());
        }),
      ),
    );
    this.final = stats;
    return { stats, errors };
  }
}

function safeStats(read: () => CaptureStats): CaptureStats {
  try {
    return read();
  } catch {
    return ZERO_CAPTURE;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
