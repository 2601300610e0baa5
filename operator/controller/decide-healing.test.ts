import { describe, expect, it } from 'vitest';
import type { SessionReport } from '../dispatch/agent-client.js';
import { decide } from './decide.js';
import type { DecideInput, Target } from './decide.js';
import { DELETION_GRACE_MS } from './deletion.js';
import type { AgentReport } from './node-rows.js';
import { recordingFixture } from './recording-fixture.js';
import type { RecordingStatus, RecordingView } from './recording-view.js';

const created = Date.parse('2026-03-10T10:00:00Z');
const sec = (s: number): number => created + s * 1000;
const once = { schedule: { startTime: '', dailyIterations: 1, duration: '60s' } };

function session(state: SessionReport['state'], packets = 0): SessionReport {
  return {
    recordingUid: 'uid-1',
    iteration: 1,
    state,
    packetsCaptured: packets,
    bytesCaptured: packets * 100,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
  };
}
const up = (...sessions: SessionReport[]): AgentReport => ({ reachable: true, sessions });
const down: AgentReport = { reachable: false, error: 'deadline exceeded' };
const targets = (...names: string[]): Target[] => names.map((node) => ({ node, podIPs: [] }));
const running = (status: Partial<RecordingStatus>): RecordingStatus => ({ phase: 'Running', iteration: 1, ...status });

function run(input: Partial<DecideInput> & { recording: RecordingView }) {
  return decide({ targets: targets('a', 'b'), reports: new Map(), now: sec(10), ...input });
}

describe('decide (nodes that heal)', () => {
  it('should announce a node that may not be recording, and that it recorded throughout when it answers', () => {
    const capturing = running({ nodes: [{ name: 'a', phase: 'Capturing' }] });
    const away = run({
      recording: recordingFixture(once, capturing),
      targets: targets('a'),
      reports: new Map([['a', down]]),
    });
    expect(away.events).toContainEqual({
      type: 'Warning',
      reason: 'NodeNotRecording',
      message: 'Node a may not be recording: agent unreachable: deadline exceeded',
    });
    const back = run({
      recording: recordingFixture(once, away.status),
      targets: targets('a'),
      reports: new Map([['a', up(session('Running', 4))]]),
      now: sec(20),
    });
    expect(back.status.nodes?.[0]).toMatchObject({ phase: 'Capturing', packetsCaptured: 4 });
    expect(back.status.nodes?.[0]?.gaps).toBeUndefined();
    expect(back.events).toContainEqual({
      type: 'Normal',
      reason: 'NodeRecordingAgain',
      message: 'Node a answers again; its agent reports it kept recording (segment 1)',
    });
  });

  it('should end the row of an agent that never answered again with a gap closed at the window end', () => {
    const prev = running({
      nodes: [
        { name: 'a', phase: 'Completed', message: 'Stopped: Duration' },
        {
          name: 'b',
          phase: 'Unreachable',
          since: '2026-03-10T10:00:20Z',
          gaps: [{ from: '2026-03-10T10:00:20Z', reason: 'agent unreachable: deadline exceeded' }],
        },
      ],
    });
    const d = run({ recording: recordingFixture(once, prev), reports: new Map([['b', down]]), now: sec(75) });
    expect(d.status.phase).toBe('Completed');
    expect(d.status.nodes?.[1]).toMatchObject({
      name: 'b',
      phase: 'Completed',
      message: 'Stopped: Duration: agent unreachable since 2026-03-10T10:00:20Z',
      gaps: [
        { from: '2026-03-10T10:00:20Z', to: '2026-03-10T10:01:00Z', reason: 'agent unreachable: deadline exceeded' },
      ],
    });
  });

  it('should keep a node whose agent stopped answering Unreachable, not Failed, and say so in Ready', () => {
    const prev = running({
      nodes: [
        { name: 'a', phase: 'Capturing' },
        { name: 'b', phase: 'Capturing' },
      ],
    });
    const d = run({
      recording: recordingFixture(once, prev),
      reports: new Map([
        ['a', up(session('Running', 3))],
        ['b', down],
      ]),
    });
    expect(d.actions).toEqual([]);
    expect(d.status.nodes?.map((n) => [n.name, n.phase])).toEqual([
      ['a', 'Capturing'],
      ['b', 'Unreachable'],
    ]);
    expect(d.status.phase).toBe('Running');
    expect(d.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NodesUnreachable',
      message: '1 node not recording (agent unreachable, retrying): b',
    });
    expect(d.events.filter((e) => e.reason === 'NodeFailed')).toEqual([]);
  });

  it('should start a session the agent lost again as segment 2 and announce the gap', () => {
    const prev = running({ nodes: [{ name: 'a', phase: 'Capturing', packetsCaptured: 40 }] });
    const d = run({ recording: recordingFixture(once, prev), targets: targets('a'), reports: new Map([['a', up()]]) });
    expect(d.actions).toEqual([{ kind: 'start', node: 'a', iteration: 1, podIPs: [], deadline: sec(60) }]);
    expect(d.status.nodes?.[0]).toMatchObject({ phase: 'Pending', segment: 2, packetsCaptured: 40 });
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'NodeNotRecording' }));
  });

  it('should record on a node whose agent appears after the Recording was applied', () => {
    const before = run({ recording: recordingFixture(once), targets: targets('a') });
    expect(before.actions).toEqual([]);
    expect(before.status.nodes?.[0]).toMatchObject({
      phase: 'Pending',
      message: expect.stringContaining('no tapedeck agent pod'),
    });
    const after = run({
      recording: recordingFixture(once, before.status),
      targets: targets('a'),
      reports: new Map([['a', up()]]),
      now: sec(20),
    });
    expect(after.actions).toEqual([{ kind: 'start', node: 'a', iteration: 1, podIPs: [], deadline: sec(60) }]);
  });

  it('should neither start on nor stop what runs on a NotReady node', () => {
    const prev = running({ nodes: [{ name: 'b', phase: 'Capturing' }] });
    const d = run({
      recording: recordingFixture(once, prev),
      targets: [
        { node: 'a', podIPs: [], ready: false },
        { node: 'b', podIPs: [], ready: false },
      ],
      reports: new Map([
        ['a', up()],
        ['b', up(session('Running', 2))],
      ]),
    });
    expect(d.actions).toEqual([]);
    expect(d.status.nodes?.map((n) => [n.name, n.phase])).toEqual([['b', 'Capturing']]);
    expect(d.status.nodesReady).toBe('1/1');
  });

  it('should mark a deleted node Lost and still complete with the others', () => {
    const prev = running({
      nodes: [
        { name: 'a', phase: 'Capturing' },
        { name: 'b', phase: 'Capturing', packetsCaptured: 7 },
      ],
    });
    const d = run({
      recording: recordingFixture(once, prev),
      targets: targets('a'),
      nodes: new Set(['a']),
      reports: new Map([['a', up({ ...session('Stopped', 5), stopReason: 'PacketLimit' })]]),
    });
    expect(d.status.nodes?.map((n) => [n.name, n.phase, n.message])).toEqual([
      ['a', 'Completed', 'Stopped: PacketLimit'],
      ['b', 'Lost', 'node deleted'],
    ]);
    expect(d.status).toMatchObject({ phase: 'Completed', stopReason: 'PacketLimit', totals: { packetsCaptured: 12 } });
  });

  it('should fail a node with more pod IPs than a session carries, with a clear message', () => {
    const podIPs = Array.from({ length: 1025 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const d = run({
      recording: recordingFixture(once),
      targets: [{ node: 'a', podIPs }],
      reports: new Map([['a', up()]]),
    });
    expect(d.actions).toEqual([]);
    expect(d.status.nodes?.[0]).toMatchObject({
      phase: 'Failed',
      message: expect.stringContaining('narrow the podSelector'),
    });
  });
});

describe('decide (deletion)', () => {
  const deleted = (status?: RecordingStatus) => recordingFixture(once, status, { deletionTimestamp: new Date(sec(5)) });
  const rows = running({
    nodes: [
      { name: 'a', phase: 'Capturing' },
      { name: 'b', phase: 'Capturing' },
    ],
  });

  it('should keep the finalizer while an agent that had a session cannot confirm the stop', () => {
    const d = run({
      recording: deleted(rows),
      reports: new Map([
        ['a', up({ ...session('Stopped'), expired: true })],
        ['b', down],
      ]),
    });
    expect(d).toMatchObject({ finalizer: 'keep', waitingOn: ['b'] });
    expect(d.requeueAfterMs).toBe(sec(60) + DELETION_GRACE_MS - sec(10));
  });

  it.each<[string, Partial<DecideInput>]>([
    ['its node is deleted', { nodes: new Set(['a']) }],
    ['its agent pod is gone', { reports: new Map([['a', up()]]) }],
    ['the window end plus the grace period passed', { now: sec(60) + DELETION_GRACE_MS }],
  ])('should release the finalizer when %s', (_why, input) => {
    const reports = new Map([
      ['a', up()],
      ['b', down],
    ]);
    expect(run({ recording: deleted(rows), reports, ...input }).finalizer).toBe('remove');
  });
});
