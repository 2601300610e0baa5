// Conditions and Events derived from a desired status (and the previous one).
import { ConditionType, condition } from './conditions.js';
import { isProvisional } from './node-gaps.js';
import { NodePhase } from './node-rows.js';
import type { Condition, NodeRow, RecordingStatus } from './recording-view.js';
import { summarize } from './status-bound.js';
import { exportedCondition } from './export-status.js';
import type { StatusFacts } from './status-build.js';
import { storageCondition, storageEvents } from './storage-status.js';

export interface RecordingEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const finalPhases: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Expired']);

export function conditionsFor(
  previous: Condition[] | undefined,
  f: StatusFacts,
  rows: NodeRow[],
  now: number,
): Condition[] {
  const gen = f.observedGeneration === undefined ? {} : { observedGeneration: f.observedGeneration };
  const capturing = rows.filter((r) => r.phase === NodePhase.Capturing).length;
  const failed = rows.filter((r) => r.phase === NodePhase.Failed);
  const unreachable = rows.filter((r) => r.phase === NodePhase.Unreachable);
  const scheduled =
    f.invalid !== undefined
      ? { status: 'False' as const, reason: 'InvalidSpec', message: f.invalid }
      : finalPhases.has(f.phase)
        ? { status: 'True' as const, reason: 'Finished', message: 'Every iteration has run' }
        : f.nextStart !== undefined && f.phase !== 'Running'
          ? { status: 'True' as const, reason: 'Waiting', message: `Next iteration starts at ${iso(f.nextStart)}` }
          : { status: 'True' as const, reason: 'InWindow', message: `Iteration ${f.iteration ?? 0} is in its window` };
  const capturingCond =
    capturing > 0
      ? {
          status: 'True' as const,
          reason: 'SessionsRunning',
          message: `${capturing} of ${rows.length} nodes capturing`,
        }
      : { status: 'False' as const, reason: 'NoSessions', message: 'No capture session is running' };
  let ready: Omit<Condition, 'type' | 'lastTransitionTime'>;
  if (f.invalid !== undefined) ready = { status: 'False', reason: 'InvalidSpec', message: f.invalid };
  else if (failed.length > 0) {
    const first = failed[0]?.message ?? 'failed';
    const message = `${summarize(
      'failed',
      failed.map((r) => r.name),
    )} (${failed[0]?.name ?? ''}: ${first})`;
    ready = { status: 'False', reason: 'NodesFailed', message: message.slice(0, 4096) };
  } else if (unreachable.length > 0 && f.phase === 'Running') {
    const message = summarize(
      'not recording (agent unreachable, retrying)',
      unreachable.map((r) => r.name),
    );
    ready = { status: 'False', reason: 'NodesUnreachable', message };
  } else if (f.phase === 'Pending' && f.targets === 0) {
    ready = { status: 'False', reason: 'NoTargetNodes', message: 'No node matches spec.target' };
  } else ready = { status: 'True', reason: 'Reconciled', message: `Recording is ${f.phase}` };
  const storage = storageCondition(previous, rows, now, gen);
  return [
    condition(previous, { type: ConditionType.Scheduled, ...scheduled, ...gen }, now),
    condition(previous, { type: ConditionType.Capturing, ...capturingCond, ...gen }, now),
    condition(
      previous,
      {
        type: ConditionType.Exported,
        ...(exportedCondition(rows) ?? {
          status: 'Unknown' as const,
          reason: 'NoDestination',
          message: 'The Recording exports nowhere (no spec.export and no default destination)',
        }),
        ...gen,
      },
      now,
    ),
    condition(previous, { type: ConditionType.Ready, ...ready, ...gen }, now),
    ...(storage === undefined ? [] : [storage]),
  ];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Events for the transitions between `prev` and `next`. */
export function eventsFor(prev: RecordingStatus, next: RecordingStatus): RecordingEvent[] {
  const events: RecordingEvent[] = [];
  const capturing = (s: RecordingStatus): number => s.nodes?.filter((r) => r.phase === NodePhase.Capturing).length ?? 0;
  const newIteration = prev.iteration !== next.iteration;
  if (capturing(next) > 0 && (capturing(prev) === 0 || newIteration)) {
    events.push({
      type: 'Normal',
      reason: 'Started',
      message: `Started capture on ${capturing(next)} node(s), iteration ${next.iteration ?? 0}`,
    });
  }
  if (prev.phase === 'Running' && next.phase !== 'Running') {
    const t = next.totals;
    events.push({
      type: 'Normal',
      reason: 'Stopped',
      message: `Stopped capture (${next.stopReason ?? 'Stopped'}): ${t?.packetsCaptured ?? 0} packets, ${t?.bytesCaptured ?? 0} bytes captured, ${t?.packetsLost ?? 0} lost`,
    });
  }
  if (next.phase !== prev.phase && (next.phase === 'Completed' || next.phase === 'Expired')) {
    events.push({ type: 'Normal', reason: next.phase, message: `Recording ${next.phase.toLowerCase()}` });
  }
  if (next.phase === 'Failed' && prev.phase !== 'Failed') {
    const ready = next.conditions?.find((c) => c.type === ConditionType.Ready);
    events.push({ type: 'Warning', reason: 'Failed', message: `Recording failed: ${ready?.message ?? 'unknown'}` });
  }
  events.push(...exportEvents(prev, next));
  const spec = specEvent(prev, next);
  if (spec !== undefined) events.push(spec);
  events.push(...nodeEvents(newIteration ? [] : (prev.nodes ?? []), next.nodes ?? []));
  events.push(...storageEvents(newIteration ? [] : (prev.nodes ?? []), next.nodes ?? []));
  return events;
}

/** A Warning when export starts failing (not once per retry), a Normal Event when all of it is done. */
function exportEvents(prev: RecordingStatus, next: RecordingStatus): RecordingEvent[] {
  const reasonOf = (s: RecordingStatus): string | undefined =>
    s.conditions?.find((c) => c.type === ConditionType.Exported)?.reason;
  const before = reasonOf(prev);
  const after = reasonOf(next);
  if (after === before) return [];
  const message = next.conditions?.find((c) => c.type === ConditionType.Exported)?.message ?? '';
  if (after === 'ExportFailing') return [{ type: 'Warning', reason: 'ExportFailed', message }];
  if (after === 'Exported') return [{ type: 'Normal', reason: 'Exported', message }];
  return [];
}

/**
 * A new spec generation, and what became of it. While an iteration runs the CRD refuses changes to what
 * sessions were started with, so an accepted change there is one decide() applies at once.
 */
function specEvent(prev: RecordingStatus, next: RecordingStatus): RecordingEvent | undefined {
  const g = next.observedGeneration;
  if (g === undefined || prev.observedGeneration === undefined || g <= prev.observedGeneration) return undefined;
  let message: string;
  if (next.phase === 'Running') {
    message = `Spec generation ${g} applied to the running sessions of iteration ${next.iteration ?? 0} (filter, target selectors, dailyIterations)`;
  } else if (next.phase === 'Scheduled' || next.phase === 'Pending') {
    const at = next.nextStartTime === undefined ? '' : `, at ${next.nextStartTime}`;
    message = `Spec generation ${g} applies from the next sessions started${at}`;
  } else message = `Spec generation ${g} observed; no iteration is left to apply it to`;
  return { type: 'Normal', reason: 'SpecUpdated', message };
}

/** Node rows' transitions worth an Event; one summary Event when many nodes changed at once. */
export const MAX_NODE_EVENTS = 10;

function nodeEvents(prevRows: NodeRow[], rows: NodeRow[]): RecordingEvent[] {
  const before = new Map(prevRows.map((r) => [r.name, r]));
  const failed: NodeRow[] = [];
  const opened: NodeRow[] = [];
  const closed: NodeRow[] = [];
  /** The agent answers again with its session and reports no gap: it recorded while unreachable. */
  const reachable: NodeRow[] = [];
  for (const row of rows) {
    const old = before.get(row.name);
    if (row.phase === NodePhase.Failed && old?.phase !== NodePhase.Failed) failed.push(row);
    // Gaps are identified by their start: a new one was opened, a newly closed one ended (both can happen at once).
    const oldGaps = new Map((old?.gaps ?? []).map((g) => [g.from, g]));
    const gaps = row.gaps ?? [];
    if (old !== undefined && gaps.some((g) => !oldGaps.has(g.from))) opened.push(row);
    if (old !== undefined && gaps.some((g) => g.to !== undefined && oldGaps.get(g.from)?.to === undefined)) {
      closed.push(row);
    } else if (
      (old?.gaps ?? []).some((g) => g.to === undefined && isProvisional(g) && !gaps.some((x) => x.from === g.from))
    ) {
      reachable.push(row);
    }
  }
  const out: RecordingEvent[] = [];
  const emit = (
    list: NodeRow[],
    type: RecordingEvent['type'],
    reason: string,
    one: (r: NodeRow) => string,
    what: string,
  ) => {
    if (list.length === 0) return;
    if (list.length <= MAX_NODE_EVENTS) for (const r of list) out.push({ type, reason, message: one(r) });
    else
      out.push({
        type,
        reason,
        message: summarize(
          what,
          list.map((r) => r.name),
        ),
      });
  };
  emit(failed, 'Warning', 'NodeFailed', (r) => `Node ${r.name} failed: ${r.message ?? ''}`, 'failed');
  emit(
    opened,
    'Warning',
    'NodeNotRecording',
    (r) => {
      const gap = r.gaps?.at(-1);
      if (gap !== undefined && isProvisional(gap)) return `Node ${r.name} may not be recording: ${gap.reason}`;
      const next = r.phase === NodePhase.Pending ? `; starting segment ${r.segment ?? 2}` : '';
      return `Node ${r.name} stopped recording: ${gap?.reason ?? ''}${next}`;
    },
    'stopped recording',
  );
  emit(
    reachable,
    'Normal',
    'NodeRecordingAgain',
    (r) => `Node ${r.name} answers again; its agent reports it kept recording (segment ${r.segment ?? 1})`,
    'answer again',
  );
  emit(
    closed,
    'Normal',
    'NodeRecordingAgain',
    (r) => {
      const g = r.gaps?.filter((x) => x.to !== undefined).at(-1);
      return `Node ${r.name} records again (segment ${r.segment ?? 1}); not recording from ${g?.from ?? '?'} to ${g?.to ?? '?'}`;
    },
    'record again',
  );
  return out;
}
