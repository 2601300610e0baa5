import { describe, expect, it } from 'vitest';
import type { SessionReport } from '../dispatch/agent-client.js';
import { step } from './node-lifecycle.js';
import type { Observation, StepContext } from './node-lifecycle.js';
import type { NodeRow } from './recording-view.js';

const t0 = Date.parse('2026-03-10T10:00:00Z');
const ctx: StepContext = { now: t0 + 10_000, windowOpen: true, ready: true };

function session(state: SessionReport['state'], packets = 5, extra: Partial<SessionReport> = {}): SessionReport {
  return {
    recordingUid: 'u',
    iteration: 1,
    state,
    packetsCaptured: packets,
    bytesCaptured: packets * 10,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
    ...extra,
  };
}

const row = (phase: NodeRow['phase'], extra: Partial<NodeRow> = {}): NodeRow => ({
  name: 'n',
  phase,
  packetsCaptured: 3,
  bytesCaptured: 30,
  packetsLost: 0,
  bytesLost: 0,
  since: '2026-03-10T10:00:05Z',
  ...extra,
});

const seen = {
  running: { kind: 'session', session: session('Running') },
  stopped: { kind: 'session', session: session('Stopped', 5, { stopReason: 'PacketLimit' }) },
  failed: { kind: 'session', session: session('Failed', 0, { message: 'capture ended' }) },
  none: { kind: 'noSession' },
  unreachable: { kind: 'unreachable', error: 'deadline exceeded' },
  noAgent: { kind: 'noAgent' },
  rejected: { kind: 'rejected', error: 'spec.filter.bpf: syntax error' },
  gone: { kind: 'nodeGone' },
} satisfies Record<string, Observation>;

describe('node lifecycle', () => {
  it.each<[string, NodeRow | undefined, Observation, string, boolean]>([
    ['a new node with an agent', undefined, seen.none, 'Pending', true],
    ['a new node without an agent pod yet', undefined, seen.noAgent, 'Pending', false],
    ['a new node whose agent is unreachable', undefined, seen.unreachable, 'Pending', false],
    ['a pending node whose session runs', row('Pending'), seen.running, 'Capturing', false],
    ['a capturing node whose agent stopped answering', row('Capturing'), seen.unreachable, 'Unreachable', false],
    ['a capturing node whose agent pod went away', row('Capturing'), seen.noAgent, 'Unreachable', false],
    ['an unreachable node back with its session', row('Unreachable'), seen.running, 'Capturing', false],
    ['an unreachable node back without its session', row('Unreachable'), seen.none, 'Pending', true],
    ['a capturing node whose agent lost the session', row('Capturing'), seen.none, 'Pending', true],
    ['a capturing node that hit its stop condition', row('Capturing'), seen.stopped, 'Completed', false],
    ['a node whose session failed on the agent', row('Capturing'), seen.failed, 'Failed', false],
    ['a node whose agent rejected the spec', row('Pending'), seen.rejected, 'Failed', false],
    ['a deleted node', row('Capturing'), seen.gone, 'Lost', false],
    ['a completed node (final)', row('Completed'), seen.none, 'Completed', false],
    ['a failed node (final)', row('Failed'), seen.none, 'Failed', false],
    ['a lost node (final)', row('Lost'), seen.running, 'Lost', false],
  ])('should move %s to %s (start: %s)', (_what, prev, observation, phase, start) => {
    const next = step('n', prev, observation, ctx);
    expect([next.row.phase, next.start]).toEqual([phase, start]);
  });

  it('should not start on a NotReady node, nor after the window closed, nor during its backoff', () => {
    expect(step('n', undefined, seen.none, { ...ctx, ready: false })).toMatchObject({
      start: false,
      row: { phase: 'Pending', message: 'node is NotReady' },
    });
    expect(step('n', undefined, seen.none, { ...ctx, windowOpen: false }).start).toBe(false);
    const retry = { error: 'deadline exceeded', notBefore: ctx.now + 1_000 };
    const waiting = step('n', undefined, seen.none, { ...ctx, retry });
    expect(waiting).toMatchObject({
      start: false,
      row: { message: 'start failed: deadline exceeded; retrying with backoff' },
    });
    expect(step('n', undefined, seen.none, { ...ctx, retry, now: retry.notBefore }).start).toBe(true);
  });

  it('should start a lost session again as the next segment, keeping counts and an open gap', () => {
    const lost = step('n', row('Unreachable'), seen.none, ctx).row;
    expect(lost).toMatchObject({
      phase: 'Pending',
      segment: 2,
      packetsCaptured: 3,
      earlierSegments: { packetsCaptured: 3, bytesCaptured: 30, packetsLost: 0, bytesLost: 0 },
      gaps: [{ from: '2026-03-10T10:00:05Z', reason: 'session lost: the agent no longer reports it' }],
    });
    const again = step('n', lost, seen.running, { ...ctx, now: ctx.now + 2_000 }).row;
    expect(again).toMatchObject({
      phase: 'Capturing',
      segment: 2,
      packetsCaptured: 3 + 5,
      gaps: [{ from: '2026-03-10T10:00:05Z', to: '2026-03-10T10:00:12Z' }],
    });
    expect(step('n', again, seen.running, { ...ctx, now: ctx.now + 5_000 }).row).toEqual(again);
  });

  it('should keep the gaps an agent reports after resuming a session, newest 8', () => {
    const gaps = Array.from({ length: 10 }, (_, i) => ({
      from: t0 + i * 1000,
      to: t0 + i * 1000 + 500,
      reason: 'agent restart',
    }));
    const next = step('n', row('Capturing'), { kind: 'session', session: session('Running', 9, { gaps }) }, ctx).row;
    expect(next.gaps).toHaveLength(8);
    expect(next.gaps?.[0]).toEqual({
      from: '2026-03-10T10:00:02Z',
      to: '2026-03-10T10:00:02Z',
      reason: 'agent restart',
    });
  });

  it("should open a provisional gap when a capturing agent stops answering, and keep the agent's account when it answers", () => {
    const away = step('n', row('Capturing'), seen.unreachable, ctx).row;
    expect(away).toMatchObject({
      phase: 'Unreachable',
      gaps: [{ from: '2026-03-10T10:00:10Z', reason: 'agent unreachable: deadline exceeded' }],
    });
    const still = step('n', away, seen.unreachable, { ...ctx, now: ctx.now + 3_000 }).row;
    expect(still.gaps).toEqual(away.gaps);
    // It was recording all along (a partition): no gap stays.
    expect(step('n', still, seen.running, { ...ctx, now: ctx.now + 5_000 }).row.gaps).toBeUndefined();
    // It restarted and resumed the session: its own gap replaces the operator's.
    const resumed = session('Running', 9, { gaps: [{ from: t0 + 9_000, to: t0 + 14_000, reason: 'agent restarted' }] });
    expect(step('n', still, { kind: 'session', session: resumed }, ctx).row.gaps).toEqual([
      { from: '2026-03-10T10:00:09Z', to: '2026-03-10T10:00:14Z', reason: 'agent restarted' },
    ]);
    // It came back without the session: the gap is the lost session's, from when it stopped answering.
    expect(step('n', still, seen.none, { ...ctx, now: ctx.now + 5_000 }).row.gaps).toEqual([
      { from: '2026-03-10T10:00:10Z', reason: 'session lost: the agent no longer reports it' },
    ]);
  });

  it('should keep the time a row entered its phase', () => {
    expect(step('n', row('Capturing'), seen.running, ctx).row.since).toBe('2026-03-10T10:00:05Z');
    expect(step('n', row('Pending'), seen.running, ctx).row.since).toBe('2026-03-10T10:00:10Z');
  });
});
