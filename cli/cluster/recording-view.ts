// The parts of a Recording (tapedeck.dev/v1alpha1, crds/recording.yaml) the CLI reads. Declared here
// rather than imported from operator/api: the CLI never builds on the operator's wiring, and it reads
// what any version of the operator wrote, so every field is optional.

export const RECORDING_GROUP = 'tapedeck.dev';
export const RECORDING_VERSION = 'v1alpha1';
export const RECORDING_PLURAL = 'recordings';

export interface S3Destination {
  bucket: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
}

export interface GcsDestination {
  bucket: string;
  prefix?: string;
  endpoint?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Counts {
  packetsCaptured?: number;
  bytesCaptured?: number;
  packetsLost?: number;
  bytesLost?: number;
}

export interface Gap {
  from: string;
  to?: string;
  reason: string;
}

export interface NodeFileRow {
  name: string;
  format: string;
  bytes?: number;
  closed?: boolean;
  exported?: boolean;
}

export interface NodeRow extends Counts {
  name: string;
  phase?: string;
  message?: string;
  since?: string;
  segment?: number;
  gaps?: Gap[];
  files?: NodeFileRow[];
}

export interface Artifact {
  node: string;
  iteration?: number;
  format?: string;
  url: string;
  bytes?: number;
  sha256?: string;
}

export interface RecordingView {
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
  };
  spec?: {
    export?: { s3?: S3Destination; gcs?: GcsDestination };
    schedule?: { duration?: string };
  };
  status?: {
    phase?: string;
    conditions?: Condition[];
    iteration?: number;
    nodesReady?: string;
    nextStartTime?: string;
    lastStartTime?: string;
    lastStopTime?: string;
    stopReason?: string;
    totals?: Counts;
    nodeCounts?: Record<string, number>;
    nodes?: NodeRow[];
    artifacts?: Artifact[];
  };
}
