import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredFile, StoredSession } from '../state/stored-records.js';
import type { StateStore } from '../state/state-store.js';
import { FakeClock, managerWithFakes, type FakeCapture } from './fakes.js';
import type { SessionSpec } from './session-spec.js';
import type { SessionManager } from './session-manager.js';
import { SessionState } from './session-snapshot.js';
import { NO_LIMITS, StopReason } from './stop-condition.js';

function spec(overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    id: 'uid-1-1',
    recording: { namespace: 'shop', name: 'checkout', uid: 'uid-1', iteration: 1 },
    interfaces: ['lo'],
    include: [],
    bpf: '',
    endpointIps: [],
    filter: 'udp',
    snaplen: 0,
    limits: NO_LIMITS,
    formats: ['pcap', 'pcapng'],
    rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
    filePrefix: 'tapedeck',
    labels: {},
    ...overrides,
  };
}

describe('CaptureSession and the storage budget', () => {
  let dataDir = '';
  let captures: FakeCapture[];
  let manager: SessionManager;
  let store: StateStore;
  let room = true;
  const closed: StoredFile[] = [];
  const ended: StoredSession[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-session-storage-'));
    room = true;
    closed.length = 0;
    ended.length = 0;
    ({ manager, captures, store } = managerWithFakes({
      dataDir,
      maxConcurrentSessions: 2,
      clock: new FakeClock(),
      storage: { admit: () => room },
      observers: [{ fileClosed: (_s, f) => closed.push(f), sessionEnded: (_s, s) => ended.push(s) }],
    }));
  });

  afterEach(async () => {
    await manager.shutdown();
    store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should count batches without room as lost, in no format, and keep running', async () => {
    const { session } = await manager.start(spec());
    const capture = captures[0]!;
    capture.emit([100, 100]);
    room = false;
    capture.emit([50, 50, 50]);
    expect(session.snapshot().storage).toEqual({ full: true, lostPackets: 3, lostBytes: 150 });
    expect(session.snapshot().state).toBe(SessionState.Running);
    room = true;
    capture.emit([10]);
    const running = session.snapshot();
    expect(running.storage?.full).toBe(false);
    const final = await session.stop(StopReason.Stopped);
    expect(final.state).toBe(SessionState.Stopped);
    expect(final.stats).toMatchObject({ packetsCaptured: 3, packetsLost: 3, bytesLost: 150 });
    // Both formats hold the same packets: a batch goes to all or none.
    expect(final.files.map((f) => f.packets)).toEqual([3, 3]);
    // The state store keeps the storage loss (it survives a restart) and the observers heard of the end.
    expect(store.session('uid-1-1')).toMatchObject({ storageLostPackets: 3, storageLostBytes: 150 });
    expect(closed.map((f) => f.format).sort()).toEqual(['pcap', 'pcapng']);
    expect(ended.map((s) => s.state)).toEqual(['Stopped']);
  });

  it('should stop with StorageFull when onStorageFull is Stop', async () => {
    const { session } = await manager.start(spec({ onStorageFull: 'Stop' }));
    room = false;
    captures[0]!.emit([100]);
    const final = await session.done();
    expect(final.state).toBe(SessionState.Stopped);
    expect(final.stopReason).toBe(StopReason.StorageFull);
    expect(final.message).toBe('');
    expect(final.storage).toEqual({ full: false, lostPackets: 1, lostBytes: 100 });
  });

  it('should not tell observers that a session ended when the agent only paused it', async () => {
    await manager.start(spec());
    await manager.shutdown();
    expect(ended).toEqual([]);
  });
});
