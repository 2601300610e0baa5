import { execFile, type ExecFileOptions } from 'node:child_process';
import { TestEnvError, TestEnvErrorCode } from './errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command with an argument array (never a shell); rejects with its stderr when it fails. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: ExecFileOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...options, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const text = String(stderr).trim() || err.message;
        reject(
          new TestEnvError(TestEnvErrorCode.CommandFailed, `${command} ${args.join(' ')} failed: ${text}`, {
            cause: err,
          }),
        );
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
