// Typed errors of the exporter. `retryable` decides between backoff and a condition that waits for
// a person (wrong credentials, a bucket that does not exist): neither is ever logged and dropped.

export const ExportErrorCode = {
  /** The store refused our credentials or their policy (403, InvalidAccessKeyId, ExpiredToken …). */
  Denied: 'TD_ERR_EXPORT_DENIED',
  /** The bucket does not exist. */
  NoBucket: 'TD_ERR_EXPORT_NO_BUCKET',
  /** The store could not be reached or answered 5xx / throttled. */
  Unavailable: 'TD_ERR_EXPORT_UNAVAILABLE',
  /** What the store holds differs from what we sent (checksum, size). */
  Integrity: 'TD_ERR_EXPORT_INTEGRITY',
  /** The local file changed or vanished while it was being uploaded. */
  LocalFile: 'TD_ERR_EXPORT_LOCAL_FILE',
  /** The session exports with the operator's credentials and has none yet (agent restarted). */
  NoCredentials: 'TD_ERR_EXPORT_NO_CREDENTIALS',
  /** The upload was cancelled (agent shutting down). */
  Aborted: 'TD_ERR_EXPORT_ABORTED',
} as const;
export type ExportErrorCode = (typeof ExportErrorCode)[keyof typeof ExportErrorCode];

const RETRYABLE: ReadonlySet<ExportErrorCode> = new Set([ExportErrorCode.Unavailable, ExportErrorCode.Integrity]);

export class ExportError extends Error {
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ExportError';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}
