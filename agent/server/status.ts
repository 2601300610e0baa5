// Turns the agent's typed errors into gRPC status errors with stable codes.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CaptureError, CaptureErrorCode } from '../capture/capture-error.js';
import { OutputError, OutputErrorCode } from '../output/output-error.js';
import { SessionError, SessionErrorCode } from '../session/session-error.js';
import { RequestError } from './request-error.js';

const SESSION_STATUS: Record<SessionErrorCode, status> = {
  [SessionErrorCode.TooManySessions]: status.RESOURCE_EXHAUSTED,
  [SessionErrorCode.NotFound]: status.NOT_FOUND,
  [SessionErrorCode.Conflict]: status.ALREADY_EXISTS,
  [SessionErrorCode.StartFailed]: status.INTERNAL,
  [SessionErrorCode.ShuttingDown]: status.UNAVAILABLE,
  [SessionErrorCode.NotRunning]: status.FAILED_PRECONDITION,
  [SessionErrorCode.UpdateFailed]: status.INTERNAL,
  [SessionErrorCode.WindowEnded]: status.FAILED_PRECONDITION,
};

const CAPTURE_STATUS: Record<CaptureErrorCode, status> = {
  [CaptureErrorCode.InvalidFilter]: status.INVALID_ARGUMENT,
  [CaptureErrorCode.InvalidOptions]: status.INVALID_ARGUMENT,
  [CaptureErrorCode.OpenFailed]: status.FAILED_PRECONDITION,
  [CaptureErrorCode.Interfaces]: status.INTERNAL,
  [CaptureErrorCode.NativeUnavailable]: status.UNAVAILABLE,
  [CaptureErrorCode.CaptureFailed]: status.INTERNAL,
};

const OUTPUT_STATUS: Record<OutputErrorCode, status> = {
  [OutputErrorCode.InvalidName]: status.INVALID_ARGUMENT,
  [OutputErrorCode.InvalidOptions]: status.INVALID_ARGUMENT,
  [OutputErrorCode.MalformedBatch]: status.INTERNAL,
  [OutputErrorCode.Io]: status.INTERNAL,
  [OutputErrorCode.Closed]: status.INTERNAL,
  [OutputErrorCode.StorageFull]: status.RESOURCE_EXHAUSTED,
};

function codeOf(error: unknown): status | undefined {
  if (error instanceof RequestError) return error.code;
  if (error instanceof CaptureError) return CAPTURE_STATUS[error.code];
  if (error instanceof OutputError) return OUTPUT_STATUS[error.code];
  return undefined;
}

/** The status of `error`; a session start failure takes the status of its cause. */
export function statusOf(error: unknown): status {
  if (error instanceof SessionError) {
    if (error.code === SessionErrorCode.StartFailed || error.code === SessionErrorCode.UpdateFailed) {
      // The first typed error down the cause chain decides (e.g. the CaptureError of one interface).
      for (let cause = error.cause; cause !== undefined; cause = (cause as { cause?: unknown }).cause) {
        const code = codeOf(cause);
        if (code !== undefined) return code;
        if (!(cause instanceof Error)) break;
      }
      return status.INTERNAL;
    }
    return SESSION_STATUS[error.code];
  }
  return codeOf(error) ?? status.INTERNAL;
}

export function toServiceError(error: unknown): ServiceError {
  const details = error instanceof Error ? error.message : String(error);
  const serviceError = new Error(details) as ServiceError;
  serviceError.code = statusOf(error);
  serviceError.details = details;
  serviceError.metadata = new Metadata();
  return serviceError;
}
