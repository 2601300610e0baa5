// One open output file: created exclusively (never overwrites), written with
// positioned writes of whole encoded records, hashed as it grows, and on
// finish fsynced and closed off the JavaScript thread.
import { createHash, type Hash } from 'node:crypto';
import {
  close,
  closeSync,
  constants,
  fsync,
  ftruncateSync,
  linkSync,
  openSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OutputError, OutputErrorCode } from './output-error.js';
import type { OutputFile } from './record-writer.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL; // libuv adds O_CLOEXEC
const FILE_MODE = 0o640;
/** Suffix of the hidden name a file has until its header is written. */
export const PARTIAL_SUFFIX = '.partial';

export class OpenOutputFile {
  bytes = 0;
  packets = 0;
  firstPacketTime: Date | undefined;
  private readonly hash: Hash | undefined;

  private constructor(
    readonly path: string,
    readonly format: string,
    readonly openedAtMs: number,
    private readonly fd: number,
    sha256: boolean,
  ) {
    this.hash = sha256 ? createHash('sha256') : undefined;
  }

  /**
   * Creates `path` (which must not exist) holding `header`. The header is
   * written under a hidden name first (`.<name>.partial`) and the file then
   * linked to its real name, so a crash never leaves an empty or half-headed
   * file under a capture name: at worst a `.partial` file recovery removes.
   */
  static create(path: string, format: string, header: Buffer, openedAtMs: number, sha256: boolean): OpenOutputFile {
    const partial = join(dirname(path), `.${basename(path)}${PARTIAL_SUFFIX}`);
    let fd: number;
    try {
      fd = openSync(partial, CREATE_FLAGS, FILE_MODE);
    } catch (error) {
      throw new OutputError(OutputErrorCode.Io, `creating ${path}`, { cause: error });
    }
    const file = new OpenOutputFile(path, format, openedAtMs, fd, sha256);
    try {
      file.append(header, 0);
      linkSync(partial, path); // fails if `path` exists: never overwrite a capture
      unlinkSync(partial);
    } catch (error) {
      closeSync(fd);
      rmSync(partial, { force: true });
      throw error instanceof OutputError
        ? error
        : new OutputError(OutputErrorCode.Io, `creating ${path}`, { cause: error });
    }
    return file;
  }

  /**
   * Appends `chunk` (whole encoded records). On failure the file is cut back
   * to its previous length, so it never ends in a partial record we wrote.
   */
  append(chunk: Buffer, packets: number): void {
    let written = 0;
    try {
      while (written < chunk.length) {
        written += writeSync(this.fd, chunk, written, chunk.length - written, this.bytes + written);
      }
    } catch (error) {
      if (written > 0) this.cutBack();
      throw new OutputError(OutputErrorCode.Io, `writing ${this.path}`, { cause: error });
    }
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    this.packets += packets;
  }

  /** The file's row while it is open. */
  snapshot(): OutputFile {
    return {
      path: this.path,
      format: this.format,
      bytes: this.bytes,
      packets: this.packets,
      ...(this.firstPacketTime === undefined ? {} : { firstPacketTime: this.firstPacketTime }),
    };
  }

  /**
   * Returns the final row at once (the content is complete) and a promise
   * that settles when the file is durable (fsync) and its descriptor closed.
   */
  finish(closedAtMs: number): { row: OutputFile; durable: Promise<void> } {
    const row: OutputFile = {
      ...this.snapshot(),
      closedAt: new Date(closedAtMs),
      ...(this.hash === undefined ? {} : { sha256: this.hash.digest('hex') }),
    };
    const durable = new Promise<void>((resolve, reject) => {
      fsync(this.fd, (syncError) => {
        close(this.fd, (closeError) => {
          const error = syncError ?? closeError;
          if (error) reject(new OutputError(OutputErrorCode.Io, `closing ${this.path}`, { cause: error }));
          else resolve();
        });
      });
    });
    return { row, durable };
  }

  private cutBack(): void {
    try {
      ftruncateSync(this.fd, this.bytes);
    } catch {
      // The write error is what the caller needs; a failed cut leaves a
      // truncated tail, which readers tolerate like a crash would.
    }
  }
}
