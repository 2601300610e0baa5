// Deleting local capture files for retention (TTL, expiry) and for room (eviction): the file goes,
// its row stays marked deleted (status shows when and why) and the budget stops charging it.
import { rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../output/clock.js';
import type { DeletedReason, StoredFile, StoredSession } from '../state/stored-records.js';
import { DeletedReason as Reason } from '../state/stored-records.js';
import { allocatedBytes } from './disk-usage.js';

/** What deleting needs of the state store (agent/state/state-store.ts). */
export interface LocalFilesStore {
  markFileDeleted(path: string, deletedMs: number, reason: DeletedReason): void;
  evictionCandidates(nowMs: number, limit: number): StoredFile[];
  session(id: string): StoredSession | undefined;
}

export interface LocalFilesOptions {
  readonly dataDir: string;
  readonly store: LocalFilesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The budget to tell (StorageBudget.forget), with the bytes the file took. */
  readonly forget?: (path: string, bytes: number) => void;
}

/** Candidates read per round of eviction. */
const EVICTION_BATCH = 32;

export class LocalFiles {
  constructor(private readonly options: LocalFilesOptions) {}

  /** Deletes the file (gone already is fine) and records why; resolves with the bytes it took. */
  async remove(file: StoredFile, reason: DeletedReason): Promise<number> {
    const { store, clock, logger } = this.options;
    const bytes = await stat(file.path).then(allocatedBytes, () => 0);
    await rm(file.path, { force: true });
    store.markFileDeleted(file.path, clock.now(), reason);
    this.options.forget?.(file.path, bytes);
    const exported = file.uploadedMs !== undefined;
    const log = { session: file.sessionId, file: file.path, reason, bytes, exported };
    if (!exported && reason !== Reason.Evicted && store.session(file.sessionId)?.spec.export !== undefined) {
      logger.warn(log, 'Deleted a file before it was exported');
    } else logger.info(log, 'Deleted file');
    return bytes;
  }

  /**
   * Makes room (StorageBudget's Evictor): deletes exported files, oldest first, then files past their
   * TTL that the sweeper has not reached yet, until `bytes` are freed or none is left.
   */
  async evict(bytes: number): Promise<number> {
    let freed = 0;
    const tried = new Set<string>();
    while (freed < bytes) {
      const batch = this.options.store
        .evictionCandidates(this.options.clock.now(), EVICTION_BATCH + tried.size)
        .filter((f) => !tried.has(f.path));
      if (batch.length === 0) break;
      for (const file of batch) {
        tried.add(file.path);
        freed += await this.remove(file, file.uploadedMs !== undefined ? Reason.Evicted : Reason.Ttl);
        if (freed >= bytes) break;
      }
    }
    return freed;
  }

  /** Removes the now empty directories a session's files lived in, up to <dataDir>/recordings. */
  async removeEmptyDirectories(files: readonly StoredFile[]): Promise<void> {
    const root = path.resolve(this.options.dataDir);
    const stopAt = new Set([root, path.join(root, 'recordings')]);
    for (const directory of new Set(files.map((f) => path.dirname(f.path)))) {
      let current = directory;
      while (current.startsWith(`${root}${path.sep}`) && !stopAt.has(current)) {
        const removed = await rmdir(current).then(
          () => true,
          () => false,
        );
        if (!removed) break;
        current = path.dirname(current);
      }
    }
  }
}
