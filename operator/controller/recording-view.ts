// The Recording types the controller works with: the generated API types
// (operator/api/, from crds/recording.yaml) under the names used here.
export type {
  CaptureTotals as Counters,
  Condition,
  NodeFile,
  NodeSelector as LabelSelector,
  NodeStatus as NodeRow,
  RecordingStatusNodeCounts as NodeCounts,
  RecordingStatusNodesGaps as NodeGap,
  Recording as RecordingView,
  RecordingSpec,
  RecordingStatus,
} from '../api/recording.js';

/** Put on every Recording so that its sessions are stopped before it goes away. */
export const FINALIZER = 'tapedeck.dev/stop-sessions';
