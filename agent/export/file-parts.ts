// Reads a closed capture file part by part, in order, feeding one sha256 as it goes: the file is
// hashed exactly once, by the upload that reads it anyway. Memory: one buffer per part in flight.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ExportError, ExportErrorCode } from './export-error.js';

export class FileParts {
  private readonly hash: Hash = createHash('sha256');
  private readonly extra: Hash | undefined;
  private position = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
    extraAlgorithm: string | undefined,
  ) {
    this.extra = extraAlgorithm ? createHash(extraAlgorithm) : undefined;
  }

  /** `extraAlgorithm`: a second digest a store wants to compare (e.g. GCS's md5), fed by the same reads. */
  static async open(path: string, extraAlgorithm?: string): Promise<FileParts> {
    try {
      const handle = await open(path, 'r');
      const { size } = await handle.stat();
      return new FileParts(handle, path, size, extraAlgorithm);
    } catch (error) {
      throw new ExportError(ExportErrorCode.LocalFile, `Cannot read ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Number of parts of `partSize` bytes (the last may be shorter; an empty file is one empty part). */
  partCount(partSize: number): number {
    return Math.max(1, Math.ceil(this.size / partSize));
  }

  /** The next `length` bytes (fewer at the end), hashed in file order. */
  async next(length: number): Promise<Buffer> {
    const want = Math.min(length, this.size - this.position);
    const buffer = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await this.handle.read(buffer, filled, want - filled, this.position + filled);
      if (bytesRead === 0) {
        throw new ExportError(ExportErrorCode.LocalFile, `${this.path} shrank while uploading`);
      }
      filled += bytesRead;
    }
    this.position += want;
    this.hash.update(buffer);
    this.extra?.update(buffer);
    return buffer;
  }

  /** Hashes `length` bytes without keeping them (parts an earlier attempt already uploaded). */
  async skip(length: number): Promise<void> {
    let left = Math.min(length, this.size - this.position);
    while (left > 0) {
      const chunk = await this.next(Math.min(left, 1 << 20));
      left -= chunk.length;
    }
  }

  /** hex sha256 of everything read; call once, at the end. */
  digest(): string {
    if (this.position !== this.size) {
      throw new ExportError(ExportErrorCode.LocalFile, `${this.path}: hashed ${this.position} of ${this.size} bytes`);
    }
    return this.hash.digest('hex');
  }

  /** base64 of the extra digest (after digest()). */
  extraDigest(): string | undefined {
    return this.extra?.digest('base64');
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
