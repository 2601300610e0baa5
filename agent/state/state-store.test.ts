import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_LIMITS } from '../session/stop-condition.js';
import type { SessionSpec } from '../session/session-spec.js';
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { SCHEMA_VERSION } from './schema.js';
import { STATE_FILE, StateStore, StateStoreError } from './state-store.js';
import { StoredState, type StoredFile, type StoredSession } from './stored-records.js';

const spec: SessionSpec = {
  id: 'uid-1-1',
  recording: { namespace: 'shop', name: 'checkout', uid: 'uid-1', iteration: 1 },
  interfaces: ['eth0'],
  include: [],
  bpf: 'udp',
  endpointIps: ['10.0.0.1'],
  filter: '(udp)',
  snaplen: 0,
  limits: NO_LIMITS,
  formats: ['pcap'],
  rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
  filePrefix: 'tapedeck',
  labels: { team: 'web' },
  windowEndMs: 1_700_000_600_000,
};

const session: StoredSession = {
  id: spec.id,
  spec,
  state: StoredState.Running,
  message: '',
  firstStartMs: 1_700_000_000_000,
  segment: 1,
  segmentStartMs: 1_700_000_000_000,
  aliveMs: 1_700_000_001_000,
  priorLostPackets: 0,
  priorLostBytes: 0,
  segmentLostPackets: 3,
  segmentLostBytes: 180,
  gaps: [],
};

const file: StoredFile = {
  path: '/data/recordings/shop/checkout/1/tapedeck_1700000000_0badcafe_node-a_000000.pcap',
  sessionId: spec.id,
  segment: 1,
  format: 'pcap',
  interfaces: ['eth0'],
  linkType: 1,
  bytes: 24,
  packets: 0,
  capturedBytes: 0,
  sha256: '',
  closed: false,
  openMs: 1_700_000_000_000,
};

describe('StateStore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should keep sessions, files and the leader epoch across a reopen', () => {
    const store = StateStore.open(dir);
    store.setLeaderEpoch(7);
    store.putSession(session);
    store.putFile(file);
    store.putSession({
      ...session,
      state: StoredState.Stopped,
      stopReason: 'Duration',
      stopMs: 1_700_000_600_000,
      gaps: [{ fromMs: 1, toMs: 2, reason: 'agent restarted' }],
    });
    const closed = { bytes: 1024, packets: 10, capturedBytes: 840, sha256: 'ab', closed: true, closeMs: 5 };
    store.putFile({ ...file, ...closed, firstPacketMs: 1_700_000_000_001, lastPacketMs: 1_700_000_000_999 });
    store.close();

    const reopened = StateStore.open(dir);
    expect(reopened.leaderEpoch()).toBe(7);
    expect(reopened.sessions()).toEqual([
      {
        ...session,
        state: StoredState.Stopped,
        stopReason: 'Duration',
        stopMs: 1_700_000_600_000,
        gaps: [{ fromMs: 1, toMs: 2, reason: 'agent restarted' }],
      },
    ]);
    expect(reopened.files(spec.id)).toEqual([
      {
        ...file,
        ...{ bytes: 1024, packets: 10, capturedBytes: 840, sha256: 'ab', closed: true, closeMs: 5 },
        ...{ firstPacketMs: 1_700_000_000_001, lastPacketMs: 1_700_000_000_999 },
      },
    ]);
    reopened.deleteSession(spec.id);
    expect(reopened.sessions()).toEqual([]);
    expect(reopened.files(spec.id)).toEqual([]);
    reopened.close();
  });

  it('should roll back a failed transaction as a whole', () => {
    const store = StateStore.open(dir);
    expect(() =>
      store.transaction(() => {
        store.putSession(session);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.sessions()).toEqual([]);
    store.close();
  });

  it('should refuse a database written by a newer agent', () => {
    const store = StateStore.open(dir);
    store.setMeta('schema_version', '99');
    store.close();
    expect(() => StateStore.open(dir)).toThrow(StateStoreError);
    expect(() => StateStore.open(dir)).toThrow(
      new RegExp(`schema version 99, newer than this agent's ${SCHEMA_VERSION}`),
    );
  });

  it('should add the columns of later versions to a database an older agent wrote, keeping its rows', () => {
    mkdirSync(dir, { recursive: true });
    const old = new DatabaseSync(path.join(dir, STATE_FILE));
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE sessions (id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, stop_reason TEXT,
        message TEXT NOT NULL DEFAULT '', first_start_ms INTEGER NOT NULL, stop_ms INTEGER, segment INTEGER NOT NULL,
        segment_start_ms INTEGER NOT NULL, alive_ms INTEGER NOT NULL, prior_lost_packets INTEGER NOT NULL DEFAULT 0,
        prior_lost_bytes INTEGER NOT NULL DEFAULT 0, segment_lost_packets INTEGER NOT NULL DEFAULT 0,
        segment_lost_bytes INTEGER NOT NULL DEFAULT 0, gaps TEXT NOT NULL DEFAULT '[]', expire_at_ms INTEGER) STRICT;
      CREATE TABLE files (path TEXT PRIMARY KEY, session_id TEXT NOT NULL, segment INTEGER NOT NULL,
        format TEXT NOT NULL, interfaces TEXT NOT NULL, link_type INTEGER NOT NULL, bytes INTEGER NOT NULL,
        packets INTEGER NOT NULL, captured_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL DEFAULT '',
        closed INTEGER NOT NULL DEFAULT 0, open_ms INTEGER NOT NULL, first_packet_ms INTEGER, close_ms INTEGER,
        delete_after_ms INTEGER, uploaded_key TEXT, uploaded_ms INTEGER) STRICT;
    `);
    old
      .prepare(
        `INSERT INTO sessions (id, spec, state, first_start_ms, segment, segment_start_ms, alive_ms)
       VALUES (?, ?, 'Stopped', 1, 1, 1, 2)`,
      )
      .run(spec.id, JSON.stringify(spec));
    old.close();
    const store = StateStore.open(dir);
    expect(store.meta('schema_version')).toBe(String(SCHEMA_VERSION));
    expect(store.session(spec.id)).toMatchObject({ id: spec.id, state: 'Stopped' });
    store.putFile({ ...file, closed: true, closeMs: 5, deletedMs: 9, deletedReason: 'TTL' });
    store.markSessionExpired(spec.id, 10);
    expect(store.fileAt(file.path)).toMatchObject({ deletedMs: 9, deletedReason: 'TTL' });
    expect(store.session(spec.id)?.expiredMs).toBe(10);
    store.close();
  });

  it('should keep export progress when a session records a file again', () => {
    const store = StateStore.open(dir);
    store.putSession(session);
    store.putFile(file);
    store.saveUploadCheckpoint(file.path, '{"kind":"s3"}');
    expect(store.uploadCheckpoint(file.path)).toBe('{"kind":"s3"}');
    store.markExported(file.path, 'prefix/key.pcap', 'a'.repeat(64), 1234);
    // The session's final listing records the file again without its upload columns or hash.
    store.putFile({ ...file, sha256: '' });
    expect(store.files(session.id)[0]).toMatchObject({
      uploadedKey: 'prefix/key.pcap',
      uploadedMs: 1234,
      sha256: 'a'.repeat(64),
    });
    expect(store.uploadCheckpoint(file.path)).toBeUndefined();
    store.close();
  });
});
