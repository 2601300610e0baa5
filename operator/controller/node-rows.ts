// Per-node rows of a Recording's status, merged from what the agents report now
// and what status remembered (an agent that died or forgot a finished session
// does not erase the counts already reported). Rows follow the CRD's NodeStatus
// shape; a finished row's stop reason is kept in its message ("Stopped: PacketLimit").
import path from 'node:path';
import { SessionState, StopReason } from '../dispatch/agent-client.js';
import type { SessionReport } from '../dispatch/agent-client.js';
import { NodePhase } from '../api/recording.js';
import type { Counters, NodeRow } from './recording-view.js';
import { rowExport } from './export-status.js';
import { storageFullMessage } from './storage-status.js';

// The row phases are the CRD's own enum (generated from crds/recording.yaml); node-lifecycle.ts moves rows between them.
export { NodePhase };

/** The CRD keeps at most this many files per node row: the newest ones. */
export const MAX_FILES_PER_ROW = 64;

/** What the controller learned from the agent of one node in this reconcile. */
export type AgentReport = { reachable: true; sessions: SessionReport[] } | { reachable: false; error: string };

export const zeroCounters: Readonly<Required<Counters>> = {
  packetsCaptured: 0,
  bytesCaptured: 0,
  packetsLost: 0,
  bytesLost: 0,
};

const stoppedPrefix = /^Stopped: ([A-Za-z]+)/;

/** The stop reason of a finished row, if it recorded one. */
export function rowStopReason(row: NodeRow): string | undefined {
  if (row.phase === NodePhase.Failed) return StopReason.Error;
  return stoppedPrefix.exec(row.message ?? '')?.[1];
}

export function stoppedMessage(reason: string, detail?: string): string {
  return detail === undefined || detail === '' ? `Stopped: ${reason}` : `Stopped: ${reason}: ${detail}`.slice(0, 1024);
}

const formats = new Set(['pcap', 'pcapng', 'json', 'dnstap', 'streams']);

export function rowFromSession(name: string, s: SessionReport): NodeRow {
  const phase =
    s.state === SessionState.Running
      ? NodePhase.Capturing
      : s.state === SessionState.Failed
        ? NodePhase.Failed
        : NodePhase.Completed;
  const row: NodeRow = {
    name,
    phase,
    packetsCaptured: s.packetsCaptured,
    bytesCaptured: s.bytesCaptured,
    packetsLost: s.packetsLost,
    bytesLost: s.bytesLost,
  };
  if (phase === NodePhase.Completed) row.message = stoppedMessage(s.stopReason ?? StopReason.Stopped, s.message);
  else if (phase === NodePhase.Capturing && s.storageFull === true) {
    row.message = storageFullMessage(s.packetsLostStorage ?? 0);
  } else if (s.message !== undefined && s.message !== '') row.message = s.message.slice(0, 1024);
  const files = s.files.filter((f) => formats.has(f.format)).slice(-MAX_FILES_PER_ROW);
  if (files.length > 0) {
    row.files = files.map((f) => ({
      name: path.basename(f.path),
      format: f.format as 'pcap',
      bytes: f.bytes,
      closed: f.closed,
      ...(f.exportedUrl !== undefined && { exported: true }),
    }));
  }
  const exported = rowExport(s);
  if (exported !== undefined) row.export = exported;
  return row;
}

export function totals(rows: NodeRow[]): Required<Counters> {
  const sum = { ...zeroCounters };
  for (const r of rows) {
    sum.packetsCaptured += r.packetsCaptured ?? 0;
    sum.bytesCaptured += r.bytesCaptured ?? 0;
    sum.packetsLost += r.packetsLost ?? 0;
    sum.bytesLost += r.bytesLost ?? 0;
  }
  return sum;
}

/** The Recording's stopReason from its node rows: the common reason, else `fallback`. */
export function commonStopReason(rows: NodeRow[], fallback: string): string {
  const counted = rows.filter((r) => r.phase !== NodePhase.Lost);
  const reasons = new Set(counted.map((r) => rowStopReason(r) ?? fallback));
  const [only] = reasons;
  return reasons.size === 1 && only !== undefined ? only : fallback;
}
