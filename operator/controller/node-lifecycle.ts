// The lifecycle of one node's row during an iteration, as one state machine:
// the row's previous state plus what this reconcile observed on the node give
// the next row and whether to start a session there. No I/O here.
//
//   state \ observed  │ session Running │ session Stopped │ session Failed │ no session         │ unreachable, no agent │ rejected │ node gone
//   ──────────────────┼─────────────────┼─────────────────┼────────────────┼────────────────────┼───────────────────────┼──────────┼──────────
//   (none), Pending   │ Capturing       │ Completed       │ Failed         │ Pending + start¹   │ Pending               │ Failed   │ Lost
//   Capturing         │ Capturing       │ Completed       │ Failed         │ Pending + start¹ ² │ Unreachable           │ Failed   │ Lost
//   Unreachable       │ Capturing       │ Completed       │ Failed         │ Pending + start¹ ² │ Unreachable           │ Failed   │ Lost
//   Completed, Failed, Lost: final for the iteration (counts still follow a session the agent reports).
//
//   ¹ only while the window is open, the node is Ready and the node's retry backoff has passed.
//   ² the session was lost (agent restarted without it): a gap opens and the next segment starts; the
//     counts so far move to earlierSegments. The gap closes when the new segment captures.
//   Capturing → Unreachable opens a provisional gap (node-gaps.ts): replaced by the agent's own account
//   when it answers with the session, closed at the window end when it never answers again.
import { SessionState } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import { toTime } from './conditions.js';
import { NodePhase, rowFromSession, zeroCounters } from './node-rows.js';
import { gapsWithSession, openLostSessionGap, openUnreachableGap } from './node-gaps.js';
import type { Counters, NodeRow } from './recording-view.js';

export { NodePhase };

/** Final states: nothing observed later in the iteration moves the row out of them. */
export const FINAL_PHASES: ReadonlySet<string> = new Set([NodePhase.Completed, NodePhase.Failed, NodePhase.Lost]);
export { MAX_GAPS_PER_ROW } from './node-gaps.js';

export type Observation =
  /** The agent reports this iteration's session. */
  | { kind: 'session'; session: SessionReport }
  /** The agent answered and has no session of this iteration. */
  | { kind: 'noSession' }
  /** The agent could not be asked (unavailable, deadline) or is in its retry backoff after that. */
  | { kind: 'unreachable'; error: string }
  /** No agent pod with an IP on the node (yet). */
  | { kind: 'noAgent' }
  /** The agent rejected the session's spec as invalid, or the operator cannot build a valid one. */
  | { kind: 'rejected'; error: string }
  /** The Node object was deleted. */
  | { kind: 'nodeGone' };

export interface StepContext {
  now: number;
  windowOpen: boolean;
  /** Node Ready (a NotReady node is not started on; what runs there is left alone). */
  ready: boolean;
  /** A start that failed transiently, and when it may be tried again. */
  retry?: { error: string; notBefore: number } | undefined;
}

export interface Step {
  row: NodeRow;
  start: boolean;
}

export function isFinal(row: NodeRow | undefined): boolean {
  return row?.phase !== undefined && FINAL_PHASES.has(row.phase);
}

function withPhase(name: string, prev: NodeRow | undefined, phase: NodePhase, message: string, now: number): NodeRow {
  const row: NodeRow = { ...zeroCounters, ...prev, name, phase, message: message.slice(0, 1024) };
  row.since = prev?.phase === phase && prev.since !== undefined ? prev.since : toTime(now);
  return row;
}

function countsOf(row: NodeRow): Required<Counters> {
  return {
    packetsCaptured: row.packetsCaptured ?? 0,
    bytesCaptured: row.bytesCaptured ?? 0,
    packetsLost: row.packetsLost ?? 0,
    bytesLost: row.bytesLost ?? 0,
  };
}

function fromSession(name: string, prev: NodeRow | undefined, session: SessionReport, now: number): NodeRow {
  const row = rowFromSession(name, session);
  const earlier = prev?.earlierSegments;
  if (earlier !== undefined) {
    row.earlierSegments = earlier;
    row.packetsCaptured = (row.packetsCaptured ?? 0) + (earlier.packetsCaptured ?? 0);
    row.bytesCaptured = (row.bytesCaptured ?? 0) + (earlier.bytesCaptured ?? 0);
    row.packetsLost = (row.packetsLost ?? 0) + (earlier.packetsLost ?? 0);
    row.bytesLost = (row.bytesLost ?? 0) + (earlier.bytesLost ?? 0);
    const names = new Set((row.files ?? []).map((f) => f.name));
    const files = [...(prev?.files ?? []).filter((f) => !names.has(f.name)), ...(row.files ?? [])].slice(-64);
    if (files.length > 0) row.files = files;
  }
  if (prev?.segment !== undefined) row.segment = prev.segment;
  const gaps = gapsWithSession(prev?.gaps, session.gaps, row.phase === NodePhase.Capturing ? now : undefined);
  if (gaps !== undefined) row.gaps = gaps;
  const since = prev !== undefined && prev.phase === row.phase ? prev.since : undefined;
  row.since = since ?? toTime(now);
  return row;
}

/** The session was lost while capturing: open a gap, move the counts so far to earlierSegments. */
function nextSegment(name: string, prev: NodeRow, now: number): NodeRow {
  const since = prev.phase === NodePhase.Unreachable && prev.since !== undefined ? prev.since : toTime(now);
  const segment = (prev.segment ?? 1) + 1;
  const row = withPhase(name, prev, NodePhase.Pending, `session lost; starting segment ${segment}`, now);
  row.segment = segment;
  row.earlierSegments = countsOf(prev);
  row.gaps = openLostSessionGap(prev.gaps, since);
  return row;
}

/** One transition of the table above. */
export function step(name: string, prev: NodeRow | undefined, seen: Observation, ctx: StepContext): Step {
  const { now } = ctx;
  if (isFinal(prev) && prev !== undefined) {
    return { row: seen.kind === 'session' ? keepFinal(name, prev, seen.session, now) : prev, start: false };
  }
  const was = prev?.phase;
  const hadSession = was === NodePhase.Capturing || was === NodePhase.Unreachable;
  switch (seen.kind) {
    case 'session':
      return { row: fromSession(name, prev, seen.session, now), start: false };
    case 'nodeGone':
      return { row: withPhase(name, prev, NodePhase.Lost, 'node deleted', now), start: false };
    case 'rejected':
      return { row: withPhase(name, prev, NodePhase.Failed, seen.error, now), start: false };
    case 'unreachable':
    case 'noAgent': {
      const why =
        seen.kind === 'noAgent'
          ? 'no tapedeck agent pod with an IP on the node yet'
          : `agent unreachable: ${seen.error}`;
      const phase = hadSession ? NodePhase.Unreachable : NodePhase.Pending;
      const row = withPhase(name, prev, phase, `${why}; retrying`, now);
      if (was === NodePhase.Capturing) {
        const gaps = openUnreachableGap(prev?.gaps, seen.kind === 'noAgent' ? 'no agent pod' : seen.error, now);
        if (gaps !== undefined) row.gaps = gaps;
      }
      return { row, start: false };
    }
    case 'noSession': {
      const base = hadSession && prev !== undefined ? nextSegment(name, prev, now) : prev;
      if (!ctx.ready) return { row: withPhase(name, base, NodePhase.Pending, 'node is NotReady', now), start: false };
      if (ctx.retry !== undefined && ctx.retry.notBefore > now) {
        const message = `start failed: ${ctx.retry.error}; retrying with backoff`;
        return { row: withPhase(name, base, NodePhase.Pending, message, now), start: false };
      }
      const segment = base?.segment ?? 1;
      const message = segment > 1 ? `session lost; starting segment ${segment}` : 'starting capture';
      return { row: withPhase(name, base, NodePhase.Pending, message, now), start: ctx.windowOpen };
    }
  }
}

/** A final row still follows the counts of a session the agent reports, but keeps its phase. */
function keepFinal(name: string, prev: NodeRow, session: SessionReport, now: number): NodeRow {
  if (session.state === SessionState.Running) return prev;
  const row = fromSession(name, prev, session, now);
  return prev.phase === row.phase ? row : { ...row, phase: prev.phase, message: prev.message, since: prev.since };
}
