// What the manager and the gRPC services see of a session: a running
// CaptureSession or a stopped one known from the state store.
import type { SessionSnapshot, SessionStats } from './session-snapshot.js';
import type { FilterUpdate, SessionSpec } from './session-spec.js';
import type { StopReason } from './stop-condition.js';

export interface ManagedSession {
  readonly id: string;
  readonly spec: SessionSpec;
  isActive(): boolean;
  stats(): SessionStats;
  snapshot(): SessionSnapshot;
  /** Stops (a stopped session returns its snapshot unchanged). */
  stop(reason: StopReason, message?: string): Promise<SessionSnapshot>;
  updateFilter(update: FilterUpdate): Promise<SessionSnapshot>;
  /** Resolves when the session has stopped. */
  done(): Promise<SessionSnapshot>;
}
