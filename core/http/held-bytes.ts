// What a client sends after a CONNECT or Upgrade request, kept (copied: packet buffers are reused) until
// the response says whether a tunnel opened; bounded, as an answer may never come.
import type { Stamp } from './reader-events.js';

/** Bytes held while the connection waits to learn whether a CONNECT or Upgrade succeeded. */
export const MAX_HELD_BYTES = 64 * 1024;

export interface Held {
  readonly bytes: Buffer;
  readonly at: Stamp;
}

export class HeldBytes {
  private list: Held[] = [];
  private size = 0;

  /** False (and nothing kept) when the bound would be passed. */
  add(buf: Buffer, i: number, end: number, at: Stamp): boolean {
    if (this.size + (end - i) > MAX_HELD_BYTES) {
      this.clear();
      return false;
    }
    this.list.push({ bytes: Buffer.from(buf.subarray(i, end)), at });
    this.size += end - i;
    return true;
  }

  /** Everything held, in order; the store is empty afterwards. */
  take(): Held[] {
    const list = this.list;
    this.clear();
    return list;
  }

  clear(): void {
    this.list = [];
    this.size = 0;
  }
}
