import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_LIMITS } from '../session/stop-condition.js';
import type { SessionSpec } from '../session/session-spec.js';
import { StateStore, StateStoreError } from './state-store.js';
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
    store.putFile({ ...file, bytes: 1024, packets: 10, capturedBytes: 840, sha256: 'ab', closed: true, closeMs: 5 });
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
      { ...file, bytes: 1024, packets: 10, capturedBytes: 840, sha256: 'ab', closed: true, closeMs: 5 },
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
    expect(() => StateStore.open(dir)).toThrow(/schema version 99, newer than this agent's 2/);
  });
});
