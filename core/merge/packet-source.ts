// Pulls packets one at a time out of a pcap or pcapng byte stream read in bounded chunks: what a
// k-way merge needs. The bytes come through a ByteSource port (core/ does no I/O of its own); packets
// are copied out of the read buffer, at most one chunk's worth at a time.
import { createCaptureParser } from '../capture/create-capture-parser.js';
import type { CaptureParser } from '../capture/capture-parser.js';

export interface ByteSource {
  /** Reads up to `length` bytes into `into` at `offset`; 0 at the end. */
  read(into: Buffer, offset: number, length: number): Promise<number>;
}

export interface MergePacket {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly linkType: number;
  /** The interface's index within its file (pcap: 0). */
  readonly interfaceIndex: number;
  readonly originalLength: number;
  /** The captured bytes are buf[offset, offset + captured): a view into the read buffer, no copy. */
  readonly buf: Buffer;
  readonly offset: number;
  readonly captured: number;
}

export const READ_CHUNK = 256 * 1024;
/** take(): nothing is buffered, call next(). */
export const NEED_READ = Symbol('need-read');

export class PacketSource {
  private readonly queue: MergePacket[] = [];
  private head = 0;
  private buffer = Buffer.allocUnsafe(READ_CHUNK);
  private start = 0;
  private end = 0;
  private parser: CaptureParser | undefined;
  private eof = false;

  constructor(
    private readonly bytes: ByteSource,
    /** Names the input in errors. */
    readonly name: string,
  ) {}

  /**
   * The next packet if it is already read (no promise per packet), NEED_READ when next() must read more.
   * Its data is valid until the next call of next() or take() that reads.
   */
  take(): MergePacket | undefined | typeof NEED_READ {
    if (this.head < this.queue.length) return this.queue[this.head++];
    return this.eof ? undefined : NEED_READ;
  }

  /** The next packet in file order, or undefined at the end. Throws CaptureError on damage. */
  async next(): Promise<MergePacket | undefined> {
    while (this.head === this.queue.length) {
      if (this.eof) return undefined;
      this.queue.length = 0;
      this.head = 0;
      await this.fill();
    }
    return this.queue[this.head++];
  }

  private async fill(): Promise<void> {
    // Keep the unconsumed tail; grow when one unit is larger than the buffer.
    if (this.start > 0) {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    const need = Math.max(READ_CHUNK, this.parser?.nextUnitBytes ?? 0);
    if (this.buffer.length < need) {
      const bigger = Buffer.allocUnsafe(need);
      this.buffer.copy(bigger, 0, 0, this.end);
      this.buffer = bigger;
    }
    const got = await this.bytes.read(this.buffer, this.end, this.buffer.length - this.end);
    this.end += got;
    if (!this.parser) {
      if (this.end < 4 && got > 0) return;
      this.parser = createCaptureParser(this.buffer.subarray(0, this.end), {
        packet: (data, offset, captured, original, tsSec, tsNsec, linkType, interfaceIndex) => {
          this.queue.push({
            tsSec,
            tsNsec,
            linkType,
            interfaceIndex: interfaceIndex ?? 0,
            originalLength: original,
            // Where the bytes are, not a copy: the buffer is only refilled once every queued packet was taken.
            buf: data,
            offset,
            captured,
          });
        },
      });
    }
    this.start = this.parser.parse(this.buffer, this.start, this.end);
    if (got === 0) {
      this.eof = true;
      this.parser.finish(this.end - this.start);
    }
  }
}
