// The state store's tables. Later stages add columns with ALTER TABLE and bump
// SCHEMA_VERSION; an agent refuses a database newer than itself.
// 2: retention and the storage budget (issue 12): files.deleted_ms/deleted_reason,
//    sessions.expired_ms/storage_lost_packets/storage_lost_bytes; export (issue 13): files.upload_checkpoint, files.last_packet_ms.
export const SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  -- The validated SessionSpec as JSON (it has no secret fields).
  spec TEXT NOT NULL,
  -- Running | Paused (agent shut down, resumes on start) | Stopped | Failed
  state TEXT NOT NULL,
  stop_reason TEXT,
  message TEXT NOT NULL DEFAULT '',
  first_start_ms INTEGER NOT NULL,
  stop_ms INTEGER,
  segment INTEGER NOT NULL,
  segment_start_ms INTEGER NOT NULL,
  -- Heartbeat: the last time the running segment was seen capturing (start of a crash gap).
  alive_ms INTEGER NOT NULL,
  -- Packets/bytes lost by earlier segments, and the latest count of the current one.
  prior_lost_packets INTEGER NOT NULL DEFAULT 0,
  prior_lost_bytes INTEGER NOT NULL DEFAULT 0,
  segment_lost_packets INTEGER NOT NULL DEFAULT 0,
  segment_lost_bytes INTEGER NOT NULL DEFAULT 0,
  -- JSON [{from, to, reason}] in ms, newest last.
  gaps TEXT NOT NULL DEFAULT '[]',
  -- When all local data of the run expires (retention.expireAfter), and when the sweeper deleted it.
  expire_at_ms INTEGER,
  expired_ms INTEGER,
  -- Packets/bytes not written because the node's storage budget was full (all segments).
  storage_lost_packets INTEGER NOT NULL DEFAULT 0,
  storage_lost_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  segment INTEGER NOT NULL,
  format TEXT NOT NULL,
  -- JSON list of the capture interfaces whose packets the file holds.
  interfaces TEXT NOT NULL,
  link_type INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  captured_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL DEFAULT '',
  closed INTEGER NOT NULL DEFAULT 0,
  open_ms INTEGER NOT NULL,
  first_packet_ms INTEGER,
  last_packet_ms INTEGER,
  close_ms INTEGER,
  -- TTL deadline (pcapTTL/jsonTTL) and export.
  delete_after_ms INTEGER,
  uploaded_key TEXT,
  uploaded_ms INTEGER,
  -- Set when the agent deleted the local file: TTL | Expired | Evicted. The row stays for status
  -- until the session is forgotten.
  deleted_ms INTEGER,
  deleted_reason TEXT,
  -- JSON UploadCheckpoint of an upload under way (upload id and acknowledged parts, or a GCS
  -- session URI and offset); never credentials. NULL once exported.
  upload_checkpoint TEXT
) STRICT;

CREATE INDEX IF NOT EXISTS files_by_session ON files (session_id, segment);
`;

/** Columns added after version 1, for databases created by an older agent (ALTER TABLE ADD COLUMN). */
export const ADDED_COLUMNS: readonly { table: string; column: string; definition: string }[] = [
  { table: 'sessions', column: 'expired_ms', definition: 'INTEGER' },
  { table: 'sessions', column: 'storage_lost_packets', definition: 'INTEGER NOT NULL DEFAULT 0' },
  { table: 'sessions', column: 'storage_lost_bytes', definition: 'INTEGER NOT NULL DEFAULT 0' },
  { table: 'files', column: 'deleted_ms', definition: 'INTEGER' },
  { table: 'files', column: 'deleted_reason', definition: 'TEXT' },
  { table: 'files', column: 'upload_checkpoint', definition: 'TEXT' },
  { table: 'files', column: 'last_packet_ms', definition: 'INTEGER' },
];

/** Created after the columns they index exist. */
export const INDEXES = `
CREATE INDEX IF NOT EXISTS files_by_deadline ON files (delete_after_ms) WHERE deleted_ms IS NULL;
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expire_at_ms) WHERE expired_ms IS NULL;
`;
