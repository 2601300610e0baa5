// The pure heart of the controller: from a Recording, the nodes it targets, what
// the agents report and the time, compute the sessions to start/stop, the desired
// status, the Events to record and when to look again. No I/O here.
import { RecordingPhase as Phase } from '../api/recording.js';
import { SessionState, StopReason } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import {
  FilterLimitError,
  MAX_ENDPOINT_IPS,
  buildSessionFilter,
  checkEndpointLimit,
  sameFilter,
} from '../dispatch/session-spec.js';
import { parseDuration } from '../schedule/duration.js';
import { ScheduleError, WindowState, nextTransition, parseSchedule, scheduleAt } from '../schedule/schedule.js';
import type { ScheduleState } from '../schedule/schedule.js';
import { decideDeletion } from './deletion.js';
import { closeGapsAt } from './node-gaps.js';
import { isFinal, step } from './node-lifecycle.js';
import type { Observation } from './node-lifecycle.js';
import { NodePhase, commonStopReason, stoppedMessage } from './node-rows.js';
import type { AgentReport } from './node-rows.js';
import { FINALIZER } from './recording-view.js';
import type { NodeRow, RecordingStatus, RecordingView } from './recording-view.js';
import { buildStatus } from './status-build.js';
import { eventsFor } from './status-extras.js';
import type { RecordingEvent } from './status-extras.js';

/** While sessions run, status is refreshed from the agents at least this often. */
export const STATUS_REFRESH_MS = 1_000;
export const DEFAULT_EXPIRE_AFTER = '72h';

// The phases are the CRD's own enum (generated from crds/recording.yaml).
export { Phase };

export interface Target {
  node: string;
  podIPs: string[];
  /** Node Ready; a NotReady node is not started on, and what runs there is left alone. Absent = Ready. */
  ready?: boolean;
}

/** A start that failed transiently on a node, and when it may be tried again. */
export interface NodeRetry {
  error: string;
  notBefore: number;
}

export type Action =
  | { kind: 'start'; node: string; iteration: number; podIPs: string[]; deadline: number }
  | { kind: 'stop'; node: string; iteration: number; reason: string; deleteLocalFiles?: boolean }
  /** A running session whose filter is not the desired one (pods came or went): replace it. */
  | { kind: 'update'; node: string; iteration: number; podIPs: string[] };

export interface DecideInput {
  recording: RecordingView;
  targets: Target[];
  /** Keyed by node name; a node without an entry has no known agent. */
  reports: ReadonlyMap<string, AgentReport>;
  now: number;
  /** Names of the Node objects that exist; a row whose node is missing is Lost. Absent = all exist. */
  nodes?: ReadonlySet<string>;
  /** Per-node backoff of transient start failures (kept by the reconciler, not in status). */
  retries?: ReadonlyMap<string, NodeRetry>;
  /** Nodes whose agent rejected this iteration's spec as invalid in this reconcile, with its message. */
  rejected?: ReadonlyMap<string, string>;
  /**
   * Every row of the previous status, folded ones included (the reconciler's memory of what it wrote);
   * absent = status.nodes. Healthy rows folded into nodeCounts keep their counts and phase this way.
   */
  previousRows?: readonly NodeRow[];
  /** A deleted Recording's finalizer goes at the latest this long after its window end (DELETION_GRACE_MS). */
  deletionGraceMs?: number;
}

export interface Decision {
  actions: Action[];
  status: RecordingStatus;
  events: RecordingEvent[];
  finalizer: 'add' | 'remove' | 'keep';
  requeueAfterMs?: number;
  /** While deleting: nodes whose agent has not confirmed the stop yet. */
  waitingOn?: string[];
  /** Every node row, before status-bound.ts folds healthy ones (the memory for the next decide). */
  rows?: NodeRow[];
}

function sessionsOf(uid: string, reports: ReadonlyMap<string, AgentReport>): Map<string, SessionReport[]> {
  const out = new Map<string, SessionReport[]>();
  for (const [node, report] of reports) {
    if (report.reachable)
      out.set(
        node,
        report.sessions.filter((s) => s.recordingUid === uid),
      );
  }
  return out;
}

function millis(t: string | Date | undefined, fallback: number): number {
  if (t === undefined) return fallback;
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

export function decide(input: DecideInput): Decision {
  const { recording, targets, reports, now } = input;
  const prev = recording.status ?? {};
  const uid = recording.metadata.uid ?? '';
  const sessions = sessionsOf(uid, reports);
  const running = [...sessions].flatMap(([node, list]) =>
    list.filter((s) => s.state === SessionState.Running).map((s) => ({ node, s })),
  );
  const hasFinalizer = recording.metadata.finalizers?.includes(FINALIZER) ?? false;

  if (recording.metadata.deletionTimestamp !== undefined) {
    const concerned = new Set([...reports.keys(), ...(prev.nodes ?? []).map((r) => r.name)]);
    const windowEnd = windowEndOf(recording, now);
    // The API server defaults onDelete.local to Delete; a spec without it (never served) deletes nothing.
    const deleteLocal = recording.spec.retention?.onDelete?.local === 'Delete';
    const d = decideDeletion(uid, concerned, reports, input.nodes, windowEnd, now, input.deletionGraceMs, deleteLocal);
    const decision: Decision = {
      actions: d.actions,
      status: prev,
      events: [],
      finalizer: hasFinalizer && d.release ? 'remove' : 'keep',
      waitingOn: d.waitingOn,
    };
    if (d.releaseAt !== undefined && !d.release) decision.requeueAfterMs = Math.max(1, d.releaseAt - now);
    return decision;
  }
  const finalizer = hasFinalizer ? 'keep' : 'add';

  let sched: ScheduleState;
  let next: number | undefined;
  let expireAfterMs: number;
  try {
    const schedule = parseSchedule(recording.spec.schedule ?? {}, millis(recording.metadata.creationTimestamp, now));
    sched = scheduleAt(schedule, now);
    next = nextTransition(schedule, now);
    expireAfterMs = parseDuration(recording.spec.retention?.expireAfter ?? DEFAULT_EXPIRE_AFTER);
  } catch (error) {
    const message = error instanceof ScheduleError || error instanceof Error ? error.message : String(error);
    const status = buildStatus(prev, { phase: Phase.Failed, stopReason: StopReason.Error, invalid: message }, [], now);
    const actions: Action[] = running.map(({ node, s }) => ({
      kind: 'stop',
      node,
      iteration: s.iteration,
      reason: StopReason.Error,
    }));
    return { actions, status, events: eventsFor(prev, status), finalizer };
  }

  const k = sched.iteration;
  const active = sched.state === WindowState.Active;
  const targeted = new Map(targets.map((t) => [t.node, t]));
  const actions: Action[] = [];
  for (const { node, s } of running) {
    const t = targeted.get(node);
    if (!active || s.iteration !== k) {
      actions.push({ kind: 'stop', node, iteration: s.iteration, reason: StopReason.Duration });
    } else if (t === undefined) {
      if (input.nodes === undefined || input.nodes.has(node)) {
        actions.push({ kind: 'stop', node, iteration: s.iteration, reason: StopReason.Stopped });
      }
    } else if (s.filter !== undefined && t.podIPs.length <= MAX_ENDPOINT_IPS) {
      if (!sameFilter(s.filter, buildSessionFilter(recording, t.podIPs))) {
        actions.push({ kind: 'update', node, iteration: s.iteration, podIPs: t.podIPs });
      }
    }
  }

  const remembered = input.previousRows ?? prev.nodes ?? [];
  const prevRows = new Map((prev.iteration === k ? remembered : []).map((r) => [r.name, r]));
  const rows = new Map<string, NodeRow>();
  for (const t of targets) {
    if (k === 0) break;
    const before = prevRows.get(t.node);
    const session = sessions.get(t.node)?.find((s) => s.iteration === k);
    // A NotReady node that never recorded in this iteration is not a target (yet).
    if (t.ready === false && before === undefined && session === undefined) continue;
    const seen = observe(session, reports.get(t.node), input.rejected?.get(t.node), active);
    const ctx = { now, windowOpen: active, ready: t.ready !== false, retry: input.retries?.get(t.node) };
    let next = step(t.node, before, seen, ctx);
    if (next.start) {
      try {
        checkEndpointLimit(t.podIPs);
        actions.push({ kind: 'start', node: t.node, iteration: k, podIPs: t.podIPs, deadline: sched.windowEnd ?? now });
      } catch (error) {
        if (!(error instanceof FilterLimitError)) throw error;
        next = step(t.node, before, { kind: 'rejected', error: error.message }, ctx);
      }
    }
    const row = next.row;
    if (!active && (row.phase === NodePhase.Capturing || row.phase === NodePhase.Unreachable)) {
      // The window ended before the agent answered again: the time since it stopped answering is a gap.
      const end = Math.min(sched.windowEnd ?? now, now);
      const detail = row.phase === NodePhase.Unreachable ? `agent unreachable since ${row.since ?? '?'}` : undefined;
      row.phase = NodePhase.Completed;
      row.message = stoppedMessage(StopReason.Duration, detail);
      const gaps = closeGapsAt(row.gaps, end);
      if (gaps !== undefined) row.gaps = gaps;
    }
    rows.set(t.node, row);
  }
  for (const [name, before] of prevRows) {
    if (rows.has(name)) continue;
    if (input.nodes !== undefined && !input.nodes.has(name)) {
      rows.set(name, step(name, before, { kind: 'nodeGone' }, { now, windowOpen: active, ready: false }).row);
      continue;
    }
    const left: NodeRow = isFinal(before)
      ? before
      : {
          ...before,
          phase: NodePhase.Completed,
          message: stoppedMessage(StopReason.Stopped, 'node no longer selected'),
        };
    rows.set(name, left);
  }
  const rowList = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  const live = rowList.filter((r) => targeted.has(r.name));

  const allFinal = live.length > 0 && live.every((r) => isFinal(r));
  const over = sched.state === WindowState.Between || sched.state === WindowState.Finished || (active && allFinal);
  const last = sched.nextStart === undefined;
  let phase: Phase;
  if (k === 0) phase = Phase.Scheduled;
  else if (!over) phase = live.length === 0 ? Phase.Pending : Phase.Running;
  else if (!last) phase = Phase.Scheduled;
  else {
    const counted = rowList.filter((r) => r.phase !== NodePhase.Lost);
    phase = counted.length > 0 && counted.every((r) => r.phase === NodePhase.Failed) ? Phase.Failed : Phase.Completed;
  }

  let lastStop: number | undefined;
  if (over && sched.windowStart !== undefined && sched.windowEnd !== undefined) {
    const kept = prev.iteration === k && prev.lastStopTime !== undefined ? Date.parse(prev.lastStopTime) : NaN;
    lastStop = kept >= sched.windowStart ? kept : active ? now : sched.windowEnd;
  } else if (prev.lastStopTime !== undefined) {
    lastStop = Date.parse(prev.lastStopTime);
  }
  let stopReason = over ? commonStopReason(rowList, StopReason.Duration) : undefined;
  if (phase === Phase.Failed) stopReason = StopReason.Error;
  if ((phase === Phase.Completed || phase === Phase.Failed) && lastStop !== undefined) {
    if (now >= lastStop + expireAfterMs) phase = Phase.Expired;
    else next = Math.min(next ?? Infinity, lastStop + expireAfterMs);
  }

  const status = buildStatus(
    prev,
    {
      phase,
      iteration: k,
      windowStart: sched.windowStart,
      lastStop,
      nextStart: sched.nextStart,
      stopReason: stopReason ?? (k > 1 ? prev.stopReason : undefined),
      rows: rowList,
      targets: live.length,
      observedGeneration: recording.metadata.generation,
    },
    rowList,
    now,
  );
  const waits = [next === undefined ? undefined : next - now, phase === Phase.Running ? STATUS_REFRESH_MS : undefined];
  const positive = waits.filter((w): w is number => w !== undefined && w > 0);
  const decision: Decision = { actions, status, events: eventsFor(prev, status), finalizer, rows: rowList };
  if (positive.length > 0) decision.requeueAfterMs = Math.min(...positive);
  return decision;
}

/** What this reconcile saw of the iteration's session on a targeted node. */
function observe(
  session: SessionReport | undefined,
  report: AgentReport | undefined,
  rejected: string | undefined,
  windowOpen: boolean,
): Observation {
  if (rejected !== undefined) return { kind: 'rejected', error: rejected };
  if (session?.shutdown === true && windowOpen) {
    return { kind: 'unreachable', error: 'agent shut down; waiting for it to resume the session' };
  }
  if (session !== undefined) return { kind: 'session', session };
  if (report === undefined) return { kind: 'noAgent' };
  if (!report.reachable) return { kind: 'unreachable', error: report.error };
  return { kind: 'noSession' };
}

/** The end of the current or last window, for a deleted Recording's grace period; undefined when invalid. */
function windowEndOf(recording: RecordingView, now: number): number | undefined {
  try {
    const schedule = parseSchedule(recording.spec.schedule ?? {}, millis(recording.metadata.creationTimestamp, now));
    return scheduleAt(schedule, now).windowEnd ?? now;
  } catch {
    return now;
  }
}
