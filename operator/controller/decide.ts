// The pure heart of the controller: from a Recording, the nodes it targets, what
// the agents report and the time, compute the sessions to start/stop, the desired
// status, the Events to record and when to look again. No I/O here.
import { RecordingPhase as Phase } from '../api/recording.js';
import { SessionState, StopReason } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import { buildSessionFilter, sameFilter } from '../dispatch/session-spec.js';
import { parseDuration } from '../schedule/duration.js';
import { ScheduleError, WindowState, nextTransition, parseSchedule, scheduleAt } from '../schedule/schedule.js';
import type { ScheduleState } from '../schedule/schedule.js';
import { toTime } from './conditions.js';
import {
  NodePhase,
  commonStopReason,
  failedRow,
  isFinal,
  rowFromSession,
  stoppedMessage,
  totals,
  zeroCounters,
} from './node-rows.js';
import type { AgentReport } from './node-rows.js';
import { FINALIZER } from './recording-view.js';
import type { NodeRow, RecordingStatus, RecordingView } from './recording-view.js';
import { conditionsFor, eventsFor } from './status-extras.js';
import type { RecordingEvent } from './status-extras.js';

/** While sessions run, status is refreshed from the agents at least this often. */
export const STATUS_REFRESH_MS = 1_000;
export const DEFAULT_EXPIRE_AFTER = '72h';

// The phases are the CRD's own enum (generated from crds/recording.yaml).
export { Phase };

export interface Target {
  node: string;
  podIPs: string[];
}

export type Action =
  | { kind: 'start'; node: string; iteration: number; podIPs: string[]; deadline: number }
  | { kind: 'stop'; node: string; iteration: number; reason: string }
  /** A running session whose filter is not the desired one (pods came or went): replace it. */
  | { kind: 'update'; node: string; iteration: number; podIPs: string[] };

export interface DecideInput {
  recording: RecordingView;
  targets: Target[];
  /** Keyed by node name; a node without an entry has no known agent. */
  reports: ReadonlyMap<string, AgentReport>;
  now: number;
}

export interface Decision {
  actions: Action[];
  status: RecordingStatus;
  events: RecordingEvent[];
  finalizer: 'add' | 'remove' | 'keep';
  requeueAfterMs?: number;
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
  const sessions = sessionsOf(recording.metadata.uid ?? '', reports);
  const running = [...sessions].flatMap(([node, list]) =>
    list.filter((s) => s.state === SessionState.Running).map((s) => ({ node, s })),
  );
  const hasFinalizer = recording.metadata.finalizers?.includes(FINALIZER) ?? false;

  if (recording.metadata.deletionTimestamp !== undefined) {
    const actions: Action[] = running.map(({ node, s }) => ({
      kind: 'stop',
      node,
      iteration: s.iteration,
      reason: StopReason.Stopped,
    }));
    return {
      actions,
      status: prev,
      events: [],
      finalizer: hasFinalizer && actions.length === 0 ? 'remove' : 'keep',
    };
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
    if (!active || s.iteration !== k) {
      actions.push({ kind: 'stop', node, iteration: s.iteration, reason: StopReason.Duration });
    } else if (!targeted.has(node)) {
      actions.push({ kind: 'stop', node, iteration: s.iteration, reason: StopReason.Stopped });
    } else if (s.filter !== undefined) {
      const podIPs = targeted.get(node)?.podIPs ?? [];
      if (!sameFilter(s.filter, buildSessionFilter(recording, podIPs))) {
        actions.push({ kind: 'update', node, iteration: s.iteration, podIPs });
      }
    }
  }

  const prevRows = new Map((prev.iteration === k ? (prev.nodes ?? []) : []).map((r) => [r.name, r]));
  const rows = new Map<string, NodeRow>();
  for (const t of targets) {
    if (k === 0) break;
    const report = reports.get(t.node);
    const before = prevRows.get(t.node);
    const session = sessions.get(t.node)?.find((s) => s.iteration === k);
    if (session !== undefined) {
      const row = rowFromSession(t.node, session);
      if (!active && row.phase === NodePhase.Capturing) {
        row.phase = NodePhase.Completed;
        row.message = stoppedMessage(StopReason.Duration);
      }
      rows.set(t.node, row);
    } else if (isFinal(before) && before !== undefined) {
      rows.set(t.node, before);
    } else if (report === undefined || !report.reachable) {
      if (active || before !== undefined) {
        const why = report === undefined ? 'no tapedeck agent found on the node' : `agent unreachable: ${report.error}`;
        rows.set(t.node, failedRow(t.node, before, why));
      }
    } else if (before?.phase === NodePhase.Capturing) {
      rows.set(t.node, failedRow(t.node, before, 'session lost: the agent no longer reports it'));
    } else if (active && sched.windowEnd !== undefined) {
      actions.push({ kind: 'start', node: t.node, iteration: k, podIPs: t.podIPs, deadline: sched.windowEnd });
      rows.set(t.node, { name: t.node, phase: NodePhase.Pending, ...zeroCounters });
    }
  }
  for (const [name, before] of prevRows) {
    if (rows.has(name)) continue;
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

  const allFinal = targets.length > 0 && targets.every((t) => isFinal(rows.get(t.node)));
  const over = sched.state === WindowState.Between || sched.state === WindowState.Finished || (active && allFinal);
  const last = sched.nextStart === undefined;
  let phase: Phase;
  if (k === 0) phase = Phase.Scheduled;
  else if (!over) phase = targets.length === 0 ? Phase.Pending : Phase.Running;
  else if (!last) phase = Phase.Scheduled;
  else
    phase = rowList.length > 0 && rowList.every((r) => r.phase === NodePhase.Failed) ? Phase.Failed : Phase.Completed;

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
      targets: targets.length,
      observedGeneration: recording.metadata.generation,
    },
    rowList,
    now,
  );
  const waits = [next === undefined ? undefined : next - now, phase === Phase.Running ? STATUS_REFRESH_MS : undefined];
  const positive = waits.filter((w): w is number => w !== undefined && w > 0);
  const decision: Decision = { actions, status, events: eventsFor(prev, status), finalizer };
  if (positive.length > 0) decision.requeueAfterMs = Math.min(...positive);
  return decision;
}

interface StatusFacts {
  phase: Phase;
  iteration?: number;
  windowStart?: number | undefined;
  lastStop?: number | undefined;
  nextStart?: number | undefined;
  stopReason?: string | undefined;
  invalid?: string;
  rows?: NodeRow[];
  targets?: number;
  observedGeneration?: number | undefined;
}

function buildStatus(prev: RecordingStatus, f: StatusFacts, rows: NodeRow[], now: number): RecordingStatus {
  const status: RecordingStatus = { phase: f.phase };
  if (f.observedGeneration !== undefined) status.observedGeneration = f.observedGeneration;
  status.conditions = conditionsFor(prev.conditions, f, rows, now);
  if (f.iteration !== undefined) status.iteration = f.iteration;
  else if (prev.iteration !== undefined) status.iteration = prev.iteration;
  if (f.nextStart !== undefined && f.phase !== Phase.Running) status.nextStartTime = toTime(f.nextStart);
  if (f.windowStart !== undefined) status.lastStartTime = toTime(f.windowStart);
  if (f.lastStop !== undefined) status.lastStopTime = toTime(f.lastStop);
  if (f.stopReason !== undefined) status.stopReason = f.stopReason as StopReason;
  status.totals = totals(rows);
  if (f.targets !== undefined) {
    const ready = rows.filter((r) => r.phase === NodePhase.Capturing || r.phase === NodePhase.Completed).length;
    status.nodesReady = `${ready}/${f.targets}`;
  }
  status.nodes = rows;
  if (prev.artifacts !== undefined) status.artifacts = prev.artifacts;
  return status;
}

export type { StatusFacts };
