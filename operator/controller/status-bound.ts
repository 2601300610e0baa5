// Keeps a Recording's status within what the API server accepts (etcd's 1.5 MiB
// request limit, the API server's ~2 MiB body limit) for any cluster size:
// serialized node rows stay within ROW_BUDGET_BYTES and at most MAX_LISTED_ROWS,
// so the whole status stays below MAX_STATUS_BYTES (1 MiB) and the object with its
// managedFields (which name every listed row once more) below etcd's limit.
// Above FOLD_ROW_THRESHOLD rows (or FOLD_BYTES),
// healthy rows fold into status.nodeCounts; unhealthy rows stay listed, trimmed
// step by step (fewer files, shorter messages) and, as a last resort, the least
// severe of them are left out too (counted in nodeCounts.folded).
import { NodePhase } from './node-rows.js';
import type { NodeCounts, NodeRow } from './recording-view.js';

export const MAX_STATUS_BYTES = 1024 * 1024;
/** Node rows are bounded to this; conditions (messages summarised), totals and times take the rest. */
export const ROW_BUDGET_BYTES = 640 * 1024;
/** managedFields repeat every listed row's key and fields (~2 names + 300 bytes): 1000 rows ≈ 0.8 MiB more. */
export const MAX_LISTED_ROWS = 1000;
/** Above this many rows, or FOLD_BYTES of rows, healthy rows are folded into counts. */
export const FOLD_ROW_THRESHOLD = 200;
export const FOLD_BYTES = 256 * 1024;
/** Names listed in a summary message ("12 nodes failed: a, b, c and 9 more"). */
export const SUMMARY_NAMES = 3;

const severity: Record<string, number> = {
  [NodePhase.Failed]: 0,
  [NodePhase.Lost]: 1,
  [NodePhase.Unreachable]: 2,
  [NodePhase.Pending]: 3,
};

/** Capturing or completed on its first segment without gaps: nothing a user needs to read about. */
export function isHealthy(row: NodeRow): boolean {
  const ok = row.phase === NodePhase.Capturing || row.phase === NodePhase.Completed;
  return ok && (row.gaps?.length ?? 0) === 0 && (row.segment ?? 1) === 1;
}

export function countRows(rows: readonly NodeRow[]): NodeCounts {
  const counts = { targeted: rows.length, pending: 0, capturing: 0, unreachable: 0, completed: 0, failed: 0, lost: 0 };
  for (const r of rows) {
    if (r.phase === NodePhase.Pending) counts.pending++;
    else if (r.phase === NodePhase.Capturing) counts.capturing++;
    else if (r.phase === NodePhase.Unreachable) counts.unreachable++;
    else if (r.phase === NodePhase.Completed) counts.completed++;
    else if (r.phase === NodePhase.Failed) counts.failed++;
    else if (r.phase === NodePhase.Lost) counts.lost++;
  }
  return counts;
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

type Trim = (row: NodeRow) => NodeRow;
const trims: Trim[] = [
  (r) => (r.files === undefined ? r : { ...r, files: r.files.slice(-4) }),
  (r) => {
    const { files: _files, ...rest } = r;
    return rest;
  },
  (r) => ({
    ...r,
    ...(r.message === undefined ? {} : { message: r.message.slice(0, 160) }),
    ...(r.gaps === undefined ? {} : { gaps: r.gaps.slice(-2) }),
  }),
];

export interface BoundedRows {
  rows: NodeRow[];
  counts: NodeCounts;
}

/** The rows to put in status (sorted by name) and the counts over all of them. */
export function boundRows(all: readonly NodeRow[]): BoundedRows {
  const counts = countRows(all);
  if (all.length <= FOLD_ROW_THRESHOLD && bytes(all) <= FOLD_BYTES) return { rows: [...all], counts };
  let rows = all.filter((r) => !isHealthy(r));
  for (const trim of trims) {
    if (bytes(rows) <= ROW_BUDGET_BYTES) break;
    rows = rows.map(trim);
  }
  if (bytes(rows) > ROW_BUDGET_BYTES || rows.length > MAX_LISTED_ROWS) {
    const bySeverity = [...rows].sort(
      (a, b) => (severity[a.phase ?? ''] ?? 9) - (severity[b.phase ?? ''] ?? 9) || a.name.localeCompare(b.name),
    );
    const kept: NodeRow[] = [];
    let used = 2;
    for (const r of bySeverity) {
      const size = bytes(r) + 1;
      if (used + size > ROW_BUDGET_BYTES || kept.length >= MAX_LISTED_ROWS) break;
      kept.push(r);
      used += size;
    }
    rows = kept.sort((a, b) => a.name.localeCompare(b.name));
  }
  return { rows, counts: { ...counts, folded: all.length - rows.length } };
}

/** "12 nodes failed: a, b, c and 9 more" (singular for one node). */
export function summarize(what: string, names: readonly string[]): string {
  const shown = names.slice(0, SUMMARY_NAMES).join(', ');
  const more = names.length > SUMMARY_NAMES ? ` and ${names.length - SUMMARY_NAMES} more` : '';
  return `${names.length} ${names.length === 1 ? 'node' : 'nodes'} ${what}: ${shown}${more}`;
}
