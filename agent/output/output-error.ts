// Typed errors of the output writers. Codes are stable: sessions map them to
// gRPC status codes (invalid options → INVALID_ARGUMENT, write failures →
// counted as lost packets and reported).

export const OutputErrorCode = {
  /** A file prefix, node name or directory that cannot be used in a file name. */
  InvalidName: 'TD_ERR_OUTPUT_NAME',
  /** Writer options out of bounds (rotation limits, snaplen, link type, ...). */
  InvalidOptions: 'TD_ERR_OUTPUT_OPTIONS',
  /** A batch whose records run past the end of the buffer. */
  MalformedBatch: 'TD_ERR_OUTPUT_BATCH',
  /** The file system refused a create, write, fsync or close. */
  Io: 'TD_ERR_OUTPUT_IO',
  /** write() after close(). */
  Closed: 'TD_ERR_OUTPUT_CLOSED',
  /** The node's storage budget (or the volume's free space) has no room: nothing was written. */
  StorageFull: 'TD_ERR_OUTPUT_STORAGE_FULL',
} as const;
export type OutputErrorCode = (typeof OutputErrorCode)[keyof typeof OutputErrorCode];

export class OutputError extends Error {
  constructor(
    readonly code: OutputErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'OutputError';
  }
}

export function isStorageFull(error: unknown): boolean {
  return error instanceof OutputError && error.code === OutputErrorCode.StorageFull;
}
