// The `fetch` subcommand's flags and help; the work is in fetch-run.ts.
import { Command, InvalidArgumentError } from 'commander';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { runFetch } from './fetch-run.js';
import type { FetchFlags } from './fetch-run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function fetchCommand(done: (code: ExitCode) => void, fail: (error: unknown) => ExitCode): Command {
  return new Command('fetch')
    .description(
      "Download a recording's exported files, verify every sha256, merge all nodes into one pcapng (and .jsonl)",
    )
    .argument('<namespace/name>', 'the Recording')
    .option(
      '--from <url>',
      'read this bucket instead of asking the cluster: s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]',
    )
    .option('--endpoint <url>', 'an S3-compatible store or emulator (e.g. http://127.0.0.1:9000)')
    .option('--iteration <n>', 'which iteration (default: the latest)', positiveInt)
    .option('--run <uid8>', "which run (default: the Recording's, or with --from the newest)")
    .option('--node <name...>', 'only these nodes')
    .option('-o, --output <file>', 'the merged pcapng (default: NAMESPACE_NAME_ITERATION.pcapng)')
    .option('--records <file>', 'the merged JSON records (default: the output with .jsonl)')
    .option('--partial', 'fetch a run that is still exporting (what its manifests list now)')
    .option('--kubeconfig <file>', 'the kubeconfig to find the Recording with (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck fetch shop/checkout-errors -o checkout.pcapng        # finds the bucket through the Recording
  tapedeck fetch shop/checkout-errors --from s3://traffic/prod --iteration 2 --node node-a
  AWS_PROFILE=minio tapedeck fetch shop/checkout --from s3://traffic --endpoint http://127.0.0.1:9000

Progress goes to stderr (a bar on a terminal). An interrupted fetch resumes from OUTPUT.parts/.
${EXIT_CODES_HELP}`,
    )
    .action(async (target: string, flags: FetchFlags) => {
      try {
        done(await runFetch(target, flags, (line) => process.stderr.write(`${line}\n`)));
      } catch (error) {
        done(fail(error));
      }
    });
}
