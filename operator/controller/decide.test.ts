import { describe, expect, it } from 'vitest';
import type { SessionReport } from '../dispatch/agent-client.js';
import { decide } from './decide.js';
import type { Action, DecideInput, Target } from './decide.js';
import type { AgentReport } from './node-rows.js';
import { recordingFixture } from './recording-fixture.js';
import type { FixtureSpec } from './recording-fixture.js';
import { FINALIZER } from './recording-view.js';
import type { RecordingStatus, RecordingView } from './recording-view.js';

const created = Date.parse('2026-03-10T10:00:00Z');
const sec = (s: number): number => created + s * 1000;
const UID = 'uid-1';

function rec(spec: FixtureSpec = {}, status?: RecordingStatus, extra: Partial<RecordingView['metadata']> = {}) {
  return recordingFixture(spec, status, extra);
}

function session(iteration: number, state: SessionReport['state'], packets = 0, extra: Partial<SessionReport> = {}) {
  const s: SessionReport = {
    recordingUid: UID,
    iteration,
    state,
    packetsCaptured: packets,
    bytesCaptured: packets * 100,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
    ...extra,
  };
  return s;
}

const up = (...sessions: SessionReport[]): AgentReport => ({ reachable: true, sessions });
const down: AgentReport = { reachable: false, error: 'connect ECONNREFUSED' };
const nodes = (...names: string[]): Target[] => names.map((node) => ({ node, podIPs: [] }));

function run(input: Partial<DecideInput> & { recording: RecordingView }) {
  return decide({ targets: nodes('a', 'b'), reports: new Map(), now: sec(1), ...input });
}

const once = { schedule: { startTime: '', dailyIterations: 1, duration: '60s' } };

describe('decide', () => {
  it('should start a session on every targeted node with an agent', () => {
    const d = run({
      recording: rec(once),
      reports: new Map([
        ['a', up()],
        ['b', up()],
      ]),
    });
    expect(d.actions).toEqual<Action[]>([
      { kind: 'start', node: 'a', iteration: 1, podIPs: [], deadline: sec(60) },
      { kind: 'start', node: 'b', iteration: 1, podIPs: [], deadline: sec(60) },
    ]);
    expect(d.status.phase).toBe('Running');
    expect(d.status.nodes?.map((n) => [n.name, n.phase])).toEqual([
      ['a', 'Pending'],
      ['b', 'Pending'],
    ]);
    expect(d.requeueAfterMs).toBe(1000);
  });

  it('should not start a session that is already running (adoption after a restart)', () => {
    const d = run({
      recording: rec(once),
      reports: new Map([
        ['a', up(session(1, 'Running', 7))],
        ['b', up()],
      ]),
    });
    expect(d.actions).toEqual([{ kind: 'start', node: 'b', iteration: 1, podIPs: [], deadline: sec(60) }]);
    expect(d.status.nodes?.[0]).toMatchObject({ name: 'a', phase: 'Capturing', packetsCaptured: 7 });
  });

  it('should complete with PacketLimit when every node hit the packet limit', () => {
    const reports = new Map([
      ['a', up(session(1, 'Stopped', 500, { stopReason: 'PacketLimit' }))],
      ['b', up(session(1, 'Stopped', 500, { stopReason: 'PacketLimit' }))],
    ]);
    const d = run({ recording: rec(once, { phase: 'Running', iteration: 1 }), reports, now: sec(5) });
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({
      phase: 'Completed',
      stopReason: 'PacketLimit',
      totals: { packetsCaptured: 1000, bytesCaptured: 100_000, packetsLost: 0, bytesLost: 0 },
      lastStopTime: '2026-03-10T10:00:05Z',
    });
    expect(d.status.nodes).toHaveLength(2);
    expect(d.events.map((e) => e.reason)).toEqual(['Stopped', 'Completed']);
    expect(d.requeueAfterMs).toBe(55_000); // the window's end, then expiry
  });

  it('should stop running sessions when the window ends and report Duration', () => {
    const reports = new Map([
      ['a', up(session(1, 'Running', 3))],
      ['b', up(session(1, 'Running', 4))],
    ]);
    const d = run({ recording: rec(once, { phase: 'Running', iteration: 1 }), reports, now: sec(60) });
    expect(d.actions).toEqual([
      { kind: 'stop', node: 'a', iteration: 1, reason: 'Duration' },
      { kind: 'stop', node: 'b', iteration: 1, reason: 'Duration' },
    ]);
    expect(d.status).toMatchObject({
      phase: 'Completed',
      stopReason: 'Duration',
      lastStopTime: '2026-03-10T10:01:00Z',
    });
  });

  it('should reach a final phase when an agent died and the window ended', () => {
    const prev: RecordingStatus = {
      phase: 'Running',
      iteration: 1,
      nodes: [
        { name: 'a', phase: 'Capturing', ...counts(5) },
        { name: 'b', phase: 'Failed', message: 'agent unreachable: x', ...counts(2) },
      ],
    };
    const d = run({
      recording: rec(once, prev),
      reports: new Map([
        ['a', up(session(1, 'Running', 8))],
        ['b', down],
      ]),
      now: sec(61),
    });
    expect(d.status.phase).toBe('Completed');
    expect(d.status.nodes?.map((n) => n.phase)).toEqual(['Completed', 'Failed']);
    expect(d.status.totals?.packetsCaptured).toBe(10);
  });

  it('should keep counts of a finished session the agent has forgotten', () => {
    const prev: RecordingStatus = {
      phase: 'Completed',
      iteration: 1,
      nodes: [{ name: 'a', phase: 'Completed', message: 'Stopped: PacketLimit', ...counts(500) }],
    };
    const d = run({ recording: rec(once, prev), targets: nodes('a'), reports: new Map([['a', up()]]), now: sec(30) });
    expect(d.actions).toEqual([]);
    expect(d.status.nodes).toEqual(prev.nodes);
  });

  it('should stop sessions on a node that left the selection and keep its row', () => {
    const prev: RecordingStatus = {
      phase: 'Running',
      iteration: 1,
      nodes: [
        { name: 'a', phase: 'Capturing', ...counts(1) },
        { name: 'b', phase: 'Capturing', ...counts(2) },
      ],
    };
    const reports = new Map([
      ['a', up(session(1, 'Running', 3))],
      ['b', up(session(1, 'Running', 4))],
    ]);
    const d = run({ recording: rec(once, prev), targets: nodes('a'), reports, now: sec(10) });
    expect(d.actions).toEqual([{ kind: 'stop', node: 'b', iteration: 1, reason: 'Stopped' }]);
    expect(d.status.nodes?.[1]).toMatchObject({
      name: 'b',
      phase: 'Completed',
      message: 'Stopped: Stopped: node no longer selected',
    });
    expect(d.status.phase).toBe('Running');
  });

  it('should wait before a future start without touching agents', () => {
    const spec = { schedule: { startTime: '2026-03-10T10:00:05Z', duration: '3s' } };
    const d = run({ recording: rec(spec), reports: new Map([['a', up()]]) });
    expect(d.actions).toEqual([]);
    expect(d.status).toMatchObject({ phase: 'Scheduled', iteration: 0, nextStartTime: '2026-03-10T10:00:05Z' });
    expect(d.requeueAfterMs).toBe(4000);
  });

  it.each<[string, number, string, number, number | undefined]>([
    ['before the first day', -3600, 'Scheduled', 0, 3600 * 1000],
    ['in day 1', 60, 'Running', 1, 1000],
    ['between day 1 and 2', 7200, 'Scheduled', 1, 86400 * 1000 - 7200 * 1000],
    ['in day 2', 86400 + 10, 'Running', 2, 1000],
    ['in day 3', 2 * 86400 + 10, 'Running', 3, 1000],
    ['after day 3', 3 * 86400, 'Completed', 3, 72 * 3600 * 1000 - (86400 - 3600) * 1000],
    ['after expiry', 6 * 86400, 'Expired', 3, undefined],
  ])('should run daily iterations across days (%s)', (_name, offset, phase, iteration, requeue) => {
    const spec = { schedule: { startTime: '11:00', dailyIterations: 3, duration: '1h' } };
    const now = Date.parse('2026-03-10T11:00:00Z') + offset * 1000;
    const d = run({ recording: rec(spec), targets: nodes('a'), reports: new Map([['a', up()]]), now });
    expect(d.status.phase).toBe(phase);
    expect(d.status.iteration).toBe(iteration);
    expect(d.requeueAfterMs).toBe(requeue);
    expect(d.actions.map((a) => a.kind)).toEqual(phase === 'Running' ? ['start'] : []);
  });

  it('should stop the previous iteration and start the next one', () => {
    const spec = { schedule: { dailyIterations: 0, duration: '24h' } };
    const d = run({
      recording: rec(spec, { phase: 'Running', iteration: 1 }),
      targets: nodes('a'),
      reports: new Map([['a', up(session(1, 'Running', 5))]]),
      now: created + 86_400_000,
    });
    expect(d.actions).toEqual([
      { kind: 'stop', node: 'a', iteration: 1, reason: 'Duration' },
      { kind: 'start', node: 'a', iteration: 2, podIPs: [], deadline: created + 2 * 86_400_000 },
    ]);
  });

  it('should fail an invalid schedule, stop sessions and name the field', () => {
    const spec = { schedule: { duration: '25h', dailyIterations: 0 } };
    const d = run({ recording: rec(spec), reports: new Map([['a', up(session(1, 'Running'))]]) });
    expect(d.status.phase).toBe('Failed');
    expect(d.actions).toEqual([{ kind: 'stop', node: 'a', iteration: 1, reason: 'Error' }]);
    const ready = d.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready?.message).toContain('spec.schedule.duration');
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'Failed' });
  });

  it.each<[string, string[] | undefined, SessionReport[], string, number]>([
    ['add the finalizer', [], [], 'add', 0],
    ['stop sessions before removing the finalizer', [FINALIZER], [session(1, 'Running')], 'keep', 1],
    ['ask the agent to delete the local files of a stopped session', [FINALIZER], [session(1, 'Stopped')], 'keep', 1],
    [
      'remove the finalizer when nothing runs and the local files are gone',
      [FINALIZER],
      [{ ...session(1, 'Stopped'), expired: true }],
      'remove',
      0,
    ],
    ['remove the finalizer when the agent no longer knows the session', [FINALIZER], [], 'remove', 0],
  ])('should %s', (_name, finalizers, sessions, finalizer, stops) => {
    const deleting = finalizer !== 'add' ? { deletionTimestamp: new Date(sec(2)) } : {};
    const d = run({
      recording: rec(once, undefined, { finalizers, ...deleting }),
      reports: new Map([['a', up(...sessions)]]),
    });
    expect(d.finalizer).toBe(finalizer);
    expect(d.actions.filter((a) => a.kind === 'stop')).toHaveLength(stops);
  });

  it('should report Pending with no target nodes', () => {
    const d = run({ recording: rec(once), targets: [] });
    expect(d.status.phase).toBe('Pending');
    expect(d.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'NoTargetNodes' });
  });

  it('should be stable: deciding again on its own status changes nothing', () => {
    const reports = new Map([
      ['a', up(session(1, 'Running', 3))],
      ['b', up(session(1, 'Running', 4))],
    ]);
    const first = run({ recording: rec(once), reports, now: sec(3) });
    const second = run({ recording: rec(once, first.status), reports, now: sec(9) });
    expect(second.status).toEqual(first.status);
    expect(second.events).toEqual([]);
  });

  it('should keep lastTransitionTime while a condition keeps its status', () => {
    const reports = new Map([['a', up(session(1, 'Running', 3))]]);
    const first = run({ recording: rec(once), targets: nodes('a'), reports, now: sec(3) });
    const stopped = new Map([['a', up(session(1, 'Stopped', 3, { stopReason: 'PacketLimit' }))]]);
    const second = run({ recording: rec(once, first.status), targets: nodes('a'), reports: stopped, now: sec(9) });
    const time = (s: RecordingStatus, type: string) => s.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    expect(time(second.status, 'Scheduled')).toBe(time(first.status, 'Scheduled'));
    expect(time(second.status, 'Capturing')).toBe('2026-03-10T10:00:09Z');
    expect(time(first.status, 'Capturing')).toBe('2026-03-10T10:00:03Z');
  });
});

function counts(packets: number) {
  return { packetsCaptured: packets, bytesCaptured: packets * 100, packetsLost: 0, bytesLost: 0 };
}
