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
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema.js';
import type { StoredFile, StoredSession } from './stored-records.js';
import { fileFromRow, fileParams, sessionFromRow, sessionParams } from './stored-records.js';

export const STATE_FILE = 'agent.db';

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
      store.db.exec(SCHEMA);
    } catch (error) {
      throw new StateStoreError(`cannot open the state store ${file}: ${(error as Error).message}`, { cause: error });
    }
    const version = store.meta('schema_version');
    if (version === undefined) store.setMeta('schema_version', String(SCHEMA_VERSION));
    else if (Number(version) > SCHEMA_VERSION) {
      store.close();
      throw new StateStoreError(`${file} has schema version ${version}, newer than this agent's ${SCHEMA_VERSION}`);
    } else if (Number(version) < SCHEMA_VERSION) {
      store.migrate(Number(version));
    }
    return store;
  }

  private migrate(from: number): void {
    this.transaction(() => {
      for (let version = from + 1; version <= SCHEMA_VERSION; version++) {
        const sql = MIGRATIONS[version];
        if (sql !== undefined) this.db.exec(sql);
      }
      this.setMeta('schema_version', String(SCHEMA_VERSION));
    });
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
    const updates = columns.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`);
    this.prepare(
      `INSERT INTO sessions (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})
       ON CONFLICT(id) DO UPDATE SET ${updates.join(', ')}`,
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
    // A session re-recording a file (its close, the final listing) must not clear what export and
    // retention set through their own calls.
    const kept = new Set(['uploaded_key', 'uploaded_ms', 'delete_after_ms']);
    const updates = columns
      .filter((c) => c !== 'path')
      .map((c) =>
        kept.has(c)
          ? `${c} = COALESCE(excluded.${c}, ${c})`
          : c === 'sha256'
            ? `sha256 = CASE WHEN excluded.sha256 = '' THEN sha256 ELSE excluded.sha256 END`
            : `${c} = excluded.${c}`,
      );
    this.prepare(
      `INSERT INTO files (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})
       ON CONFLICT(path) DO UPDATE SET ${updates.join(', ')}`,
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
