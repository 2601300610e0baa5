// A node whose storage budget is full, as status shows it: the row's message says so while the
// agent counts what it cannot write as lost ("Storage full: …", the same habit as "Stopped: …"),
// a StorageFull condition names the nodes, and a Warning Event marks each node that became full.
// The condition appears with the first full node and stays (False) once it has room again.
import { condition, ConditionType } from './conditions.js';
import type { RecordingEvent } from './status-extras.js';
import { NodePhase } from '../api/recording.js';
import type { Condition, NodeRow } from './recording-view.js';
import { summarize } from './status-bound.js';

const PREFIX = 'Storage full: ';

export function storageFullMessage(packetsLost: number): string {
  return `${PREFIX}not writing; ${packetsLost} packets lost for lack of room so far`;
}

export function isStorageFull(row: NodeRow): boolean {
  return row.phase === NodePhase.Capturing && (row.message ?? '').startsWith(PREFIX);
}

/** The StorageFull condition, or undefined while no node was ever full (and none is). */
export function storageCondition(
  previous: Condition[] | undefined,
  rows: readonly NodeRow[],
  now: number,
  gen: { observedGeneration?: number },
): Condition | undefined {
  const full = rows.filter(isStorageFull).map((r) => r.name);
  const had = previous?.some((c) => c.type === ConditionType.StorageFull) ?? false;
  if (full.length === 0 && !had) return undefined;
  const desired =
    full.length > 0
      ? {
          status: 'True' as const,
          reason: 'NodesStorageFull',
          message: summarize('out of storage (not writing)', full),
        }
      : { status: 'False' as const, reason: 'HasRoom', message: 'Every node has storage room' };
  return condition(previous, { type: ConditionType.StorageFull, ...desired, ...gen }, now);
}

/** A Warning per node that became full since the previous status. */
export function storageEvents(prevRows: readonly NodeRow[], rows: readonly NodeRow[]): RecordingEvent[] {
  const before = new Map(prevRows.map((r) => [r.name, r]));
  return rows
    .filter((r) => isStorageFull(r) && !(before.get(r.name) !== undefined && isStorageFull(before.get(r.name)!)))
    .map((r) => ({
      type: 'Warning' as const,
      reason: 'StorageFull',
      message: `Node ${r.name}: the agent's storage budget is full, packets are counted as lost (${r.message ?? ''})`,
    }));
}
