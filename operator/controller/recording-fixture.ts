// Test helper: a Recording as the API server returns it (CRD defaults applied),
// from the few fields a test cares about.
import type { Schedule, Target } from '../api/recording.js';
import { FINALIZER } from './recording-view.js';
import type { RecordingSpec, RecordingStatus, RecordingView } from './recording-view.js';

export interface FixtureSpec extends Partial<Omit<RecordingSpec, 'schedule' | 'target'>> {
  schedule?: Partial<Schedule>;
  target?: Partial<Target>;
}

export function specWith(spec: FixtureSpec = {}): RecordingSpec {
  return {
    maxCaptureLength: 0,
    output: { formats: ['pcap'], rotation: { maxFileBytes: 0, maxFileAge: '0s' }, onStorageFull: 'Continue' },
    retention: { expireAfter: '72h', onDelete: { local: 'Delete', exported: 'Retain' } },
    ...spec,
    target: { interfaces: [], ...spec.target },
    schedule: { dailyIterations: 1, duration: '60m', ...spec.schedule },
  };
}

export function recordingFixture(
  spec: FixtureSpec = {},
  status?: RecordingStatus,
  metadata: Partial<RecordingView['metadata']> = {},
): RecordingView {
  const r: RecordingView = {
    apiVersion: 'tapedeck.dev/v1alpha1',
    kind: 'Recording',
    metadata: {
      name: 'r',
      namespace: 'ns',
      uid: 'uid-1',
      generation: 1,
      creationTimestamp: new Date('2026-03-10T10:00:00Z'),
      finalizers: [FINALIZER],
      ...metadata,
    },
    spec: specWith(spec),
  };
  if (status !== undefined) r.status = status;
  return r;
}
