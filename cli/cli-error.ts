// Errors the program reports as one line on stderr, each with the exit code it ends with.
import { ExitCode } from './exit-codes.js';

export const CliErrorKind = {
  usage: ExitCode.Usage,
  input: ExitCode.Input,
  output: ExitCode.Output,
  /** A download does not match its manifest (sha256, size). */
  integrity: ExitCode.Integrity,
  /** The object store or the cluster refused us or could not be reached. */
  remote: ExitCode.Remote,
  /** No such recording, run, iteration or node. */
  notFound: ExitCode.NotFound,
} as const;
export type CliErrorKind = keyof typeof CliErrorKind;

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly kind: CliErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get exitCode(): ExitCode {
    return CliErrorKind[this.kind];
  }
}
