// The `tapedeck` command line: subcommands, one-line errors, documented exit codes.
import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze/analyze-command.js';
import { CliError } from './cli-error.js';
import { fetchCommand } from './fetch/fetch-command.js';
import { lsCommand } from './ls/ls-command.js';
import { statusCommand } from './status/status-command.js';
import { completionCommand } from './completion/completion-command.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';

/** `invokedAs` "kubectl-tapedeck" (the kubectl plugin) names the program `kubectl tapedeck` in help. */
export async function runProgram(argv: readonly string[], invokedAs = 'tapedeck'): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const program = new Command(invokedAs === 'kubectl-tapedeck' ? 'kubectl tapedeck' : 'tapedeck')
    .description('Records and analyses network traffic captured by tapedeck')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `
Examples:
  tapedeck analyze --format json capture.pcap
  tapedeck ls s3://traffic/prod
  tapedeck fetch shop/checkout -o checkout.pcapng
  tapedeck fetch shop/checkout --from s3://traffic/prod -o checkout.pcapng
  tapedeck status shop/checkout
  source <(tapedeck completion bash)

Also a kubectl plugin: installed as kubectl-tapedeck on PATH, \`kubectl tapedeck status shop/checkout\`.
${EXIT_CODES_HELP}`,
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
  program.addCommand(
    completionCommand(
      () => program,
      (c) => (code = c),
    ),
  );
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
