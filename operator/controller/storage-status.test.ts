import { describe, expect, it } from 'vitest';
import { rowFromSession } from './node-rows.js';
import { SessionState } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import { storageCondition, storageEvents } from './storage-status.js';
import { eventsFor } from './status-extras.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');

function report(overrides: Partial<SessionReport> = {}): SessionReport {
  return {
    recordingUid: 'u',
    iteration: 1,
    state: SessionState.Running,
    packetsCaptured: 10,
    bytesCaptured: 100,
    packetsLost: 5,
    bytesLost: 50,
    files: [],
    ...overrides,
  };
}

describe('storage status', () => {
  const full = rowFromSession('node-a', report({ storageFull: true, packetsLostStorage: 5 }));
  const room = rowFromSession('node-b', report());

  it('should say in the row that a running node is out of storage', () => {
    expect(full.phase).toBe('Capturing');
    expect(full.message).toBe('Storage full: not writing; 5 packets lost for lack of room so far');
    expect(room.message).toBeUndefined();
  });

  it('should add a StorageFull condition naming the full nodes, and keep it False once they have room', () => {
    const on = storageCondition(undefined, [full, room], NOW, {});
    expect(on).toMatchObject({ type: 'StorageFull', status: 'True', reason: 'NodesStorageFull' });
    expect(on?.message).toContain('node-a');
    expect(on?.message).not.toContain('node-b');
    const off = storageCondition(on === undefined ? [] : [on], [room], NOW + 5000, {});
    expect(off).toMatchObject({ type: 'StorageFull', status: 'False', reason: 'HasRoom' });
    expect(storageCondition(undefined, [room], NOW, {})).toBeUndefined();
  });

  it('should emit one Warning per node that became full', () => {
    expect(storageEvents([room], [full, room])).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'StorageFull', message: expect.stringContaining('node-a') }),
    ]);
    expect(storageEvents([full], [full])).toEqual([]);
    const events = eventsFor(
      { phase: 'Running', iteration: 1, nodes: [room] },
      { phase: 'Running', iteration: 1, nodes: [full] },
    );
    expect(events.map((e) => e.reason)).toContain('StorageFull');
  });

  it('should show StorageFull as the stop reason of a row the agent stopped for it', () => {
    const stopped = rowFromSession('node-a', report({ state: SessionState.Stopped, stopReason: 'StorageFull' }));
    expect(stopped).toMatchObject({ phase: 'Completed', message: 'Stopped: StorageFull' });
  });
});
