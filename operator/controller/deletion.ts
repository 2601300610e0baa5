// What a deleted Recording still needs before its finalizer goes: every agent
// that had a session confirms the stop. The finalizer is released at the first of
// - every agent that had a running session of it reported it stopped (or no longer knows it);
// - the node or its agent pod is gone (nothing left that could record);
// - the window end plus DELETION_GRACE_MS: agents stop at the window end by themselves (SessionSpec.window_end).
// With retention.onDelete.local Delete (the default) every agent that still holds local files of the
// Recording is asked to delete them (StopSession delete_local_files, also for stopped sessions) and is
// waited for the same way; an agent that cannot be reached keeps them until its expireAfter.
import { StopReason } from '../dispatch/agent-client.js';
import type { AgentReport } from './node-rows.js';
import { SessionState } from '../dispatch/agent-client.js';

/** After the window end, an unreachable agent has stopped by itself (dead-man switch); wait this much longer. */
export const DELETION_GRACE_MS = 60_000;

export interface StopAction {
  kind: 'stop';
  node: string;
  iteration: number;
  reason: string;
  deleteLocalFiles?: boolean;
}

export interface DeletionDecision {
  actions: StopAction[];
  /** Nodes whose agent has not confirmed the stop yet. */
  waitingOn: string[];
  release: boolean;
  /** When the finalizer goes regardless (window end + grace), if known. */
  releaseAt?: number;
}

export function decideDeletion(
  uid: string,
  concerned: Iterable<string>,
  reports: ReadonlyMap<string, AgentReport>,
  nodes: ReadonlySet<string> | undefined,
  windowEnd: number | undefined,
  now: number,
  graceMs = DELETION_GRACE_MS,
  deleteLocal = false,
): DeletionDecision {
  const actions: StopAction[] = [];
  const waitingOn = new Set<string>();
  for (const node of concerned) {
    if (nodes !== undefined && !nodes.has(node)) continue;
    const report = reports.get(node);
    if (report === undefined) continue; // no agent pod: nothing there can record
    if (!report.reachable) {
      waitingOn.add(node);
      continue;
    }
    for (const s of report.sessions) {
      if (s.recordingUid !== uid) continue;
      const running = s.state === SessionState.Running;
      if (!running && (!deleteLocal || s.expired === true)) continue;
      const action: StopAction = { kind: 'stop', node, iteration: s.iteration, reason: StopReason.Stopped };
      if (deleteLocal) action.deleteLocalFiles = true;
      actions.push(action);
      waitingOn.add(node);
    }
  }
  const releaseAt = windowEnd === undefined ? undefined : windowEnd + graceMs;
  const expired = releaseAt !== undefined && now >= releaseAt;
  const decision: DeletionDecision = {
    actions,
    waitingOn: [...waitingOn].sort(),
    release: waitingOn.size === 0 || expired,
  };
  if (releaseAt !== undefined) decision.releaseAt = releaseAt;
  return decision;
}
