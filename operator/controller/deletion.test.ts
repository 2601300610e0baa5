import { describe, expect, it } from 'vitest';
import { SessionState } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import { decideDeletion } from './deletion.js';
import type { AgentReport } from './node-rows.js';

const NOW = 1_800_000_000_000;

function session(state: SessionReport['state'], extra: Partial<SessionReport> = {}): SessionReport {
  return {
    recordingUid: 'u',
    iteration: 1,
    state,
    packetsCaptured: 1,
    bytesCaptured: 1,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
    ...extra,
  };
}

function reports(...sessions: SessionReport[]): Map<string, AgentReport> {
  return new Map([['a', { reachable: true, sessions }]]);
}

describe('decideDeletion with onDelete.local Delete', () => {
  it('should ask the agent to delete the local files of a stopped session and wait for it', () => {
    const d = decideDeletion('u', ['a'], reports(session(SessionState.Stopped)), undefined, NOW, NOW, 60_000, true);
    expect(d.actions).toEqual([{ kind: 'stop', node: 'a', iteration: 1, reason: 'Stopped', deleteLocalFiles: true }]);
    expect(d).toMatchObject({ release: false, waitingOn: ['a'] });
  });

  it('should release the finalizer once the agent reports the data deleted (expired)', () => {
    const done = reports(session(SessionState.Stopped, { expired: true }));
    const d = decideDeletion('u', ['a'], done, undefined, NOW, NOW, 60_000, true);
    expect(d).toMatchObject({ actions: [], release: true, waitingOn: [] });
  });

  it('should leave stopped sessions alone with Retain and still stop running ones', () => {
    const d = decideDeletion(
      'u',
      ['a'],
      reports(session(SessionState.Stopped), session(SessionState.Running, { iteration: 2 })),
      undefined,
      NOW,
      NOW,
      60_000,
      false,
    );
    expect(d.actions).toEqual([{ kind: 'stop', node: 'a', iteration: 2, reason: 'Stopped' }]);
  });
});
