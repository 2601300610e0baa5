// The `tapedeck` command line: subcommands, one-line errors, documented exit codes.
import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze/analyze-command.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';

export async function runProgram(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const program = new Command('tapedeck')
    .description('Records and analyses network traffic captured by tapedeck')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `\nExample:\n  tapedeck analyze --format json capture.pcap\n${EXIT_CODES_HELP}`);
  program.addCommand(analyzeCommand((c) => (code = c)));
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
