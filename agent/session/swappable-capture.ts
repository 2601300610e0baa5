// A capture handle whose filter can be replaced while it runs (UpdateSession).
// A new libpcap handle with the new filter is opened first and feeds the same
// listener; only then is the old one closed (it delivers what it still holds).
// So no packet is lost across the swap; a packet that both filters match and
// that arrives while both handles are open can be delivered twice. Batches of
// the two handles may interleave during that short overlap.
import type { CaptureHandle, CaptureOptions, CaptureStats, OpenCapture } from '../capture/capture-source.js';
import type { PacketBatch } from '../capture/packet-batch.js';

const ZERO: CaptureStats = {
  packetsReceived: 0,
  kernelDropped: 0,
  interfaceDropped: 0,
  agentDropped: 0,
  agentDroppedBytes: 0,
};

function add(a: CaptureStats, b: CaptureStats): CaptureStats {
  return {
    packetsReceived: a.packetsReceived + b.packetsReceived,
    kernelDropped: a.kernelDropped + b.kernelDropped,
    interfaceDropped: a.interfaceDropped + b.interfaceDropped,
    agentDropped: a.agentDropped + b.agentDropped,
    agentDroppedBytes: a.agentDroppedBytes + b.agentDroppedBytes,
  };
}

export class SwappableCapture implements CaptureHandle {
  private current: CaptureHandle;
  /** Final statistics of the handles already replaced. */
  private retired: CaptureStats = ZERO;
  private batchListener: (batch: PacketBatch) => void = (batch) => batch.release();
  private errorListener: ((error: Error) => void) | undefined;
  /** Swaps run one after the other; close() waits for the one in flight. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<CaptureStats> | undefined;
  private filterValue: string;

  /** Opens the first handle; throws what `open` throws. */
  constructor(
    private readonly open: OpenCapture,
    private readonly options: CaptureOptions,
  ) {
    this.filterValue = options.filter;
    this.current = this.wire(open(options));
  }

  get linkType(): number {
    return this.current.linkType;
  }

  get snaplen(): number {
    return this.current.snaplen;
  }

  /** The filter of the handle capturing now. */
  get filter(): string {
    return this.filterValue;
  }

  onBatch(listener: (batch: PacketBatch) => void): void {
    this.batchListener = listener;
  }

  onError(listener: (error: Error) => void): void {
    this.errorListener = listener;
  }

  stats(): CaptureStats {
    return add(this.retired, this.current.stats());
  }

  /**
   * Starts capturing with `filter` on a new handle, then closes the old one.
   * Throws (and keeps the old handle) when the new one cannot be opened or has
   * another link type than the files being written.
   */
  replace(filter: string): Promise<void> {
    const run = this.queue.then(() => this.swap(filter));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<CaptureStats> {
    this.closing ??= this.queue.then(async () => add(this.retired, await this.current.close()));
    return this.closing;
  }

  private async swap(filter: string): Promise<void> {
    if (this.closing !== undefined) throw new Error('capture is closing');
    if (filter === this.filterValue) return;
    const next = this.open({ ...this.options, filter });
    if (next.linkType !== this.current.linkType || next.snaplen !== this.current.snaplen) {
      await next.close().catch(() => undefined);
      throw new Error(`new capture handle has link type ${next.linkType}, the files ${this.current.linkType}`);
    }
    const old = this.current;
    this.current = this.wire(next);
    this.filterValue = filter;
    this.retired = add(this.retired, await old.close().catch(() => ZERO));
  }

  private wire(handle: CaptureHandle): CaptureHandle {
    handle.onBatch((batch) => this.batchListener(batch));
    handle.onError?.((error) => {
      if (handle === this.current) this.errorListener?.(error);
    });
    return handle;
  }
}
