// Typed errors of sessions and their manager. The gRPC layer maps codes to
// status codes (agent/server/status.ts).

export const SessionErrorCode = {
  /** More sessions than maxConcurrentSessions. */
  TooManySessions: 'TD_ERR_SESSION_LIMIT',
  NotFound: 'TD_ERR_SESSION_NOT_FOUND',
  /** The same id was started again with a different spec. */
  Conflict: 'TD_ERR_SESSION_CONFLICT',
  /** Opening the capture or a writer failed. */
  StartFailed: 'TD_ERR_SESSION_START',
  /** UpdateSession on a session that has stopped. */
  NotRunning: 'TD_ERR_SESSION_NOT_RUNNING',
  /** The new capture handle of an UpdateSession could not be opened. */
  UpdateFailed: 'TD_ERR_SESSION_UPDATE',
  /** StartSession of a new session whose window_end has passed. */
  WindowEnded: 'TD_ERR_SESSION_WINDOW_ENDED',
  /** The agent is shutting down. */
  ShuttingDown: 'TD_ERR_SESSION_SHUTDOWN',
} as const;
export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

export class SessionError extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SessionError';
  }
}
