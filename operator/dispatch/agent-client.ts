// The port through which the controller drives node agents. The gRPC
// implementation lives in grpc-agent-client.ts; controller tests use an
// in-memory fake. Sessions are keyed by Recording uid + iteration, so a
// repeated start is idempotent and a restarted operator adopts what is running.

import { StopReason } from '../api/recording.js';
import type { SessionExportCredentials, SessionFilter, SessionSpec } from './agent-proto.js';

export type { SessionExportCredentials, SessionFilter, SessionSpec };

export const SessionState = {
  Running: 'Running',
  Stopped: 'Stopped',
  Failed: 'Failed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

// Stop reasons as the CRD's status reports them (generated from crds/recording.yaml).
export { StopReason };

export interface SessionKey {
  recordingUid: string;
  iteration: number;
}

export interface SessionReport extends SessionKey {
  state: SessionState;
  stopReason?: StopReason;
  message?: string;
  packetsCaptured: number;
  bytesCaptured: number;
  packetsLost: number;
  bytesLost: number;
  files: { path: string; format: string; bytes: number; closed: boolean; exportedUrl?: string; sha256?: string }[];
  /** The session's export, when it has a destination. */
  export?: SessionExportReport;
  /** The filter the session captures with now (absent when the agent does not say). */
  filter?: SessionFilter;
  /** Stopped because the agent shut down (it resumes the session when it comes back, if it can). */
  shutdown?: boolean;
  /** Times the agent itself was not capturing (it resumed the session after a restart), in ms. */
  gaps?: { from: number; to: number; reason: string }[];
  /** Running and not writing: the node's storage budget is full (absent = has room). */
  storageFull?: boolean;
  /** Packets not written for lack of storage room (part of packetsLost; absent = 0). */
  packetsLostStorage?: number;
  /** retention.expireAfter passed and the agent deleted the run's local data. */
  expired?: boolean;
}

export interface StopOptions {
  /** Also delete the session's local files (the Recording was deleted with retention.onDelete.local Delete). */
  deleteLocalFiles?: boolean;
}

export interface SessionExportReport {
  filesPending: number;
  filesExported: number;
  failedAttempts: number;
  /** TD_ERR_EXPORT_* of the last failure, "" after a success. */
  lastErrorCode: string;
  lastError: string;
  manifestUrl: string;
  manifestComplete: boolean;
  /** When the credentials the agent holds expire (ms); absent = none held or long-lived. */
  credentialsExpiry?: number;
  filesExpiredUnexported: number;
}

/** Fencing: the leader epoch every mutating call carries (the Lease's leaseTransitions + 1; 0 = not fenced). */
export type LeaderEpoch = number;

export interface AgentClient {
  /** Starts (or returns the already running) session for spec's key. */
  startSession(
    node: string,
    spec: SessionSpec,
    epoch: LeaderEpoch,
    credentials?: SessionExportCredentials,
  ): Promise<SessionReport>;
  /** Replaces the export credentials of a session (before they expire, or after the agent restarted). */
  refreshCredentials(
    node: string,
    key: SessionKey,
    credentials: SessionExportCredentials,
    epoch: LeaderEpoch,
  ): Promise<SessionReport>;
  /** Stops the session; resolves to its final report, or undefined if the agent does not know it. */
  stopSession(
    node: string,
    key: SessionKey,
    reason: StopReason,
    epoch: LeaderEpoch,
    options?: StopOptions,
  ): Promise<SessionReport | undefined>;
  /** Replaces a running session's filter (idempotent); resolves to the session's report. */
  updateSession(node: string, key: SessionKey, filter: SessionFilter, epoch: LeaderEpoch): Promise<SessionReport>;
  /** Every session the agent on `node` knows of, running or finished. */
  listSessions(node: string): Promise<SessionReport[]>;
}

export const DispatchErrorCode = {
  NoAgent: 'TD_ERR_DISPATCH_NO_AGENT',
  Unavailable: 'TD_ERR_DISPATCH_UNAVAILABLE',
  Rejected: 'TD_ERR_DISPATCH_REJECTED',
  /** The agent has seen a newer leader epoch: this replica is not the leader any more. */
  Fenced: 'TD_ERR_DISPATCH_FENCED',
} as const;
export type DispatchErrorCode = (typeof DispatchErrorCode)[keyof typeof DispatchErrorCode];

export class DispatchError extends Error {
  constructor(
    readonly code: DispatchErrorCode,
    readonly node: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DispatchError';
  }
}
