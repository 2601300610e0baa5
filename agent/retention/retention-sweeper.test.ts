import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../session/fakes.js';
import type { SessionSpec } from '../session/session-spec.js';
import { NO_LIMITS } from '../session/stop-condition.js';
import { StateStore } from '../state/state-store.js';
import { StoredState, type StoredFile, type StoredSession } from '../state/stored-records.js';
import { LocalFiles } from '../storage/local-files.js';
import { FORGET_EXPIRED_AFTER_MS, RetentionSweeper } from './retention-sweeper.js';

const T0 = 1_700_000_000_000;
const logger = pino({ level: 'silent' });

function spec(id: string, retention: SessionSpec['retention']): SessionSpec {
  return {
    id,
    recording: { namespace: 'shop', name: id, uid: id, iteration: 1 },
    interfaces: ['lo'],
    include: [],
    bpf: '',
    endpointIps: [],
    filter: 'udp',
    snaplen: 0,
    limits: NO_LIMITS,
    formats: ['pcap', 'json'],
    rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
    filePrefix: 'tapedeck',
    labels: {},
    ...(retention && { retention }),
  };
}

function stored(s: SessionSpec, state: StoredState, stopMs?: number): StoredSession {
  return {
    id: s.id,
    spec: s,
    state,
    message: '',
    firstStartMs: T0,
    ...(stopMs !== undefined && { stopMs }),
    segment: 1,
    segmentStartMs: T0,
    aliveMs: stopMs ?? T0,
    priorLostPackets: 0,
    priorLostBytes: 0,
    segmentLostPackets: 0,
    segmentLostBytes: 0,
    gaps: [],
  };
}

describe('RetentionSweeper', () => {
  let dir = '';
  let store: StateStore;
  let clock: FakeClock;
  let sweeper: RetentionSweeper | undefined;
  const forgotten: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-retention-'));
    store = StateStore.open(path.join(dir, 'state'));
    clock = new FakeClock(T0);
    forgotten.length = 0;
  });

  afterEach(async () => {
    sweeper?.stop();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function newSweeper(): RetentionSweeper {
    const files = new LocalFiles({ dataDir: dir, store, clock, logger });
    sweeper = new RetentionSweeper({ store, files, clock, logger, onForgotten: (id) => forgotten.push(id) });
    return sweeper;
  }

  function closedFile(s: SessionSpec, name: string, format: string, closeMs: number, extra: Partial<StoredFile> = {}) {
    const directory = path.join(dir, 'recordings', 'shop', s.id, '1');
    mkdirSync(directory, { recursive: true });
    const file: StoredFile = {
      path: path.join(directory, name),
      sessionId: s.id,
      segment: 1,
      format,
      interfaces: ['lo'],
      linkType: 1,
      bytes: 4,
      packets: 1,
      capturedBytes: 0,
      sha256: '',
      closed: true,
      openMs: T0,
      closeMs,
      ...extra,
    };
    writeFileSync(file.path, 'data');
    store.putFile(file);
    return file;
  }

  /** Waits for the sweep the fake clock started (a sweep asked for meanwhile joins it). */
  async function settle(): Promise<void> {
    await sweeper?.sweep();
  }

  it('should delete a packet file when pcapTTL passes and leave record files to jsonTTL', async () => {
    const s = spec('a', { pcapTtlMs: 5000, jsonTtlMs: 0, expireAfterMs: 0 });
    store.putSession(stored(s, StoredState.Running));
    const sw = newSweeper();
    await sw.start();
    const pcap = closedFile(s, 'x.pcap', 'pcap', T0 + 1000);
    const json = closedFile(s, 'x.json', 'json', T0 + 1000);
    sw.fileClosed(s, pcap);
    sw.fileClosed(s, json);
    clock.advance(5999);
    await settle();
    expect(existsSync(pcap.path)).toBe(true);
    clock.advance(1);
    await settle();
    expect(existsSync(pcap.path)).toBe(false);
    expect(existsSync(json.path)).toBe(true);
    expect(store.fileAt(pcap.path)).toMatchObject({ deletedMs: T0 + 6000, deletedReason: 'TTL' });
    expect(store.fileAt(json.path)?.deletedMs).toBeUndefined();
  });

  it('should act on deadlines that passed while the agent was down, from the state store', async () => {
    const s = spec('b', { pcapTtlMs: 1000, jsonTtlMs: 0, expireAfterMs: 3000 });
    const file = closedFile(s, 'y.pcap', 'pcap', T0);
    store.putSession(stored(s, StoredState.Stopped, T0));
    // No observer saw the close or the end (recovery did them): start() sets the deadlines.
    clock.advance(10_000);
    const sw = newSweeper();
    await sw.start();
    expect(existsSync(file.path)).toBe(false);
    expect(store.session('b')).toMatchObject({ expireAtMs: T0 + 3000, expiredMs: T0 + 10_000 });
    // The run's directory went with it.
    expect(existsSync(path.dirname(file.path))).toBe(false);
  });

  it('should expire every file of a run, keep it listed for a while, then forget it', async () => {
    const s = spec('c', { pcapTtlMs: 0, jsonTtlMs: 0, expireAfterMs: 2000 });
    const files = [closedFile(s, 'z.pcap', 'pcap', T0), closedFile(s, 'z.json', 'json', T0)];
    const sw = newSweeper();
    await sw.start();
    const ended = stored(s, StoredState.Stopped, T0 + 100);
    store.putSession(ended);
    sw.sessionEnded(s, ended);
    clock.advance(2100);
    await settle();
    for (const f of files) expect(store.fileAt(f.path)).toMatchObject({ deletedReason: 'Expired' });
    expect(store.session('c')?.expiredMs).toBe(T0 + 2100);
    clock.advance(FORGET_EXPIRED_AFTER_MS);
    await sw.sweep();
    expect(store.session('c')).toBeUndefined();
    expect(store.files('c')).toEqual([]);
    expect(forgotten).toEqual(['c']);
  });

  it('should keep the deadline and deletion columns when the journal rewrites a row', () => {
    const s = spec('d', { pcapTtlMs: 1000, jsonTtlMs: 0, expireAfterMs: 0 });
    const file = closedFile(s, 'w.pcap', 'pcap', T0);
    store.setFileDeadline(file.path, T0 + 1000);
    store.putFile({ ...file, sha256: 'ab' });
    expect(store.fileAt(file.path)).toMatchObject({ sha256: 'ab', deleteAfterMs: T0 + 1000 });
  });
});

describe('LocalFiles.evict', () => {
  let dir = '';
  let store: StateStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-evict-'));
    store = StateStore.open(path.join(dir, 'state'));
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should delete exported files oldest first, then files past their TTL, never others', async () => {
    const clock = new FakeClock(T0 + 10_000);
    const base = { sessionId: 's', segment: 1, format: 'pcap', interfaces: [], linkType: 1, packets: 1 };
    const make = (name: string, closeMs: number, extra: Partial<StoredFile>): StoredFile => {
      const file = { ...base, path: path.join(dir, name), bytes: 8192, capturedBytes: 0, sha256: '', closed: true };
      writeFileSync(file.path, Buffer.alloc(8192, 1));
      const row = { ...file, openMs: T0, closeMs, ...extra };
      store.putFile(row);
      return row;
    };
    const kept = make('kept.pcap', T0, {});
    const due = make('due.pcap', T0, { deleteAfterMs: T0 + 5000 });
    const newer = make('newer.pcap', T0 + 2000, { uploadedKey: 'k2', uploadedMs: T0 + 3000 });
    const older = make('older.pcap', T0 + 1000, { uploadedKey: 'k1', uploadedMs: T0 + 3000 });
    const deleted: string[] = [];
    const files = new LocalFiles({ dataDir: dir, store, clock, logger, forget: (p) => deleted.push(path.basename(p)) });
    const freed = await files.evict(1);
    expect(deleted).toEqual(['older.pcap']);
    expect(freed).toBeGreaterThanOrEqual(8192);
    await files.evict(Number.MAX_SAFE_INTEGER);
    expect(deleted).toEqual(['older.pcap', 'newer.pcap', 'due.pcap']);
    expect(store.fileAt(older.path)?.deletedReason).toBe('Evicted');
    expect(store.fileAt(due.path)?.deletedReason).toBe('TTL');
    expect(existsSync(kept.path)).toBe(true);
    expect(existsSync(newer.path)).toBe(false);
  });
});
