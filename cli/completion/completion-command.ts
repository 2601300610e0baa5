// `tapedeck completion bash|zsh`: prints the completion script for the program as it is built now.
import { Argument, Command } from 'commander';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { bashCompletion, zshCompletion } from './completion-script.js';

export function completionCommand(root: () => Command, done: (code: ExitCode) => void): Command {
  return new Command('completion')
    .description('Print a shell completion script (subcommands, flags, Recordings through kubectl, files)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
Examples:
  source <(tapedeck completion bash)
  tapedeck completion bash > /etc/bash_completion.d/tapedeck
  echo 'source <(tapedeck completion zsh)' >> ~/.zshrc
${EXIT_CODES_HELP}`,
    )
    .action((shell: 'bash' | 'zsh') => {
      // Always for `tapedeck`: kubectl completes its plugins' words itself.
      process.stdout.write(shell === 'bash' ? bashCompletion(root(), 'tapedeck') : zshCompletion(root(), 'tapedeck'));
      done(ExitCode.Ok);
    });
}
