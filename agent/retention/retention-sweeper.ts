// The TTL sweeper: deletes each closed file when its pcapTTL/jsonTTL passes and all local data of a
// run when its expireAfter passes, on time (a timer armed at the next deadline), from deadlines kept
// in the state store so that they survive restarts (a deadline that passed while the agent was down
// is acted on when it starts). It also keeps the state store bounded: an expired session is
// forgotten FORGET_EXPIRED_AFTER_MS after its data went, and ended sessions without files on disk
// beyond MAX_ENDED_SESSIONS are forgotten, oldest first.
//
// A TTL deletes a file whether or not it was exported: the TTL is the user's promise about how long
// captured traffic stays on the node (a wiretap's data, and the node's disk), and an export that
// keeps failing must not hold it there. Such files count in Session.export.files_expired_unexported
// (the operator turns that into a Warning Event); choose a TTL longer than the export needs.
import type { Logger } from 'pino';
import type { Clock, ClockTimer } from '../output/clock.js';
import type { SessionObserver } from '../session/ports.js';
import type { SessionSpec } from '../session/session-spec.js';
import { DeletedReason, type StoredFile, type StoredSession } from '../state/stored-records.js';
import type { LocalFiles } from '../storage/local-files.js';
import { fileDeadline, sessionDeadline } from './deadlines.js';

/** How long an expired session stays listed (so the operator sees Expired) before it is forgotten. */
export const FORGET_EXPIRED_AFTER_MS = 60 * 60 * 1000;
/** Ended sessions whose files are all gone that the state store keeps at most. */
export const MAX_ENDED_SESSIONS = 1024;
/** Besides the timer at the next deadline, a sweep at least this often (forgetting, missed timers). */
export const SWEEP_INTERVAL_MS = 60_000;
export const FAILED_SWEEP_RETRY_MS = 1000;

/** What the sweeper needs of the state store (agent/state/state-store.ts). */
export interface RetentionStore {
  session(id: string): StoredSession | undefined;
  files(sessionId: string): StoredFile[];
  setFileDeadline(path: string, deleteAfterMs: number): void;
  setSessionExpiry(id: string, expireAtMs: number): void;
  markSessionExpired(id: string, expiredMs: number): void;
  filesDue(nowMs: number): StoredFile[];
  sessionsDue(nowMs: number): StoredSession[];
  nextDeadline(): number | undefined;
  closedFilesWithoutDeadline(): StoredFile[];
  endedSessionsWithoutExpiry(): StoredSession[];
  endedSessions(): { session: StoredSession; filesOnDisk: number }[];
  deleteSession(id: string): void;
}

export interface RetentionSweeperOptions {
  readonly store: RetentionStore;
  readonly files: LocalFiles;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A session was forgotten (its rows deleted): the session manager drops it too. */
  readonly onForgotten?: (id: string) => void;
}

export class RetentionSweeper implements SessionObserver {
  private timer: ClockTimer | undefined;
  private armedAt: number | undefined;
  private interval: ClockTimer | undefined;
  private sweeping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** After a failed sweep the timer waits at least FAILED_SWEEP_RETRY_MS, so a past deadline does not spin. */
  private failed = false;

  constructor(private readonly options: RetentionSweeperOptions) {}

  /** Sets the deadlines rows lack (files closed by recovery, sessions ended by it), then sweeps. */
  async start(): Promise<void> {
    const { store } = this.options;
    for (const file of store.closedFilesWithoutDeadline()) {
      const spec = store.session(file.sessionId)?.spec;
      if (spec !== undefined) this.setFileDeadline(spec, file);
    }
    for (const session of store.endedSessionsWithoutExpiry()) this.setSessionExpiry(session.spec, session);
    await this.sweep();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.interval?.cancel();
  }

  fileClosed(spec: SessionSpec, file: StoredFile): void {
    this.setFileDeadline(spec, file);
    this.arm();
  }

  sessionEnded(spec: SessionSpec, stored: StoredSession): void {
    this.setSessionExpiry(spec, stored);
    this.arm();
  }

  /** Deletes what is due now; concurrent calls run one more sweep after the current one. */
  sweep(): Promise<void> {
    if (this.sweeping !== undefined) {
      this.again = true;
      return this.sweeping;
    }
    this.failed = false;
    this.sweeping = this.sweepOnce()
      .catch((error: unknown) => {
        this.failed = true;
        this.options.logger.error({ err: error }, 'Retention sweep failed');
      })
      .finally(() => {
        this.sweeping = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.sweep();
        } else this.arm();
      });
    return this.sweeping;
  }

  private setFileDeadline(spec: SessionSpec, file: StoredFile): void {
    const at = fileDeadline(spec, file.format, file.closeMs ?? file.openMs);
    if (at !== undefined) this.options.store.setFileDeadline(file.path, at);
  }

  private setSessionExpiry(spec: SessionSpec, stored: StoredSession): void {
    const at = sessionDeadline(spec, stored.stopMs ?? stored.aliveMs);
    if (at !== undefined) this.options.store.setSessionExpiry(stored.id, at);
  }

  private async sweepOnce(): Promise<void> {
    const { store, files, clock } = this.options;
    const now = clock.now();
    for (const file of store.filesDue(now)) await files.remove(file, DeletedReason.Ttl);
    for (const session of store.sessionsDue(now)) await this.removeRun(session.id, DeletedReason.Expired);
    this.forget(now);
  }

  /**
   * Deletes every local file of an ended session now (its Recording was deleted with onDelete.local
   * Delete); the session then reports expired and is forgotten like an expired one.
   */
  async deleteRun(id: string): Promise<void> {
    await this.removeRun(id, DeletedReason.Deleted);
  }

  private async removeRun(id: string, reason: DeletedReason): Promise<void> {
    const { store, files, clock, logger } = this.options;
    const own = store.files(id);
    for (const file of own.filter((f) => f.deletedMs === undefined)) await files.remove(file, reason);
    await files.removeEmptyDirectories(own);
    store.markSessionExpired(id, clock.now());
    logger.info({ session: id, files: own.length, reason }, 'Deleted session data');
  }

  private forget(now: number): void {
    const { store, onForgotten, logger } = this.options;
    const ended = store.endedSessions();
    let empty = ended.filter((e) => e.filesOnDisk === 0).length;
    for (const { session, filesOnDisk } of ended) {
      const expiredLongAgo = session.expiredMs !== undefined && session.expiredMs <= now - FORGET_EXPIRED_AFTER_MS;
      const overflow = filesOnDisk === 0 && empty > MAX_ENDED_SESSIONS;
      if (!expiredLongAgo && !overflow) continue;
      if (filesOnDisk === 0) empty -= 1;
      store.deleteSession(session.id);
      onForgotten?.(session.id);
      logger.debug({ session: session.id }, 'Forgot session');
    }
  }

  /** Arms the timer at the next deadline (a past one fires at once). */
  private arm(): void {
    if (this.stopped) return;
    const next = this.options.store.nextDeadline();
    if (next === this.armedAt && this.timer !== undefined) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAt = next;
    if (next === undefined) return;
    const delay = Math.max(this.failed ? FAILED_SWEEP_RETRY_MS : 0, next - this.options.clock.now());
    this.timer = this.options.clock.setTimer(delay, () => {
      this.timer = undefined;
      this.armedAt = undefined;
      void this.sweep();
    });
  }

  private tick(): void {
    if (this.stopped) return;
    this.interval = this.options.clock.setTimer(SWEEP_INTERVAL_MS, () => {
      void this.sweep().finally(() => this.tick());
    });
  }
}
