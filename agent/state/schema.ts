// The state store's tables. Later stages add columns with ALTER TABLE and bump
// SCHEMA_VERSION; an agent refuses a database newer than itself.
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
  -- Later stages: when all local data of the run expires (retention.expireAfter).
  expire_at_ms INTEGER
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
  close_ms INTEGER,
  -- Later stages: TTL deadline (pcapTTL/jsonTTL) and export.
  delete_after_ms INTEGER,
  uploaded_key TEXT,
  uploaded_ms INTEGER,
  -- JSON UploadCheckpoint of an upload under way (upload id and acknowledged parts, or a GCS
  -- session URI and offset); never credentials. NULL once exported.
  upload_checkpoint TEXT
) STRICT;

CREATE INDEX IF NOT EXISTS files_by_session ON files (session_id, segment);
`;

/**
 * What each schema version adds to a database of the version before it, run in order on open.
 * (CREATE TABLE IF NOT EXISTS above creates new databases complete.)
 */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  2: 'ALTER TABLE files ADD COLUMN upload_checkpoint TEXT;',
};
