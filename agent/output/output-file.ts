// One open output file: created exclusively (never overwrites), written with
// positioned writes of whole encoded records, hashed as it grows, and fsynced
// and closed at the end. Every file system call runs in libuv's thread pool,
// one after the other per file, so a slow disk never blocks the event loop
// that serves gRPC: append() returns at once with a promise that settles when
// the bytes are written (the caller keeps the chunk alive until then).
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError, OutputErrorCode } from './output-error.js';
import type { OutputFile } from './record-writer.js';
import { UNLIMITED_LEDGER, type StorageLedger } from './storage-ledger.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL; // libuv adds O_CLOEXEC
// Captures are wiretaps: readable by the agent alone (the agent also sets umask 077).
const FILE_MODE = 0o600;
/** Suffix of the hidden name a file has until its header is written. */
export const PARTIAL_SUFFIX = '.partial';

export class OpenOutputFile {
  /** Bytes and packets handed to append() (written or queued). */
  bytes = 0;
  packets = 0;
  /** Packet data bytes (record headers excluded) of those packets. */
  capturedBytes = 0;
  firstPacketTime: Date | undefined;
  lastPacketTime: Date | undefined;
  private readonly hash: Hash | undefined;
  private handle: FileHandle | undefined;
  /** The chain of file system calls; each starts when the previous one settled. */
  private tail: Promise<void>;
  private failure: OutputError | undefined;

  private constructor(
    readonly path: string,
    readonly format: string,
    readonly openedAtMs: number,
    header: Buffer,
    sha256: boolean,
    private readonly ledger: StorageLedger,
  ) {
    this.hash = sha256 ? createHash('sha256') : undefined;
    this.hash?.update(header);
    this.bytes = header.length;
    this.tail = this.createOnDisk(header).catch((error: unknown) => {
      this.failure = ioError(`creating ${path}`, error);
    });
  }

  /**
   * Creates `path` (which must not exist) holding `header`. The header is
   * written under a hidden name first (`.<name>.partial`) and the file then
   * linked to its real name, so a crash never leaves an empty or half-headed
   * file under a capture name: at worst a `.partial` file recovery removes.
   * Returns at once; a failure surfaces in the next append() or finish(). Returns undefined, creating
   * nothing, when the storage ledger has no room for the header.
   */
  static create(
    path: string,
    format: string,
    header: Buffer,
    openedAtMs: number,
    sha256: boolean,
    ledger: StorageLedger = UNLIMITED_LEDGER,
  ): OpenOutputFile | undefined {
    if (!ledger.grow(path, header.length)) return undefined;
    return new OpenOutputFile(path, format, openedAtMs, header, sha256, ledger);
  }

  /**
   * Appends `chunk` (whole encoded records) after everything appended before.
   * On failure the file is cut back to its previous length, so it never ends
   * in a partial record we wrote, and every later append fails too. When the storage ledger has no
   * room, nothing changes and the promise rejects with TD_ERR_OUTPUT_STORAGE_FULL (later appends may
   * succeed once room is made).
   */
  append(chunk: Buffer, packets: number, capturedBytes = 0): Promise<void> {
    if (!this.ledger.grow(this.path, this.bytes + chunk.length)) {
      return Promise.reject(new OutputError(OutputErrorCode.StorageFull, `no storage room to grow ${this.path}`));
    }
    const position = this.bytes;
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    this.packets += packets;
    this.capturedBytes += capturedBytes;
    const run = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      const handle = this.handle;
      if (handle === undefined) throw new OutputError(OutputErrorCode.Closed, `${this.path} is closed`);
      let written = 0;
      try {
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
          written += bytesWritten;
        }
      } catch (error) {
        this.failure = ioError(`writing ${this.path}`, error);
        // The write error is what the caller needs; a failed cut leaves a
        // truncated tail, which readers tolerate like a crash would.
        if (written > 0) await handle.truncate(position).catch(() => undefined);
        throw this.failure;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The file's row while it is open. */
  snapshot(): OutputFile {
    return {
      path: this.path,
      format: this.format,
      bytes: this.bytes,
      packets: this.packets,
      capturedBytes: this.capturedBytes,
      ...(this.firstPacketTime === undefined ? {} : { firstPacketTime: this.firstPacketTime }),
      ...(this.lastPacketTime === undefined ? {} : { lastPacketTime: this.lastPacketTime }),
    };
  }

  /**
   * Returns the final row at once (the content is complete) and a promise
   * that settles when every append is written, the file is durable (fsync)
   * and its descriptor closed.
   */
  finish(closedAtMs: number): { row: OutputFile; durable: Promise<void> } {
    const row: OutputFile = {
      ...this.snapshot(),
      closedAt: new Date(closedAtMs),
      ...(this.hash === undefined ? {} : { sha256: this.hash.digest('hex') }),
    };
    const durable = this.tail.then(async () => {
      const handle = this.handle;
      this.handle = undefined;
      let error: unknown = this.failure;
      if (handle !== undefined) {
        await handle.sync().catch((syncError: unknown) => (error ??= syncError));
        await handle.close().catch((closeError: unknown) => (error ??= closeError));
      }
      if (error !== undefined) {
        throw error instanceof OutputError ? error : ioError(`closing ${this.path}`, error);
      }
      this.ledger.settled(this.path);
    });
    this.tail = durable.catch(() => undefined);
    return { row, durable };
  }

  private async createOnDisk(header: Buffer): Promise<void> {
    const partial = join(dirname(this.path), `.${basename(this.path)}${PARTIAL_SUFFIX}`);
    const handle = await open(partial, CREATE_FLAGS, FILE_MODE);
    try {
      let written = 0;
      while (written < header.length) {
        written += (await handle.write(header, written, header.length - written, written)).bytesWritten;
      }
      await link(partial, this.path); // fails if `path` exists: never overwrite a capture
      await unlink(partial);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw error;
    }
    this.handle = handle;
  }
}

function ioError(what: string, cause: unknown): OutputError {
  return cause instanceof OutputError ? cause : new OutputError(OutputErrorCode.Io, what, { cause });
}
