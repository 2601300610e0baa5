// When a changed status is written. Anything a user or a test waits on (phases,
// rows, conditions, times) is written at once; a change of counters alone
// (packets, bytes, file sizes) at most every COUNTER_REFRESH_MS, and every
// LARGE_COUNTER_REFRESH_MS once the status is large. Why: a running Recording
// changes counters on every 1 s refresh, so unthrottled it writes its whole status
// (the API server and etcd store the object, not a diff) once a second — 60
// writes a minute per Recording; 5 s keeps `kubectl get -w` lively at 12 a minute,
// and a 1 MiB status of a 5000-node Recording is written at most twice a minute.
// The Prometheus gauges carry live numbers in between.
import type { RecordingStatus } from './recording-view.js';
import { sameJson } from './same-json.js';

export const COUNTER_REFRESH_MS = 5_000;
export const LARGE_COUNTER_REFRESH_MS = 30_000;
export const LARGE_STATUS_BYTES = 64 * 1024;

/** The status without counters: what must be written at once when it changes. */
export function withoutCounters(status: RecordingStatus): unknown {
  const { totals: _totals, nodes, ...rest } = status;
  return {
    ...rest,
    nodes: (nodes ?? []).map((r) => {
      const {
        packetsCaptured: _p,
        bytesCaptured: _b,
        packetsLost: _pl,
        bytesLost: _bl,
        files,
        earlierSegments: _e,
        ...row
      } = r;
      return { ...row, files: (files ?? []).length };
    }),
  };
}

export interface WriteDecision {
  write: boolean;
  /** When a deferred counter update is due. */
  dueAt?: number;
}

export function statusWrite(
  prev: RecordingStatus,
  next: RecordingStatus,
  lastWriteAt: number | undefined,
  now: number,
): WriteDecision {
  if (sameJson(prev, next)) return { write: false };
  if (lastWriteAt === undefined || !sameJson(withoutCounters(prev), withoutCounters(next))) return { write: true };
  const size = Buffer.byteLength(JSON.stringify(next));
  const dueAt = lastWriteAt + (size > LARGE_STATUS_BYTES ? LARGE_COUNTER_REFRESH_MS : COUNTER_REFRESH_MS);
  return now >= dueAt ? { write: true } : { write: false, dueAt };
}
