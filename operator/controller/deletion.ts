// What a deleted Recording still needs before its finalizer goes: every agent
// that had a session confirms the stop. The finalizer is released at the first of
// - every agent that had a running session of it reported it stopped (or no longer knows it);
// - the node or its agent pod is gone (nothing left that could record);
// - the window end plus DELETION_GRACE_MS: agents stop at the window end by themselves (SessionSpec.window_end).
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
      if (s.recordingUid !== uid || s.state !== SessionState.Running) continue;
      actions.push({ kind: 'stop', node, iteration: s.iteration, reason: StopReason.Stopped });
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
