// Typed errors of the capture engine and the filter builder. Codes are stable:
// the gRPC layer maps InvalidFilter to INVALID_ARGUMENT and the others to
// UNAVAILABLE / INTERNAL.

export const CaptureErrorCode = {
  /** An include entry or expression that is malformed, or that pcap refuses to compile. */
  InvalidFilter: 'TD_ERR_CAPTURE_FILTER',
  /** Capture options out of bounds (snaplen, buffer sizes, interface name). */
  InvalidOptions: 'TD_ERR_CAPTURE_OPTIONS',
  /** libpcap could not create or activate the handle (no such device, permission...). */
  OpenFailed: 'TD_ERR_CAPTURE_OPEN',
  /** pcap_findalldevs failed. */
  Interfaces: 'TD_ERR_CAPTURE_INTERFACES',
  /** The native binding is not built or cannot be loaded. */
  NativeUnavailable: 'TD_ERR_CAPTURE_NATIVE',
  /** The capture loop stopped on a libpcap error (e.g. the interface went away). */
  CaptureFailed: 'TD_ERR_CAPTURE_FAILED',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CaptureError';
  }
}

/** A filter that cannot be used; `field` names the offending input (e.g. "include[1].sourceCIDR", "bpf"). */
export class FilterError extends CaptureError {
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(CaptureErrorCode.InvalidFilter, `${field}: ${message}`, options);
    this.name = 'FilterError';
  }
}
