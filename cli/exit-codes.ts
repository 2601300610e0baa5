// The `tapedeck` program's exit codes (documented in --help and cli/README.md).
export const ExitCode = {
  Ok: 0,
  /** Bad flags or arguments. */
  Usage: 1,
  /** A file could not be read, is not a capture, or uses an unsupported link type. */
  Input: 2,
  /** A capture is truncated or corrupt: records up to the damage were written. */
  Damaged: 3,
  /** The output could not be written. */
  Output: 4,
  /** A downloaded object does not match its manifest (sha256 or size): nothing was written. */
  Integrity: 5,
  /** The object store or the cluster refused the request or could not be reached (credentials, network). */
  Remote: 6,
  /** No such recording, run, iteration or node in the store. */
  NotFound: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  invalid flags or arguments
  2  a file could not be read, is not a pcap/pcapng file, or has an unsupported link type
  3  a capture is truncated or corrupt: the records up to the damage were written
  4  the output could not be written
  5  a downloaded object does not match its manifest (sha256 or size); no output was written
  6  the object store or the cluster refused the request or could not be reached
  7  no such recording, run, iteration or node`;
