// The `tapedeck` command line: subcommands, one-line errors, documented exit codes.
import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze/analyze-command.js';
import { CliError } from './cli-error.js';
import { fetchCommand } from './fetch/fetch-command.js';
import { lsCommand } from './ls/ls-command.js';
import { statusCommand } from './status/status-command.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';

export async function runProgram(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const program = new Command('tapedeck')
    .description('Records and analyses network traffic captured by tapedeck')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `\nExamples:\n  tapedeck analyze --format json capture.pcap\n  tapedeck ls s3://traffic/prod\n  tapedeck fetch shop/checkout --from s3://traffic/prod -o checkout.pcapng\n${EXIT_CODES_HELP}`,
    );
  // A CliError ends the command as one line on stderr with its exit code; anything else is a bug.
  const fail = (error: unknown): ExitCode => {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`tapedeck: ${error.message}\n`);
    return error.exitCode;
  };
  program.addCommand(analyzeCommand((c) => (code = c)));
  program.addCommand(lsCommand((c) => (code = c), fail));
  program.addCommand(fetchCommand((c) => (code = c), fail));
  program.addCommand(statusCommand((c) => (code = c), fail));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    throw err;
  }
  return code;
}
