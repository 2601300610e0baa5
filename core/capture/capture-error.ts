// Errors of the capture readers: stable codes, a one-line message, the byte offset of the damage.
export const CaptureErrorCode = {
  NotACapture: 'TD_ERR_CAPTURE_NOT_A_CAPTURE',
  Truncated: 'TD_ERR_CAPTURE_TRUNCATED',
  Corrupt: 'TD_ERR_CAPTURE_CORRUPT',
  UnsupportedLinkType: 'TD_ERR_CAPTURE_LINK_TYPE',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}
