// The agent's crash-safe state on the data volume: an embedded SQLite database
// (node:sqlite, built into Node 24, no dependency) in WAL mode. It holds the
// highest leader epoch seen (fencing), every session with its spec, segments,
// gaps and counters, and every file with its size, packets and hash, plus the
// columns later stages fill (TTL deadlines, uploads).
//
// Why SQLite and not a hand-written journal: atomic multi-row transactions,
// crash recovery of its own (a torn write of the WAL is rolled back on open),
// and queries for the TTL sweeper and exporter, for no code of ours.
// synchronous=NORMAL in WAL mode: a commit is durable against a process crash
// (kill -9, OOM kill) at once and against power loss from the next checkpoint;
// the database stays consistent in both cases. It keeps fsync off the event
// loop's common path (commits are small: a file opened or closed, a heartbeat
// per session per second).
//
// No secret is ever stored: a session spec has no credential fields, and the
// export stage must store references (Secret name), never key material.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ADDED_COLUMNS, INDEXES, SCHEMA, SCHEMA_VERSION } from './schema.js';
import type { DeletedReason, StoredFile, StoredSession } from './stored-records.js';
import { fileFromRow, fileParams, sessionFromRow, sessionParams, StoredState } from './stored-records.js';

export const STATE_FILE = 'agent.db';
/**
 * The write-ahead log is checkpointed every 128 pages (512 KiB) and cut back to 1 MiB after a checkpoint,
 * so the state store's share of the storage budget stays small and moves slowly between two measurements
 * (agent/storage/): SQLite's default lets the WAL grow to 4 MiB and keeps that size for good.
 */
const WAL_PRAGMAS = 'PRAGMA wal_autocheckpoint = 128; PRAGMA journal_size_limit = 1048576;';

/** Columns a row written without them must not clear: the sweeper, the exporter and eviction own them. */
const KEPT_FILE_COLUMNS = new Set(['delete_after_ms', 'uploaded_key', 'uploaded_ms', 'deleted_ms', 'deleted_reason']);
const KEPT_SESSION_COLUMNS = new Set(['expire_at_ms', 'expired_ms']);

function upsertSet(columns: readonly string[], key: string, kept: ReadonlySet<string>, table: string): string {
  return columns
    .filter((c) => c !== key)
    .map((c) =>
      kept.has(c)
        ? `${c} = COALESCE(excluded.${c}, ${table}.${c})`
        : // A file's hash is set once, by whoever computed it (the session or the export's upload).
          c === 'sha256'
          ? `sha256 = CASE WHEN excluded.sha256 = '' THEN ${table}.sha256 ELSE excluded.sha256 END`
          : `${c} = excluded.${c}`,
    )
    .join(', ');
}

export class StateStoreError extends Error {
  readonly code = 'TD_ERR_STATE_STORE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

export class StateStore {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  private constructor(readonly file: string) {
    this.db = new DatabaseSync(file);
  }

  /** Opens (creating if needed) `<stateDir>/agent.db`. */
  static open(stateDir: string): StateStore {
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    const file = path.join(stateDir, STATE_FILE);
    let store: StateStore;
    try {
      store = new StateStore(file);
      store.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
      store.db.exec(WAL_PRAGMAS);
      store.db.exec(SCHEMA);
      store.addMissingColumns();
      store.db.exec(INDEXES);
    } catch (error) {
      throw new StateStoreError(`cannot open the state store ${file}: ${(error as Error).message}`, { cause: error });
    }
    const version = store.meta('schema_version');
    if (version !== undefined && Number(version) > SCHEMA_VERSION) {
      store.close();
      throw new StateStoreError(`${file} has schema version ${version}, newer than this agent's ${SCHEMA_VERSION}`);
    }
    if (version !== String(SCHEMA_VERSION)) store.setMeta('schema_version', String(SCHEMA_VERSION));
    return store;
  }

  /** Brings a database of an older agent up to this schema (columns only ever get added). */
  private addMissingColumns(): void {
    for (const { table, column, definition } of ADDED_COLUMNS) {
      const present = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!present.some((c) => c.name === column)) {
        this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  meta(key: string): string | undefined {
    const row = this.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }

  /** The highest leader epoch any request carried (0 = none yet). */
  leaderEpoch(): number {
    return Number(this.meta('leader_epoch') ?? 0);
  }

  setLeaderEpoch(epoch: number): void {
    this.setMeta('leader_epoch', String(epoch));
  }

  putSession(session: StoredSession): void {
    const p = sessionParams(session);
    const columns = Object.keys(p);
    this.prepare(
      `INSERT INTO sessions (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})
       ON CONFLICT(id) DO UPDATE SET ${upsertSet(columns, 'id', KEPT_SESSION_COLUMNS, 'sessions')}`,
    ).run(p);
  }

  session(id: string): StoredSession | undefined {
    const row = this.prepare('SELECT * FROM sessions WHERE id = ?').get(id);
    return row === undefined ? undefined : sessionFromRow(row);
  }

  sessions(): StoredSession[] {
    return this.prepare('SELECT * FROM sessions ORDER BY first_start_ms, id')
      .all()
      .map((row) => sessionFromRow(row));
  }

  deleteSession(id: string): void {
    this.transaction(() => {
      this.prepare('DELETE FROM files WHERE session_id = ?').run(id);
      this.prepare('DELETE FROM sessions WHERE id = ?').run(id);
    });
  }

  putFile(file: StoredFile): void {
    const p = fileParams(file);
    const columns = Object.keys(p);
    this.prepare(
      `INSERT INTO files (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})
       ON CONFLICT(path) DO UPDATE SET ${upsertSet(columns, 'path', KEPT_FILE_COLUMNS, 'files')}`,
    ).run(p);
  }

  deleteFile(path: string): void {
    this.prepare('DELETE FROM files WHERE path = ?').run(path);
  }

  files(sessionId: string): StoredFile[] {
    return this.prepare('SELECT * FROM files WHERE session_id = ? ORDER BY segment, open_ms, path')
      .all(sessionId)
      .map((row) => fileFromRow(row));
  }

  fileAt(path: string): StoredFile | undefined {
    const row = this.prepare('SELECT * FROM files WHERE path = ?').get(path);
    return row === undefined ? undefined : fileFromRow(row);
  }

  // Retention and the storage budget (agent/retention/, agent/storage/).

  setFileDeadline(path: string, deleteAfterMs: number): void {
    this.prepare('UPDATE files SET delete_after_ms = ? WHERE path = ?').run(deleteAfterMs, path);
  }

  markFileDeleted(path: string, deletedMs: number, reason: DeletedReason): void {
    this.prepare('UPDATE files SET deleted_ms = ?, deleted_reason = ? WHERE path = ? AND deleted_ms IS NULL').run(
      deletedMs,
      reason,
      path,
    );
  }

  setSessionExpiry(id: string, expireAtMs: number): void {
    this.prepare('UPDATE sessions SET expire_at_ms = ? WHERE id = ?').run(expireAtMs, id);
  }

  markSessionExpired(id: string, expiredMs: number): void {
    this.prepare('UPDATE sessions SET expired_ms = ? WHERE id = ? AND expired_ms IS NULL').run(expiredMs, id);
  }

  /** Files still on disk whose TTL deadline is at or before `nowMs`. */
  filesDue(nowMs: number): StoredFile[] {
    return this.prepare(
      'SELECT * FROM files WHERE deleted_ms IS NULL AND delete_after_ms <= ? ORDER BY delete_after_ms',
    )
      .all(nowMs)
      .map((row) => fileFromRow(row));
  }

  /** Sessions whose expireAfter deadline is at or before `nowMs` and whose data is not deleted yet. */
  sessionsDue(nowMs: number): StoredSession[] {
    return this.prepare('SELECT * FROM sessions WHERE expired_ms IS NULL AND expire_at_ms <= ? ORDER BY expire_at_ms')
      .all(nowMs)
      .map((row) => sessionFromRow(row));
  }

  /** The earliest TTL or expiry deadline still to come (or past and not yet acted on). */
  nextDeadline(): number | undefined {
    const row = this.prepare(
      `SELECT MIN(at) AS at FROM (
         SELECT MIN(delete_after_ms) AS at FROM files WHERE deleted_ms IS NULL
         UNION ALL SELECT MIN(expire_at_ms) AS at FROM sessions WHERE expired_ms IS NULL)`,
    ).get() as { at: number | null } | undefined;
    return row?.at ?? undefined;
  }

  /** Closed files on disk without a TTL deadline (closed by recovery, or by an agent before retention). */
  closedFilesWithoutDeadline(): StoredFile[] {
    return this.prepare('SELECT * FROM files WHERE closed = 1 AND deleted_ms IS NULL AND delete_after_ms IS NULL')
      .all()
      .map((row) => fileFromRow(row));
  }

  /** Ended sessions (Stopped, Failed) without an expiry deadline. */
  endedSessionsWithoutExpiry(): StoredSession[] {
    return this.prepare('SELECT * FROM sessions WHERE state IN (?, ?) AND expire_at_ms IS NULL AND expired_ms IS NULL')
      .all(StoredState.Stopped, StoredState.Failed)
      .map((row) => sessionFromRow(row));
  }

  /**
   * What the storage budget may delete to make room, in order: closed files already exported (oldest
   * first), then closed files past their TTL deadline.
   */
  evictionCandidates(nowMs: number, limit: number): StoredFile[] {
    return this.prepare(
      `SELECT * FROM files WHERE closed = 1 AND deleted_ms IS NULL
         AND (uploaded_ms IS NOT NULL OR delete_after_ms <= ?)
       ORDER BY (uploaded_ms IS NULL), COALESCE(close_ms, open_ms), path LIMIT ?`,
    )
      .all(nowMs, limit)
      .map((row) => fileFromRow(row));
  }

  /** Ended sessions, oldest stop first, with how many of their files are still on disk. */
  endedSessions(): { session: StoredSession; filesOnDisk: number }[] {
    return this.prepare(
      `SELECT s.*, (SELECT COUNT(*) FROM files f WHERE f.session_id = s.id AND f.deleted_ms IS NULL) AS on_disk
       FROM sessions s WHERE s.state IN (?, ?) ORDER BY COALESCE(s.stop_ms, s.first_start_ms), s.id`,
    )
      .all(StoredState.Stopped, StoredState.Failed)
      .map((row) => ({ session: sessionFromRow(row), filesOnDisk: Number(row['on_disk']) }));
  }

  /** Saves the checkpoint of an upload under way (JSON of an UploadCheckpoint; never credentials). */
  saveUploadCheckpoint(path: string, checkpoint: string): void {
    this.prepare('UPDATE files SET upload_checkpoint = ? WHERE path = ?').run(checkpoint, path);
  }

  uploadCheckpoint(path: string): string | undefined {
    const row = this.prepare('SELECT upload_checkpoint FROM files WHERE path = ?').get(path) as
      { upload_checkpoint: string | null } | undefined;
    return row?.upload_checkpoint ?? undefined;
  }

  /** The file is in the store: its key, the sha256 the upload computed, when; the checkpoint is done. */
  markExported(path: string, key: string, sha256: string, atMs: number): void {
    this.prepare(
      'UPDATE files SET uploaded_key = ?, uploaded_ms = ?, sha256 = ?, upload_checkpoint = NULL WHERE path = ?',
    ).run(key, atMs, sha256, path);
  }

  /** Runs `work` in one transaction (all or nothing). */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  private prepare(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
