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
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  invalid flags or arguments
  2  a file could not be read, is not a pcap/pcapng file, or has an unsupported link type
  3  a capture is truncated or corrupt: the records up to the damage were written
  4  the output could not be written`;
