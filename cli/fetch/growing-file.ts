// A file being downloaded, read by the merge while it grows, so that merging overlaps the downloads
// instead of following them. Reads wait for bytes the download has written; the end of the file comes
// only once the download verified the whole file against its manifest, so a merge can never finish
// with bytes whose sha256 did not match: it fails with the download's error instead.
import type { FileHandle } from 'node:fs/promises';
import type { ByteSource } from '../../core/merge/packet-source.js';

export class GrowingFile implements ByteSource {
  private handle: FileHandle | undefined;
  private written = 0;
  private verified = false;
  private failure: unknown;
  private position = 0;
  private wake: (() => void) | undefined;

  /** `bytes`: the file's size in the manifest (reads wait for a full buffer unless the file ends first). */
  constructor(private readonly bytes: number) {}

  /** The download has the file open for reading through `handle`, `written` bytes on disk so far. */
  opened(handle: FileHandle, written: number): void {
    this.handle = handle;
    this.written = written;
    this.signal();
  }

  /** `count` more bytes are on disk. */
  grew(count: number): void {
    this.written += count;
    this.signal();
  }

  /** Every byte is on disk and matched the manifest: the reader may see the end. */
  verify(): void {
    this.verified = true;
    this.signal();
  }

  /** The download failed or will not happen: every read from now on throws `error`. */
  fail(error: unknown): void {
    this.failure ??= error;
    this.signal();
  }

  get settled(): boolean {
    return this.verified || this.failure !== undefined;
  }

  async read(into: Buffer, offset: number, length: number): Promise<number> {
    // A full buffer or the rest of the file, so that a slow download does not cut parsing into slivers.
    const want = Math.min(length, this.bytes - this.position);
    while (this.failure === undefined && !(this.handle && this.written - this.position >= Math.max(want, 1))) {
      if (this.verified && this.position >= this.written) return 0;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    const { bytesRead } = await this.handle!.read(
      into,
      offset,
      Math.min(length, this.written - this.position),
      this.position,
    );
    this.position += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
