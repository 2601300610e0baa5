// The times a node was not recording, kept in its row as `gaps` (the newest MAX_GAPS_PER_ROW).
// Two sources: the agent's own account (Session.gaps, after it resumed a session) and the
// operator's observation. An agent the operator cannot reach may still be recording, so the
// operator's gap for that time is provisional: the agent's account replaces it when the agent
// answers again with the session; it is kept (closed at the window end) when the agent never does,
// and becomes the gap of a lost session when the agent comes back without it.
import type { SessionReport } from '../dispatch/agent-client.js';
import { toTime } from './conditions.js';
import type { NodeGap } from './recording-view.js';

/** Gaps kept per row (the newest). */
export const MAX_GAPS_PER_ROW = 8;
/** The CRD's bound on a gap's reason. */
const MAX_REASON = 256;

/** Reason prefix of the operator's provisional gaps (the agent could not be asked). */
export const UNREACHABLE_GAP = 'agent unreachable';
export const LOST_SESSION_GAP = 'session lost: the agent no longer reports it';

export function isProvisional(gap: NodeGap): boolean {
  return gap.reason.startsWith(UNREACHABLE_GAP);
}

function bounded(gaps: NodeGap[]): NodeGap[] | undefined {
  const kept = gaps.sort((a, b) => a.from.localeCompare(b.from)).slice(-MAX_GAPS_PER_ROW);
  return kept.length === 0 ? undefined : kept;
}

/** Opens the provisional gap of an agent that stopped answering (none when one is open already). */
export function openUnreachableGap(gaps: NodeGap[] | undefined, error: string, now: number): NodeGap[] | undefined {
  if ((gaps ?? []).some((g) => g.to === undefined)) return gaps;
  const reason = `${UNREACHABLE_GAP}: ${error}`.slice(0, MAX_REASON);
  return bounded([...(gaps ?? []), { from: toTime(now), reason }]);
}

/** The session is gone from the agent: the open provisional gap (if any) becomes the lost session's gap. */
export function openLostSessionGap(gaps: NodeGap[] | undefined, since: string): NodeGap[] | undefined {
  const open = (gaps ?? []).find((g) => g.to === undefined && isProvisional(g));
  const rest = (gaps ?? []).filter((g) => g !== open);
  return bounded([...rest, { from: open?.from ?? since, reason: LOST_SESSION_GAP }]);
}

/**
 * The agent reports the session again: its own gaps replace the operator's provisional ones, and a gap
 * the operator opened for a lost session closes at `closeAt` when the new segment captures.
 */
export function gapsWithSession(
  prev: NodeGap[] | undefined,
  reported: SessionReport['gaps'],
  closeAt: number | undefined,
): NodeGap[] | undefined {
  const byFrom = new Map<string, NodeGap>();
  for (const g of prev ?? []) if (!isProvisional(g)) byFrom.set(g.from, g);
  for (const g of reported ?? []) {
    byFrom.set(toTime(g.from), { from: toTime(g.from), to: toTime(g.to), reason: g.reason.slice(0, MAX_REASON) });
  }
  const gaps = [...byFrom.values()];
  const closed =
    closeAt === undefined ? gaps : gaps.map((g) => (g.to === undefined ? { ...g, to: toTime(closeAt) } : g));
  return bounded(closed);
}

/** The window ended: every open gap ends with it. */
export function closeGapsAt(gaps: NodeGap[] | undefined, at: number): NodeGap[] | undefined {
  if (gaps === undefined) return undefined;
  return gaps.map((g) => (g.to === undefined ? { ...g, to: toTime(at) } : g));
}

/**
 * Closed gaps counted once each per Recording (tapedeck_operator_node_gaps_total): a closed gap stays in
 * every status written after it, so each write must count only the ones it closed.
 */
export class ClosedGapTally {
  private readonly seen = new Map<string, Set<string>>();

  /** How many closed gaps of `rows` were not counted for `uid` before. */
  newlyClosed(uid: string, rows: readonly { name: string; gaps?: NodeGap[] | undefined }[]): number {
    const keys = new Set(
      rows.flatMap((r) => (r.gaps ?? []).filter((g) => g.to !== undefined).map((g) => `${r.name}/${g.from}`)),
    );
    const before = this.seen.get(uid);
    this.seen.set(uid, keys);
    return [...keys].filter((k) => before?.has(k) !== true).length;
  }

  forget(uid: string): void {
    this.seen.delete(uid);
  }
}
