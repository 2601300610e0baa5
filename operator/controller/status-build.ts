// The desired status from the facts decide() established: phase, times, totals
// over every row, the bounded rows themselves (status-bound.ts) and conditions.
import { RecordingPhase as Phase } from '../api/recording.js';
import type { StopReason } from '../dispatch/agent-client.js';
import { toTime } from './conditions.js';
import { totals } from './node-rows.js';
import type { NodeRow, RecordingStatus } from './recording-view.js';
import { boundRows } from './status-bound.js';
import { artifactsFrom, exporting } from './export-status.js';
import { conditionsFor } from './status-extras.js';

export interface StatusFacts {
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

export function buildStatus(prev: RecordingStatus, f: StatusFacts, rows: NodeRow[], now: number): RecordingStatus {
  // Capture is over but uploads are not: the Recording is Exporting until every node's manifest is final.
  const phase = f.phase === Phase.Completed && exporting(rows) ? Phase.Exporting : f.phase;
  const status: RecordingStatus = { phase };
  if (f.observedGeneration !== undefined) status.observedGeneration = f.observedGeneration;
  status.conditions = conditionsFor(prev.conditions, f, rows, now);
  if (f.iteration !== undefined) status.iteration = f.iteration;
  else if (prev.iteration !== undefined) status.iteration = prev.iteration;
  if (f.nextStart !== undefined && f.phase !== Phase.Running) status.nextStartTime = toTime(f.nextStart);
  if (f.windowStart !== undefined) status.lastStartTime = toTime(f.windowStart);
  if (f.lastStop !== undefined) status.lastStopTime = toTime(f.lastStop);
  if (f.stopReason !== undefined) status.stopReason = f.stopReason as StopReason;
  status.totals = totals(rows);
  const bounded = boundRows(rows);
  if (f.targets !== undefined) {
    status.nodesReady = `${(bounded.counts.capturing ?? 0) + (bounded.counts.completed ?? 0)}/${f.targets}`;
    status.nodeCounts = bounded.counts;
  }
  status.nodes = bounded.rows;
  const { artifacts, truncated } = artifactsFrom(prev, status.iteration, rows);
  if (artifacts !== undefined) status.artifacts = artifacts;
  if (truncated) status.artifactsTruncated = true;
  return status;
}
