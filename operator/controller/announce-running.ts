// Before the first session of an iteration starts, status says Running. From then on the CRD refuses
// edits of what sessions start with (its root CEL rules read the stored status), and this write,
// conditional on the resourceVersion the spec was read at, fails when an edit landed meanwhile: the
// reconcile then starts over with the new spec. So no iteration starts sessions from two specs.
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../ops/metrics.js';
import type { Action } from './decide.js';
import { isConflict } from './recording-store.js';
import type { RecordingStore } from './recording-store.js';
import type { RecordingStatus, RecordingView } from './recording-view.js';

/** The Recording as written (or unchanged when nothing starts or it says Running already), or 'conflict'. */
export async function announceRunning(
  deps: { store: RecordingStore; metrics: OperatorMetrics },
  recording: RecordingView,
  status: RecordingStatus,
  actions: readonly Action[],
  log: Logger,
): Promise<RecordingView | 'conflict'> {
  const starts = actions.some((a) => a.kind === 'start');
  if (!starts || recording.status?.phase === 'Running' || status.phase !== 'Running') return recording;
  if (recording.metadata.deletionTimestamp !== undefined) return recording;
  try {
    const written = await deps.store.patchStatus(recording, status);
    deps.metrics.statusPatches.inc();
    deps.metrics.statusPatchBytes.inc(Buffer.byteLength(JSON.stringify(status)));
    return written;
  } catch (error) {
    if (!isConflict(error)) throw error;
    deps.metrics.errors.inc({ kind: 'conflict' });
    log.debug('Recording changed before its sessions started, reconciling again');
    return 'conflict';
  }
}
