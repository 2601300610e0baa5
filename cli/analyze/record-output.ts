// JSON Lines out: records are encoded straight into large byte blocks (no string joined per write, no
// copy to encode it later); with -o the file is written under a temporary name and renamed when
// complete, so nothing half-written is ever left at the output path.
import { once } from 'node:events';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { TrafficRecord } from '../../core/records/record.js';

const FLUSH_BYTES = 1 << 20;
const BLOCK_BYTES = 1 << 20;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const MAX_UTF8_PER_UNIT = 3;

export class RecordOutput {
  records = 0;
  /** Blocks filled since the last flush, then the one being filled. */
  private full: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private pending = 0;
  private readonly fd: number | undefined;
  private readonly temp: string | undefined;

  constructor(private readonly path: string | undefined) {
    if (path) {
      this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
      this.fd = openSync(this.temp, 'wx', 0o644);
    }
  }

  write = (record: TrafficRecord): void => {
    const json = JSON.stringify(record);
    const room = json.length * MAX_UTF8_PER_UNIT + 1;
    if (this.used + room > this.block.length) this.nextBlock(room);
    const bytes = this.block.write(json, this.used) + 1;
    this.block[this.used + bytes - 1] = 0x0a;
    this.used += bytes;
    this.pending += bytes;
    this.records++;
  };

  /** Writes what is buffered once enough has gathered (or always, with force); waits for stdout to drain. */
  async flush(force = false): Promise<void> {
    if (this.pending === 0 || (!force && this.pending < FLUSH_BYTES)) return;
    if (this.used > 0) this.nextBlock(0); // a block handed to stdout is never written again
    const blocks = this.full;
    this.full = [];
    this.pending = 0;
    if (this.fd !== undefined) {
      for (const block of blocks) writeAll(this.fd, block);
      return;
    }
    let room = true;
    for (const block of blocks) room = process.stdout.write(block);
    // events.once also rejects on 'error', and removes both listeners (one per flush piled up on a pipe).
    if (!room) await once(process.stdout, 'drain');
  }

  async close(): Promise<void> {
    await this.flush(true);
    if (this.fd === undefined || !this.temp || !this.path) return;
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abandon(): void {
    if (this.fd === undefined || !this.temp) return;
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }

  /** Sets the block being filled aside and starts one with room for at least `room` bytes. */
  private nextBlock(room: number): void {
    if (this.used > 0) this.full.push(this.block.subarray(0, this.used));
    this.block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, room));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
}
